"""``read`` and ``write``: the entry points from bytes to the model and back.

``read`` never raises anything but :class:`CaptionFormatError` for any bytes input. ``write`` sorts
and fixes cue times the same way the readers do (see :mod:`formats.normalize`) rather than refusing
a track; it raises :class:`CaptionFormatError` for an unknown type or times it cannot fix.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import BinaryIO

from formats.errors import CaptionFormatError
from formats.model import Captions
from formats.text import decode

OUTPUT_TYPES: tuple[str, ...] = ("vtt", "srt", "txt", "json", "dfxp", "ttml", "scc", "sbv")
INPUT_TYPES: tuple[str, ...] = ("vtt", "srt", "sbv", "dfxp", "ttml", "json", "scc")

_ALIASES = {"webvtt": "vtt", "xml": "ttml", "subrip": "srt", "text": "txt", "dfxp": "ttml"}
# The module of each type (its ``parse``, ``render`` and, for streaming writers, ``iter_render``),
# imported on first use: a conversion loads only its reader and its writer.
_READERS = {"vtt": "webvtt", "srt": "srt", "sbv": "sbv", "ttml": "ttml", "json": "jsonfmt", "scc": "scc_reader"}
_WRITERS = {
    "vtt": "webvtt",
    "srt": "srt",
    "txt": "transcript",
    "json": "jsonfmt",
    "dfxp": "ttml",
    "ttml": "ttml",
    "scc": "scc",
    "sbv": "sbv",
}
_STREAMING = frozenset({"vtt", "srt", "sbv"})
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
        return "scc"
    sample = head[:20000]
    if "-->" in sample:
        return "srt"
    if _SBV_LINE_RE.search(sample):
        return "sbv"
    raise CaptionFormatError("not a caption format we can read (expected " + ", ".join(INPUT_TYPES) + ")", line=1)


def _function(module: str, name: str) -> Callable:
    """Function ``name`` of module ``formats.<module>``, imported now if it is not yet."""
    return getattr(import_module("formats." + module), name)


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building or writing a track.

    A large file makes hundreds of thousands of small acyclic objects; each allocation burst would
    otherwise trigger collections that rescan the whole growing heap (a third of the run time)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def read(data: bytes, fmt: str | None = None, language: str = "en") -> Captions:
    """Read caption bytes of type ``fmt`` (None: detect it) into the neutral model."""
    if not isinstance(data, bytes | bytearray | memoryview):
        raise CaptionFormatError(f"expected bytes, got {type(data).__name__}", fmt=fmt)
    return read_text(decode(bytes(data)), fmt, language)


def read_text(text: str, fmt: str | None = None, language: str = "en") -> Captions:
    """:func:`read` for text already decoded with :func:`formats.text.decode` (lets a caller free
    the bytes of a large file before parsing)."""
    if fmt is None:
        kind = sniff(text)
    else:
        kind = _ALIASES.get(fmt.lower(), fmt.lower())
        if kind not in _READERS:
            raise CaptionFormatError(f"cannot read {fmt!r}; readable types: {', '.join(INPUT_TYPES)}", fmt=fmt)
    parse = _function(_READERS[kind], "parse")
    try:
        with gc_paused():
            return parse(text, language)
    except CaptionFormatError:
        raise
    except RecursionError:
        raise CaptionFormatError("input nested too deeply", fmt=kind) from None
    except Exception as exc:  # the promise to callers: bad input is a CaptionFormatError, never a crash
        raise CaptionFormatError(f"unreadable input ({type(exc).__name__}: {exc})", fmt=kind) from exc


def _writer_kind(fmt: str) -> str:
    kind = {"webvtt": "vtt", "subrip": "srt", "text": "txt", "xml": "ttml"}.get(fmt.lower(), fmt.lower())
    if kind not in _WRITERS:
        raise CaptionFormatError(f"cannot write {fmt!r}; output types: {', '.join(OUTPUT_TYPES)}", fmt=fmt)
    return kind


def write_to(captions: Captions, fmt: str, stream: BinaryIO, batch_chars: int = 1 << 20) -> None:
    """:func:`write` into a binary stream, about ``batch_chars`` characters at a time, without
    holding the whole file in memory."""
    kind = _writer_kind(fmt)
    with gc_paused():
        if kind in _STREAMING:
            pieces = _function(_WRITERS[kind], "iter_render")(captions)
        else:
            pieces = iter((_function(_WRITERS[kind], "render")(captions),))
        batch: list[str] = []
        size = 0
        for piece in pieces:
            batch.append(piece)
            size += len(piece)
            if size >= batch_chars:
                stream.write("".join(batch).encode("utf-8", errors="replace"))
                batch, size = [], 0
        if batch:
            stream.write("".join(batch).encode("utf-8", errors="replace"))


def write(captions: Captions, fmt: str) -> bytes:
    """Write ``captions`` as ``fmt`` (one of :data:`OUTPUT_TYPES`), UTF-8 encoded (SCC is ASCII)."""
    kind = _writer_kind(fmt)
    with gc_paused():
        return _function(_WRITERS[kind], "render")(captions).encode("utf-8", errors="replace")
