"""The neutral caption model every reader produces and every writer consumes.

Times are integer milliseconds so that conversions never accumulate float error.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class Word:
    """One recognised word with its timing; ``text`` keeps attached punctuation."""

    start: int
    end: int
    text: str
    probability: float | None = None
    speaker: str | None = None


@dataclass(slots=True)
class Cue:
    """One caption: shown from ``start`` to ``end`` (ms), as ``lines`` of plain text.

    ``identifier`` and ``settings`` are WebVTT's cue identifier and its valid cue settings
    (``"align:start line:10%"``, one ``name:value`` per setting, the last of each name kept), so
    that positioned cues keep their place when written back as WebVTT; other formats leave them
    empty.
    """

    start: int
    end: int
    lines: list[str]
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)
    identifier: str = ""
    settings: str = ""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@dataclass(frozen=True)
class ReadWarning:
    """Something a reader skipped: the 1-based input ``line`` (None: not known) and the reason."""

    line: int | None
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


@dataclass
class Captions:
    """A caption track: cues in the order the source gave them (see :func:`formats.normalise` for
    sorted, non-overlapping cues), the track's language (BCP 47), and what the reader skipped."""

    cues: list[Cue] = field(default_factory=list)
    language: str = "en"
    warnings: list[ReadWarning] = field(default_factory=list)
