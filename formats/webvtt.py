"""WebVTT: lenient reader, strict writer.

Reader: a missing ``WEBVTT`` header is tolerated; header lines up to the first blank line are
skipped; ``NOTE``/``STYLE``/``REGION`` blocks are skipped; cue settings are ignored; tags are removed,
character references resolved, and a leading ``<v Name>`` becomes the cue's speaker.

Writer: ``WEBVTT`` header, cues sorted and non-overlapping (see :mod:`formats.normalize`), text
escaped (``&amp; &lt; &gt;``, so no ``-->`` can appear), the speaker as a ``<v Name>`` voice tag.
"""

from __future__ import annotations

from collections.abc import Iterator

from formats.blocks import fast_cues, parse_blocks
from formats.model import Captions
from formats.normalize import normalize, ordered
from formats.text import VOICE_RE, cue_text, escape_vtt, split_lines, strip_tags, unescape_entities
from formats.timecode import looks_like_arrow_timing, parse_arrow_timing, span_fields


def plain_text(raw: list[str]) -> tuple[list[str], str | None]:
    """WebVTT cue text to plain lines and the speaker of a leading voice tag."""
    speaker = None
    out = []
    for i, line in enumerate(raw):
        if "<" in line:
            if i == 0 and line.startswith("<v"):
                m = VOICE_RE.match(line)
                if m:
                    name = unescape_entities((m.group(1) or "").strip())
                    speaker = name or None
            line = strip_tags(line)
        if "&" in line:
            line = unescape_entities(line)
        line = line.strip()
        if line:
            out.append(line)
    return out, speaker


def parse(text: str, language: str = "en") -> Captions:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("WEBVTT"):
        body = text.find("\n\n")
        if body != -1 and "-->" not in text[:body]:
            cues = fast_cues(text, vtt_ids=True, text_filter=plain_text, pos=body + 2)
            if cues:
                return Captions(cues=normalize(cues, fmt="vtt"), language=language)
    lines = split_lines(text)
    first = 0
    if lines and lines[0].lstrip("\ufeff").startswith("WEBVTT"):
        first = 1
        while first < len(lines) and lines[first].strip() and "-->" not in lines[first]:
            first += 1
    return parse_blocks(
        lines,
        fmt="vtt",
        timing=parse_arrow_timing,
        malformed=looks_like_arrow_timing,
        vtt_ids=True,
        comments=True,
        text_filter=plain_text,
        language=language,
        first=first,
    )


def _voice(name: str) -> str:
    name = " ".join(name.split()).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    if name.endswith("-"):
        name = name[:-1] + "&#45;"  # "--" + the tag's ">" would read as "-->"
    return "<v " + name + ">"


_CUE = "%02d:%02d:%02d.%03d --> %02d:%02d:%02d.%03d\n%s\n\n"


def iter_render(captions: Captions) -> Iterator[str]:
    """The file in pieces (one per cue), so large tracks can be streamed."""
    yield "WEBVTT\n\n"
    cue_format = _CUE
    for cue in ordered(captions.cues):
        text = cue_text(cue.lines)
        if "&" in text or "<" in text or ">" in text:
            text = escape_vtt(text)
        if cue.speaker and cue.speaker.strip():
            text = _voice(cue.speaker) + text
        yield cue_format % (*span_fields(cue.start, cue.end), text)


def render(captions: Captions) -> str:
    return "".join(iter_render(captions))
