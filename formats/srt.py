"""SubRip (SRT): lenient reader, strict writer.

The writer cannot escape anything (SRT has no escapes), so a ``-->`` in cue text is written as
``->`` to keep the file readable; the speaker is not written (SRT has no place for it).
"""

from __future__ import annotations

from collections.abc import Iterator

from formats.blocks import fast_cues, parse_blocks
from formats.model import Captions
from formats.normalize import writable
from formats.text import SRT_TAG_RE, cue_text, split_lines, strip_tags
from formats.timecode import looks_like_arrow_timing, parse_arrow_timing, span_text


def plain_text(raw: list[str]) -> tuple[list[str], str | None]:
    """SRT cue text to plain lines: informal tags and SSA codes removed."""
    out = []
    for line in raw:
        if "<" in line or "{" in line:
            line = strip_tags(line, SRT_TAG_RE).strip()
            if not line:
                continue
        out.append(line)
    return out, None


def parse(text: str, language: str = "en") -> Captions:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    cues = fast_cues(text, vtt_ids=False, text_filter=plain_text)
    if cues:
        return Captions(cues=cues, language=language)
    return parse_blocks(
        split_lines(text),
        fmt="srt",
        timing=parse_arrow_timing,
        malformed=looks_like_arrow_timing,
        vtt_ids=False,
        comments=False,
        text_filter=plain_text,
        language=language,
    )


def iter_render(captions: Captions) -> Iterator[str]:
    """The file in pieces (one per cue), so large tracks can be streamed."""
    for n, cue in enumerate(writable(captions.cues), 1):
        text = cue_text(cue.lines)
        if "-->" in text:
            text = text.replace("-->", "->")
        yield f"{n}\n{span_text(cue.start, cue.end, ',')}\n{text}\n\n"


def render(captions: Captions) -> str:
    return "".join(iter_render(captions))
