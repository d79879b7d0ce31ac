"""The line-by-line cue parser shared by the SRT, WebVTT and SBV readers.

Real files break the textbook layout in many ways, so the parser is driven by timing lines:

- a timing line always starts a new cue, so missing blank lines between cues are harmless;
- a number on the line right before a timing line is the next cue's number (SRT) when it follows
  a blank line or starts the file, when the file has no blank lines between cues, or when it is
  the previous cue's number + 1; otherwise it is text. In WebVTT any line after a blank line and
  right before a timing line is the cue identifier;
- a blank line followed by more text that is not a number + timing is still text of the current
  cue (the blank line itself is dropped: the model has no empty lines);
- WebVTT ``NOTE``, ``STYLE`` and ``REGION`` blocks (after a blank line, never inside a cue's text)
  are skipped up to the next blank line or timing line;
- a line meant as a timing line that does not parse (see ``looks_like_*_timing`` in
  :mod:`formats.timecode`), or a time past 100 hours, is an error with its line number, and so is
  text before the first cue: nothing is dropped silently.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from itertools import islice

from formats.errors import CaptionFormatError
from formats.model import Captions, Cue, ReadWarning
from formats.text import SRT_TAG_RE
from formats.timecode import HOUR_TEXTS, MILLISECOND_TEXTS, MINUTE_SECOND_TEXTS, TimeRangeError

Timing = Callable[[str], "tuple[int, int, str] | None"]
LineFilter = Callable[[list[str]], "tuple[list[str], str | None]"]

_COMMENT_WORDS = ("NOTE", "STYLE", "REGION")
# A textbook cue block: number or identifier line (optional), the standard timing line (two-digit
# fields, three fraction digits, one space around the arrow, optional settings), text lines, and
# one blank line (or the end of the file). No line starts or ends with a space (the line-by-line
# parser strips lines). Each part is delimited by a newline, so a match never backtracks beyond
# the optional identifier; the text lines are matched possessively (``*+``, ``[^\n]*+``): what
# follows them never matches where a text line starts, so giving one back could not help, and
# the engine keeps no record to do so.
_TEXT = r"[^\n ][^\n]*+(?<! )"  # a line's text, without a space at either end
_TIMES = r"(\d\d):([0-5]\d:[0-5]\d)[,.](\d\d\d) --> (\d\d):([0-5]\d:[0-5]\d)[,.](\d\d\d)(?:[ \t][^\n]*(?<! ))?\n"
# WebVTT: '.' only, and the settings after the end time are kept (see formats.webvtt_parser).
_VTT_TIMES = r"(\d\d):([0-5]\d:[0-5]\d)\.(\d\d\d) --> (\d\d):([0-5]\d:[0-5]\d)\.(\d\d\d)([ \t][^\n]*(?<! ))?\n"
# Where no block starts right after the previous one (or at the start), the last alternative takes
# the rest of the text as the last group, which is empty in every block: one look at the last
# match tells whether the blocks cover the text (``findall`` alone would skip such text).
_REST = r"|((?s:.+))"
# The patterns are compiled with re.ASCII: ``\d`` is 0-9 only, as in the line-by-line parser, so
# a timestamp with another script's digit leaves the fast path rather than failing a lookup.
_SRT_BLOCKS_RE = re.compile(r"(?:\d+\n)?" + _TIMES + r"((?:" + _TEXT + r"\n)*+)(?:\n+|\Z)" + _REST, re.ASCII)
_VTT_BLOCKS_RE = re.compile(
    r"(?:(" + _TEXT + r")\n)?" + _VTT_TIMES + r"((?:" + _TEXT + r"\n)*+)(?:\n+|\Z)" + _REST, re.ASCII
)
# An SRT file without blank lines: a cue's text ends before a timing line or a number + timing
# line (parse_blocks reads such a number as the next cue's number in a file without blank lines).
# Two alternatives rather than an optional number: the same test, and `findall` 7% faster.
_TIMING_START = r"\d\d:[0-5]\d:[0-5]\d[,.]\d\d\d --> "
_CUE_START = r"\d+\n" + _TIMING_START + "|" + _TIMING_START
_DENSE_SRT_BLOCKS_RE = re.compile(
    r"(?:\d+\n)?" + _TIMES + r"((?:(?!" + _CUE_START + r")" + _TEXT + r"\n)*+)\n*" + _REST, re.ASCII
)
_TIMING_LINE_RE = re.compile(r"\n" + _TIMING_START, re.ASCII)
_BLANK_LINE_BEFORE_TEXT_RE = re.compile(r"\n\n+[^\n]")


def _is_comment_start(line: str) -> bool:
    for word in _COMMENT_WORDS:
        if line.startswith(word) and (len(line) == len(word) or line[len(word)] in " \t"):
            return True
    return False


def _is_number(line: str) -> bool:
    return line.isascii() and line.isdigit()


def _next_number(line: str) -> str | None:
    """The cue number expected after cue number ``line``."""
    return str(int(line) + 1) if len(line) < 10 else None


def _has_blank_lines(lines: list[str], first: int) -> bool:
    """True when a blank line stands between two non-blank lines (so blank lines separate cues)."""
    seen = blank = False
    for line in islice(lines, first, None):
        if line.strip():
            if blank:
                return True
            seen = True
        elif seen:
            blank = True
    return False


def fast_cues(text: str, *, vtt_ids: bool, text_filter: LineFilter, pos: int = 0) -> list[Cue] | None:
    """Cues of a textbook file from offset ``pos`` (``\\n`` line ends, see ``_SRT_BLOCKS_RE``, no
    line with leading or trailing white space, no ``-->`` outside timing lines), or None when
    anything departs from that, in which case the caller uses :func:`parse_blocks`. Most files take
    this path: one ``findall`` finds every block, and checks on the whole text replace checks per
    cue, so large files convert several times faster."""
    if pos:
        text = text[pos:]
    if not text.endswith("\n"):
        text += "\n"
    if "\t" in text:
        return None
    dense = not vtt_ids and _BLANK_LINE_BEFORE_TEXT_RE.search(text) is None  # blank lines at the end at most
    regex = _VTT_BLOCKS_RE if vtt_ids else _DENSE_SRT_BLOCKS_RE if dense else _SRT_BLOCKS_RE
    cues: list[Cue] = []
    for piece in _pieces(text, dense):
        blocks = regex.findall(piece)
        # every character in a block (no rest after them, see _REST), one arrow per block
        if blocks[-1][-1] or piece.count("-->") != len(blocks):
            return None
        split = _splitter(piece)
        if vtt_ids:
            found = _vtt_cues(blocks, text_filter, split)
        else:
            found = _srt_cues(blocks, text_filter, _has_markup(piece), split)
        if found is None:
            return None
        cues += found
    return cues


def _cue_start_after(text: str, start: int, pos: int) -> int:
    """Where the first cue whose timing line is after ``pos`` starts in a file without blank lines
    (its number line, if any, else its timing line; never at or before ``start``), or -1."""
    m = _TIMING_LINE_RE.search(text, pos)
    if m is None:
        return -1
    timing = m.start() + 1
    previous = text.rfind("\n", 0, timing - 1) + 1
    return previous if previous > start and text[previous : timing - 1].isdigit() else timing


def _pieces(text: str, dense: bool, size: int = 1 << 18) -> Iterator[str]:
    """``text`` in pieces of about ``size`` characters that end between two cues (after a blank
    line, or with ``dense`` before a cue's number or timing line), so that the blocks of one piece
    are in memory at a time."""
    start = 0
    while start < len(text):
        if dense:
            cut = _cue_start_after(text, start, start + size)
        else:
            cut = text.find("\n\n", start + size)
            if cut != -1:
                cut += 2
                while cut < len(text) and text[cut] == "\n":
                    cut += 1
        if cut == -1:
            yield text[start:]
            return
        yield text[start:cut]
        start = cut


# Milliseconds of the hours, of the "MM:SS" and of the fraction of a textbook timestamp, looked up
# rather than parsed (twice as fast), by the texts the writers use.
_HOURS_MS = {HOUR_TEXTS[hours]: hours * 3_600_000 for hours in range(100)}
_MINUTES_SECONDS_MS = dict(zip(MINUTE_SECOND_TEXTS, range(0, 3_600_000, 1000), strict=True))
_MILLISECONDS = dict(zip(MILLISECOND_TEXTS, range(1000), strict=True))


# Line breaks of str.splitlines other than "\n" (a "\r" is never left in text read here).
_OTHER_LINE_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
Splitter = Callable[[str], list[str]]


def _split_at_newlines(body: str) -> list[str]:
    """The lines of a cue's text (each line ends with a newline)."""
    return body[:-1].split("\n") if body else []


def _splitter(piece: str) -> Splitter:
    """How to split the cues' texts of ``piece`` into lines: ``str.splitlines`` (faster, with
    lists of the right size) when ``"\\n"`` is the only line break in the piece."""
    if any(char in piece for char in _OTHER_LINE_BREAKS):
        return _split_at_newlines
    return str.splitlines


def _body_lines(body: str, text_filter: LineFilter, split: Splitter) -> tuple[list[str], str | None]:
    lines = split(body)
    if "<" in body or "{" in body or "&" in body:
        return text_filter(lines)
    return lines, None


def _has_markup(piece: str) -> bool:
    """True when an SRT piece may hold a formatting tag or an SSA code (a bare ``<`` is text)."""
    return "{" in piece or SRT_TAG_RE.search(piece) is not None


def _srt_cues(blocks: list[tuple[str, ...]], text_filter: LineFilter, markup: bool, split: Splitter) -> list[Cue]:
    """Cues of SRT blocks; ``markup``: some text may need ``text_filter`` (else none does)."""
    cues = []
    append = cues.append
    hours, minutes_seconds, millis = _HOURS_MS, _MINUTES_SECONDS_MS, _MILLISECONDS
    for h1, ms1, f1, h2, ms2, f2, body, _ in blocks:
        start = hours[h1] + minutes_seconds[ms1] + millis[f1]
        stop = hours[h2] + minutes_seconds[ms2] + millis[f2]
        if markup and ("<" in body or "{" in body):  # SRT has no character references
            append(Cue(start, stop, *text_filter(split(body))))
        else:
            append(Cue(start, stop, split(body)))
    return cues


def _vtt_cues(blocks: list[tuple[str, ...]], text_filter: LineFilter, split: Splitter) -> list[Cue] | None:
    from formats.webvtt_parser import parse_settings  # imported here: SRT input never needs it

    cues = []
    append = cues.append
    hours, minutes_seconds, millis = _HOURS_MS, _MINUTES_SECONDS_MS, _MILLISECONDS
    for ident, h1, ms1, f1, h2, ms2, f2, settings, body, _ in blocks:
        if ident.startswith(_COMMENT_WORDS):
            return None
        start = hours[h1] + minutes_seconds[ms1] + millis[f1]
        stop = hours[h2] + minutes_seconds[ms2] + millis[f2]
        lines, speaker = _body_lines(body, text_filter, split)
        if ident or settings:
            settings = parse_settings(settings) if settings else ""
            append(Cue(start, stop, lines, speaker, identifier=ident, settings=settings))
        else:
            append(Cue(start, stop, lines, speaker))
    return cues


def parse_blocks(
    lines: list[str],
    *,
    fmt: str,
    timing: Timing,
    malformed: Callable[[str], bool],
    vtt_ids: bool,
    comments: bool,
    text_filter: LineFilter,
    language: str,
    first: int = 0,
) -> Captions:
    """Parse ``lines[first:]`` into captions.

    ``timing`` parses a timing line (every one has a ':', the cheap test before it is called);
    ``malformed`` tells a line meant as a timing line that ``timing`` refused.
    ``vtt_ids``: identifiers may be any text (WebVTT) rather than numbers only (SRT).
    ``text_filter`` turns a cue's raw text lines into plain lines and an optional speaker.
    """
    cues: list[Cue] = []
    warnings: list[ReadWarning] = []
    buf: list[str] = []  # stripped lines since the last timing line; "" marks a blank line
    buf_start = first  # index of buf[0] in lines
    start = end = 0
    in_cue = False
    broken = False  # after a timing line that does not parse: its cue's text is skipped
    skipping = False  # inside a NOTE/STYLE/REGION block
    separated = _has_blank_lines(lines, first)
    expected: str | None = None  # the next cue number if cues are numbered

    def close_block(stray_text: str) -> None:
        """End the lines since the last timing line: a cue's text, or text with no cue to hold it."""
        if in_cue:
            text, speaker = text_filter([b for b in buf if b])
            cues.append(Cue(start, end, text, speaker))
            return
        if broken:
            return
        for offset, extra in enumerate(buf):
            if extra:
                warnings.append(ReadWarning(buf_start + offset + 1, f"skipped: {stray_text}"))
                return

    def drop_number(last_is_timing: bool) -> None:
        """Take the next cue's number (or WebVTT identifier) off the end of the buffer."""
        nonlocal expected
        if not buf:
            return
        last = buf[-1]
        block_start = buf[-2] == "" if len(buf) >= 2 else not in_cue
        if _is_number(last) and (block_start or not separated or last == expected):
            expected = _next_number(last)
            buf.pop()
        elif vtt_ids and last and block_start and last_is_timing:
            buf.pop()

    for idx in range(first, len(lines)):
        line = lines[idx].strip()
        if not line:
            skipping = False
            buf.append("")
            continue
        if comments and (buf[-1] == "" if buf else not in_cue) and _is_comment_start(line):
            skipping = True
            continue
        parsed = None
        problem = None
        if ":" in line:
            try:
                parsed = timing(line)
            except TimeRangeError as exc:
                problem = str(exc)
            if parsed is None and problem is None and malformed(line):
                problem = f"malformed timing line {line[:60]!r}"
        if problem is not None:
            drop_number(False)
            close_block("text before the first cue timing")
            warnings.append(ReadWarning(idx + 1, f"cue skipped: {problem}"))
            in_cue, broken, buf, buf_start = False, True, [], idx + 1
            continue
        if parsed is None:
            if not skipping:
                buf.append(line)
            continue
        skipping = False  # a timing line ends a comment block even without the blank line
        drop_number(True)
        close_block("text before the first cue timing")
        start, end, _settings = parsed
        in_cue, broken = True, False
        buf = []
        buf_start = idx + 1
    close_block("text but no cue timing found")
    if not cues:
        reason = warnings[0] if warnings else None
        raise CaptionFormatError(
            f"no cues found ({reason.message})" if reason else "no cues found", line=reason and reason.line, fmt=fmt
        )
    return Captions(cues=cues, language=language, warnings=warnings)
