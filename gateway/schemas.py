"""Marshmallow schemas: what the API reads and writes (and so what /openapi.json documents)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import fields, validate

import formats
from gateway import jsonbody

LANGUAGE = re.compile(r"^(auto|[a-z]{2,3}(-[A-Za-z0-9]{2,8})*)$")


def iso(ts: float | None) -> str | None:
    return datetime.fromtimestamp(ts, UTC).isoformat().replace("+00:00", "Z") if ts is not None else None


class CaptionFileSchema(ma.Schema):
    name = fields.String(required=True, validate=validate.Length(1, 255))
    file = fields.String(required=True, metadata={"description": "the caption file, base64"})


class CaptionRequestSchema(ma.Schema):
    """A new caption job. Sent as JSON, or as multipart form fields (objects as JSON text)
    with a ``media`` file part (the video or audio itself) or a ``caption_file`` part."""

    class Meta:
        unknown = ma.RAISE

    media_url = fields.Url(schemes={"http", "https"}, validate=validate.Length(max=4096), load_default=None)
    parent_id = fields.String(required=True, validate=validate.Length(1, 200))
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
        metadata={"description": "style profile name (netflix-en, bbc, cea608) or an object of overrides"},
    )
    caption_file = fields.Nested(CaptionFileSchema, load_default=None)

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
    status = fields.String(metadata={"enum": ["queued", "processing", "done", "error", "cancelled"]})
    done = fields.Boolean()
    provider = fields.String()
    provider_params = fields.Dict()
    output_types = fields.List(fields.String())
    language = fields.String()
    callback_url = fields.String(allow_none=True)
    style = fields.Raw(allow_none=True)
    details = fields.String(metadata={"description": "the provider's own status words"})
    error = fields.String(allow_none=True)
    progress = fields.Integer(allow_none=True)
    outputs = fields.List(fields.Nested(OutputSchema))
    quality = fields.Dict(allow_none=True, metadata={"description": "caption quality against the style profile"})
    provider_info = fields.Dict(metadata={"description": "what the provider reported about the finished work"})
    created_at = fields.Function(lambda job: iso(job.created_at))
    updated_at = fields.Function(lambda job: iso(job.updated_at))
    timings = fields.Function(lambda job: job.timings(), metadata={"description": "queue_s, run_s, total_s"})


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
