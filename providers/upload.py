"""The ``upload`` provider: captions made elsewhere, sent by the CMS as a caption file.

The API reads and checks the file when the job is created (a broken file is a 400 there);
here it is read again from storage, normalised, and handed to the gateway, which renders
every requested output type. Uses: publishing captions made elsewhere, converting archives.

An uploaded WebVTT file is read leniently but also checked by the strict validator: what it
found is reported in the job's ``provider_info`` (``input_issues``), so the CMS learns that its
file needed repair while the job still succeeds with corrected output.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

import formats
from formats.text import decode
from providers.base import CaptionResult, JobView, Provider, ProviderStatus, Submission
from providers.errors import PermanentProviderError

MAX_ISSUES_SHOWN = 10


class UploadParams(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    format = fields.String(
        validate=validate.OneOf(formats.INPUT_TYPES),
        metadata={"description": "the caption file's format when its name does not tell"},
    )
    source_job = fields.String(
        validate=validate.Length(min=1, max=64),
        metadata={"description": "the job whose captions this file is a corrected version of (kept as a link)"},
    )


class UploadProvider(Provider):
    """Import an existing caption file (SRT, WebVTT, SBV, TTML/DFXP or our JSON)."""

    params_schema = UploadParams
    synchronous = True
    input_kind = "captions"

    def submit(self, job: JobView) -> Submission:
        if job.open_media is None:
            raise PermanentProviderError("no caption file was uploaded with this job")
        with job.open_media() as path:
            data = path.read_bytes()
            suffix = path.suffix.lstrip(".").lower()
        fmt = job.provider_params.get("format") or (suffix if suffix in formats.INPUT_TYPES else None)
        try:
            captions = formats.read(data, fmt=fmt, language=job.language)
        except formats.CaptionFormatError as exc:
            raise PermanentProviderError(f"caption file cannot be read: {exc}") from exc
        if not captions.cues and captions.warnings:  # every cue was broken: say why, by the first one
            raise PermanentProviderError(f"caption file has no readable cue: {captions.warnings[0]}")
        details: dict[str, object] = {"input_format": fmt or "detected", "cues": len(captions.cues)}
        if captions.warnings:
            details["skipped"] = {"count": len(captions.warnings), "first": [str(w) for w in captions.warnings[:5]]}
        if (fmt or formats.sniff(decode(data))) == "vtt":
            issues = formats.validate_webvtt(data)
            details["input_issues"] = {"count": len(issues), "first": [str(i) for i in issues[:MAX_ISSUES_SHOWN]]}
        status = ProviderStatus("done", details=f"imported {len(captions.cues)} cues")
        return Submission(reference={}, status=status, result=CaptionResult(captions, details=details))
