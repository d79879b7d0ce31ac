"""Forms of the console: provider params built from the provider's params schema, and the
caption editor's cues read back from the job page."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import formats
from formats.timecode import format_vtt, parse_time


@dataclass
class ParamField:
    """One input of a provider's params, from its JSON schema property."""

    provider: str
    name: str
    kind: str  # text, integer, number, boolean, choice, list, object
    description: str = ""
    choices: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None

    @property
    def input_name(self) -> str:
        return f"param:{self.provider}:{self.name}"


def param_fields(provider_id: str, params_schema: Mapping[str, Any]) -> list[ParamField]:
    """The inputs for a provider's params, in the schema's order."""
    out = []
    for name, prop in (params_schema.get("properties") or {}).items():
        kind = _kind(prop)
        out.append(
            ParamField(
                provider=provider_id,
                name=name,
                kind=kind,
                description=str(prop.get("description", "")),
                choices=[str(c) for c in prop.get("enum", [])],
                minimum=prop.get("minimum"),
                maximum=prop.get("maximum"),
            )
        )
    return out


def _kind(prop: Mapping[str, Any]) -> str:
    if prop.get("enum"):
        return "choice"
    kind = prop.get("type")
    if isinstance(kind, list):  # ["string", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    return {"integer": "integer", "number": "number", "boolean": "boolean", "array": "list", "object": "object"}.get(
        str(kind), "text"
    )


def params_from_form(fields: list[ParamField], form: Mapping[str, str]) -> dict[str, Any]:
    """The provider_params the filled inputs give; empty inputs are left out (the provider's
    default applies). Values that do not convert are passed as typed, for the API to refuse."""
    params: dict[str, Any] = {}
    for f in fields:
        raw = str(form.get(f.input_name, "")).strip()
        if raw:
            params[f.name] = _convert(f.kind, raw)
    return params


def _convert(kind: str, raw: str) -> Any:
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
        if kind == "object":
            return json.loads(raw)
    except ValueError:
        return raw
    if kind == "boolean":
        return raw == "true"
    if kind == "list":
        return [item.strip() for item in raw.split(",") if item.strip()]
    return raw


@dataclass
class CueRow:
    """A cue as the editor shows it."""

    index: int
    start_ms: int
    end_ms: int
    text: str

    @property
    def start(self) -> str:
        return format_vtt(self.start_ms)

    @property
    def end(self) -> str:
        return format_vtt(self.end_ms)


def cue_rows(captions: formats.Captions) -> list[CueRow]:
    return [CueRow(i, c.start, c.end, c.text) for i, c in enumerate(captions.cues)]


class CueEditError(ValueError):
    """An edited cue cannot be used; the message says which and why."""


def captions_from_form(form: Mapping[str, str], count: int, language: str) -> formats.Captions:
    """The edited track: ``cue-<i>-start``, ``cue-<i>-end`` and ``cue-<i>-text`` for each cue
    (a cue whose text was emptied is dropped)."""
    cues = []
    for i in range(count):
        text = str(form.get(f"cue-{i}-text", "")).replace("\r\n", "\n").strip()
        if not text:
            continue
        start, end = (parse_time(str(form.get(f"cue-{i}-{edge}", ""))) for edge in ("start", "end"))
        if start is None or end is None:
            raise CueEditError(f"cue {i + 1}: times must look like 00:00:01.500")
        if end <= start:
            raise CueEditError(f"cue {i + 1}: the end must come after the start")
        cues.append(formats.Cue(start=start, end=end, lines=[line.strip() for line in text.split("\n")]))
    if not cues:
        raise CueEditError("every cue is empty; there is nothing to publish")
    return formats.Captions(cues=cues, language=language)
