"""Putting cue times in order: the one place that decides how broken timings are fixed.

Readers keep what the file said (order, cues that share a start, overlaps, an end before the
start). Normalisation is a separate, named step, :func:`normalise`, applied when asked
(``captions convert --normalise``, a style profile) or by a format that shows one caption at a time
(SCC), and the linter reports what it would change (``quality.normalisation``). Its fixes, in order:

1. a cue that starts before 0 but ends after 0 starts at 0; one that ends at or before 0 as well
   cannot be shown and raises :class:`CaptionFormatError` (with the input line when known);
2. cues are sorted by start (stable);
3. cues with the same start are merged into one cue (lines kept in order), never dropped;
4. a cue whose end is not after its start gets the time needed to read it at 15 characters per
   second (at least 1 s, at most 7 s), but never past the next cue's start;
5. a cue that overlaps the next one ends where the next one starts.

Every writer needs less: :func:`writable` only sorts the cues (stable), moves a start before 0 to
0 and gives a cue whose end is not after its start its reading time (fixes 1, 2 and 4), so
simultaneous and overlapping cues stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from formats.errors import CaptionFormatError
from formats.model import Captions, Cue
from formats.text import clean_lines

FIX_CPS = 15
FIX_MIN_MS = 1000
FIX_MAX_MS = 7000


def _reading_ms(cue: Cue) -> int:
    chars = sum(len(line) for line in cue.lines)
    return min(FIX_MAX_MS, max(FIX_MIN_MS, chars * 1000 // FIX_CPS))


def is_clean(cues: list[Cue]) -> bool:
    """True when the cues are already sorted, non-overlapping, non-negative and of positive length."""
    prev_start = -1
    prev_end = 0
    for cue in cues:
        start = cue.start
        if start <= prev_start or start < prev_end or cue.end <= start:
            return False
        prev_start = start
        prev_end = cue.end
    return True


def normalize(cues: list[Cue], fmt: str | None = None, lines: list[int] | None = None) -> list[Cue]:
    """Fix the times of ``cues`` in place (see the module docstring) and return the fixed list.

    ``lines`` holds, per cue, the input line of its timing, for error messages; without it they
    name the cue's index in ``cues``.
    """
    if is_clean(cues) and (not cues or cues[0].start >= 0):
        return cues
    for i, cue in enumerate(cues):
        if cue.start < 0:
            if cue.end <= 0:
                if lines:
                    raise CaptionFormatError("negative cue time that cannot be fixed", line=lines[i], fmt=fmt)
                raise CaptionFormatError(f"cue {i}: negative cue time that cannot be fixed", fmt=fmt)
            cue.start = 0
    order = sorted(range(len(cues)), key=lambda i: cues[i].start)
    ordered = [cues[i] for i in order]
    merged: list[Cue] = []
    for cue in ordered:
        if merged and merged[-1].start == cue.start:
            last = merged[-1]
            last.lines = last.lines + cue.lines
            last.end = max(last.end, cue.end)
            last.words = last.words + cue.words
            if last.speaker != cue.speaker:
                last.speaker = last.speaker or cue.speaker
            continue
        merged.append(cue)
    for i, cue in enumerate(merged):
        next_start = merged[i + 1].start if i + 1 < len(merged) else None
        if cue.end <= cue.start:
            cue.end = cue.start + _reading_ms(cue)
        if next_start is not None and cue.end > next_start:
            cue.end = next_start
    return merged


@dataclass
class NormalisationReport:
    """What :func:`normalise` changed (or, from :func:`normalisation_needed`, would change)."""

    same_start: int = 0  # cues merged into the cue before them
    overlaps: int = 0  # cues whose end was moved back to the next start
    end_before_start: int = 0  # cues whose end was not after their start
    out_of_order: int = 0  # cues that start before the cue before them

    @property
    def changes(self) -> int:
        return self.same_start + self.overlaps + self.end_before_start + self.out_of_order

    def to_dict(self) -> dict[str, int]:
        return {
            "changes": self.changes,
            "same_start": self.same_start,
            "overlaps": self.overlaps,
            "end_before_start": self.end_before_start,
            "out_of_order": self.out_of_order,
        }


def normalisation_needed(cues: list[Cue]) -> NormalisationReport:
    """Count what :func:`normalise` would fix, without changing anything."""
    report = NormalisationReport()
    for i, cue in enumerate(cues):
        if cue.end <= cue.start:
            report.end_before_start += 1
        if i and cue.start < cues[i - 1].start:
            report.out_of_order += 1
    starts = sorted(cues, key=lambda c: c.start)
    for i in range(1, len(starts)):
        if starts[i].start == starts[i - 1].start:
            report.same_start += 1
        elif starts[i].start < starts[i - 1].end:
            report.overlaps += 1
    return report


def normalise(captions: Captions) -> tuple[Captions, NormalisationReport]:
    """A copy of ``captions`` with sorted, merged, non-overlapping cues of positive duration (see
    the module docstring), and what was changed. Raises CaptionFormatError for a cue that ends
    at or before 0."""
    report = normalisation_needed(captions.cues)
    cues = normalize([replace(c, lines=list(c.lines), words=list(c.words)) for c in captions.cues])
    return replace(captions, cues=cues, warnings=list(captions.warnings)), report


def _is_writable(cues: list[Cue]) -> bool:
    prev_start = 0
    for cue in cues:
        start = cue.start
        if start < prev_start or cue.end <= start:
            return False
        prev_start = start
    return True


def writable(cues: list[Cue]) -> list[Cue]:
    """Cues every writer can write (sorted, starting at 0 or later, ends after starts) without
    changing the caller's objects; cues that share a start or overlap are kept."""
    if _is_writable(cues):
        return cues
    out = sorted((replace(c) for c in cues), key=lambda c: c.start)
    for i, cue in enumerate(out):
        if cue.start < 0:
            if cue.end <= 0:
                raise CaptionFormatError(f"cue {i}: negative cue time that cannot be fixed")
            cue.start = 0
    later = [c.start for c in out]
    for i, cue in enumerate(out):
        if cue.end <= cue.start:
            next_start = next((s for s in later[i + 1 :] if s > cue.start), None)
            cue.end = cue.start + _reading_ms(cue)
            if next_start is not None:
                cue.end = min(cue.end, next_start)
    return out


def ordered(cues: list[Cue]) -> list[Cue]:
    """Cues with times fixed as :func:`normalize` does, without changing the caller's objects (the
    same list when nothing needs fixing). Text is not touched: see :func:`formats.text.cue_text`."""
    if is_clean(cues):
        return cues
    return normalize([replace(c) for c in cues])


def prepared(cues: list[Cue], one_at_a_time: bool = False) -> list[Cue]:
    """Cues ready to write: lines sanitised (see :func:`formats.text.clean_lines`) and times made
    :func:`writable` (fully normalised with ``one_at_a_time``, for formats that show one caption
    at a time), without changing the caller's objects."""
    out = []
    for cue in cues:
        lines = clean_lines(cue.lines)
        out.append(cue if lines == cue.lines else replace(cue, lines=lines))
    return ordered(out) if one_at_a_time else writable(out)
