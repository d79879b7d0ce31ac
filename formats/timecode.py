"""Timecodes: one lenient parser shared by the SRT, WebVTT and SBV readers, and the formatters.

The parser accepts what real files contain: ``h:m:s`` or ``m:s``, one or two digit fields,
``.`` or ``,`` before the fraction, a fraction of any length (a decimal fraction of a second, so
``0:0:1,5`` is 1.5 s), ``;`` before exactly three millisecond digits, and a leading minus sign
(the readers decide whether a negative time can be fixed). All results are integer milliseconds;
times beyond :data:`MAX_HOURS` raise :class:`TimeRangeError`.

Besides ``-->``, an arrow of dashes ending in ``>`` (``->``, ``—>``, ``- ->``) or ``→`` is read as the
arrow; :func:`looks_like_arrow_timing` and :func:`looks_like_sbv_timing` spot the lines that were
meant as timing lines but do not parse, so the readers can report them instead of keeping them as text.
"""

from __future__ import annotations

import re

MAX_HOURS = 100
MAX_MS = MAX_HOURS * 3_600_000


class TimeRangeError(ValueError):
    """A time beyond :data:`MAX_MS` (readers turn it into a CaptionFormatError with the line)."""

    def __init__(self) -> None:
        super().__init__(f"time out of range (more than {MAX_HOURS} hours)")


# One time: optional sign, optional hours, minutes, seconds, optional fraction. The groups are
# fixed-width or separated by ':' so the match never backtracks more than one step. ';' is a
# fraction separator only before exactly three digits (two would be a drop-frame frame number).
_FRACTION = r"(?:(?:[.,]|;(?=\d{3}(?!\d)))(\d+))?"
TIME_PATTERN = r"(-?)(?:(\d+):)?(\d{1,2}):(\d{1,2})" + _FRACTION
TIME_RE = re.compile(TIME_PATTERN + r"$")
# The arrow: ``-->``, or dashes of any kind ending in '>' (``->``, ``—>``, ``- ->``), or '→'.
_DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_ARROW = rf"(?:-->|[{_DASHES}](?:[ \t]?[{_DASHES}])*[ \t]?>|\u2192)"
# ``start --> end`` followed by optional settings (WebVTT) or coordinates (SRT).
ARROW_TIMING_RE = re.compile(r"\s*" + TIME_PATTERN + r"\s*" + _ARROW + r"\s*" + TIME_PATTERN + r"(?:\s+(.*?))?\s*$")
# SBV: ``start,end`` with '.' (or ';' + three digits) before the fraction.
SBV_TIMING_RE = re.compile(
    r"\s*(-?)(?:(\d+):)?(\d{1,2}):(\d{1,2})(?:(?:\.|;(?=\d{3}(?!\d)))(\d+))?\s*,\s*" + TIME_PATTERN + r"\s*$"
)
# A line meant as a timing line: two times (three fields, or two and a fraction) around something
# arrow-like, anywhere in the line. Bounded repeats keep the search linear.
_TIMEISH = r"\d{1,12}:\d{1,12}(?::\d{1,12}(?:[.,;:]\d{1,12})?|[.,;]\d{1,12})"
_SUSPECT_ARROW = rf"[ \t]*(?:[{_DASHES}=~][{_DASHES}=~ \t]*(?:>[ \t]*)?|[>\u2192][ \t]*)"
_SUSPECT_ARROW_RE = re.compile(_TIMEISH + _SUSPECT_ARROW + _TIMEISH)
# SBV: two comma-separated words that start like times (the caller has checked for a ':').
_SUSPECT_SBV_RE = re.compile(r"\s*-?\d[\w:.;]*\s*,\s*-?\d[\w:.;]*\s*$")

_SCALE = {1: 100, 2: 10, 3: 1}


def ms_from_groups(sign: str, hours: str | None, minutes: str, seconds: str, frac: str | None) -> int:
    """Milliseconds from the five groups of :data:`TIME_PATTERN`; :class:`TimeRangeError` past
    :data:`MAX_MS`."""
    if hours and len(hours) > 3:
        hours = hours.lstrip("0")
        if len(hours) > 3:
            raise TimeRangeError
    ms = (int(hours) * 3600 if hours else 0) * 1000 + int(minutes) * 60000 + int(seconds) * 1000
    if frac:
        # rounding to the millisecond depends on the fourth digit only
        n = len(frac)
        if n <= 3:
            ms += int(frac) * _SCALE[n]
        else:
            ms += (int(frac[:4]) + 5) // 10
    if ms > MAX_MS:
        raise TimeRangeError
    return -ms if sign else ms


def parse_time(value: str) -> int | None:
    """Milliseconds of one timecode, or None when ``value`` is not a timecode."""
    m = TIME_RE.match(value.strip())
    if m is None:
        return None
    return ms_from_groups(*m.groups())


def parse_arrow_timing(line: str) -> tuple[int, int, str] | None:
    """``(start, end, settings)`` of an SRT/WebVTT timing line, or None."""
    m = ARROW_TIMING_RE.match(line)
    if m is None:
        return None
    g = m.groups()
    return ms_from_groups(*g[0:5]), ms_from_groups(*g[5:10]), g[10] or ""


def parse_sbv_timing(line: str) -> tuple[int, int, str] | None:
    """``(start, end, "")`` of an SBV timing line, or None."""
    m = SBV_TIMING_RE.match(line)
    if m is None:
        return None
    g = m.groups()
    return ms_from_groups(*g[0:5]), ms_from_groups(*g[5:10]), ""


def looks_like_arrow_timing(line: str) -> bool:
    """True for a stripped line that does not parse but was meant as an SRT/WebVTT timing line: it
    starts like a time and has ``-->``, or it holds two times around an arrow-like token."""
    return ("-->" in line and (line[0].isdigit() or line[0] == "-")) or _SUSPECT_ARROW_RE.search(line) is not None


def looks_like_sbv_timing(line: str) -> bool:
    """True for a line that does not parse but was meant as an SBV timing line."""
    return _SUSPECT_SBV_RE.match(line) is not None


class _HourTexts(dict[int, str]):
    """``HH`` of each hour; the rare hour past 99 is formatted when asked for."""

    def __missing__(self, hours: int) -> str:
        return f"{hours:02d}"


# A timestamp as three lookups (its hour, its minute and second within the hour, its millisecond)
# rather than four numbers formatted: three times faster, and writers do it twice a cue. The
# readers' fast path looks the same texts up the other way (formats.blocks).
_TWO_DIGITS = [f"{n:02d}" for n in range(100)]
HOUR_TEXTS = _HourTexts(enumerate(_TWO_DIGITS))
MINUTE_SECOND_TEXTS = tuple([m + ":" + s for m in _TWO_DIGITS[:60] for s in _TWO_DIGITS[:60]])
MILLISECOND_TEXTS = tuple([f"{ms:03d}" for ms in range(1000)])


def span_text(start: int, end: int, decimal: str = ".") -> str:
    """A cue's timing, ``HH:MM:SS.mmm --> HH:MM:SS.mmm`` (``decimal=","`` for SRT), as writers of
    large files need it per cue; ``format_srt``/``format_vtt`` are the readable kin."""
    if start < 0 or end < 0:
        raise ValueError(f"negative cue time: {start}, {end}")
    hours, minutes_seconds, millis = HOUR_TEXTS, MINUTE_SECOND_TEXTS, MILLISECOND_TEXTS
    return (
        f"{hours[start // 3_600_000]}:{minutes_seconds[start // 1000 % 3600]}{decimal}{millis[start % 1000]}"
        f" --> {hours[end // 3_600_000]}:{minutes_seconds[end // 1000 % 3600]}{decimal}{millis[end % 1000]}"
    )


def format_srt(ms: int) -> str:
    """``HH:MM:SS,mmm``."""
    # %-formatting with integer arithmetic: the fastest spelling, and writers call this per cue.
    return "%02d:%02d:%02d,%03d" % (ms // 3_600_000, ms // 60_000 % 60, ms // 1000 % 60, ms % 1000)  # noqa: UP031


def format_vtt(ms: int) -> str:
    """``HH:MM:SS.mmm`` (always with hours, which every WebVTT reader accepts); also TTML clock time."""
    return "%02d:%02d:%02d.%03d" % (ms // 3_600_000, ms // 60_000 % 60, ms // 1000 % 60, ms % 1000)  # noqa: UP031


def format_sbv(ms: int) -> str:
    """``H:MM:SS.mmm``."""
    return "%d:%02d:%02d.%03d" % (ms // 3_600_000, ms // 60_000 % 60, ms // 1000 % 60, ms % 1000)  # noqa: UP031


# --- 29.97 fps drop-frame timecode (SCC) -------------------------------------------------------

FRAMES_PER_10_MIN = 17982  # 10 minutes of 29.97 fps video: 18000 frames minus 9 * 2 dropped
FRAMES_PER_MIN = 1798  # a minute whose first two frame numbers are dropped


def ms_to_frame(ms: int) -> int:
    """The 29.97 fps (30000/1001) frame shown at ``ms``, rounded to the nearest frame."""
    return (ms * 30 + 500) // 1001 if ms >= 0 else 0


def frame_to_ms(frame: int) -> int:
    """The time of the start of ``frame`` in milliseconds, rounded."""
    return (frame * 1001 + 15) // 30


def frame_to_dropframe(frame: int) -> str:
    """``HH:MM:SS;FF`` drop-frame label of a frame count (frames 0 and 1 are skipped each minute
    except every tenth minute, which keeps the label in step with the wall clock)."""
    tens, rem = divmod(frame, FRAMES_PER_10_MIN)
    dropped = 18 * tens + (2 * ((rem - 2) // FRAMES_PER_MIN) if rem >= 2 else 0)
    n = frame + dropped
    ff = n % 30
    ss = n // 30 % 60
    mm = n // 1800 % 60
    hh = n // 108000
    return f"{hh:02d}:{mm:02d}:{ss:02d};{ff:02d}"


def dropframe_to_frame(label: str) -> int:
    """Frame count of an ``HH:MM:SS;FF`` (or ``HH:MM:SS:FF``) drop-frame label."""
    hh, mm, ss, ff = (int(x) for x in re.split(r"[:;.]", label.strip()))
    total_minutes = hh * 60 + mm
    n = ((hh * 60 + mm) * 60 + ss) * 30 + ff
    return n - 2 * (total_minutes - total_minutes // 10)
