"""Amara (amara.org): human captioning and review of existing captions, through the Amara API.

Amara has no jobs: it has videos, their subtitle languages and the versions of each language. A
job of ours is one language of one Amara video, and its state is derived from that language:

    no version yet                         queued       (the team has not started)
    versions, ``subtitles_complete`` false processing   (in review / being captioned)
    ``subtitles_complete`` true            done

Submitting creates the video (or reuses the team's video of the same media URL, so a retried
submit never creates a second one), makes sure the language exists, optionally uploads captions
to review (``subtitles_url``, or another job's output through ``source_job``) as a draft that
leaves the language incomplete, and asks for an editor link for the reviewer (``ReviewURL``).
Amara's team notifications are unsigned and enterprise-only, so the gateway polls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import marshmallow as ma
import requests
from marshmallow import fields, validate

import formats
from providers.base import (
    DONE,
    PROCESSING,
    QUEUED,
    CallbackRequest,
    CaptionResult,
    JobView,
    Provider,
    ProviderStatus,
    Submission,
)
from providers.errors import PermanentProviderError, TransientProviderError
from providers.http import call, json_body, require

SERVICE = "Amara"

#: Opts into the current API (answers and field names used here).
API_FUTURE = "20190619"

#: Caption formats Amara reads from an upload and that the gateway can produce for review.
UPLOAD_FORMATS = ("vtt", "srt", "dfxp", "sbv")

#: The action that saves an uploaded version without completing the language. Without an action
#: a new version marks the language complete, and Amara would call the review done at once.
DRAFT_ACTION = "save-draft"

#: Page size asked of list calls: a video's languages fit on one page.
LIST_LIMIT = 100


class AmaraParams(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    subtitles_url = fields.Url(
        metadata={"description": "URL of existing captions Amara fetches and puts up for human review"}
    )
    source_job = fields.String(
        validate=validate.Length(min=1),
        metadata={"description": "id of another job of this gateway whose output is sent for review"},
    )
    source_format = fields.String(
        load_default="vtt",
        validate=validate.OneOf(UPLOAD_FORMATS),
        metadata={"description": "format of the captions to review (subtitles_url or source_job's output)"},
    )
    title = fields.String(
        validate=validate.Length(min=1, max=2048),
        metadata={"description": "title of the Amara video (default: the job id)"},
    )
    video_id = fields.String(
        validate=validate.Length(min=1),
        metadata={"description": "an existing Amara video to work on instead of creating one"},
    )
    reviewer = fields.String(
        validate=validate.Length(min=1),
        metadata={"description": "Amara username the editor link is made for (default: the username setting)"},
    )
    project = fields.String(
        validate=validate.Length(min=1),
        metadata={"description": "team project slug for a new video (default: the project setting)"},
    )

    @ma.validates_schema
    def _one_source(self, data: dict[str, Any], **_kwargs: Any) -> None:
        if "subtitles_url" in data and "source_job" in data:
            raise ma.ValidationError("give subtitles_url or source_job, not both", "source_job")


class AmaraProvider(Provider):
    """Amara: human captioning or human review of existing captions by an Amara team.

    Settings: ``api_key`` (environment only), ``username``, ``team``, ``project``, ``base_url``,
    ``timeout_s``, and the polling timings ``poll_initial``, ``poll_factor``,
    ``poll_max_interval``, ``max_wait`` (seconds).
    """

    params_schema = AmaraParams
    native_formats = frozenset({"vtt", "srt"})
    supports_callback = False
    # People review: the first look after ten minutes, then ever less often, up to every 30 min.
    poll_initial = 600.0
    poll_factor = 1.5
    poll_max_interval = 1800.0
    max_wait = 30 * 24 * 3600.0
    required_settings = ("api_key",)

    def __init__(self, settings: Mapping[str, Any] | None = None, session: requests.Session | None = None) -> None:
        super().__init__(settings, session)
        self.base_url = str(self.settings.get("base_url") or "https://amara.org/api").rstrip("/")
        self.timeout_s = float(self.settings.get("timeout_s", 30))

    # -- the job's life ----------------------------------------------------------------------

    def submit(self, job: JobView) -> Submission:
        params = job.provider_params
        review_source = self._review_source(job)  # first: a missing source job fails before anything is made
        video_id = params.get("video_id") or self._find_or_create_video(job)
        self._ensure_language(video_id, job.language)
        if review_source is not None:
            self._upload_draft(video_id, job.language, review_source, params.get("source_format", "vtt"))
        reference: dict[str, Any] = {"ProviderID": video_id}
        review_url = self._editor_link(video_id, job.language, params.get("reviewer") or self.settings.get("username"))
        if review_url:
            reference["ReviewURL"] = review_url
        info = {"ReviewURL": review_url} if review_url else {}
        if review_source is not None:
            status = ProviderStatus(PROCESSING, details="in review", reference=reference, info=info)
        else:
            status = ProviderStatus(QUEUED, details="waiting for captions", reference=reference, info=info)
        return Submission(reference=reference, status=status)

    def check(self, job: JobView) -> ProviderStatus:
        language = self._language(job)
        versions = language["versions"] or []
        if not isinstance(versions, list):
            raise PermanentProviderError(f"{SERVICE} answered a language whose versions are not a list")
        if language["subtitles_complete"]:
            return ProviderStatus(DONE, details="complete", progress=100)
        if not versions:
            return ProviderStatus(QUEUED, details="waiting for captions")
        return ProviderStatus(PROCESSING, details=f"in review ({len(versions)} versions)")

    def fetch(self, job: JobView) -> CaptionResult:
        """The latest version as WebVTT, and the other native formats of that same version."""
        latest = self._subtitles(job, "vtt")
        version = latest["version_number"]
        native = {"vtt": latest["subtitles"].encode("utf-8")}
        for fmt in sorted(self.native_formats - {"vtt"}):
            native[fmt] = self._subtitles(job, fmt, version)["subtitles"].encode("utf-8")
        try:
            captions = formats.read(native["vtt"], "vtt", language=job.language)
        except formats.CaptionFormatError as exc:
            raise PermanentProviderError(f"{SERVICE} returned unreadable captions: {exc}") from exc
        if not captions.cues:  # a version being saved, most likely: the gateway asks again
            raise TransientProviderError(f"{SERVICE} returned version {version} of the captions without a cue")
        details: dict[str, Any] = {
            "language": job.language,
            "video_id": job.provider_params["ProviderID"],
            "version_number": version,
        }
        if job.provider_params.get("ReviewURL"):
            details["ReviewURL"] = job.provider_params["ReviewURL"]
        return CaptionResult(captions, native=native, details=details)

    def parse_callback(self, job: JobView, request: CallbackRequest) -> ProviderStatus | None:
        """A team notification (``subtitles-published``): unsigned, so it only prompts a ``check``."""
        data = request.json if isinstance(request.json, dict) else request.form
        video_id = data.get("video_id")
        if video_id is not None and str(video_id) != str(job.provider_params.get("ProviderID")):
            raise PermanentProviderError(f"{SERVICE} notification is about another video")
        return None

    # -- the steps ---------------------------------------------------------------------------

    def _review_source(self, job: JobView) -> str | None:
        """The URL of the captions to review, if the job has any."""
        params = job.provider_params
        if params.get("subtitles_url"):
            return str(params["subtitles_url"])
        if not params.get("source_job"):
            return None
        if job.output_url is None:
            raise PermanentProviderError("source_job needs the gateway's output URLs, which this call was not given")
        return job.output_url(str(params["source_job"]), params.get("source_format", "vtt"))

    def _find_or_create_video(self, job: JobView) -> str:
        """The team's video of the job's media URL: found (a retried submit) or created.

        Amara keeps one video per media URL, so jobs for the same media share the video.
        """
        if not job.media_url:
            raise PermanentProviderError(f"{SERVICE} needs a media URL it can fetch")
        team = self.settings.get("team")
        query = {"video_url": job.media_url, **({"team": team} if team else {})}
        found = _objects(self._get("/videos/", params=query))
        if found and found[0].get("id"):
            return str(found[0]["id"])
        body = {
            "video_url": job.media_url,
            "title": job.provider_params.get("title") or job.id,
            "primary_audio_language_code": job.language,
        }
        project = job.provider_params.get("project") or self.settings.get("project")
        body.update({k: v for k, v in (("team", team), ("project", project)) if v})
        return str(require(self._send("POST", "/videos/", body), SERVICE, "id")["id"])

    def _ensure_language(self, video_id: str, language_code: str) -> None:
        listed = _objects(self._get(f"/videos/{_seg(video_id)}/languages/", params={"limit": LIST_LIMIT}))
        codes = {entry.get("language_code") for entry in listed}
        if language_code not in codes:
            self._send("POST", f"/videos/{_seg(video_id)}/languages/", {"language_code": language_code})

    def _upload_draft(self, video_id: str, language_code: str, subtitles_url: str, sub_format: str) -> None:
        """Upload captions for review, leaving the language incomplete.

        ``sub_format`` is always sent (Amara reads an upload as DFXP otherwise). The upload is a
        draft, and the language is then explicitly set back to incomplete, as a team's own
        workflow may still complete it on a new version.
        """
        language_path = f"/videos/{_seg(video_id)}/languages/{_seg(language_code)}/"
        body = {"subtitles_url": subtitles_url, "sub_format": sub_format, "action": DRAFT_ACTION}
        self._send("POST", language_path + "subtitles/", body)
        self._send("PUT", language_path, {"subtitles_complete": False})

    def _editor_link(self, video_id: str, language_code: str, user: str | None) -> str | None:
        if not user:
            return None
        body = {"video_id": video_id, "user": user, "language_code": language_code}
        return str(require(self._send("POST", "/editor-login/", body), SERVICE, "url")["url"])

    def _language(self, job: JobView) -> dict[str, Any]:
        return require(self._get_language_part(job, ""), SERVICE, "subtitles_complete", "versions")

    def _subtitles(self, job: JobView, fmt: str, version: int | None = None) -> dict[str, Any]:
        """Version ``version`` (None: the latest) of the job's language in ``fmt``, from Amara's
        JSON envelope. An empty file is a version being saved, most likely: asked again later."""
        params = {"sub_format": fmt} | ({"version_number": version} if version is not None else {})
        subtitles = require(self._get_language_part(job, "subtitles/", params), SERVICE, "subtitles", "version_number")
        if not isinstance(subtitles["subtitles"], str) or not subtitles["subtitles"].strip():
            raise TransientProviderError(f"{SERVICE} returned no {fmt} captions for {job.language}")
        return subtitles

    def _get_language_part(self, job: JobView, part: str, params: dict[str, Any] | None = None) -> Any:
        """``GET`` of the job's subtitle language (``part`` below it); a 404 says what was deleted."""
        video_id = job.provider_params["ProviderID"]
        try:
            return self._get(f"/videos/{_seg(video_id)}/languages/{_seg(job.language)}/{part}", params=params)
        except PermanentProviderError as exc:
            if exc.status != 404:
                raise
            raise PermanentProviderError(
                f"{SERVICE} has no {job.language} subtitles for video {video_id} any more: the video or the "
                f"language was deleted at {SERVICE} ({exc})"
            ) from exc

    # -- HTTP --------------------------------------------------------------------------------

    def _headers(self) -> dict[str, str]:
        headers = {"X-api-key": str(self.settings.get("api_key") or ""), "X-API-FUTURE": API_FUTURE}
        if self.settings.get("username"):
            headers["X-api-username"] = str(self.settings["username"])
        return headers

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params)

    def _send(self, method: str, path: str, body: dict[str, Any]) -> Any:
        return self._request(method, path, json=body)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        """One API call (``path`` with its trailing slash); the answer's JSON."""
        response = call(
            self.session,
            method,
            self.base_url + path,
            service=SERVICE,
            timeout=self.timeout_s,
            error_message=drf_error_message,
            headers=self._headers(),
            **kwargs,
        )
        return json_body(response, SERVICE)


def _objects(page: Any) -> list[dict[str, Any]]:
    """The objects of one page of an Amara list (``{"meta": {...}, "objects": [...]}``)."""
    objects = require(page, SERVICE, "objects")["objects"]
    if not isinstance(objects, list) or not all(isinstance(entry, dict) for entry in objects):
        raise PermanentProviderError(f"{SERVICE} answered a list whose objects are not objects")
    return objects


def _seg(value: Any) -> str:
    """One path segment, quoted: ids and language codes come from job data."""
    return quote(str(value), safe="")


def drf_error_message(response: requests.Response) -> str | None:
    """Amara's own words from a Django REST framework error body.

    ``{"detail": "..."}`` for most errors; a refused body lists its fields instead:
    ``{"video_url": ["..."], "non_field_errors": ["..."]}``.
    """
    data = response.json()
    if not isinstance(data, dict):
        return None
    if data.get("detail"):
        return str(data["detail"])
    problems = [
        f"{name}: {' '.join(map(str, words)) if isinstance(words, list) else words}" for name, words in data.items()
    ]
    return "; ".join(problems) or None


__all__ = ["AmaraParams", "AmaraProvider", "drf_error_message"]
