"""Text handling shared by readers and writers: decoding bytes, line splitting, tags, escaping.

Readers keep plain text only: tags (in SRT ``<i> <b> <u> <s> <font ...>``; in WebVTT every tag,
``<c.x>`` and inline timestamps included) and SSA override codes (``{\\an8}``) are removed, and
italics are not kept, because the neutral model has no styling. A WebVTT ``<v Name>`` voice tag becomes the cue's
speaker.
"""

from __future__ import annotations

import codecs
import re

# A tag starts with a letter, '/', or a digit (WebVTT inline timestamp) right after '<', so "a < b"
# and "<3" are left alone.
TAG_RE = re.compile(r"</?(?:[A-Za-z][^<>]*|\d[\d:.]*)>")
# SRT has no escaping, so only its informal tags are tags there: "<not>" in SRT text is text.
SRT_TAG_RE = re.compile(r"</?(?:i|b|u|s|font|span)(?:\s[^<>]*)?>", re.IGNORECASE)
# Formatting tags of any format, for measuring text that may still carry some (the linter).
KNOWN_TAG_RE = re.compile(r"</?(?:c|i|b|u|s|v|lang|ruby|rt|font|span)(?:[.\s][^<>]*)?>|<\d[\d:.]*>", re.IGNORECASE)
SSA_OVERRIDE_RE = re.compile(r"\{\\[^{}]*\}")
VOICE_RE = re.compile(r"<v(?:\.[^\s>]*)?(?:[ \t]+([^>]*))?>")
# C0 controls other than tab and newline are not allowed in XML and are replaced in WebVTT.
_CONTROL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff]")
_SPACE_RUN_RE = re.compile(r"[ \t]{2,}")


def decode(data: bytes) -> str:
    """Decode caption bytes: BOM first (UTF-8, UTF-16 LE/BE, UTF-32), then BOM-less UTF-16 detected
    from NUL bytes next to ASCII digits, punctuation and line ends, then UTF-8, then line by line
    UTF-8 or cp1252 (latin-1 for the five bytes cp1252 leaves undefined).

    Never raises: every byte string decodes to something, and the format readers judge the text.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return data.decode("utf-32", errors="replace").lstrip("\ufeff")
    if data.startswith(codecs.BOM_UTF16_LE):
        return data[2:].decode("utf-16-le", errors="replace")
    if data.startswith(codecs.BOM_UTF16_BE):
        return data[2:].decode("utf-16-be", errors="replace")
    codec = _utf16_order(data[:4000])
    if codec:
        return data[: len(data) // 2 * 2].decode(codec, errors="replace").lstrip("\ufeff")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if _UTF8_SEQUENCE_RE.search(data) is None:
        return _decode_line(data)
    # a file edited with both encodings: each line is UTF-8 when it decodes as such
    return "\n".join(_decode_line(line) for line in data.split(b"\n"))


# A UTF-8 multi-byte character (lead byte and continuation bytes), rare in cp1252 text.
_UTF8_SEQUENCE_RE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


# ASCII characters every caption file has many of: digits, ':', ',', '.', '-', '>', space, newlines.
_STRUCTURAL = frozenset(b"0123456789:,.->\r\n ")


def _utf16_order(head: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when BOM-less ``head`` is UTF-16: its ASCII characters (timings,
    line ends) are a byte and a NUL at even/odd positions, even when most text is CJK."""
    if len(head) < 4 or 0 not in head:
        return None
    even, odd = head[0::2], head[1::2]
    le = sum(1 for a, b in zip(even, odd, strict=False) if b == 0 and a in _STRUCTURAL)
    be = sum(1 for a, b in zip(even, odd, strict=False) if a == 0 and b in _STRUCTURAL)
    if max(le, be) < max(2, len(head) // 40):
        return None
    return "utf-16-le" if le > be else "utf-16-be"


def _decode_line(line: bytes) -> str:
    """UTF-8, else cp1252, else latin-1."""
    try:
        return line.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return line.decode("cp1252")
    except UnicodeDecodeError:
        return line.decode("latin-1")


def split_lines(text: str) -> list[str]:
    """Split on CRLF, LF or a lone CR (and nothing else, so line numbers match what editors show)."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def strip_tags(line: str, tags: re.Pattern[str] = TAG_RE) -> str:
    """Plain text of one caption line: tags (``tags``, WebVTT-style by default) and SSA override
    codes removed; spaces left doubled by a removed tag are collapsed."""
    changed = False
    if "<" in line:
        line, n = tags.subn("", line)
        changed = n > 0
    if "{\\" in line:
        line, n = SSA_OVERRIDE_RE.subn("", line)
        changed = changed or n > 0
    if changed and "  " in line:
        line = " ".join(line.split())
    return line


def unescape_entities(line: str) -> str:
    """Resolve character references (``&amp;``, ``&lt;``, ``&#233;``, ``&nbsp;`` ...)."""
    if "&" not in line:
        return line
    import html  # only files that use entities pay for the entity table

    return html.unescape(line)


def escape_vtt(line: str) -> str:
    """WebVTT cue text escaping; escaping '>' also guarantees no ``-->`` survives."""
    if "&" in line:
        line = line.replace("&", "&amp;")
    if "<" in line:
        line = line.replace("<", "&lt;")
    if ">" in line:
        line = line.replace(">", "&gt;")
    return line


def escape_xml(text: str) -> str:
    """XML character data / attribute value escaping."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def clean_lines(lines: list[str]) -> list[str]:
    """Writer-side sanitising of a cue's lines: split embedded newlines, drop control characters,
    collapse runs of spaces, strip, and drop empty lines (no format allows a blank line in a cue)."""
    out: list[str] = []
    for line in lines:
        if "\n" in line or "\r" in line:
            out.extend(clean_lines(line.replace("\r\n", "\n").replace("\r", "\n").split("\n")))
            continue
        if _CONTROL_RE.search(line):
            line = _CONTROL_RE.sub("", line)
        if "\t" in line:
            line = line.replace("\t", " ")
        if "  " in line:
            line = _SPACE_RUN_RE.sub(" ", line)
        line = line.strip()
        if line:
            out.append(line)
    return out


def cue_text(lines: list[str]) -> str:
    """The cue's lines, sanitised as by :func:`clean_lines`, joined with newlines (fast when clean)."""
    text = "\n".join(lines)
    if not text:
        return text
    if (
        text[0] in " \n"
        or text[-1] in " \n"
        or "  " in text
        or " \n" in text
        or "\n " in text
        or "\n\n" in text
        or _CONTROL_RE.search(text)
        or "\t" in text
    ):
        return "\n".join(clean_lines(lines))
    return text


# Joins the texts of many cues so that a few substring searches check them all. A control
# character: clean text never holds one, and, unlike a private-use character, it keeps Latin-1
# text at one byte a character, so the searches have half the memory to read.
_SEPARATOR = "\x1f"


def clean_texts_joined(texts: list[str]) -> str | None:
    """``texts`` (cue texts: lines joined with newlines) joined with a separator when
    :func:`cue_text` leaves every one of them as it is, else None; :func:`split_texts` splits them
    again. Checked in bulk: one join and a few searches over all the text instead of a dozen per
    cue (large files write much faster)."""
    joined = _SEPARATOR.join(texts)
    if joined.count(_SEPARATOR) != len(texts) - 1:  # a text holds the separator
        return None
    # with line and cue ends as spaces, clean text has no control character, tab or other
    # unprintable character, and no space next to another or at either end (an empty cue
    # between two others also fails this, and is then cleaned cue by cue, which keeps it empty)
    spaced = joined.replace("\n", " ").replace(_SEPARATOR, " ")
    if not spaced.isprintable() or "  " in spaced or spaced[:1] == " " or spaced[-1:] == " ":
        return None
    return joined


def split_texts(joined: str) -> list[str]:
    """The texts that :func:`clean_texts_joined` joined (after a change that keeps the separators)."""
    return joined.split(_SEPARATOR)


def char_count(lines: list[str], count_spaces: bool = True) -> int:
    """Characters a viewer reads: formatting tags stripped; with ``count_spaces`` a line break counts as one
    space, as between words; without it no whitespace is counted."""
    text = " ".join(strip_tags(line, KNOWN_TAG_RE).strip() for line in lines)
    if count_spaces:
        return len(text)
    return sum(1 for ch in text if not ch.isspace())
