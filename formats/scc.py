"""Scenarist SCC (CEA-608 pop-on captions, channel 1), writer only.

Characters: every character of a row takes one of the 32 columns. Printable ASCII and the basic
set's accented letters (``á é í ó ú ç ñ Ñ ÷``) are one byte; the special characters
(``® ° ½ ¿ ™ ¢ £ ♪ à è â ê î ô û``, code ``0x11 0x3X``) and the extended Western European ones
(``0x12``/``0x13`` ``0x20``-``0x3F``: ``Ä Ö Ü ä ö ü ß Å å Ø ø À Â Ç È Ê Ë Î Ï Ô Ù Û ã õ ¡ © « »``
..., and the ASCII ``* { } \\ ^ _ | ~`` that the basic set lacks) are two-byte codes, sent twice like
control codes. An extended character replaces the character before it, so a plain fallback
(``u`` for ``ü``) is sent first for decoders without the extended set. Anything else is
transliterated (``…`` → ``...``, ``—`` → ``--``, ``Æ`` → ``AE``, accents dropped) before rows are
measured, and ``?`` stands for what has no spelling at all.

Rows: a cue's lines are kept when they fit (at most 4 rows of 32 columns); otherwise its text is
re-broken with the shared line breaker into as few rows as fit, and a cue that needs more than 4
rows is shown as consecutive captions that share its time in proportion to their length. Rows sit
at the bottom of the screen, roughly centred (indents come in steps of 4 columns).

Timing: one byte pair per frame at 29.97 fps, timecodes drop-frame (``HH:MM:SS;FF``). A caption is
loaded into non-displayed memory while the previous one is on screen (``94ae`` erase non-displayed
memory, ``9420`` resume caption loading, per row a preamble address code and the text), as late
as possible but finished before its start, and flipped on by ``942f`` (end of caption) on a line of
its own at exactly the start frame, so that readers which take a whole line at its timecode and
decoders that run one pair per frame agree. ``942c`` (erase displayed memory) is sent at the end
frame when the next caption does not replace this one within two frames. Control codes are sent
twice, as CEA-608 recommends. Where the frames before a start are too few for the load, the
load is sent with single control codes, then without the erase in the gap before, and only then
does the caption flip late, as soon as its bytes are in (line 21 carries 60 bytes a second: text
much faster than any reading speed cannot keep up). A caption whose load fits between the
previous flip and its start is on time again. Nothing can be sent before the first frame: a
caption there that has no time to load is sent as one line from frame 0.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from formats.linebreak import break_lines
from formats.model import Captions
from formats.normalize import prepared
from formats.timecode import frame_to_dropframe, ms_to_frame

MAX_COLUMNS = 32
MAX_ROWS = 4
HEADER = "Scenarist_SCC V1.0"

# (first byte, second byte base) of the preamble address code of each row, channel 1
_PAC_ROWS = {
    1: (0x11, 0x40), 2: (0x11, 0x60), 3: (0x12, 0x40), 4: (0x12, 0x60), 5: (0x15, 0x40),
    6: (0x15, 0x60), 7: (0x16, 0x40), 8: (0x16, 0x60), 9: (0x17, 0x40), 10: (0x17, 0x60),
    11: (0x10, 0x40), 12: (0x13, 0x40), 13: (0x13, 0x60), 14: (0x14, 0x40), 15: (0x14, 0x60),
}  # fmt: skip
ERASE_NON_DISPLAYED = "94ae"
RESUME_LOADING = "9420"
END_OF_CAPTION = "942f"
ERASE_DISPLAYED = "942c"

# The basic set: printable ASCII except the nine positions that hold accented letters instead.
_BASIC = {chr(b): b for b in range(0x20, 0x7F) if chr(b) not in "*\\^_`{|}~"}
_BASIC.update({"á": 0x2A, "é": 0x5C, "í": 0x5E, "ó": 0x5F, "ú": 0x60, "ç": 0x7B, "÷": 0x7C, "Ñ": 0x7D, "ñ": 0x7E})
_BASIC["█"] = 0x7F
# Special characters 0x11 0x30-0x3F (0x39, the transparent space, is left out).
_SPECIAL = {ch: 0x30 + k for k, ch in enumerate("®°½¿™¢£♪à\0èâêîôû") if ch != "\0"}
# Extended characters 0x12/0x13 0x20-0x3F and the fallback sent before each. Left out: positions
# that decoders disagree on (‘ ' — •) and the curly double quotes, cheaper as '"'.
_EXTENDED_SETS = {
    0x12: ("ÁÉÓÚÜü‘¡*'—©℠•“”ÀÂÇÈÊËëÎÏïÔÙùÛ«»", 'AEOUUu\'!#\'-cs-""AACEEEeIIiOUuU""'),
    0x13: ("ÃãÍÌìÒòÕõ{}\\^_|~ÄäÖöß¥¤¦ÅåØø┌┐└┘", "AaIIiOoOo()/'-/-AaOosYo/AaOo++++"),
}
_EXTENDED = {
    ch: (first, 0x20 + k, fallback)
    for first, (chars, fallbacks) in _EXTENDED_SETS.items()
    for k, (ch, fallback) in enumerate(zip(chars, fallbacks, strict=True))
    if ch not in "‘'—•“”"
}
_TYPOGRAPHY = {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "--", "…": "...", "\u00a0": " ", "`": "'"}
_TRANSLITERATION = {"Æ": "AE", "æ": "ae", "Œ": "OE", "œ": "oe", "Ð": "D", "ð": "d", "Þ": "Th", "þ": "th",
                    "Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "€": "EUR", "•": "-"}  # fmt: skip


def _parity(byte: int) -> int:
    """Set bit 7 so the byte has an odd number of 1 bits."""
    return byte | 0x80 if bin(byte).count("1") % 2 == 0 else byte


def _pair(b1: int, b2: int) -> str:
    return f"{_parity(b1):02x}{_parity(b2):02x}"


def _one_column(ch: str) -> bool:
    return ch in _BASIC or ch in _SPECIAL or ch in _EXTENDED


def _spell(ch: str) -> str:
    """``ch`` as characters a CEA-608 decoder can show."""
    if _one_column(ch):
        return ch
    if ch in _TYPOGRAPHY:
        return _TYPOGRAPHY[ch]
    if ch in _TRANSLITERATION:
        return _TRANSLITERATION[ch]
    decomposed = unicodedata.normalize("NFKD", ch)
    if decomposed != ch:
        composed = unicodedata.normalize("NFC", decomposed[0])
        if _one_column(composed):
            return composed
        spelled = "".join(_TYPOGRAPHY.get(c, c) for c in decomposed if _one_column(_TYPOGRAPHY.get(c, c)))
        if spelled:
            return spelled
    return "?"


def screen_text(text: str) -> str:
    """``text`` as a decoder shows it, one character per column (see the module docstring). A
    special character right after the same one is spaced off: decoders ignore a repeated code."""
    out: list[str] = []
    for ch in text:
        for c in _spell(ch):
            if c in _SPECIAL and out and out[-1] == c:
                out.append(" ")
            out.append(c)
    return "".join(out)


def encode_row(row: str, doubled: bool = True) -> list[str]:
    """Byte-pair words for one row of :func:`screen_text` (no control codes); two-byte characters
    are sent twice when ``doubled``."""
    pairs: list[str] = []
    pending: int | None = None

    def put(byte: int) -> None:
        nonlocal pending
        if pending is None:
            pending = byte
        else:
            pairs.append(_pair(pending, byte))
            pending = None

    def flush() -> None:
        nonlocal pending
        if pending is not None:
            pairs.append(_pair(pending, 0x00))
            pending = None

    def code(first: int, second: int) -> None:
        flush()
        pairs.extend([_pair(first, second)] * (2 if doubled else 1))

    for ch in screen_text(row):
        if ch in _BASIC:
            put(_BASIC[ch])
        elif ch in _SPECIAL:
            code(0x11, _SPECIAL[ch])
        else:
            first, second, fallback = _EXTENDED[ch]
            put(_BASIC[fallback])
            code(first, second)
    flush()
    return pairs


def _pac(row: int, column: int) -> str:
    b1, base = _PAC_ROWS[row]
    indent = min(max(column, 0), 28) // 4
    return _pair(b1, base | 0x10 | (indent << 1))


def rows_for(lines: list[str]) -> list[str]:
    """The cue's lines as rows of at most 32 columns (:func:`screen_text`): at most 4 unless the
    text needs more (the caller splits those into several captions)."""
    shown = [screen_text(line) for line in lines]
    if len(shown) <= MAX_ROWS and all(len(row) <= MAX_COLUMNS for row in shown):
        return shown
    rows: list[str] = []
    for row in break_lines(" ".join(shown).split(), MAX_COLUMNS, MAX_ROWS):
        while len(row) > MAX_COLUMNS:  # a single word wider than the screen
            rows.append(row[:MAX_COLUMNS])
            row = row[MAX_COLUMNS:]
        if row:
            rows.append(row)
    return rows


def load_codes(rows: list[str], doubled: bool = True) -> list[str]:
    """Byte pairs that load ``rows`` (at most 4) at the bottom of non-displayed memory."""
    copies = 2 if doubled else 1
    codes = [ERASE_NON_DISPLAYED] * copies + [RESUME_LOADING] * copies
    first_row = 16 - len(rows)
    for k, row in enumerate(rows):
        codes += [_pac(first_row + k, (MAX_COLUMNS - len(row)) // 2)] * copies
        codes += encode_row(row, doubled)
    return codes


@dataclass
class _Caption:
    start: int  # frame
    end: int  # frame
    rows: list[str]


def _chunks(rows: list[str], start: int, end: int) -> list[tuple[int, int, list[str]]]:
    """Split rows into captions of at most 4 rows, sharing [start, end) by length."""
    if len(rows) <= MAX_ROWS:
        return [(start, end, rows)]
    count = -(-len(rows) // MAX_ROWS)
    size = -(-len(rows) // count)
    groups = [rows[i : i + size] for i in range(0, len(rows), size)]
    weights = [sum(len(r) for r in g) or 1 for g in groups]
    total = sum(weights)
    out = []
    t = start
    acc = 0
    for g, w in zip(groups, weights, strict=True):
        acc += w
        t_end = start + (end - start) * acc // total
        out.append((t, t_end, g))
        t = t_end
    return out


def _fit(codes: list[str], low: int, start: int, erase: int | None) -> list[tuple[int, list[str]]] | None:
    """Lines ``(frame, pairs)`` that send ``codes`` right before frame ``start`` and not before
    ``low``, around the two frames of an erase at ``erase``; None when they do not fit. A doubled
    code is never split by the erase: its copy must come in the next frame."""
    size = len(codes)
    if erase is None or size <= start - (erase + 2):
        return [(start - size, codes)] if start - size >= low else None
    split = size - (start - (erase + 2))  # pairs sent before the erase
    while 0 < split < size and codes[split - 1] == codes[split]:
        split += 1
    if erase - split < low:
        return None
    lines = [(erase - split, codes[:split])]
    return lines + [(start - (size - split), codes[split:])] if split < size else lines


def _schedule(captions: list[_Caption]) -> list[tuple[int, list[str]]]:
    """SCC lines ``(frame, byte pairs)`` that show each caption from its start to its end."""
    lines: list[tuple[int, list[str]]] = []
    low = 0  # the first frame after the previous caption's end of caption
    erase: int | None = None  # where the previous caption is erased, unless this one replaces it first
    for k, cap in enumerate(captions):
        if erase is not None and cap.start <= erase + 2:
            erase = None
        options = [(True, erase), (False, erase)] + ([(True, None), (False, None)] if erase is not None else [])
        for doubled, kept in options:
            codes = load_codes(cap.rows, doubled)
            plan = _fit(codes, low, cap.start, kept)
            if plan is not None:
                break
        else:  # too little time since the previous caption: flip as soon as the bytes are in
            kept = None
            doubled = False
            codes = load_codes(cap.rows, doubled)
            plan = [(low, codes)]
        flip = plan[-1][0] + len(plan[-1][1])
        eoc = [END_OF_CAPTION] * (2 if doubled else 1)
        if k == 0 and flip > cap.start:  # nothing can be sent before the file's first frame
            lines.append((0, codes + eoc))
        else:
            if kept is not None:
                lines.append((kept, [ERASE_DISPLAYED, ERASE_DISPLAYED]))
            lines.extend(plan)
            lines.append((flip, eoc))
        low = flip + len(eoc)
        erase = max(cap.end, low)
    if erase is not None:
        lines.append((erase, [ERASE_DISPLAYED, ERASE_DISPLAYED]))
    lines.sort(key=lambda line: line[0])
    return lines


def _captions(captions: Captions) -> list[_Caption]:
    out: list[_Caption] = []
    for cue in prepared(captions.cues, one_at_a_time=True):
        rows = rows_for(cue.lines)
        if rows:
            out.extend(_Caption(ms_to_frame(s), ms_to_frame(e), r) for s, e, r in _chunks(rows, cue.start, cue.end))
    return out


def render(captions: Captions) -> str:
    out = [HEADER, "\n\n"]
    for frame, codes in _schedule(_captions(captions)):
        out.append(f"{frame_to_dropframe(frame)}\t{' '.join(codes)}\n\n")
    return "".join(out)
