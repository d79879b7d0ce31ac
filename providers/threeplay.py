"""3Play Media (API v3): ASR or human-verified captions, and review links for existing transcripts.

A job is two remote objects: a media file (``POST /files``, its ``reference_id`` is the gateway
job id) and a transcript ordered on it (``POST /transcripts/order/asr`` or
``/transcripts/order/transcription``). Each id is recorded on the job as soon as it is known
(``JobView.record``): ``ProviderFileID`` and ``ProviderID`` (the transcript, NYT's name), so
that a callback finds its order and a submit run again after its worker died goes on from there.
Where a worker died before an id was recorded (or 3Play's answer was lost), the rerun looks it up
(``GET /files?reference_id=``, then ``GET /transcripts?media_file_id=``), so it never creates a
second file or a second order.

With ``transcript_id`` in ``provider_params`` nothing is ordered: the job asks for an expiring
editing link of that transcript (``ReviewURL``) and follows it until it is complete.

Every answer is 3Play's envelope, ``{"code": 200, "data": ...}`` or
``{"code": N, "error": {"type", "message"}}``; an error envelope inside an HTTP 200 (a key of
another project: "no media found") is an error too.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import requests
from marshmallow import fields, validate

import formats
from providers.base import CallbackRequest, CaptionResult, JobView, Provider, ProviderStatus, Submission
from providers.errors import PermanentProviderError, TransientProviderError
from providers.http import call, json_body, require

SERVICE = "3play"
DEFAULT_BASE_URL = "https://api.3playmedia.com/v3"

#: 3Play's output format ids of the caption files it hands over as they are.
OUTPUT_FORMAT_IDS = {"srt": 7, "vtt": 139}

#: 3Play transcript status -> gateway state ("cancelled" is decided by :func:`_cancelled_status`).
STATES = {"pending": "queued", "in_progress": "processing", "complete": "done"}

#: Gateway language code -> 3Play ``language_id`` when provider_params gives none (setting ``language_ids``).
DEFAULT_LANGUAGE_IDS = {"en": 1, "auto": 1}

JOB_TYPES = ("captions", "transcript")
SECRET_SETTINGS = ("api_key", "api_key_captions", "api_key_transcript")


class ThreePlayParams(ma.Schema):
    """``provider_params`` of a 3Play job (what NYT's client sends, plus a few useful fields)."""

    class Meta:
        unknown = ma.RAISE

    job_type = fields.String(
        validate=validate.OneOf(JOB_TYPES),
        metadata={"description": "which API key orders the job: api_key_captions or api_key_transcript"},
    )
    turnaround_level_id = fields.Integer(
        validate=validate.Range(1, 6),
        metadata={"description": "human transcription at this turnaround (1 standard ... 6 two hour); none = ASR"},
    )
    transcript_id = fields.String(
        validate=validate.Length(1, 64),
        metadata={"description": "review mode: an editing link for this existing transcript instead of an order"},
    )
    hours_until_expiration = fields.Integer(
        validate=validate.Range(1, 24 * 30), metadata={"description": "lifetime of the review link (review mode)"}
    )
    name = fields.String(validate=validate.Length(1, 255), metadata={"description": "the media file's name"})
    reference_id = fields.String(
        validate=validate.Length(1, 200),
        metadata={"description": "ignored: the gateway job id is always the file's reference_id (resume key)"},
    )
    batch_id = fields.Integer(metadata={"description": "3Play folder (batch) to file the media in"})
    language_id = fields.Integer(
        validate=validate.Range(min=1), metadata={"description": "3Play language id; default from the job language"}
    )


class ThreePlayProvider(Provider):
    """3Play Media: ASR or human-verified captions (API v3), and review links for transcripts."""

    params_schema = ThreePlayParams
    native_formats = frozenset(OUTPUT_FORMAT_IDS)
    supports_callback = True
    poll_initial = 60.0
    poll_factor = 2.0
    poll_max_interval = 3600.0
    max_wait = 14 * 24 * 3600.0  # human turnaround is up to 10 days
    required_settings = ("api_key",)

    def __init__(self, settings: Any = None, session: requests.Session | None = None) -> None:
        super().__init__(settings, session)
        self.base_url = str(self.settings.get("base_url") or DEFAULT_BASE_URL).rstrip("/")
        self.timeout_s = float(self.settings.get("timeout_s", 30))
        self.callbacks = bool(self.settings.get("callbacks", True))
        self.turnaround_level_id = self.settings.get("turnaround_level_id")
        self.language_ids = {**DEFAULT_LANGUAGE_IDS, **dict(self.settings.get("language_ids") or {})}
        for name in ("poll_initial", "poll_factor", "poll_max_interval", "max_wait"):
            if self.settings.get(name) is not None:
                setattr(self, name, float(self.settings[name]))

    # -- the job's life -----------------------------------------------------------------------

    def submit(self, job: JobView) -> Submission:
        params = job.provider_params
        if params.get("transcript_id"):
            return self._submit_review(job)
        file_id = str(params.get("ProviderFileID") or "")
        if not file_id:
            file_id = str((self._find_file(job) or self._create_file(job))["id"])
            job.record({"ProviderFileID": file_id})
        if params.get("ProviderID"):
            transcript = self._transcript(job, str(params["ProviderID"]))
        else:
            transcript = self._find_transcript(job, file_id) or self._order(job, file_id)
            job.record({"ProviderID": str(transcript["id"])})
        reference = {"ProviderFileID": file_id, "ProviderID": str(transcript["id"])}
        return Submission(reference=reference, status=self._status(transcript))

    def check(self, job: JobView) -> ProviderStatus:
        return self._status(self._transcript(job, self._transcript_id(job)))

    def fetch(self, job: JobView) -> CaptionResult:
        transcript_id = self._transcript_id(job)
        wanted = [fmt for fmt in OUTPUT_FORMAT_IDS if fmt in job.output_types] or ["srt"]
        native = {fmt: self._caption_file(job, transcript_id, fmt) for fmt in wanted}
        source = wanted[0]
        try:
            captions = formats.read(native[source], source, language=job.language)
        except formats.CaptionFormatError as exc:
            raise PermanentProviderError(f"3play returned unreadable {source} captions: {exc}") from exc
        details: dict[str, Any] = {"transcript_id": transcript_id}
        if review_url := job.provider_params.get("ReviewURL"):
            details["ReviewURL"] = review_url
        return CaptionResult(captions, native=native, details=details)

    def cancel(self, job: JobView) -> bool:
        transcript_id = self._transcript_id(job)
        if not _truthy(self._transcript(job, transcript_id).get("cancellable")):
            return False
        refusal: dict[str, str] = {}
        try:
            response = self._call(job, "POST", f"/transcripts/{transcript_id}/cancel", refusal=refusal)
        except PermanentProviderError:
            if refusal.get("type") == "forbidden_error":
                return False  # 3Play would not: the job ends cancelled here all the same
            raise
        data = self._data(response)
        return bool(data.get("success", True)) if isinstance(data, dict) else bool(data)

    def parse_callback(self, job: JobView, request: CallbackRequest) -> ProviderStatus | None:
        body = request.json if isinstance(request.json, dict) else dict(request.form)
        expected = str(job.provider_params.get("ProviderID") or "")
        if not expected or str(body.get("id", "")) != expected:
            raise PermanentProviderError("callback about another 3Play order")
        status = str(body.get("status") or "")
        if status == "cancelled" and not body.get("cancellation_reason"):
            return None  # ask check, which reads 3Play's reason
        if status not in STATES and status != "cancelled":
            return None
        return self._status(body)

    # -- submit's steps -----------------------------------------------------------------------

    def _submit_review(self, job: JobView) -> Submission:
        transcript_id = str(job.provider_params["transcript_id"])
        transcript = self._transcript(job, transcript_id)
        hours = job.provider_params.get("hours_until_expiration")
        query = {"hours_until_expiration": hours} if hours else {}
        link = self._data(self._call(job, "GET", f"/transcripts/{transcript_id}/expiring_editing_link", params=query))
        if not isinstance(link, str) or not link:
            raise PermanentProviderError("3play answered no editing link")
        reference = {"ProviderID": transcript_id, "ReviewURL": link}
        if transcript.get("media_file_id") is not None:
            reference["ProviderFileID"] = str(transcript["media_file_id"])
        status = self._status(transcript)
        status.info = {"ReviewURL": link}  # shown to users while the transcript is reviewed
        return Submission(reference=reference, status=status)

    def _find_file(self, job: JobView) -> dict[str, Any] | None:
        """The media file an earlier run of this submit created (reference_id = the job id)."""
        found = self._data(self._call(job, "GET", "/files", params={"reference_id": job.id}))
        files = [f for f in _listing(found) if str(f.get("reference_id", job.id)) == job.id]
        return files[0] if files else None

    def _create_file(self, job: JobView) -> dict[str, Any]:
        params = job.provider_params
        if not job.media_url:
            raise PermanentProviderError("3play needs a media URL to fetch the media from")
        form: dict[str, Any] = {
            "source_url": job.media_url,
            "name": params.get("name") or f"{job.id}",
            "language_id": self._language_id(job),
            "reference_id": job.id,
        }
        if params.get("batch_id") is not None:
            form["batch_id"] = params["batch_id"]
        return require(self._data(self._call(job, "POST", "/files", data=form)), SERVICE, "id")

    def _find_transcript(self, job: JobView, file_id: str) -> dict[str, Any] | None:
        """A transcript already ordered on the file (by an earlier run of this submit)."""
        found = self._data(self._call(job, "GET", "/transcripts", params={"media_file_id": file_id}))
        transcripts = [t for t in _listing(found) if str(t.get("media_file_id", file_id)) == file_id]
        return transcripts[-1] if transcripts else None

    def _order(self, job: JobView, file_id: str) -> dict[str, Any]:
        form: dict[str, Any] = {"media_file_id": file_id}
        if self.callbacks and job.callback_url:
            form["callback"] = job.callback_url
        turnaround = job.provider_params.get("turnaround_level_id") or self.turnaround_level_id
        if turnaround:
            form["turnaround_level_id"] = int(turnaround)
            path = "/transcripts/order/transcription"
        else:
            path = "/transcripts/order/asr"
        return require(self._data(self._call(job, "POST", path, data=form)), SERVICE, "id", "status")

    def _language_id(self, job: JobView) -> int:
        if job.provider_params.get("language_id"):
            return int(job.provider_params["language_id"])
        language_id = self.language_ids.get(job.language) or self.language_ids.get(job.language.split("-")[0])
        if not language_id:
            raise PermanentProviderError(
                f"no 3Play language_id known for language {job.language!r}: set provider_params.language_id"
            )
        return int(language_id)

    # -- reading transcripts and caption files ------------------------------------------------

    def _transcript_id(self, job: JobView) -> str:
        transcript_id = job.provider_params.get("ProviderID")
        if not transcript_id:
            raise PermanentProviderError("the job has no 3Play transcript id (ProviderID)")
        return str(transcript_id)

    def _transcript(self, job: JobView, transcript_id: str) -> dict[str, Any]:
        data = self._data(self._call(job, "GET", f"/transcripts/{transcript_id}"))
        return require(data, SERVICE, "id", "status")

    def _caption_file(self, job: JobView, transcript_id: str, fmt: str) -> bytes:
        query = {"output_format_id": OUTPUT_FORMAT_IDS[fmt]}
        text = self._data(self._call(job, "GET", f"/transcripts/{transcript_id}/text", params=query))
        if not isinstance(text, str):
            raise PermanentProviderError(f"3play answered no {fmt} caption file")
        if not text.strip():
            # 3Play hands out an empty file while a transcript is still being worked on
            raise TransientProviderError(f"3play's {fmt} caption file is still empty (transcript not complete)")
        return text.encode("utf-8")

    def _status(self, transcript: dict[str, Any]) -> ProviderStatus:
        status = str(transcript.get("status") or "")
        if status == "cancelled":
            return _cancelled_status(transcript)
        state = STATES.get(status)
        if state is None:
            raise PermanentProviderError(f"3play reported an unknown transcript status {status!r}")
        return ProviderStatus(state, details=status)

    # -- HTTP ---------------------------------------------------------------------------------

    def _api_key(self, job: JobView) -> str:
        job_type = job.provider_params.get("job_type") or "captions"
        key = self.settings.get(f"api_key_{job_type}") or self.settings.get("api_key")
        if not key:
            raise PermanentProviderError(
                f"3play has no API key for {job_type} jobs: set GATEWAY_PROVIDERS_3PLAY_API_KEY "
                f"(or GATEWAY_PROVIDERS_3PLAY_API_KEY_{job_type.upper()})"
            )
        return str(key)

    def _call(
        self, job: JobView, method: str, path: str, *, refusal: dict[str, str] | None = None, **kwargs: Any
    ) -> requests.Response:
        """One request with the job's API key (query parameter for GET, form field for POST)."""
        key = self._api_key(job)
        if method == "GET":
            kwargs["params"] = {**kwargs.get("params", {}), "api_key": key}
        else:
            kwargs["data"] = {**kwargs.get("data", {}), "api_key": key}
        seen = refusal if refusal is not None else {}
        return call(
            self.session,
            method,
            self.base_url + path,
            service=SERVICE,
            timeout=self.timeout_s,
            error_message=lambda response: self._error_words(_envelope_error(response.json()), seen),
            **kwargs,
        )

    def _data(self, response: requests.Response) -> Any:
        """``data`` of a success envelope; an error envelope (even in an HTTP 200) raises."""
        body = json_body(response, SERVICE)
        error = _envelope_error(body)
        if error is not None:
            words = self._error_words(error, {})
            code = body.get("code") if isinstance(body.get("code"), int) else 400
            if code >= 500 or code == 429:
                raise TransientProviderError(f"3play answered error {code}: {words}")
            raise PermanentProviderError(f"3play answered error {code}: {words}")
        return require(body, SERVICE, "data")["data"]

    def _error_words(self, error: dict[str, Any] | None, seen: dict[str, str]) -> str | None:
        """3Play's own words for an error envelope, never any API key; names a refused key as such."""
        if error is None:
            return None
        kind, message = str(error.get("type") or ""), str(error.get("message") or "")
        seen["type"] = kind
        for name in SECRET_SETTINGS:
            secret = self.settings.get(name)
            if secret:
                message = message.replace(str(secret), "***")
        if kind == "authentication_error":
            return (
                f"the API key was refused (authentication_error: {message or 'no message'}); "
                "check GATEWAY_PROVIDERS_3PLAY_API_KEY"
            )
        return f"{kind}: {message}" if kind else message or None


def _envelope_error(body: Any) -> dict[str, Any] | None:
    """The ``error`` object of 3Play's error envelope (a bare string becomes its message)."""
    if not isinstance(body, dict) or not body.get("error"):
        return None
    error = body["error"]
    return error if isinstance(error, dict) else {"message": str(error)}


def _listing(data: Any) -> list[dict[str, Any]]:
    """The objects of a list answer (``data`` is a list, or an object holding ``objects``/``data``)."""
    if isinstance(data, dict):
        data = data.get("objects", data.get("data", []))
    if not isinstance(data, list):
        raise PermanentProviderError("3play answered a listing that is not a list")
    return [item for item in data if isinstance(item, dict) and "id" in item]


def _cancelled_status(transcript: dict[str, Any]) -> ProviderStatus:
    """A transcript 3Play cancelled. A job cancelled here never gets this far (it is terminal
    already), so this is 3Play's own doing, usually a rejected order: an error with its reason."""
    reason = str(transcript.get("cancellation_reason") or "").strip()
    details = str(transcript.get("cancellation_details") or "").strip()
    words = ": ".join(part for part in (reason, details) if part) or "no reason given"
    return ProviderStatus("error", details="cancelled", error=f"3play cancelled the order: {words}")


def _truthy(value: Any) -> bool:
    """3Play's booleans, which may come as strings (``"cancellable": "false"``)."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value)


__all__ = ["ThreePlayParams", "ThreePlayProvider"]
