"""Marshmallow schemas: what the API reads and writes (and so what /openapi.json documents)."""

from __future__ import annotations

import difflib
import json
import re
from datetime import UTC, datetime
from typing import Any

import marshmallow as ma
from marshmallow import fields, validate

import formats
from gateway import jsonbody
from gateway.models import STATUSES

LANGUAGE = re.compile(r"^(auto|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$")


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z") if ts is not None else None


class CaptionFileSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(1, 255))
    file = fields.String(required=True, metadata={"description": "the caption file, base64"})


UNKNOWN_FIELD = "Unknown field."  # marshmallow's message


def suggest_field(name: str, known: list[str]) -> str:
    """The message for an unknown field: its name and the closest known field, or the known ones."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"did you mean {close[0]!r}?" if close else f"known fields: {', '.join(sorted(known))}"
    return f"Unknown field {name!r}; {hint}"


class StrictSchema(ma.Schema):
    """Refuses unknown fields with a message that names the field and the closest known one."""

    class Meta:
        unknown = ma.RAISE

    def handle_error(self, error: ma.ValidationError, data, *, many: bool, **kwargs) -> None:
        messages = error.messages
        if isinstance(messages, dict):
            known = [f.data_key or name for name, f in self.load_fields.items()]
            for name, problems in messages.items():
                if problems == [UNKNOWN_FIELD]:
                    messages[name] = [suggest_field(str(name), known)]
        raise ma.ValidationError(messages, data=error.data, valid_data=error.valid_data)


def first_error(errors: Any) -> str:
    """The first validation message as ``field: message`` (NYT clients read one line)."""
    path = []
    while isinstance(errors, dict) and errors:
        name, errors = next(iter(errors.items()))
        if name not in ("json", "form", "query", "files", "json_or_form"):
            path.append(str(name))
    if isinstance(errors, list) and errors:
        return f"{'.'.join(path)}: {errors[0]}" if path else str(errors[0])
    return ""


#: A parent is listed at ``/captions/<parent_id>``: its id must fit in one URL path segment.
PARENT_ID = r"^[^/]+$"


class CaptionRequestSchema(StrictSchema):
    """A new caption job. Sent as JSON, or as multipart form fields (objects as JSON text)
    with a ``media`` file part (the video or audio itself) or a ``caption_file`` part."""

    media_url = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=4096), load_default=None)
    parent_id = fields.String(
        required=True,
        validate=[
            validate.Length(1, 200),
            validate.Regexp(PARENT_ID, error="must not contain '/' (its jobs are listed at /captions/<parent_id>)"),
            validate.NoneOf((".", ".."), error="{input!r} cannot be a URL path segment"),
        ],
        metadata={"description": "the CMS's id of the video (one URL path segment: no '/')"},
    )
    provider = fields.String(required=True, validate=validate.Length(1, 100))
    provider_params = fields.Dict(keys=fields.String(), load_default=dict)
    output_types = fields.List(
        fields.String(validate=validate.OneOf(formats.OUTPUT_TYPES)),
        load_default=lambda: ["vtt"],
        validate=validate.Length(1, len(formats.OUTPUT_TYPES)),
        metadata={"description": f"any of {', '.join(formats.OUTPUT_TYPES)}"},
    )
    language = fields.String(load_default="en", validate=validate.Regexp(LANGUAGE))
    callback_url = fields.Url(schemes={"http", "https"}, load_default=None, validate=validate.Length(max=4096))
    style = fields.Raw(
        load_default=None,
        metadata={
            "description": "a style profile's name, or an object naming one (`profile`) with overrides of its fields",
            "anyOf": [
                {"type": "string", "enum": sorted(formats.PROFILES)},
                {"type": "object", "properties": {"profile": {"type": "string", "enum": sorted(formats.PROFILES)}}},
            ],
        },
    )
    caption_file = fields.Nested(CaptionFileSchema, load_default=None)
    job_type = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={"description": "NYT's job type, handed to the provider (3Play picks the account by it)"},
    )

    @ma.pre_load
    def decode_form(self, data, **_kwargs):
        """Multipart and form bodies carry objects and lists as JSON text (or a comma list)."""
        if not hasattr(data, "getlist"):
            return data
        out = {k: data.get(k) for k in data}
        for name in ("provider_params", "style", "caption_file"):
            if isinstance(out.get(name), str) and out[name].lstrip().startswith("{"):
                try:
                    out[name] = jsonbody.loads(out[name])
                except json.JSONDecodeError as exc:
                    raise ma.ValidationError({name: [f"not valid JSON: {exc.msg}"]}) from exc
        if "output_types" in out:
            values = data.getlist("output_types")
            out["output_types"] = [t.strip() for v in values for t in v.split(",") if t.strip()]
        return out

    @ma.validates_schema
    def check(self, data, **_kwargs):
        types = data.get("output_types") or []
        if len(set(types)) != len(types):
            raise ma.ValidationError({"output_types": ["output types must not repeat"]})
        style = data.get("style")
        if style is not None:
            try:
                formats.get_profile(style)
            except ValueError as exc:
                raise ma.ValidationError({"style": [str(exc)]}) from exc


class OutputSchema(ma.Schema):
    url = fields.String()
    type = fields.String()
    filename = fields.String()


class TimingsSchema(ma.Schema):
    queue_s = fields.Float(allow_none=True)
    run_s = fields.Float(allow_none=True)
    total_s = fields.Float(allow_none=True)


class JobSchema(ma.Schema):
    id = fields.String()
    parent_id = fields.String()
    media_url = fields.String(allow_none=True)
    status = fields.String(metadata={"enum": list(STATUSES)})
    done = fields.Boolean()
    provider = fields.String()
    provider_params = fields.Dict()
    output_types = fields.List(fields.String())
    language = fields.String()
    callback_url = fields.String(allow_none=True)
    style = fields.Raw(allow_none=True)
    job_type = fields.String()
    created_by = fields.String(metadata={"description": "the name of the API key that created the job"})
    details = fields.String(metadata={"description": "the provider's own status words"})
    error = fields.String(allow_none=True)
    progress = fields.Integer(allow_none=True)
    outputs = fields.List(fields.Nested(OutputSchema))
    quality = fields.Dict(allow_none=True, metadata={"description": "caption quality against the style profile"})
    provider_info = fields.Dict(metadata={"description": "what the provider reported about the finished work"})
    created_at = fields.Function(lambda job: iso(job.created_at))
    updated_at = fields.Function(lambda job: iso(job.updated_at))
    timings = fields.Function(lambda job: job.timings(), metadata={"description": "queue_s, run_s, total_s"})


def parse_time(value: str) -> float:
    """An ISO 8601 time (``Z`` or an offset; UTC when it has none) as a Unix time."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError as exc:
        raise ma.ValidationError(f"not an ISO 8601 time: {value!r}") from exc
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp()


class IsoTime(fields.Field):
    """An ISO 8601 time in, a Unix time out (documented as an RFC 3339 date-time)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.metadata = {"type": "string", "format": "date-time", **self.metadata}

    def _deserialize(self, value, attr, data, **kwargs) -> float:
        if not isinstance(value, str):
            raise ma.ValidationError("not an ISO 8601 time")
        return parse_time(value)


class JobListQuerySchema(StrictSchema):
    """Filters and the cursor of ``GET /jobs``."""

    status = fields.String(validate=validate.OneOf(STATUSES))
    provider = fields.String(validate=validate.Length(1, 100))
    parent_id = fields.String(validate=validate.Length(1, 200))
    created_after = IsoTime(metadata={"description": "ISO 8601; jobs created after this time"})
    created_before = IsoTime(metadata={"description": "ISO 8601; jobs created before this time"})
    limit = fields.Integer(validate=validate.Range(1, 500), metadata={"description": "jobs per page (default 50)"})
    cursor = fields.String(
        validate=validate.Regexp(r"^[0-9]{1,19}$", error="not a cursor this API gave"),
        metadata={"description": "`next_cursor` of the previous page"},
    )


class JobPageSchema(ma.Schema):
    jobs = fields.List(fields.Nested(JobSchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "pass as `cursor` for the next page; null on the last page"}
    )


class ProviderSchema(ma.Schema):
    id = fields.String()
    enabled = fields.Boolean()
    distribution = fields.String()
    reason = fields.String()
    doc = fields.String()
    native_formats = fields.List(fields.String())
    supports_callback = fields.Boolean()
    synchronous = fields.Boolean()
    max_wait_s = fields.Float()
    queue = fields.String()
    input_kind = fields.String()
    params_schema = fields.Dict()
    configured = fields.Boolean(metadata={"description": "every setting the provider needs is set"})
    missing_settings = fields.List(
        fields.String(), metadata={"description": "settings still to set (GATEWAY_PROVIDERS_<ID>_<NAME>)"}
    )


class HealthSchema(ma.Schema):
    status = fields.String()
    checks = fields.Dict()


def job_payload(job) -> str:
    """The public JSON of a job, as the API and webhooks send it."""
    return JobSchema().dumps(job)
