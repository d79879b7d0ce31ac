"""The neutral caption model every reader produces and every writer consumes.

Times are integer milliseconds so that conversions never accumulate float error.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Word:
    """One recognised word with its timing; ``text`` keeps attached punctuation."""

    start: int
    end: int
    text: str
    probability: float | None = None
    speaker: str | None = None


@dataclass
class Cue:
    """One caption: shown from ``start`` to ``end`` (ms), as ``lines`` of plain text."""

    start: int
    end: int
    lines: list[str]
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass
class Captions:
    """A caption track: cues sorted by start time, and the track's language (BCP 47)."""

    cues: list[Cue] = field(default_factory=list)
    language: str = "en"
