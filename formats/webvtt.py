"""WebVTT: lenient reader, strict writer.

Reader: the WebVTT parser algorithm (:mod:`formats.webvtt_parser`): the cues a browser shows, with
their identifiers and valid settings; a block it skips is a warning with its line, never an error.
A missing ``WEBVTT`` header is tolerated (with a warning). Tags are removed, character references
resolved, and a leading ``<v Name>`` becomes the cue's speaker.

Writer: ``WEBVTT`` header, cues sorted and non-overlapping (see :mod:`formats.normalize`), text
escaped (``&amp; &lt; &gt;``, so no ``-->`` can appear), the speaker as a ``<v Name>`` voice tag.
"""

from __future__ import annotations

from collections.abc import Iterator

from formats.blocks import fast_cues
from formats.errors import CaptionFormatError
from formats.model import Captions, Cue
from formats.normalize import writable
from formats.text import (
    VOICE_RE,
    clean_texts_joined,
    cue_text,
    escape_vtt,
    split_texts,
    strip_tags,
    unescape_entities,
)
from formats.timecode import span_text


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
    """Read WebVTT as the WebVTT parser algorithm does (see :mod:`formats.webvtt_parser`); the
    fast path takes textbook files and gives the same cues."""
    from formats.webvtt_parser import has_signature, parse_document, prepare_input  # not needed to write WebVTT

    text = prepare_input(text)
    if text.startswith("WEBVTT"):
        body = text.find("\n\n")
        if body != -1 and "-->" not in text[:body]:
            cues = fast_cues(text, vtt_ids=True, text_filter=plain_text, pos=body + 2)
            if cues is not None:
                return Captions(cues=cues, language=language)
    parsed = parse_document(text)
    if not parsed.cues and not has_signature(text):
        first = parsed.warnings[1] if len(parsed.warnings) > 1 else None
        reason = f"no cues found ({first.message})" if first else "no cues found"
        raise CaptionFormatError(reason, line=first.line if first else None, fmt="vtt")
    cues = []
    for block in parsed.cues:
        lines, speaker = plain_text(block.text.split("\n")) if block.text else ([], None)
        cues.append(Cue(block.start, block.end, lines, speaker, identifier=block.identifier, settings=block.settings))
    return Captions(cues=cues, language=language, warnings=parsed.warnings)


def _voice(name: str) -> str:
    name = " ".join(name.split()).replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;")
    if name.endswith("-"):
        name = name[:-1] + "&#45;"  # "--" + the tag's ">" would read as "-->"
    return "<v " + name + ">"


def _identifier_line(identifier: str) -> str:
    """The cue's identifier line (with its line end), or "" when it cannot be written safely."""
    line = " ".join(identifier.split("\n")).replace("\r", " ")
    if not line.strip() or "-->" in line or line.startswith(("NOTE", "STYLE", "REGION")):
        return ""
    return line + "\n"


def _settings_text(settings: str) -> str:
    """Cue settings to write: region settings are dropped (the REGION blocks are not kept)."""
    return " ".join(word for word in settings.split(" ") if word and not word.startswith("region:"))


_CHUNK = 1000  # cues per piece of the streamed file


def _escaped_texts(cues: list[Cue]) -> list[str]:
    """The cues' texts, cleaned and escaped for WebVTT: in bulk when none needs cleaning (see
    :func:`clean_texts_joined`), else cue by cue."""
    joined = clean_texts_joined(["\n".join(cue.lines) for cue in cues])
    if joined is None:
        return [escape_vtt(cue_text(cue.lines)) for cue in cues]
    return split_texts(escape_vtt(joined))


def _cue_with_extras(cue: Cue, text: str) -> str:
    """A cue with a speaker, an identifier or settings."""
    if cue.speaker and cue.speaker.strip():
        text = _voice(cue.speaker) + text
    settings = _settings_text(cue.settings)
    timing = span_text(cue.start, cue.end) + (" " + settings if settings else "")
    return f"{_identifier_line(cue.identifier)}{timing}\n{text}\n\n"


def _render_chunk(cues: list[Cue]) -> str:
    return "".join(
        [
            f"{span_text(c.start, c.end)}\n{text}\n\n"
            if not (c.speaker or c.identifier or c.settings)
            else _cue_with_extras(c, text)
            for c, text in zip(cues, _escaped_texts(cues), strict=True)
        ]
    )


def iter_render(captions: Captions) -> Iterator[str]:
    """The file in pieces (one per thousand cues), so large tracks can be streamed."""
    yield "WEBVTT\n\n"
    cues = writable(captions.cues)
    for first in range(0, len(cues), _CHUNK):
        yield _render_chunk(cues[first : first + _CHUNK])


def render(captions: Captions) -> str:
    return "".join(iter_render(captions))
