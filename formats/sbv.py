"""YouTube SubViewer (SBV): ``H:MM:SS.mmm,H:MM:SS.mmm`` then text lines, blank line between cues."""

from __future__ import annotations

from collections.abc import Iterator

from formats.blocks import parse_blocks
from formats.model import Captions
from formats.normalize import writable
from formats.srt import plain_text
from formats.text import cue_text, split_lines
from formats.timecode import format_sbv, looks_like_sbv_timing, parse_sbv_timing


def parse(text: str, language: str = "en") -> Captions:
    return parse_blocks(
        split_lines(text),
        fmt="sbv",
        timing=parse_sbv_timing,
        malformed=looks_like_sbv_timing,
        vtt_ids=False,
        comments=False,
        text_filter=plain_text,
        language=language,
    )


def iter_render(captions: Captions) -> Iterator[str]:
    """The file in pieces (one per cue), so large tracks can be streamed."""
    for cue in writable(captions.cues):
        text = cue_text(cue.lines)
        yield f"{format_sbv(cue.start)},{format_sbv(cue.end)}\n{text}\n\n"


def render(captions: Captions) -> str:
    return "".join(iter_render(captions))
