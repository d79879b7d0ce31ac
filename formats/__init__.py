"""Caption formats: the neutral model, lenient readers, strict writers, the word-to-cue segmenter,
style profiles, the quality linter and a strict WebVTT validator. See docs/formats.md.

This package imports nothing outside the standard library and never imports the gateway,
providers or storage.
"""

from formats.convert import INPUT_TYPES, OUTPUT_TYPES, read, sniff, write
from formats.errors import CaptionFormatError
from formats.linter import Check, QualityReport, lint
from formats.model import Captions, Cue, ReadWarning, Word
from formats.normalize import NormalisationReport, normalise
from formats.profiles import PROFILES, StyleProfile, get_profile
from formats.segmenter import resegment, segment
from formats.transcript import transcript
from formats.validate import ValidationIssue, validate_webvtt

__all__ = [
    "INPUT_TYPES",
    "OUTPUT_TYPES",
    "PROFILES",
    "CaptionFormatError",
    "Captions",
    "Check",
    "Cue",
    "NormalisationReport",
    "QualityReport",
    "ReadWarning",
    "StyleProfile",
    "ValidationIssue",
    "Word",
    "get_profile",
    "lint",
    "normalise",
    "read",
    "resegment",
    "segment",
    "sniff",
    "transcript",
    "validate_webvtt",
    "write",
]
