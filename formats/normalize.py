"""Putting cue times in order: the one place that decides how broken timings are fixed.

Readers call :func:`normalize` on what they parsed; writers call :func:`prepared` so that every
file we write has sorted, non-overlapping cues with positive durations. The fixes, in order:

1. a cue that starts before 0 but ends after 0 starts at 0; one that ends at or before 0 as well
   cannot be shown and raises :class:`CaptionFormatError` (with the input line when known);
2. cues are sorted by start (stable);
3. cues with the same start are merged into one cue (lines kept in order), never dropped;
4. a cue whose end is not after its start gets the time needed to read it at 15 characters per
   second (at least 1 s, at most 7 s), but never past the next cue's start;
5. a cue that overlaps the next one ends where the next one starts.
"""

from __future__ import annotations

from dataclasses import replace

from formats.errors import CaptionFormatError
from formats.model import Cue
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


def ordered(cues: list[Cue]) -> list[Cue]:
    """Cues with times fixed as :func:`normalize` does, without changing the caller's objects (the
    same list when nothing needs fixing). Text is not touched: see :func:`formats.text.cue_text`."""
    if is_clean(cues):
        return cues
    return normalize([replace(c) for c in cues])


def prepared(cues: list[Cue]) -> list[Cue]:
    """Cues ready to write: lines sanitised (see :func:`formats.text.clean_lines`) and times fixed,
    without changing the caller's objects."""
    out = []
    for cue in cues:
        lines = clean_lines(cue.lines)
        out.append(cue if lines == cue.lines else replace(cue, lines=lines))
    return ordered(out)
