"""``read`` and ``write``: the entry points from bytes to the model and back.

``read`` never raises anything but :class:`CaptionFormatError` for any bytes input. ``write`` sorts
and fixes cue times the same way the readers do (see :mod:`formats.normalize`) rather than refusing
a track; it raises :class:`CaptionFormatError` for an unknown type or times it cannot fix.
"""

from __future__ import annotations

import re

from formats import jsonfmt, sbv, scc, srt, transcript, ttml, webvtt
from formats.errors import CaptionFormatError
from formats.model import Captions
from formats.text import decode

OUTPUT_TYPES: tuple[str, ...] = ("vtt", "srt", "txt", "json", "dfxp", "ttml", "scc", "sbv")
INPUT_TYPES: tuple[str, ...] = ("vtt", "srt", "sbv", "dfxp", "ttml", "json")

_ALIASES = {"webvtt": "vtt", "xml": "ttml", "subrip": "srt", "text": "txt", "dfxp": "ttml"}
_READERS = {"vtt": webvtt.parse, "srt": srt.parse, "sbv": sbv.parse, "ttml": ttml.parse, "json": jsonfmt.parse}
_WRITERS = {
    "vtt": webvtt.render,
    "srt": srt.render,
    "txt": transcript.render,
    "json": jsonfmt.render,
    "dfxp": ttml.render,
    "ttml": ttml.render,
    "scc": scc.render,
    "sbv": sbv.render,
}
_SBV_LINE_RE = re.compile(r"^\s*\d+:\d{1,2}:\d{1,2}\.\d+\s*,\s*\d+:\d{1,2}:\d{1,2}\.\d+\s*$", re.M)


def sniff(text: str) -> str:
    """The input type of decoded caption text, judged from its first bytes and first timing line."""
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith("WEBVTT"):
        return "vtt"
    if head.startswith("<"):
        return "ttml"
    if head.startswith(("{", "[")):
        return "json"
    if head.startswith("Scenarist_SCC"):
        raise CaptionFormatError("SCC can be written but not read", line=1, fmt="scc")
    sample = head[:20000]
    if "-->" in sample:
        return "srt"
    if _SBV_LINE_RE.search(sample):
        return "sbv"
    raise CaptionFormatError("not a caption format we can read (expected " + ", ".join(INPUT_TYPES) + ")", line=1)


def read(data: bytes, fmt: str | None = None, language: str = "en") -> Captions:
    """Read caption bytes of type ``fmt`` (None: detect it) into the neutral model."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CaptionFormatError(f"expected bytes, got {type(data).__name__}", fmt=fmt)
    text = decode(bytes(data))
    if fmt is None:
        kind = sniff(text)
    else:
        kind = _ALIASES.get(fmt.lower(), fmt.lower())
        if kind not in _READERS:
            raise CaptionFormatError(f"cannot read {fmt!r}; readable types: {', '.join(INPUT_TYPES)}", fmt=fmt)
    try:
        return _READERS[kind](text, language)
    except CaptionFormatError:
        raise
    except RecursionError:
        raise CaptionFormatError("input nested too deeply", fmt=kind) from None
    except Exception as exc:  # the promise to callers: bad input is a CaptionFormatError, never a crash
        raise CaptionFormatError(f"unreadable input ({type(exc).__name__}: {exc})", fmt=kind) from exc


def write(captions: Captions, fmt: str) -> bytes:
    """Write ``captions`` as ``fmt`` (one of :data:`OUTPUT_TYPES`), UTF-8 encoded (SCC is ASCII)."""
    kind = {"webvtt": "vtt", "subrip": "srt", "text": "txt", "xml": "ttml"}.get(fmt.lower(), fmt.lower())
    writer = _WRITERS.get(kind)
    if writer is None:
        raise CaptionFormatError(f"cannot write {fmt!r}; output types: {', '.join(OUTPUT_TYPES)}", fmt=fmt)
    return writer(captions).encode("utf-8", errors="replace")
