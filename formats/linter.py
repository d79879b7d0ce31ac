"""Caption quality without a reference (docs/formats.md, "Linter").

Checked against a style profile: reading speed (characters per second of the cue text with
formatting tags such as ``<i>`` stripped, though model text is normally plain already; spaces and
line breaks count as one character each when the profile's ``count_spaces`` is set, the default),
line length, lines per cue, minimum and maximum duration, overlaps, out-of-order starts and empty
cues; words per minute is reported for information. Each check gives a count, a share and the
indices (0-based, in track order) of the first offending cues. ``normalisation`` says what
:func:`formats.normalise` would change (cues sharing a start merged, overlaps trimmed, ends before
starts fixed, cues sorted): formats that show one caption at a time (SCC) and ``captions convert
--normalise`` apply it; the track itself keeps what its source said.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from formats.model import Captions
from formats.normalize import NormalisationReport, normalisation_needed
from formats.profiles import StyleProfile, get_profile
from formats.text import KNOWN_TAG_RE, char_count, strip_tags

MAX_LISTED = 50


@dataclass
class Check:
    """One rule: how many cues (or lines) break it, their share, and the first offending cue indices."""

    count: int = 0
    total: int = 0
    cues: list[int] = field(default_factory=list)

    @property
    def share(self) -> float:
        return self.count / self.total if self.total else 0.0

    def hit(self, index: int, times: int = 1) -> None:
        self.count += times
        if len(self.cues) < MAX_LISTED and (not self.cues or self.cues[-1] != index):
            self.cues.append(index)

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "share": round(self.share, 4),
            "cues": list(self.cues),
            "truncated": self.count > len(self.cues) and len(self.cues) >= MAX_LISTED,
        }


@dataclass
class QualityReport:
    """The linter's findings for one track; ``violations`` is the sum of all counts."""

    profile: str
    count_spaces: bool
    cues: int
    words: int
    words_per_minute: float
    over_cps: Check
    lines_too_long: Check  # counted per line; total is the number of lines
    too_many_lines: Check
    too_short: Check
    too_long: Check
    overlaps: Check
    out_of_order: Check
    empty: Check
    normalisation: NormalisationReport = field(default_factory=NormalisationReport)

    CHECKS = (
        "over_cps",
        "lines_too_long",
        "too_many_lines",
        "too_short",
        "too_long",
        "overlaps",
        "out_of_order",
        "empty",
    )

    @property
    def violations(self) -> int:
        return sum(getattr(self, name).count for name in self.CHECKS)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "profile": self.profile,
            "count_spaces": self.count_spaces,
            "cues": self.cues,
            "words": self.words,
            "words_per_minute": round(self.words_per_minute, 1),
            "violations": self.violations,
        }
        for name in self.CHECKS:
            out[name] = getattr(self, name).to_dict()
        out["normalisation"] = self.normalisation.to_dict()
        return out


def lint(captions: Captions, profile: StyleProfile | None = None) -> QualityReport:
    """Check ``captions`` against ``profile`` (default ``netflix-en``)."""
    profile = get_profile(profile)
    cues = captions.cues
    n = len(cues)
    over_cps, too_many, short, long_, overlaps, order, empty = (Check(total=n) for _ in range(7))
    lines_long = Check(total=sum(len(c.lines) for c in cues))
    words = 0
    for i, cue in enumerate(cues):
        plain = [strip_tags(line, KNOWN_TAG_RE).strip() for line in cue.lines]
        plain = [line for line in plain if line]
        duration = cue.end - cue.start
        if not plain:
            empty.hit(i)
        else:
            words += sum(len(line.split()) for line in plain)
            chars = char_count(plain, profile.count_spaces)
            if duration <= 0 or chars * 1000 / duration > profile.max_cps + 1e-9:
                over_cps.hit(i)
        too_long_lines = sum(1 for line in plain if len(line) > profile.max_chars_per_line)
        if too_long_lines:
            lines_long.hit(i, too_long_lines)
        if len(plain) > profile.max_lines:
            too_many.hit(i)
        if duration < profile.min_duration_ms:
            short.hit(i)
        if duration > profile.max_duration_ms:
            long_.hit(i)
        if i:
            prev = cues[i - 1]
            if cue.start < prev.start:
                order.hit(i)
            elif cue.start < prev.end:
                overlaps.hit(i)
    span = (max(c.end for c in cues) - min(c.start for c in cues)) if cues else 0
    wpm = words * 60000 / span if span > 0 else 0.0
    return QualityReport(
        profile=profile.name,
        count_spaces=profile.count_spaces,
        cues=n,
        words=words,
        words_per_minute=wpm,
        over_cps=over_cps,
        lines_too_long=lines_long,
        too_many_lines=too_many,
        too_short=short,
        too_long=long_,
        overlaps=overlaps,
        out_of_order=order,
        empty=empty,
        normalisation=normalisation_needed(cues),
    )
