"""Caption jobs: create, read, list by parent, download, transcript, cancel, delete.

A key sees only the jobs it created unless it has the ``admin`` scope; another key's job is
answered 404, as if it did not exist.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Mapping
from typing import Any, BinaryIO

import marshmallow as ma
from flask import Response, redirect, request, stream_with_context, url_for
from flask.views import MethodView
from flask_smorest import abort
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

import formats
from gateway import netguard, openapi, retention, tasks
from gateway.api import Blueprint, services
from gateway.auth import API_KEY_HEADER, check_media_token, check_output_token, current_key, key_scope, may_see
from gateway.models import CANCELLED, DONE, Job
from gateway.redisconn import REDIS_DOWN
from gateway.schemas import LANGUAGE, PARENT_ID, CaptionRequestSchema, JobSchema, first_error
from gateway.services import Services
from gateway.store import IdempotencyConflict
from storage import ObjectNotFound, StorageError, content_type_for

log = logging.getLogger(__name__)
blp = Blueprint("captions", __name__, description="Caption jobs")
PAGE_SIZE = 50
FILE_PARTS = ("media", "caption_file")  # the multipart file parts POST /captions reads
FORMAT_LIST = "^({0})(,({0}))*$".format("|".join(formats.OUTPUT_TYPES))
MULTIPART_BODY = {
    "type": "object",
    "required": ["parent_id", "provider"],
    "additionalProperties": False,
    "properties": {
        "parent_id": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": PARENT_ID},
        "provider": {"type": "string"},
        "media_url": {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 4096},
        "output_types": {"type": "string", "pattern": FORMAT_LIST, "description": "comma-separated, e.g. vtt,srt"},
        "language": {"type": "string", "default": "en", "pattern": LANGUAGE.pattern},
        "provider_params": {"type": "string", "description": "a JSON object"},
        "style": {"type": "string", "enum": sorted(formats.PROFILES), "description": "a profile name"},
        "callback_url": {"type": "string", "format": "uri", "pattern": "^https?://", "maxLength": 4096},
        "job_type": {"type": "string", "maxLength": 100},
        "media": {"type": "string", "format": "binary", "description": "the video or audio to caption"},
        "caption_file": {"type": "string", "format": "binary", "description": "captions, for the upload provider"},
    },
}
IDEMPOTENCY_HEADER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "maxLength": 200},
    "description": "the same key and body return the first job instead of creating another",
}
# The request body may be JSON or multipart; document it as JSON, parse either.
blp.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING = {
    **blp.DEFAULT_LOCATION_CONTENT_TYPE_MAPPING,
    "json_or_form": "application/json",
}


def get_job_or_404(job_id: str, owned: bool = True) -> Job:
    """The job, or 404 when it does not exist, is being deleted or (``owned``) is another key's."""
    store = services().store
    job = store.get(job_id)
    if job is None or store.is_deleting(job_id) or (owned and not may_see(job.created_by)):
        abort(404, message=f"no job {job_id}")
    return job


@blp.route("/captions")
class Captions(MethodView):
    @blp.arguments(CaptionRequestSchema(), location="json_or_form")
    @blp.doc(
        parameters=[IDEMPOTENCY_HEADER],
        requestBody={
            "content": {"multipart/form-data": {"schema": {"$ref": "#/components/schemas/CaptionRequestMultipart"}}}
        },
    )
    @blp.response(201, JobSchema)
    @blp.alt_response(200, schema=JobSchema, description="the job an earlier request with this Idempotency-Key made")
    def post(self, args: dict[str, Any]):
        """Create a caption job.

        JSON, or multipart/form-data with the same fields (objects as JSON text) plus a `media`
        file part (the video or audio to caption) or a `caption_file` part (for `upload`).
        Send an `Idempotency-Key` header to make retries safe: the same key and body return
        the first job instead of ordering twice.
        """
        idem_key = request.headers.get("Idempotency-Key")
        idempotency = (key_scope(request.headers.get(API_KEY_HEADER, "")), idem_key[:200]) if idem_key else None
        job, created = create_job(services(), args, request.files, idempotency)
        if not created:  # an earlier request with this Idempotency-Key made the job
            return job, 200
        return job, 201, {"Location": url_for("captions.Job", job_id=job.id)}


def create_job(
    svc: Services,
    args: dict[str, Any],
    files: Mapping[str, FileStorage],
    idempotency: tuple[str, str] | None = None,
) -> tuple[Job, bool]:
    """Check, store and queue the job a loaded ``CaptionRequestSchema`` body and its file parts
    describe, for the current key: ``POST /captions`` and the console both make jobs here.

    ``idempotency`` is the (client, Idempotency-Key) pair a retried request repeats. Returns the
    job and whether it is new (False: an earlier request with that pair made it). A refusal is
    an ``abort`` with the status and message the API answers.
    """
    refuse_unknown_file_parts(files)
    provider_cls = provider_class_or_400(svc, args["provider"])
    params = args["provider_params"]
    if args["job_type"] and "job_type" in svc.provider(args["provider"]).params_schema().fields:
        params.setdefault("job_type", args["job_type"])  # a provider that reads it checks it, too
    args["provider_params"] = validate_provider_params(svc, args["provider"], params, args["language"])
    if args["job_type"]:  # NYT's adapters read the job type; ours find it with the params
        args["provider_params"].setdefault("job_type", args["job_type"])
    check_urls(svc, args)
    media = read_input(svc, provider_cls, args, files)
    limit = svc.config["api"]["max_queue_length"]
    if svc.queue_length(provider_cls.queue) >= limit:
        abort(429, message=f"the {provider_cls.queue} queue is full ({limit} jobs); try again later")

    job = job_from_request(args)
    job.style = job.style or {"profile": svc.config["captions"]["style"]}
    request_fingerprint = fingerprint(args, media)
    if media is not None:
        job.media_key = f"uploads/{job.id}/{media[0]}"
        put_or_503(svc, job.media_key, media[1])
    try:
        stored, created = svc.store.create(
            job,
            idempotency,
            request_fingerprint,
            svc.config["api"]["idempotency_ttl_s"],
            also=lambda pipe: tasks.enqueue(svc, tasks.dispatch, job.id, queue=provider_cls.queue, pipeline=pipe),
        )
    except IdempotencyConflict as exc:
        discard_upload(svc, job)
        abort(422, message=str(exc))
    except REDIS_DOWN:  # no job: its upload must not stay behind (503 follows)
        discard_upload(svc, job)
        raise
    if not created:
        discard_upload(svc, job)
        return stored, False
    svc.metrics.inc("jobs_created", provider=job.provider)
    log.info("job created", extra=tasks.job_log_fields(job))
    return job, True


def job_from_request(args: dict[str, Any]) -> Job:
    """The new job a loaded ``CaptionRequestSchema`` body describes."""
    return Job(
        parent_id=args["parent_id"],
        provider=args["provider"],
        media_url=args["media_url"],
        provider_params=args["provider_params"],
        output_types=args["output_types"],
        language=args["language"],
        callback_url=args["callback_url"],
        style=style_dict(args["style"]),
        job_type=args["job_type"],
        created_by=current_key().name,
    )


def refuse_unknown_file_parts(files: Mapping[str, FileStorage]) -> None:
    """A multipart part under a name the API does not read is an error, never ignored."""
    unknown = sorted(set(files) - set(FILE_PARTS))
    if unknown:
        errors = {name: [f"Unknown file part {name!r}; file parts are {' and '.join(FILE_PARTS)}"] for name in unknown}
        message = f"unknown multipart file part {unknown[0]!r}; file parts are {' and '.join(FILE_PARTS)}"
        abort(400, message=message, errors={"files": errors})


def provider_class_or_400(svc: Services, provider_id: str):
    entry = svc.registry.entries.get(provider_id)
    if entry is None:
        installed = ", ".join(sorted(svc.registry.enabled())) or "none"
        abort(400, message=f"unknown provider {provider_id!r}; installed: {installed}")
    if entry.cls is None:
        abort(400, message=f"provider {provider_id!r} is disabled: {entry.disabled_reason}")
    return entry.cls


def validate_provider_params(svc: Services, provider_id: str, params: dict[str, Any], language: str) -> dict[str, Any]:
    """The provider's own params, loaded; then the provider's word on the whole job (a language
    its model cannot transcribe, say). Either refusal is a 422 that says what to change."""
    provider = svc.provider(provider_id)
    try:
        loaded = provider.load_params(params)
    except ma.ValidationError as exc:
        message = f"invalid provider_params: {first_error(exc.messages)}"
        abort(422, message=message, errors={"json": {"provider_params": exc.messages}})
    try:
        provider.validate_job(language, loaded)
    except ma.ValidationError as exc:
        abort(422, message=f"{provider_id} cannot take this job", errors={"json": exc.messages})
    return loaded


def check_urls(svc: Services, args: dict[str, Any]) -> None:
    for name in ("media_url", "callback_url"):
        if args.get(name):
            try:
                netguard.check_url(args[name], allow=svc.allow_networks)
            except netguard.UnsafeURL as exc:
                abort(400, message=f"{name} refused: {exc}")


def read_input(
    svc: Services, provider_cls, args: dict[str, Any], files: Mapping[str, FileStorage]
) -> tuple[str, bytes | BinaryIO] | None:
    """The uploaded file to keep with the job, as (safe name, bytes or stream), after checking it."""
    if provider_cls.input_kind == "captions":
        name, data = caption_file_or_400(svc, args, files)
        try:
            formats.read(data, fmt=args["provider_params"].get("format") or guess_format(name))
        except formats.CaptionFormatError as exc:
            abort(400, message=f"caption_file cannot be read: {exc}")
        return name, data
    if "media" in files:
        upload = files["media"]  # werkzeug spools large parts to a temporary file
        name = secure_filename(upload.filename or "") or "media.bin"
        return name, upload.stream
    if not args.get("media_url"):
        abort(400, message="media_url is required (or send the media as a multipart 'media' file part)")
    return None


def caption_file_or_400(svc: Services, args: dict[str, Any], files: Mapping[str, FileStorage]) -> tuple[str, bytes]:
    limit = svc.config["api"]["max_body_bytes"]
    if "caption_file" in files:
        upload = files["caption_file"]
        data = upload.read(limit + 1)
        name = upload.filename or "captions"
    elif args.get("caption_file"):
        name = args["caption_file"]["name"]
        try:
            data = base64.b64decode(args["caption_file"]["file"], validate=True)
        except (binascii.Error, ValueError):
            abort(400, message="caption_file.file is not valid base64")
    else:
        abort(400, message="caption_file is required for this provider ({name, file (base64)} or a multipart part)")
    if len(data) > limit:
        abort(413, message=f"caption_file over {limit} bytes")
    return secure_filename(name) or "captions", data


def guess_format(name: str) -> str | None:
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return ext if ext in formats.INPUT_TYPES else None


def style_dict(style: Any) -> dict[str, Any]:
    if style is None:
        return {}
    return {"profile": style} if isinstance(style, str) else dict(style)


def fingerprint(args: dict[str, Any], media: tuple[str, bytes | BinaryIO] | None) -> str:
    """What makes two requests the same, for ``Idempotency-Key``: the fields and the file's bytes."""
    digest = hashlib.sha256(json.dumps(args, sort_keys=True, default=str).encode())
    if media is not None:
        data = media[1]
        if isinstance(data, bytes):
            digest.update(data)
        else:
            for chunk in iter(lambda: data.read(1 << 20), b""):
                digest.update(chunk)
            data.seek(0)
    return digest.hexdigest()


def discard_upload(svc: Services, job: Job) -> None:
    """Remove the media stored for a job that was not created after all (what cannot be removed
    now, the sweep of uploads without a job removes later)."""
    if not job.media_key:
        return
    try:
        svc.storage.delete(job.media_key)
    except StorageError as exc:
        log.warning("upload %s of a job never created stays until the next sweep: %s", job.media_key, exc)


def put_or_503(svc: Services, key: str, data: bytes | BinaryIO) -> None:
    try:
        svc.storage.put(key, data, content_type_for(key))
    except StorageError as exc:
        abort(503, message=f"storage unavailable: {exc}")


@blp.route("/captions/<parent_id>")
class ParentJobs(MethodView):
    @blp.response(200, JobSchema(many=True))
    @blp.paginate(page_size=PAGE_SIZE, max_page_size=500)
    def get(self, parent_id: str, pagination_parameters):
        """The jobs of one parent (a video in the CMS), oldest first; 404 when it has none.

        A JSON array, as NYT's API answers; `page` and `page_size` select a page and the
        `X-Pagination` header tells the total.
        """
        p = pagination_parameters
        key = current_key()
        owner = None if key.admin else key.name
        jobs, total = services().store.list_by_parent(parent_id, p.first_item, p.page_size, owner=owner)
        if total == 0:
            abort(404, message=f"no jobs for parent {parent_id}")
        p.item_count = total
        return jobs


@blp.route("/jobs/<job_id>", endpoint="Job")
class JobResource(MethodView):
    @blp.response(200, JobSchema)
    def get(self, job_id: str):
        """A job. Reading has no side effects: it shows what the workers recorded."""
        return get_job_or_404(job_id)

    @blp.response(204)
    def delete(self, job_id: str):
        """Delete a job, its outputs and its media (a running job is cancelled first).

        Idempotent: deleting a job that is gone answers 204 too; reading it answers 404.
        """
        delete_job(services(), job_id)
        return None


def delete_job(svc: Services, job_id: str) -> None:
    """Delete a job the current key may see (one that is gone, or another key's, is left as it is)."""
    job = svc.store.get(job_id)
    if job is None or not may_see(job.created_by):
        return  # gone, or another key's job: as if it were not there
    try:
        deleted = retention.delete_job(svc, job_id)
    except StorageError as exc:
        abort(503, message=f"storage unavailable: {exc}")
    if not deleted:
        abort(409, message=f"job {job_id} is storing its captions right now; try again in a moment")


@blp.route("/jobs/<job_id>/cancel")
class CancelJob(MethodView):
    @blp.response(200, JobSchema)
    @blp.alt_response(409, description="the job has already finished")
    def post(self, job_id: str):
        """Cancel a job; the provider is told when it can stop. 409 once done or failed."""
        return cancel_job(services(), job_id)


def cancel_job(svc: Services, job_id: str) -> Job:
    """Cancel a job of the current key's and tell its provider; 409 once it has finished."""
    job = get_job_or_404(job_id)
    if job.status == CANCELLED:
        return job
    cancelled = svc.store.transition(job_id, CANCELLED, details="cancelled by request")
    if cancelled is None:
        abort(409, message=f"job {job_id} has already finished ({svc.store.get(job_id).status})")
    tasks.enqueue(svc, tasks.cancel_remote, job_id)
    tasks.on_finished(svc, cancelled)
    return cancelled


def stored_output(job_id: str, fmt: str, owned: bool = True) -> tuple[Job, str]:
    job = get_job_or_404(job_id, owned)
    for output in job.outputs:
        if output.type == fmt:
            return job, output.key
    if job.status == CANCELLED:
        abort(409, message=f"job {job_id} was cancelled; it has no captions")
    if job.status != DONE:
        abort(409, message=f"job {job_id} is {job.status}; captions are not ready")
    abort(404, message=f"job {job_id} has no {fmt} output (it has: {', '.join(o.type for o in job.outputs)})")


@blp.route("/jobs/<job_id>/download/<fmt>")
class Download(MethodView):
    @blp.doc(parameters=[openapi.OUTPUT_FORMAT])
    @blp.response(200, description="the caption file")
    @blp.alt_response(302, description="redirect to a time-limited storage URL")
    def get(self, job_id: str, fmt: str):
        """Download a caption file: streamed, or a redirect to a presigned S3 URL."""
        _job, key = stored_output(job_id, fmt)
        try:
            url = services().storage.url(key)
        except StorageError as exc:
            abort(503, message=f"storage unavailable: {exc}")
        if url:
            return redirect(url, 302)
        return stream_object(services(), key)


def stream_object(svc: Services, key: str) -> Response:
    """A stored object as a streamed attachment (the first chunk is read before answering,
    so a missing object is a clean 404 rather than a broken 200)."""
    try:
        chunks = svc.storage.open(key)
        first = next(chunks, b"")
    except ObjectNotFound:
        abort(404, message="the stored file is missing")
    except StorageError as exc:
        abort(503, message=f"storage unavailable: {exc}")

    def body():
        yield first
        yield from chunks

    headers = {"Content-Disposition": f'attachment; filename="{key.rsplit("/", 1)[-1]}"'}
    return Response(stream_with_context(body()), content_type=content_type_for(key), headers=headers)


@blp.route("/jobs/<job_id>/media")
class JobMedia(MethodView):
    @blp.doc(security=[])
    @blp.response(200, description="the media file uploaded with the job")
    @blp.alt_response(403, description="bad token")
    def get(self, job_id: str):
        """The media uploaded with a job, for the provider working on it (per-job `token`, no API key)."""
        svc = services()
        if not check_media_token(svc.config["secret_key"], job_id, request.args.get("token")):
            abort(403, message="invalid media token")
        job = get_job_or_404(job_id, owned=False)
        if not job.media_key:
            abort(404, message=f"job {job_id} has no uploaded media")
        return stream_object(svc, job.media_key)


@blp.route("/jobs/<job_id>/output/<fmt>")
class JobOutput(MethodView):
    @blp.doc(security=[], parameters=[openapi.OUTPUT_FORMAT])
    @blp.response(200, description="the caption file")
    @blp.alt_response(403, description="bad token")
    def get(self, job_id: str, fmt: str):
        """One output of a finished job, for a provider reviewing it (per-output `token`, no API key)."""
        svc = services()
        if not check_output_token(svc.config["secret_key"], job_id, fmt, request.args.get("token")):
            abort(403, message="invalid output token")
        _job, key = stored_output(job_id, fmt, owned=False)
        return stream_object(svc, key)


@blp.route("/jobs/<job_id>/transcript/<fmt>")
class Transcript(MethodView):
    @blp.doc(parameters=[openapi.TRANSCRIPT_FORMAT])
    @blp.response(200, description="plain text")
    def get(self, job_id: str, fmt: str):
        """The plain-text transcript made from the stored captions of that format."""
        if fmt not in formats.INPUT_TYPES:
            abort(400, message=f"cannot make a transcript from {fmt}; use one of {', '.join(formats.INPUT_TYPES)}")
        job, key = stored_output(job_id, fmt)
        if job.quality is not None and job.quality.get("cues") == 0:  # nothing was said
            return Response("", content_type="text/plain; charset=utf-8")
        try:
            captions = formats.read(services().storage.get(key), fmt=fmt, language=job.language)
        except StorageError as exc:
            abort(503, message=f"storage unavailable: {exc}")
        except formats.CaptionFormatError as exc:  # a provider's own file that our reader refuses
            abort(422, message=f"the stored {fmt} captions cannot be read ({exc}); try another format")
        return Response(formats.transcript(captions), content_type="text/plain; charset=utf-8")
