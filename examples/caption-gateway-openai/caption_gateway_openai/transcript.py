"""An endpoint's ``verbose_json`` answer as timed words on the media's clock.

Where the endpoint gives word timestamps they are used; OpenAI's words carry no punctuation or
capitals, so each word takes its written form from the segment text where the two agree. Where
it gives segments only, each segment's time is shared among its words by their length: cues then
start and end within a segment's precision, which is what a caption file from the endpoint
itself would give. The language the endpoint names (OpenAI: ``english``) is read as its code
(``en``) with :func:`caption_gateway_openai.languages.language_code`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from caption_gateway_openai.languages import language_code
from formats.model import Word
from providers.errors import PermanentProviderError

SERVICE = "openai-compatible endpoint"
#: How many written words ahead a timed word is looked for when the two lists disagree.
LOOKAHEAD = 3

_NOT_WORD = re.compile(r"[^\w']+")


@dataclass
class PartTranscript:
    """What one upload came back as: timed words, its text, and what the endpoint said of it."""

    words: list[Word]
    text: str
    language: str | None  # the code of the language the endpoint detected (``en``), if it named a known one
    language_answered: str | None  # the endpoint's own words for it (OpenAI: ``english``)
    duration_s: float | None
    timestamps: str  # "word" or "segment"


def read_verbose_json(data: Any, offset_s: float = 0.0, until_s: float | None = None) -> PartTranscript:
    """Words of one ``verbose_json`` answer, ``offset_s`` later, none past ``until_s``.

    Raises :class:`PermanentProviderError` for a document with neither ``words`` nor
    ``segments`` (an endpoint that ignores ``response_format=verbose_json``).
    """
    if not isinstance(data, dict) or not any(isinstance(data.get(key), list) for key in ("words", "segments")):
        raise PermanentProviderError(
            f"the {SERVICE} answered without timestamps (no words or segments): it must support "
            "response_format=verbose_json"
        )
    segments = [s for s in data.get("segments") or [] if isinstance(s, dict)]
    timed = [w for w in data.get("words") or [] if isinstance(w, dict)]
    try:
        if timed:
            written = [token for s in segments for token in str(s.get("text", "")).split()]
            words, kind = list(_with_written_forms(_timed_words(timed), written)), "word"
        else:
            words, kind = [w for s in segments for w in _spread_over_segment(s)], "segment"
    except (TypeError, ValueError) as err:
        raise PermanentProviderError(f"the {SERVICE} answered timestamps that are not numbers: {err}") from err
    words = _on_media_clock(words, offset_s, until_s)
    text = str(data.get("text") or " ".join(str(s.get("text", "")).strip() for s in segments)).strip()
    duration = data.get("duration")
    answered = str(data["language"]).strip() if data.get("language") else None
    return PartTranscript(
        words=words,
        text=text,
        language=language_code(answered),
        language_answered=answered or None,
        duration_s=float(duration) if isinstance(duration, int | float) else None,
        timestamps=kind,
    )


def _ms(seconds: Any) -> int:
    return max(0, round(float(seconds) * 1000))


def _timed_words(items: list[dict[str, Any]]) -> Iterator[Word]:
    for item in items:
        text = str(item.get("word", "")).strip()
        if text:
            start = _ms(item["start"])
            yield Word(start=start, end=max(start, _ms(item["end"])), text=text)


def _bare(text: str) -> str:
    return _NOT_WORD.sub("", text).lower()


def _with_written_forms(words: Iterator[Word], written: list[str]) -> Iterator[Word]:
    """Each timed word with the punctuation and capitals of the same word in the segment text."""
    position = 0
    for word in words:
        for ahead in range(position, min(position + LOOKAHEAD, len(written))):
            if _bare(written[ahead]) == _bare(word.text) and _bare(word.text):
                word.text, position = written[ahead], ahead + 1
                break
        yield word


def _spread_over_segment(segment: dict[str, Any]) -> Iterator[Word]:
    """A segment's words, each given a share of its time in proportion to its length."""
    tokens = str(segment.get("text", "")).split()
    if not tokens:
        return
    start, end = _ms(segment["start"]), _ms(segment["end"])
    end = max(start, end)
    total = sum(len(token) + 1 for token in tokens)
    elapsed = 0
    for token in tokens:
        word_start = start + (end - start) * elapsed // total
        elapsed += len(token) + 1
        yield Word(start=word_start, end=start + (end - start) * elapsed // total, text=token)


def _on_media_clock(words: list[Word], offset_s: float, until_s: float | None) -> list[Word]:
    """Words moved ``offset_s`` later; a word the endpoint placed past the part's end is kept at its end."""
    offset = round(offset_s * 1000)
    limit = None if until_s is None else round(until_s * 1000)
    moved = []
    for word in words:
        start, end = word.start + offset, word.end + offset
        if limit is not None:
            start, end = min(start, limit), min(end, limit)
        moved.append(Word(start=start, end=end, text=word.text, probability=word.probability))
    return moved
