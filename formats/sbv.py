"""YouTube SubViewer (SBV): ``H:MM:SS.mmm,H:MM:SS.mmm`` then text lines, blank line between cues."""

from __future__ import annotations

from formats.blocks import parse_blocks
from formats.model import Captions
from formats.normalize import prepared
from formats.srt import plain_text
from formats.text import split_lines
from formats.timecode import format_sbv, parse_sbv_timing


def parse(text: str, language: str = "en") -> Captions:
    return parse_blocks(
        split_lines(text),
        fmt="sbv",
        timing=parse_sbv_timing,
        marker=",",
        vtt_ids=False,
        comments=False,
        text_filter=plain_text,
        language=language,
    )


def render(captions: Captions) -> str:
    out = []
    for cue in prepared(captions.cues):
        text = "\n".join(cue.lines)
        out.append(f"{format_sbv(cue.start)},{format_sbv(cue.end)}\n{text}\n\n")
    return "".join(out)
