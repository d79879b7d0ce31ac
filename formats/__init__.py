"""Caption formats: the neutral model, lenient readers, strict writers, the word-to-cue segmenter,
style profiles, the quality linter and a strict WebVTT validator. See docs/formats.md.

This package imports nothing outside the standard library and never imports the gateway,
providers or storage.

The names below are imported on first use (PEP 562 ``__getattr__``), so that ``captions convert``
loads only the modules a conversion needs; ``from formats import lint`` works as usual.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# ``transcript`` is both a submodule and the function the package exports: imported now, so that
# importing the submodule later (the "txt" writer) cannot replace the function with the module.
from formats.transcript import transcript

if TYPE_CHECKING:
    from formats.convert import INPUT_TYPES, OUTPUT_TYPES, read, sniff, write
    from formats.errors import CaptionFormatError
    from formats.linter import Check, QualityReport, lint
    from formats.model import Captions, Cue, ReadWarning, Word
    from formats.normalize import NormalisationReport, normalise
    from formats.profiles import PROFILES, StyleProfile, get_profile
    from formats.segmenter import resegment, segment
    from formats.validate import ValidationIssue, validate_webvtt

# The module that defines each name.
_MODULES = {
    "INPUT_TYPES": "convert",
    "OUTPUT_TYPES": "convert",
    "read": "convert",
    "sniff": "convert",
    "write": "convert",
    "CaptionFormatError": "errors",
    "Check": "linter",
    "QualityReport": "linter",
    "lint": "linter",
    "Captions": "model",
    "Cue": "model",
    "ReadWarning": "model",
    "Word": "model",
    "NormalisationReport": "normalize",
    "normalise": "normalize",
    "PROFILES": "profiles",
    "StyleProfile": "profiles",
    "get_profile": "profiles",
    "resegment": "segmenter",
    "segment": "segmenter",
    "ValidationIssue": "validate",
    "validate_webvtt": "validate",
}


def __getattr__(name: str) -> Any:
    module = _MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'formats' has no attribute {name!r}")
    value = getattr(import_module("formats." + module), name)
    globals()[name] = value  # later look-ups find it without this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_MODULES))


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
