"""The newsroom console at ``/console``: jobs with live progress, a job page with the captions
playing on the video, a new-job form, caption fixes and statistics.

Server-rendered pages with a little JavaScript; every asset is served from here. Login is an
API key kept in the signed session cookie (:mod:`gateway.console.session`), the key's scopes
apply, and every form carries a CSRF token. Actions run the API's own operations
(:mod:`gateway.console.actions`), so a job made here is made exactly as ``POST /captions``
makes one.
"""

from __future__ import annotations

import io
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException

import formats
from gateway.api import captions as captions_api
from gateway.api import services
from gateway.auth import current_key, required_scope
from gateway.console import actions
from gateway.console import session as console_session
from gateway.console.forms import CueEditError, captions_from_form, cue_rows, param_fields, params_from_form
from gateway.console.stats import COUNTED_JOBS, statistics, status_counts
from gateway.models import STATUSES, Job
from storage import ObjectNotFound, StorageError, content_type_for

blueprint = Blueprint("console", __name__, url_prefix="/console", template_folder="templates", static_folder="static")
blueprint.record_once(lambda state: console_session.configure(state.app))

OPEN_ENDPOINTS = ("console.login", "console.static")
LIST_FILTERS = ("status", "provider", "parent_id", "created_after", "created_before", "cursor")
STATS_DAYS = (1, 7, 30, 90)


@blueprint.before_request
def require_login() -> Any:
    """A session for every page but the login; its key's scope; a CSRF token on every POST."""
    if not current_app.secret_key:
        abort(503, "the console needs GATEWAY_SECRET_KEY to sign its session cookie")
    if request.method == "POST" and not console_session.csrf_ok(request.form.get(console_session.CSRF_FIELD)):
        abort(400, "the form has expired or did not come from the console; reload the page and try again")
    if request.endpoint in OPEN_ENDPOINTS:
        return None
    key = console_session.logged_in_key()
    if key is None:
        console_session.log_out()
        if request.accept_mimetypes.best == "application/json" or request.endpoint == "console.job_status":
            abort(401, "log in again")
        return redirect(url_for("console.login", next=request.full_path))
    if request.endpoint != "console.logout" and not key.allows(required_scope(request.method)):
        abort(403, f"the API key {key.name!r} lacks the {required_scope(request.method)!r} scope")
    g.api_key = key
    return None


@blueprint.app_template_global()
def csrf_token() -> str:
    return console_session.csrf_token()


@blueprint.errorhandler(HTTPException)
def error_page(error: HTTPException) -> tuple[str, int]:
    return render_template("console/error.html", error=error), error.code or 500


# -- login ---------------------------------------------------------------------------------


@blueprint.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("console/login.html", next=request.args.get("next", ""))
    key = console_session.log_in(request.form.get("api_key", ""))
    if key is None:
        return render_template("console/login.html", error="That is not an API key of this gateway."), 401
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/console") else url_for("console.jobs"))


@blueprint.route("/logout", methods=["POST"])
def logout() -> Response:
    console_session.log_out()
    flash("You are logged out.")
    return redirect(url_for("console.login"))


# -- the job list --------------------------------------------------------------------------


@blueprint.route("/", strict_slashes=False)  # /console as well as /console/
def jobs() -> str:
    query = {name: request.args[name] for name in LIST_FILTERS if request.args.get(name)}
    try:
        page = actions.job_page(query)
    except actions.Refused as exc:
        flash(exc.message)
        page = {"jobs": [], "next_cursor": None}
    key = current_key()
    counts = status_counts(services().store, None if key.admin else key.name)
    return render_template(
        "console/jobs.html",
        page=page,
        filters=query,
        counts=counts,
        counted=COUNTED_JOBS,
        statuses=STATUSES,
        providers=sorted(services().registry.enabled()),
    )


@blueprint.route("/status")
def job_status() -> Response:
    """Status and progress of the jobs named by ``id`` (the pages poll it)."""
    out = {}
    for job_id in request.args.getlist("id")[:200]:
        try:
            job = actions.job(job_id)
        except actions.Refused:
            continue
        out[job_id] = {k: job[k] for k in ("status", "progress", "details", "done", "error")}
    return jsonify(jobs=out)


# -- one job -------------------------------------------------------------------------------


@blueprint.route("/jobs/<job_id>")
def job(job_id: str) -> str:
    job = captions_api.get_job_or_404(job_id)
    view = actions.job(job_id)
    captions = read_captions(job)
    return render_template(
        "console/job.html",
        job=view,
        cues=cue_rows(captions) if captions else [],
        video=video_source(job),
        violations=violations(job.quality),
        provider=provider_description(job.provider),
        fix_of=fix_source(job),
        fixes=fixes_of(job),
    )


def provider_description(provider_id: str) -> dict[str, Any]:
    entry = services().registry.entries.get(provider_id)
    return entry.describe() if entry is not None else {}


def fixes_of(job: Job) -> list[Job]:
    """The published fixes of ``job`` (they share its parent)."""
    siblings, _total = services().store.list_by_parent(job.parent_id, 0, 500)
    return [j for j in siblings if j.id != job.id and fix_source(j) == job.id]


def read_captions(job: Job) -> formats.Captions | None:
    """The job's captions from its first readable output, or ``None`` before there are any."""
    for output in sorted(job.outputs, key=lambda o: o.type != "vtt"):
        if output.type in formats.INPUT_TYPES:
            try:
                return formats.read(services().storage.get(output.key), fmt=output.type, language=job.language)
            except (StorageError, formats.CaptionFormatError):
                continue
    return None


def video_source(job: Job) -> str | None:
    """Where the page's ``<video>`` reads the media: the upload, the media URL, or for a fix
    (captions without media) the video of the job it fixes."""
    if job.media_key and not is_caption_input(job.provider) and services().storage.exists(job.media_key):
        return url_for("console.media", job_id=job.id)
    if job.media_url:
        return job.media_url
    source = fix_source(job)
    source_job = services().store.get(source) if source else None
    return video_source(source_job) if source_job is not None else None


def violations(quality: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Each linter check with findings: its name, count and the cue indices it names."""
    if not quality:
        return []
    found = []
    for name, check in quality.items():
        if isinstance(check, dict) and check.get("count"):
            found.append({"check": name.replace("_", " "), "count": check["count"], "cues": check.get("cues", [])})
    return found


def fix_source(job: Job) -> str | None:
    """The job a published fix corrects (its ``upload`` params name it)."""
    return job.provider_params.get("source_job") if job.provider == "upload" else None


@blueprint.route("/jobs/<job_id>/captions.vtt")
def track(job_id: str) -> Response:
    """The job's captions as WebVTT, for the video's ``<track>``."""
    captions = read_captions(captions_api.get_job_or_404(job_id))
    if captions is None:
        abort(404, "this job has no captions yet")
    return Response(formats.write(captions, "vtt"), content_type="text/vtt; charset=utf-8")


@blueprint.route("/jobs/<job_id>/media")
def media(job_id: str) -> Response:
    """The uploaded media, with byte ranges so that the video can seek."""
    job = captions_api.get_job_or_404(job_id)
    if not job.media_key:
        abort(404, "this job has no uploaded media")
    try:
        url = services().storage.url(job.media_key)
        if url:
            return redirect(url)
        data = services().storage.get(job.media_key)
    except ObjectNotFound:
        abort(404, "the uploaded media is gone (storage.keep_uploads is off)")
    except StorageError as exc:
        abort(503, f"storage unavailable: {exc}")
    return send_file(io.BytesIO(data), mimetype=content_type_for(job.media_key), conditional=True)


@blueprint.route("/jobs/<job_id>/download/<fmt>")
def download(job_id: str, fmt: str) -> Any:
    try:
        return captions_api.Download().get(job_id, fmt)
    except HTTPException as exc:
        flash(f"download refused: {getattr(exc, 'data', {}).get('message') or exc.description}")
        return redirect(url_for("console.job", job_id=job_id))


@blueprint.route("/jobs/<job_id>/cancel", methods=["POST"])
def cancel(job_id: str) -> Response:
    act(lambda: actions.cancel_job(job_id), "Cancelled.")
    return redirect(url_for("console.job", job_id=job_id))


@blueprint.route("/jobs/<job_id>/delete", methods=["POST"])
def delete(job_id: str) -> Response:
    if act(lambda: actions.delete_job(job_id), f"Deleted job {job_id}."):
        return redirect(url_for("console.jobs"))
    return redirect(url_for("console.job", job_id=job_id))


@blueprint.route("/jobs/<job_id>/retry", methods=["POST"])
def retry(job_id: str) -> Response:
    """A new job with the same request (and the same uploaded file)."""
    job = captions_api.get_job_or_404(job_id)
    files = {}
    if job.media_key:
        part = "caption_file" if is_caption_input(job.provider) else "media"
        try:
            files[part] = stored_file(job.media_key)
        except ObjectNotFound:
            flash("Cannot retry: the uploaded media is gone (storage.keep_uploads is off).")
            return redirect(url_for("console.job", job_id=job_id))
    created = act(lambda: actions.create_job(request_body(job), files), "")
    if created:
        flash(f"Retried as a new job {created['id']}.")
        return redirect(url_for("console.job", job_id=created["id"]))
    return redirect(url_for("console.job", job_id=job_id))


@blueprint.route("/jobs/<job_id>/publish", methods=["POST"])
def publish(job_id: str) -> Response:
    """The edited captions as a new version: an ``upload`` job on the same parent, linked to
    this one, so that this version stays and the linter runs on the new one."""
    job = captions_api.get_job_or_404(job_id)
    try:
        edited = captions_from_form(request.form, int(request.form.get("cue_count", "0")), job.language)
    except (CueEditError, ValueError) as exc:
        flash(f"not published: {exc}")
        return redirect(url_for("console.job", job_id=job_id))
    body = {**request_body(job), "provider": "upload", "provider_params": {"source_job": job_id}}
    body.pop("media_url", None)
    caption_file = FileStorage(io.BytesIO(formats.write(edited, "vtt")), filename="captions.vtt")
    created = act(lambda: actions.create_job(body, {"caption_file": caption_file}), "")
    if not created:
        return redirect(url_for("console.job", job_id=job_id))
    flash(f"Published the fixed captions as job {created['id']}.")
    return redirect(url_for("console.job", job_id=created["id"]))


def request_body(job: Job) -> dict[str, Any]:
    """The ``POST /captions`` body of the request that made ``job``."""
    body = {
        "parent_id": job.parent_id,
        "provider": job.provider,
        "media_url": job.media_url,
        "provider_params": dict(job.provider_params),
        "output_types": list(job.output_types),
        "language": job.language,
        "style": dict(job.style),
        "callback_url": job.callback_url,
        "job_type": job.job_type,
    }
    return {k: v for k, v in body.items() if v}


def stored_file(key: str) -> FileStorage:
    return FileStorage(io.BytesIO(services().storage.get(key)), filename=key.rsplit("/", 1)[-1])


def is_caption_input(provider_id: str) -> bool:
    entry = services().registry.entries.get(provider_id)
    return bool(entry and entry.cls and entry.cls.input_kind == "captions")


def act(action, done_message: str) -> Any:
    """Run an API action; flash its refusal (``None``) or ``done_message``; return its answer or True."""
    try:
        answer = action()
    except actions.Refused as exc:
        flash(f"refused: {exc.message}")
        return None
    if done_message:
        flash(done_message)
    return answer if answer is not None else True


# -- a new job -----------------------------------------------------------------------------


@blueprint.route("/new", methods=["GET", "POST"])
def new_job() -> Any:
    providers = [p for p in actions.providers() if p.get("enabled")]
    fields = {p["id"]: param_fields(p["id"], p.get("params_schema") or {}) for p in providers}
    if request.method == "POST":
        created = act(lambda: actions.create_job(*new_job_request(fields)), "")
        if created:
            flash(f"Created job {created['id']}.")
            return redirect(url_for("console.job", job_id=created["id"]))
    return render_template(
        "console/new.html",
        providers=providers,
        param_fields=fields,
        output_types=formats.OUTPUT_TYPES,
        profiles=sorted(formats.PROFILES),
        form=request.form,
    )


def new_job_request(fields: dict[str, list]) -> tuple[dict[str, Any], dict[str, FileStorage]]:
    """The ``POST /captions`` request the new-job form describes: its body and its file part."""
    form = request.form
    provider = form.get("provider", "")
    body: dict[str, Any] = {
        name: form.get(name, "").strip() for name in ("parent_id", "provider", "media_url", "language", "style")
    }
    body["output_types"] = form.getlist("output_types")
    body["provider_params"] = params_from_form(fields.get(provider, []), form)
    body = {k: v for k, v in body.items() if v}
    upload = request.files.get("media")
    files = {}
    if upload is not None and upload.filename:
        files["caption_file" if is_caption_input(provider) else "media"] = upload
    return body, files


# -- statistics ----------------------------------------------------------------------------


@blueprint.route("/stats")
def stats() -> str:
    days = request.args.get("days", "30")
    days_n = int(days) if days.isdigit() and int(days) in STATS_DAYS else 30
    key = current_key()
    return render_template(
        "console/stats.html",
        stats=statistics(services().store, None if key.admin else key.name, days_n),
        choices=STATS_DAYS,
    )
