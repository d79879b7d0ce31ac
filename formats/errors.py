"""Errors raised by the caption readers and writers."""

from __future__ import annotations


class CaptionFormatError(ValueError):
    """A caption file could not be read or written.

    ``line`` is the 1-based line number of the input where the problem was found, when known.
    The message always says what was wrong, so it can be shown to the user as is.
    """

    def __init__(self, message: str, line: int | None = None, fmt: str | None = None) -> None:
        self.reason = message
        self.line = line
        self.fmt = fmt
        where = f" (line {line})" if line is not None else ""
        prefix = f"{fmt}: " if fmt else ""
        super().__init__(f"{prefix}{message}{where}")
