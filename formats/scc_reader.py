"""Scenarist SCC reader: a CEA-608 decoder for channel 1 (pop-on, roll-up and paint-on captions).

Each line is a timecode (``HH:MM:SS;FF`` drop-frame or ``HH:MM:SS:FF``, 29.97 fps) and byte pairs
with odd parity. What a line changes on screen takes effect at the line's timecode, as in ffmpeg
(files put ``EOC`` on a line of its own at the caption's start frame). The decoder keeps the
displayed and the non-displayed memory (15 rows of 32 columns) as a television decoder does, and
a cue is what the screen shows from one change to the next:

- pop-on: ``RCL`` (resume caption loading) writes into non-displayed memory, ``EOC`` (end of
  caption) swaps the memories, ``EDM`` erases the screen and ``ENM`` the hidden memory;
- roll-up: ``RU2``/``RU3``/``RU4`` write on the bottom row of the screen, ``CR`` rolls the rows up
  (the window keeps 2-4 rows); paint-on: ``RDC`` writes straight onto the screen, and a cue
  starts when its first characters are received (not at the erase before them). In both the
  screen is taken as a cue once per SCC line, not per character, whatever mode the line ends in;
- preamble address codes set the row and indent, mid-row codes are a space, ``BS`` deletes a
  character, ``DER`` the rest of the row; special characters (``0x11 0x30``-``0x3F``) add a
  character and extended ones (``0x12``/``0x13``) replace the fallback character before them;
- a control code sent twice in a row counts once; channel 2 and field 2 codes are ignored.

A line that is not a timecode and byte pairs is a warning with its line number.
"""

from __future__ import annotations

import re

from formats.errors import CaptionFormatError
from formats.model import Captions, Cue, ReadWarning
from formats.scc import _BASIC, _EXTENDED_SETS, _SPECIAL
from formats.timecode import dropframe_to_frame, frame_to_ms

_LINE_RE = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})([:;.,])(\d{2})\s+((?:[0-9a-fA-F]{4}\s*)*)$")
_BASIC_CHARS = {code: ch for ch, code in _BASIC.items()}
_BASIC_CHARS[0x27] = "'"
_SPECIAL_CHARS = {code: ch for ch, code in _SPECIAL.items()}
_SPECIAL_CHARS[0x39] = " "  # transparent space
_EXTENDED_CHARS = {(first, 0x20 + k): ch for first, (chars, _) in _EXTENDED_SETS.items() for k, ch in enumerate(chars)}
# PAC rows by first byte (channel 1) and bit 0x20 of the second byte
_PAC_ROW = {
    (0x11, 0): 1, (0x11, 1): 2, (0x12, 0): 3, (0x12, 1): 4, (0x15, 0): 5, (0x15, 1): 6, (0x16, 0): 7,
    (0x16, 1): 8, (0x17, 0): 9, (0x17, 1): 10, (0x10, 0): 11, (0x13, 0): 12, (0x13, 1): 13, (0x14, 0): 14,
    (0x14, 1): 15,
}  # fmt: skip
ROWS = 15
COLUMNS = 32


def _blank() -> list[list[str]]:
    return [[" "] * COLUMNS for _ in range(ROWS + 1)]


class _Decoder:
    """The CEA-608 memories and cursor, and the cues shown so far."""

    def __init__(self) -> None:
        self.displayed = _blank()
        self.hidden = _blank()
        self.mode = "pop-on"
        self.roll_rows = 2
        self.row, self.column = ROWS, 0
        self.cues: list[Cue] = []
        self.shown: list[str] = []
        self.shown_since = 0
        self.previous: tuple[int, int] | None = None

    # --- the screen -------------------------------------------------------------------------

    def memory(self) -> list[list[str]]:
        return self.hidden if self.mode == "pop-on" else self.displayed

    def screen(self) -> list[str]:
        return [text for text in ("".join(row).strip() for row in self.displayed) if text]

    def show(self, ms: int) -> None:
        """Take the screen as it is now: close the cue on screen and open the new one."""
        rows = self.screen()
        if rows == self.shown:
            return
        if self.shown:
            lines = [" ".join(row.split()) for row in self.shown]
            self.cues.append(Cue(self.shown_since, max(ms, self.shown_since + 1), lines))
        self.shown, self.shown_since = rows, ms

    # --- writing -------------------------------------------------------------------------------

    def put(self, ch: str) -> None:
        if self.column < COLUMNS:
            self.memory()[self.row][self.column] = ch
            self.column += 1

    def backspace(self) -> None:
        if self.column > 0:
            self.column -= 1
            self.memory()[self.row][self.column] = " "

    def roll_up(self) -> None:
        top = self.row - self.roll_rows + 1
        for r in range(1, ROWS + 1):
            if r < top or r > self.row:
                self.displayed[r] = [" "] * COLUMNS
        for r in range(max(top, 1), self.row):
            self.displayed[r] = self.displayed[r + 1]
        self.displayed[self.row] = [" "] * COLUMNS
        self.column = 0

    # --- byte pairs --------------------------------------------------------------------------

    def pair(self, b1: int, b2: int, ms: int) -> None:
        if 0x10 <= b1 <= 0x1F:
            if self.previous == (b1, b2):  # the second copy of a doubled control code
                self.previous = None
                return
            self.previous = (b1, b2)
            self.control(b1, b2, ms)
            return
        self.previous = None
        for byte in (b1, b2):
            if byte >= 0x20:
                self.put(_BASIC_CHARS.get(byte, "?"))

    def control(self, b1: int, b2: int, ms: int) -> None:
        if b1 >= 0x18:
            return  # channel 2
        if b1 in (0x14, 0x15) and 0x20 <= b2 <= 0x2F:
            self.command(b2, ms)
        elif b1 == 0x11 and 0x30 <= b2 <= 0x3F:
            self.put(_SPECIAL_CHARS.get(b2, "?"))
        elif b1 == 0x11 and 0x20 <= b2 <= 0x2F:
            self.put(" ")  # a mid-row code shows as a space
        elif b1 in (0x12, 0x13) and 0x20 <= b2 <= 0x3F:
            self.backspace()
            self.put(_EXTENDED_CHARS.get((b1, b2), "?"))
        elif b1 == 0x17 and 0x21 <= b2 <= 0x23:
            self.column = min(COLUMNS, self.column + b2 - 0x20)  # tab offset
        elif 0x40 <= b2 <= 0x7F and (b1, (b2 >> 5) & 1) in _PAC_ROW:
            self.preamble(_PAC_ROW[(b1, (b2 >> 5) & 1)], b2)

    def preamble(self, row: int, b2: int) -> None:
        if self.mode == "roll-up":
            if row != self.row:  # the window moves: its rows go with it
                shift = row - self.row
                old = self.displayed
                self.displayed = _blank()
                for r in range(1, ROWS + 1):
                    if 1 <= r + shift <= ROWS:
                        self.displayed[r + shift] = old[r]
            self.row = row
        else:
            self.row = row
        self.column = ((b2 >> 1) & 0x07) * 4 if b2 & 0x10 else 0

    def command(self, code: int, ms: int) -> None:
        if code == 0x20:  # RCL
            self.mode = "pop-on"
        elif code in (0x25, 0x26, 0x27):  # RU2, RU3, RU4
            if self.mode != "roll-up":
                self.displayed = _blank()
                self.row = ROWS
            self.mode, self.roll_rows = "roll-up", code - 0x23
            self.column = 0
        elif code == 0x29:  # RDC
            self.mode = "paint-on"
        elif code == 0x2C:  # EDM
            self.displayed = _blank()
            self.show(ms)
        elif code == 0x2E:  # ENM
            self.hidden = _blank()
        elif code == 0x2F:  # EOC
            self.displayed, self.hidden = self.hidden, self.displayed
            self.mode = "pop-on"
            self.show(ms)
        elif code == 0x2D and self.mode == "roll-up":  # CR
            self.show(ms)
            self.roll_up()
        elif code == 0x21:  # BS
            self.backspace()
        elif code == 0x24:  # DER
            for c in range(self.column, COLUMNS):
                self.memory()[self.row][c] = " "


def _frame(match: re.Match[str]) -> int:
    hh, mm, ss, sep, ff = match.group(1, 2, 3, 4, 5)
    label = f"{hh}:{mm}:{ss}:{ff}"
    if sep in ";,":
        return dropframe_to_frame(label)
    return ((int(hh) * 60 + int(mm)) * 60 + int(ss)) * 30 + int(ff)


def parse(text: str, language: str = "en") -> Captions:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if not lines or not lines[0].lstrip("\ufeff").startswith("Scenarist_SCC"):
        raise CaptionFormatError("not an SCC file (no Scenarist_SCC header)", line=1, fmt="scc")
    decoder = _Decoder()
    warnings: list[ReadWarning] = []
    last_ms = 0
    for number, raw in enumerate(lines[1:], 2):
        line = raw.strip()
        if not line:
            continue
        match = _LINE_RE.match(line)
        if match is None:
            warnings.append(ReadWarning(number, f"skipped: not a timecode and byte pairs {line[:40]!r}"))
            continue
        last_ms = frame_to_ms(_frame(match))
        for word in match.group(6).split():
            decoder.pair(int(word[:2], 16) & 0x7F, int(word[2:], 16) & 0x7F, last_ms)
        # Roll-up and paint-on text is on screen as soon as it is received, even when the line
        # goes on to load a pop-on caption (``RDC`` text then ``RCL``): take the screen whatever
        # the mode is now. Pop-on changes were taken by EOC/EDM already (no change: no new cue).
        decoder.show(last_ms)
    if decoder.shown:  # still on screen at the end: shown for its reading time
        decoder.displayed = _blank()
        decoder.show(max(last_ms, decoder.shown_since + 2000))
    if not decoder.cues and warnings:
        first = warnings[0]
        raise CaptionFormatError(f"no captions found ({first.message})", line=first.line, fmt="scc")
    return Captions(cues=decoder.cues, language=language, warnings=warnings)
