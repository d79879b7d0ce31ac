"""Scenarist SCC (CEA-608 pop-on captions, channel 1), writer only.

Each cue is loaded off screen and flipped on at its start time:
``94ae 94ae`` (erase non-displayed memory), ``9420 9420`` (resume caption loading), per row a
preamble address code (doubled) and the text bytes, then ``942f 942f`` (end of caption: display).
Control codes are sent twice, as CEA-608 recommends so a single damaged pair is survivable
(decoders ignore the repeat). ``942c 942c`` (erase displayed memory) is sent at the end time unless
the next cue is displayed within two frames anyway.

Timecodes are 29.97 fps drop-frame (``HH:MM:SS;FF``); each byte pair takes one frame, so loading
starts early enough for the flip to land on the cue's start frame (later if the previous cue's
bytes are still being sent). Rows are at most 32 characters: longer lines are re-broken with the
shared line breaker; a cue that needs more than 4 rows is shown as consecutive captions that share
its time in proportion to their length. Rows sit at the bottom of the screen, roughly centred
(indents come in steps of 4 columns). Characters outside the CEA-608 set are transliterated.
"""

from __future__ import annotations

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

# Basic-set positions that CEA-608 uses for accented letters instead of ASCII.
_BASIC_SPECIAL = {"á": 0x2A, "é": 0x5C, "í": 0x5E, "ó": 0x5F, "ú": 0x60, "ç": 0x7B, "÷": 0x7C, "Ñ": 0x7D, "ñ": 0x7E}
# ASCII characters whose basic-set position holds something else.
_ASCII_REPLACE = {"*": "#", "\\": "/", "^": "", "_": "-", "`": "'", "{": "(", "}": ")", "|": "/", "~": "-"}
# Special characters: sent as the two-byte code 0x11 0x3X.
_SPECIAL = {"®": 0x30, "°": 0x31, "½": 0x32, "¿": 0x33, "™": 0x34, "¢": 0x35, "£": 0x36, "♪": 0x37,
            "à": 0x38, "è": 0x3A, "â": 0x3B, "ê": 0x3C, "î": 0x3D, "ô": 0x3E, "û": 0x3F}  # fmt: skip
_TYPOGRAPHY = {"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "--", "…": "...", "\u00a0": " "}


def _parity(byte: int) -> int:
    """Set bit 7 so the byte has an odd number of 1 bits."""
    return byte | 0x80 if bin(byte).count("1") % 2 == 0 else byte


def _pair(b1: int, b2: int) -> str:
    return f"{_parity(b1):02x}{_parity(b2):02x}"


def _transliterate(ch: str) -> str:
    if ch in _TYPOGRAPHY:
        return _TYPOGRAPHY[ch]
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", ch)
    ascii_only = "".join(c for c in decomposed if " " <= c <= "~")
    return ascii_only or "?"


def encode_row(text: str) -> list[str]:
    """Byte-pair words for one row of text (no control codes)."""
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

    for ch in text:
        if ch in _BASIC_SPECIAL:
            put(_BASIC_SPECIAL[ch])
        elif ch in _SPECIAL:
            flush()
            pairs.append(_pair(0x11, _SPECIAL[ch]))
        elif " " <= ch <= "~":
            for c in _ASCII_REPLACE.get(ch, ch):
                put(ord(c))
        else:
            for c in _transliterate(ch):
                for c2 in _ASCII_REPLACE.get(c, c):
                    put(ord(c2))
    flush()
    return pairs


def _row_width(text: str) -> int:
    return sum(len(_ASCII_REPLACE.get(c, c)) if c not in _BASIC_SPECIAL and c not in _SPECIAL else 1 for c in text)


def _pac(row: int, column: int) -> str:
    b1, base = _PAC_ROWS[row]
    indent = min(max(column, 0), 28) // 4
    return _pair(b1, base | 0x10 | (indent << 1))


def rows_for(lines: list[str]) -> list[str]:
    """The cue's lines as rows of at most 32 characters."""
    rows: list[str] = []
    for line in lines:
        if _row_width(line) <= MAX_COLUMNS:
            rows.append(line)
            continue
        words = line.split()
        wrapped = break_lines(words, MAX_COLUMNS, max(2, len(line) // MAX_COLUMNS + 2))
        for row in wrapped:
            while len(row) > MAX_COLUMNS:  # a single word wider than the screen
                rows.append(row[:MAX_COLUMNS])
                row = row[MAX_COLUMNS:]
            if row:
                rows.append(row)
    return rows


def caption_codes(rows: list[str]) -> list[str]:
    """Byte pairs that load ``rows`` (at most 4) at the bottom of the screen and display them."""
    codes = [ERASE_NON_DISPLAYED, ERASE_NON_DISPLAYED, RESUME_LOADING, RESUME_LOADING]
    first_row = 16 - len(rows)
    for k, row in enumerate(rows):
        pac = _pac(first_row + k, (MAX_COLUMNS - len(row)) // 2)
        codes += [pac, pac]
        codes += encode_row(row)
    codes += [END_OF_CAPTION, END_OF_CAPTION]
    return codes


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


def render(captions: Captions) -> str:
    captions_out: list[tuple[int, int, list[str]]] = []
    for cue in prepared(captions.cues):
        rows = rows_for(cue.lines)
        if rows:
            captions_out.extend(_chunks(rows, cue.start, cue.end))
    out = [HEADER, "\n\n"]
    next_free = 0  # first frame not yet used by a sent byte pair
    for k, (start, end, rows) in enumerate(captions_out):
        codes = caption_codes(rows)
        load = max(ms_to_frame(start) - (len(codes) - 1), next_free)
        out.append(f"{frame_to_dropframe(load)}\t{' '.join(codes)}\n\n")
        next_free = load + len(codes)
        end_frame = max(ms_to_frame(end), next_free)
        if k + 1 < len(captions_out):
            nxt = captions_out[k + 1]
            next_display = ms_to_frame(nxt[0])
            if next_display <= end_frame + 2:
                continue  # the next caption replaces this one on screen
        out.append(f"{frame_to_dropframe(end_frame)}\t{ERASE_DISPLAYED} {ERASE_DISPLAYED}\n\n")
        next_free = end_frame + 2
    return "".join(out)
