"""SubRip (SRT): lenient reader, strict writer.

The writer cannot escape anything (SRT has no escapes), so a ``-->`` in cue text is written as
``->`` to keep the file readable; the speaker is not written (SRT has no place for it).
"""

from __future__ import annotations

from formats.blocks import parse_blocks
from formats.model import Captions
from formats.normalize import prepared
from formats.text import split_lines, strip_tags
from formats.timecode import format_srt, parse_arrow_timing


def plain_text(raw: list[str]) -> tuple[list[str], str | None]:
    """SRT cue text to plain lines: informal tags and SSA codes removed."""
    out = []
    for line in raw:
        if "<" in line or "{" in line:
            line = strip_tags(line).strip()
            if not line:
                continue
        out.append(line)
    return out, None


def parse(text: str, language: str = "en") -> Captions:
    return parse_blocks(
        split_lines(text),
        fmt="srt",
        timing=parse_arrow_timing,
        marker="-->",
        vtt_ids=False,
        comments=False,
        text_filter=plain_text,
        language=language,
    )


def render(captions: Captions) -> str:
    out = []
    for n, cue in enumerate(prepared(captions.cues), 1):
        text = "\n".join(cue.lines)
        if "-->" in text:
            text = text.replace("-->", "->")
        out.append(f"{n}\n{format_srt(cue.start)} --> {format_srt(cue.end)}\n{text}\n\n")
    return "".join(out)
