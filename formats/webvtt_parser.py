"""The WebVTT parser algorithm (W3C WebVTT, "WebVTT parser algorithm"), block for block.

Browsers read a WebVTT file this way, and the web-platform-tests ``webvtt/parsing/file-parsing``
suite checks it (our copy: ``tests/data/formats/wpt``). In short:

- a block is the lines up to a blank line; a line with ``-->`` is the block's timing line when it
  is the block's first line, or its second after an identifier line; any later ``-->`` line ends
  the block and starts the next one;
- a timing line that does not parse (``00:00:1d.890``, ``00:00:60.000``, a vertical tab or a NUL
  for a space) makes its block no cue: the block is skipped and the rest of the file still read;
- timestamps are ``[hh:]mm:ss.ttt`` with exactly two minute and second digits (00-59), hours of two
  or more digits, exactly three fraction digits and ``.`` only;
- ``STYLE`` and ``REGION`` blocks count only before the first cue; ``NOTE`` blocks are comments;
- cue settings that are not valid are ignored one by one, the last valid one of a name wins.

Our reader departs from the algorithm in two lenient ways: a missing ``WEBVTT`` line is a warning,
not an empty track, and a timestamp may have SRT's ``,`` before its milliseconds (files converted
from SRT by hand; :func:`formats.validate_webvtt` still reports it). Every skipped block is a
:class:`~formats.model.ReadWarning` with the line it starts on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from formats.model import ReadWarning
from formats.timecode import MAX_MS

_SPACE = " \t\n\f\r"
_NUMBER_RE = re.compile(r"-?\d+(?:\.\d+)?$")
_PERCENT_RE = re.compile(r"(\d+(?:\.\d+)?)%$")
_SPACE_RUN_RE = re.compile(r"[ \t\n\f\r]+")  # ASCII white space only (not a vertical tab)
_SETTING_ORDER = ("vertical", "line", "position", "size", "align", "region")


class TimingError(ValueError):
    """A timing line that is not a WebVTT cue timing; the message says what is wrong."""


@dataclass
class CueBlock:
    """A cue as the algorithm returns it: raw identifier, times (ms), valid settings, raw text."""

    start: int
    end: int
    identifier: str
    settings: str
    text: str
    line: int


@dataclass
class Document:
    """The cues of a file and the blocks that were skipped."""

    cues: list[CueBlock] = field(default_factory=list)
    warnings: list[ReadWarning] = field(default_factory=list)


def prepare_input(text: str) -> str:
    """NUL becomes U+FFFD and every line ends with LF, as the algorithm's preprocessing does.

    ``text`` is decoded already (:func:`formats.text.decode`), which removed the byte order mark:
    a second U+FEFF is text, so the file does not start with ``WEBVTT``."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        text = text.replace("\0", "\ufffd")
    return text


def has_signature(text: str) -> bool:
    """True when the file starts with ``WEBVTT`` followed by the end, a space, a tab or a line end."""
    return text.startswith("WEBVTT") and (len(text) == 6 or text[6] in " \t\n")


# --- timestamps and timing lines ----------------------------------------------------------------


def _digits(line: str, pos: int) -> tuple[str, int]:
    end = pos
    while end < len(line) and "0" <= line[end] <= "9":
        end += 1
    return line[pos:end], end


def parse_timestamp(line: str, pos: int) -> tuple[int, int]:
    """``(milliseconds, position after it)`` of the WebVTT timestamp at ``pos``; TimingError when
    there is none."""
    first, pos = _digits(line, pos)
    if not first:
        raise TimingError("a timestamp must start with a digit")
    hours_first = len(first) != 2 or int(first) > 59
    if pos >= len(line) or line[pos] != ":":
        raise TimingError("expected ':' in the timestamp")
    second, pos = _digits(line, pos + 1)
    if len(second) != 2:
        raise TimingError("minutes and seconds must have two digits")
    if hours_first or (pos < len(line) and line[pos] == ":"):
        if pos >= len(line) or line[pos] != ":":
            raise TimingError("expected ':' before the seconds")
        third, pos = _digits(line, pos + 1)
        if len(third) != 2:
            raise TimingError("seconds must have two digits")
        hours, minutes, seconds = int(first), int(second), int(third)
    else:
        hours, minutes, seconds = 0, int(first), int(second)
    if pos >= len(line) or line[pos] not in ".,":  # ',' (SRT's) is our one leniency, see the module
        raise TimingError("expected '.' and three digits of milliseconds")
    fraction, pos = _digits(line, pos + 1)
    if len(fraction) != 3:
        raise TimingError("milliseconds must have three digits")
    if minutes > 59 or seconds > 59:
        raise TimingError("minutes and seconds must be 00-59")
    ms = ((hours * 60 + minutes) * 60 + seconds) * 1000 + int(fraction)
    if ms > MAX_MS:
        raise TimingError("time out of range (more than 100 hours)")
    return ms, pos


def _skip_space(line: str, pos: int) -> int:
    while pos < len(line) and line[pos] in _SPACE:
        pos += 1
    return pos


def parse_timing_line(line: str, regions: frozenset[str] = frozenset()) -> tuple[int, int, str]:
    """``(start, end, settings)`` of a cue timing line; TimingError when it is not one.
    ``regions`` are the region identifiers a ``region:`` setting may name."""
    start, pos = parse_timestamp(line, _skip_space(line, 0))
    pos = _skip_space(line, pos)
    if not line.startswith("-->", pos):
        raise TimingError("expected '-->' after the start time")
    end, pos = parse_timestamp(line, _skip_space(line, pos + 3))
    return start, end, parse_settings(line[pos:], regions)


# --- cue settings --------------------------------------------------------------------------------


def _percentage(value: str) -> bool:
    m = _PERCENT_RE.match(value)
    return m is not None and float(m.group(1)) <= 100


def _line_value(value: str) -> str | None:
    """``line``: a number or a percentage, then optionally ``,start|center|end`` (an unknown
    alignment is dropped, the position kept, as browsers do)."""
    position, comma, align = value.partition(",")
    if not any(ch.isdigit() for ch in position):
        return None
    if not (_percentage(position) if position.endswith("%") else _NUMBER_RE.match(position)):
        return None
    return f"{position},{align}" if comma and align in ("start", "center", "end") else position


def _position_value(value: str) -> str | None:
    """``position``: a percentage, then optionally ``,line-left|center|line-right``."""
    position, comma, align = value.partition(",")
    if not _percentage(position):
        return None
    return f"{position},{align}" if comma and align in ("line-left", "center", "line-right") else position


def _setting_value(name: str, value: str, regions: frozenset[str]) -> str | None:
    """The value to keep for setting ``name``, or None when it is not valid."""
    if name == "line":
        return _line_value(value)
    if name == "position":
        return _position_value(value)
    if name == "size":
        valid = _percentage(value)
    elif name == "vertical":
        valid = value in ("rl", "lr")
    elif name == "align":
        valid = value in ("start", "center", "end", "left", "right")
    else:
        valid = name == "region" and value in regions
    return value if valid else None


def parse_settings(text: str, regions: frozenset[str] = frozenset()) -> str:
    """The valid settings of ``text`` as ``name:value`` words in a fixed order: invalid ones are
    ignored, a later valid one replaces an earlier one, and a ``region`` setting naming no region
    drops an earlier one."""
    found: dict[str, str] = {}
    for word in _SPACE_RUN_RE.split(text):
        name, colon, value = word.partition(":")
        if not colon or not name or not value:
            continue
        kept = _setting_value(name, value, regions)
        if kept is not None:
            found[name] = kept
        elif name == "region":
            found.pop("region", None)
    return " ".join(f"{name}:{found[name]}" for name in _SETTING_ORDER if name in found)


# --- blocks ---------------------------------------------------------------------------------------


def _keyword_line(line: str, word: str) -> bool:
    return line.startswith(word) and line[len(word) :].strip(" \t") == ""


def _region_id(settings: str) -> str:
    region_id = ""
    for word in _SPACE_RUN_RE.split(settings):
        name, colon, value = word.partition(":")
        if name == "id" and colon and value and "-->" not in value:
            region_id = value
    return region_id


class _Parser:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.doc = Document()
        self.regions: set[str] = set()
        self.seen_cue = False

    def warn(self, line: int, message: str) -> None:
        self.doc.warnings.append(ReadWarning(line, message))

    def skip_blank(self, i: int) -> int:
        while i < len(self.lines) and self.lines[i] == "":
            i += 1
        return i

    def block(self, i: int, in_header: bool) -> int:
        """Collect the block starting at line index ``i``; returns the index after it."""
        first = i
        buffer: list[str] = []
        timing: tuple[int, int, str] | None = None
        timing_line = -1
        timing_error: str | None = None
        identifier = ""
        kind = "text"  # or "style", "region"
        seen_arrow = False
        count = 0
        while i < len(self.lines):
            line = self.lines[i]
            count += 1
            if "-->" in line:
                if in_header or not (count == 1 or (count == 2 and not seen_arrow)):
                    break  # the next block starts here
                seen_arrow = True
                timing_line = i
                try:
                    timing = parse_timing_line(line, frozenset(self.regions))
                    timing_error = None
                    identifier = "\n".join(buffer)
                    buffer = []
                except TimingError as exc:
                    timing, timing_error = None, str(exc)
            elif line == "":
                i += 1
                break
            else:
                if not in_header and count == 2 and not self.seen_cue:
                    if _keyword_line(buffer[0] if buffer else "", "STYLE"):
                        kind, buffer = "style", []
                    elif _keyword_line(buffer[0] if buffer else "", "REGION"):
                        kind, buffer = "region", []
                buffer.append(line)
            i += 1
        if not in_header:
            self.finish(first, buffer, timing, identifier, timing_line, timing_error, kind)
        return i

    def finish(
        self,
        first: int,
        buffer: list[str],
        timing: tuple[int, int, str] | None,
        identifier: str,
        timing_line: int,
        timing_error: str | None,
        kind: str,
    ) -> None:
        if timing is not None:
            start, end, settings = timing
            self.doc.cues.append(CueBlock(start, end, identifier, settings, "\n".join(buffer), timing_line + 1))
            self.seen_cue = True
        elif timing_error is not None:
            self.warn(timing_line + 1, f"cue skipped: malformed timing line ({timing_error})")
        elif kind == "region":
            region_id = _region_id(" ".join(buffer))
            if region_id:
                self.regions.add(region_id)
        elif kind == "style":
            pass  # styles are not part of the model
        elif buffer and (buffer[0] == "NOTE" or buffer[0].startswith(("NOTE ", "NOTE\t"))):
            pass  # a comment
        elif buffer and self.seen_cue and (_keyword_line(buffer[0], "STYLE") or _keyword_line(buffer[0], "REGION")):
            self.warn(first + 1, f"{buffer[0].strip()} block after the first cue ignored")
        elif buffer:
            self.warn(first + 1, "block without a cue timing line skipped")

    def run(self, first: int) -> Document:
        i = self.skip_blank(first)
        while i < len(self.lines):
            i = self.skip_blank(self.block(i, in_header=False))
        return self.doc


def parse_document(text: str) -> Document:
    """The cues of ``text`` (already passed through :func:`prepare_input`) and the warnings."""
    lines = text.split("\n")
    if text.endswith("\n"):
        lines.pop()
    parser = _Parser(lines)
    if not has_signature(text):
        parser.warn(1, "no WEBVTT header; read as WebVTT anyway")
        return parser.run(0)
    first = 1
    if first < len(lines) and lines[first] != "":
        first = parser.block(first, in_header=True)
    return parser.run(first)
