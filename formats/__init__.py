"""Caption formats: the neutral model, lenient readers, strict writers, the word-to-cue segmenter,
style profiles, the quality linter and a strict WebVTT validator. See docs/formats.md."""

from formats.convert import INPUT_TYPES, OUTPUT_TYPES, read, sniff, write
from formats.errors import CaptionFormatError
from formats.model import Captions, Cue, Word
from formats.transcript import transcript

__all__ = [
    "INPUT_TYPES",
    "OUTPUT_TYPES",
    "CaptionFormatError",
    "Captions",
    "Cue",
    "Word",
    "read",
    "sniff",
    "transcript",
    "write",
]
