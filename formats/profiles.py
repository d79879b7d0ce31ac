"""Caption style profiles: the numbers the segmenter cuts to and the linter checks against.

Figures from the Netflix English timed-text style guide, the BBC subtitle guidelines and CEA-608 /
DCMP practice (docs/formats.md, "Style profiles"). Reading speed is in characters per second; ``count_spaces`` says
whether spaces (and line breaks, counted as one space) are counted, as Netflix does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any


@dataclass(frozen=True)
class StyleProfile:
    """One set of caption style rules. Times are milliseconds."""

    name: str
    max_chars_per_line: int = 42
    max_lines: int = 2
    max_cps: float = 20.0
    min_duration_ms: int = 833  # 5/6 s, 20 frames at 24 fps
    max_duration_ms: int = 7000
    gap_close_ms: int = 500  # gaps shorter than this are closed down to min_gap_ms
    min_gap_ms: int = 83  # 2 frames at 24 fps
    count_spaces: bool = True
    max_extend_ms: int = 500  # how far an end may run into silence to meet reading speed
    pause_break_ms: int = 1000  # a silence at least this long always ends a cue


PROFILES: dict[str, StyleProfile] = {
    p.name: p
    for p in (
        StyleProfile("netflix-en"),
        StyleProfile("netflix-en-children", max_cps=17.0),
        StyleProfile("bbc", max_chars_per_line=37, max_cps=17.0, gap_close_ms=1000),
        StyleProfile("cea608", max_chars_per_line=32, max_cps=15.0),
    )
}
DEFAULT_PROFILE = "netflix-en"

# Upper bounds keep the segmenter's search small and the numbers meaningful for captions.
_MAXIMUM = {"max_chars_per_line": 120, "max_lines": 8, "max_cps": 100}
_INT_FIELDS = {f.name for f in fields(StyleProfile) if f.type in ("int", int)}


def _check_value(name: str, value: Any) -> Any:
    if name == "name":
        if not isinstance(value, str) or not value.strip():
            raise ValueError("profile field 'name' must be a non-empty string")
        return value
    if name == "count_spaces":
        if not isinstance(value, bool):
            raise ValueError("profile field 'count_spaces' must be true or false")
        return value
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"profile field {name!r} must be a number, got {value!r}")
    if name in _INT_FIELDS:
        if value != int(value):
            raise ValueError(f"profile field {name!r} must be a whole number, got {value!r}")
        value = int(value)
    minimum = 0 if name in ("min_gap_ms", "gap_close_ms", "max_extend_ms", "min_duration_ms") else 1
    if not value >= minimum or value != value or value == float("inf"):
        raise ValueError(f"profile field {name!r} must be a finite number >= {minimum}, got {value!r}")
    maximum = _MAXIMUM.get(name)
    if maximum is not None and value > maximum:
        raise ValueError(f"profile field {name!r} must be at most {maximum}, got {value!r}")
    return value


def get_profile(spec: str | Mapping[str, Any] | StyleProfile | None = None) -> StyleProfile:
    """The profile named ``spec`` (None: ``netflix-en``), or a mapping ``{"profile": name, field: value}``
    giving a named base and overrides. Unknown names, unknown fields and bad values raise ValueError."""
    if spec is None:
        return PROFILES[DEFAULT_PROFILE]
    if isinstance(spec, StyleProfile):
        return spec
    if isinstance(spec, str):
        if spec not in PROFILES:
            raise ValueError(f"unknown style profile {spec!r}; known: {', '.join(sorted(PROFILES))}")
        return PROFILES[spec]
    if not isinstance(spec, Mapping):
        raise ValueError(f"a style profile is a name or a mapping, not {type(spec).__name__}")
    base_name = spec.get("profile", DEFAULT_PROFILE)
    if not isinstance(base_name, str):
        raise ValueError("'profile' must be the name of a style profile")
    base = get_profile(base_name)
    known = {f.name for f in fields(StyleProfile)}
    overrides: dict[str, Any] = {}
    for key, value in spec.items():
        if key == "profile":
            continue
        if key not in known:
            raise ValueError(f"unknown style profile field {key!r}; known: {', '.join(sorted(known))}")
        overrides[key] = _check_value(key, value)
    if overrides and "name" not in overrides:
        overrides["name"] = base.name + "+custom"
    profile = replace(base, **overrides)
    if profile.min_duration_ms >= profile.max_duration_ms:
        raise ValueError("min_duration_ms must be less than max_duration_ms")
    return profile
