"""Tencent Cloud VOD: speech recognition (ASR) of media pulled into VOD, through the official SDK.

A job is two VOD tasks. ``PullUpload`` copies the media URL into VOD and yields a ``FileId``;
``ProcessMedia`` then runs the account's ASR template (``AiRecognitionTask{"Definition"}``) on
that file. Both carry the job id in ``SessionContext`` and a ``SessionId`` derived from it, so a
retried call returns the task VOD already has instead of starting a second one (VOD dedupes a
``SessionId`` for 3 days). Media already in VOD (a browser upload signed by
``POST /providers/tencent/upload-signature``) skips the pull: ``provider_params.file_id``.

The tasks are followed by polling ``DescribeTaskDetail`` and, depending on ``event_mode``, by
VOD's reliable event queue (``pull``: ``PullEvents``/``ConfirmEvents`` every
``events_interval_s``) or by its push callbacks to ``/callbacks/tencent`` (``push``, signed with
``Sign = md5(sign_key + T)``). ``FINISH`` only means a task stopped: the subtask's own status and
error code decide between done and error.

Every SDK request goes through the provider's ``requests`` session with ``timeout_s`` (the
SDK's own connection is replaced), so HTTP statuses, HTML pages and bodies that are not JSON
become the same errors as for every other provider; the SDK's retryer is off (the gateway retries).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
import urllib.parse
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
import requests
from marshmallow import fields, validate

import formats
from formats.model import Captions, Cue
from providers.base import (
    DONE,
    ERROR,
    PROCESSING,
    QUEUED,
    CallbackRequest,
    CaptionResult,
    JobView,
    Provider,
    ProviderEvent,
    ProviderStatus,
    Submission,
)
from providers.errors import CallbackRejected, PermanentProviderError, ProviderError, TransientProviderError
from providers.http import call, json_body, require

SERVICE = "Tencent VOD"
DEFAULT_ENDPOINT = "vod.tencentcloudapi.com"
#: Marks the SessionContext of our tasks, so events about other VOD work are told apart.
SESSION_PREFIX = "caption-gateway:"
#: VOD refuses client-upload signatures valid for longer than this.
MAX_UPLOAD_SIGNATURE_EXPIRY_S = 90 * 24 * 3600
#: ``AiRecognitionResultSet`` types that carry a full-text transcript, preferred first.
ASR_RESULT_TYPES = (("AsrFullTextRecognition", "AsrFullTextTask"), ("AsrTranslateRecognition", "AsrTranslateTask"))
EVENT_MODES = ("poll", "pull", "push")

#: Error codes worth trying again (prefixes: ``RequestLimitExceeded.UinLimitExceeded`` is one).
TRANSIENT_CODES = ("RequestLimitExceeded", "InternalError", "ClientNetworkError", "ServerNetworkError")
#: What an authentication failure means, in words an operator can act on.
AUTH_FAILURES = {
    "AuthFailure.SignatureFailure": "the SecretKey does not match the SecretId",
    "AuthFailure.SecretIdNotFound": "the SecretId is not known to Tencent Cloud (deleted or disabled key?)",
    "AuthFailure.SignatureExpire": "the request's timestamp is over 5 minutes off (check this machine's clock)",
    "AuthFailure.UnauthorizedOperation": "the key's account may not use this VOD action (CAM policy)",
    "AuthFailure.InvalidSecretId": "the SecretId is malformed",
    "AuthFailure.TokenFailure": "the temporary credential token is invalid",
}


class TencentParams(ma.Schema):
    """``provider_params`` of a Tencent job: all optional."""

    class Meta:
        unknown = ma.RAISE

    file_id = fields.String(validate=validate.Length(min=1, max=128), metadata={"description": "media already in VOD"})
    definition = fields.Integer(
        strict=True, validate=validate.Range(min=1), metadata={"description": "ASR template, instead of the setting"}
    )
    media_name = fields.String(validate=validate.Length(min=1, max=64), metadata={"description": "name in VOD"})


class UploadSignatureArgs(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    expiry_s = fields.Integer(
        strict=True,
        validate=validate.Range(min=1, max=MAX_UPLOAD_SIGNATURE_EXPIRY_S),
        metadata={"description": "seconds the signature is valid (at most 90 days); default: the setting"},
    )
    procedure = fields.String(validate=validate.Length(max=128), metadata={"description": "VOD task flow to run"})
    class_id = fields.Integer(strict=True, validate=validate.Range(min=0), metadata={"description": "VOD category"})


class UploadSignatureSchema(ma.Schema):
    signature = fields.String(required=True, metadata={"description": "give it to VOD's upload SDK as is"})
    expires_at = fields.Integer(required=True, metadata={"description": "unix seconds"})
    sub_app_id = fields.Integer(allow_none=True)


class TencentProvider(Provider):
    """Tencent Cloud VOD: automatic speech recognition of the media, pulled into VOD first."""

    params_schema = TencentParams
    signed_callbacks = True
    poll_initial = 15.0
    poll_factor = 1.5
    poll_max_interval = 600.0
    max_wait = 2 * 24 * 3600.0
    requires = ("tencentcloud",)
    install_hint = "pip install caption-gateway[tencent]"
    required_settings = ("secret_id", "secret_key", "definition")

    def __init__(self, settings: Mapping[str, Any] | None = None, session: requests.Session | None = None) -> None:
        super().__init__(settings, session)
        self.event_mode = str(self.settings.get("event_mode") or "poll")
        if self.event_mode not in EVENT_MODES:
            raise ValueError(f"tencent event_mode must be one of {', '.join(EVENT_MODES)}, not {self.event_mode!r}")
        if self.event_mode == "pull":
            self.events_interval = float(self.settings.get("events_interval_s") or 10)
        self.timeout = float(self.settings.get("timeout_s") or 10)

    # -- settings -----------------------------------------------------------------------------

    def _setting(self, name: str, default: Any = None) -> Any:
        value = self.settings.get(name)
        return default if value in (None, "") else value

    @property
    def sub_app_id(self) -> int | None:
        value = self._setting("sub_app_id")
        return None if value is None else int(value)

    def _with_sub_app(self, params: dict[str, Any]) -> dict[str, Any]:
        if self.sub_app_id is not None:
            params["SubAppId"] = self.sub_app_id
        return params

    def _credentials(self) -> tuple[str, str]:
        secret_id, secret_key = self._setting("secret_id"), self._setting("secret_key")
        if not secret_id or not secret_key:
            raise PermanentProviderError(
                "Tencent VOD credentials are not configured "
                "(GATEWAY_PROVIDERS_TENCENT_SECRET_ID and GATEWAY_PROVIDERS_TENCENT_SECRET_KEY)"
            )
        return str(secret_id), str(secret_key)

    # -- the job ------------------------------------------------------------------------------

    def submit(self, job: JobView) -> Submission:
        file_id = job.provider_params.get("file_id")
        if file_id:
            task_id = self._start_recognition(job, str(file_id))
            return Submission({"file_id": file_id, "task_id": task_id}, ProviderStatus(QUEUED, "recognition queued"))
        if not job.media_url:
            raise PermanentProviderError("Tencent VOD needs a media_url or provider_params.file_id")
        params = {
            "MediaUrl": job.media_url,
            "MediaName": job.provider_params.get("media_name") or job.id,
            "SessionContext": SESSION_PREFIX + job.id,
            "SessionId": session_id(job.id, "pull"),
        }
        answer = self._action("PullUpload", self._with_sub_app(params), "TaskId")
        return Submission({"pull_task_id": answer["TaskId"]}, ProviderStatus(QUEUED, "pulling the media into VOD"))

    def check(self, job: JobView) -> ProviderStatus:
        task_id = job.provider_params.get("task_id")
        if task_id:
            return recognition_status(self._describe(str(task_id)))
        pull = self._describe(self._pull_task_id(job))
        failed = pull_failure(pull)
        if failed is not None or pull.get("Status") != "FINISH":
            return failed or ProviderStatus(QUEUED, f"pull {str(pull.get('Status', '')).lower()}")
        file_id = str(pull_task(pull).get("FileId") or "")
        if not file_id:
            raise PermanentProviderError("Tencent VOD finished the pull without a FileId")
        task_id = self._start_recognition(job, file_id)
        return ProviderStatus(PROCESSING, "recognition queued", reference={"file_id": file_id, "task_id": task_id})

    def fetch(self, job: JobView) -> CaptionResult:
        task_id = job.provider_params.get("task_id")
        if not task_id:  # a done event arrived before the reference was recorded: the SessionId finds it
            status = self.check(job)
            task_id = status.reference.get("task_id")
            if not task_id:
                raise TransientProviderError(f"Tencent VOD recognition has not started yet ({status.details})")
        detail = self._describe(str(task_id))
        status = recognition_status(detail)
        if status.state != DONE:
            raise PermanentProviderError(status.error or f"Tencent VOD recognition is not finished ({status.details})")
        output = asr_task(procedure_task(detail)).get("Output") or {}
        captions, source = self._read_output(output, job)
        details = {"file_id": procedure_task(detail).get("FileId"), "task_id": task_id, "source": source}
        return CaptionResult(captions, details=details)

    # -- events -------------------------------------------------------------------------------

    def pull_events(self) -> list[ProviderEvent]:
        answer = self._action("PullEvents", self._with_sub_app({}))
        events = answer.get("EventSet") or []
        return [event_of(event, event.get("EventHandle")) for event in events if isinstance(event, dict)]

    def confirm_events(self, handles: list[str]) -> None:
        for start in range(0, len(handles), 16):  # VOD confirms at most 16 handles a call
            self._action("ConfirmEvents", self._with_sub_app({"EventHandles": handles[start : start + 16]}))

    def parse_event_callback(self, request: CallbackRequest) -> list[ProviderEvent]:
        body = self._verified_body(request)
        return [event_of(body)]

    def parse_callback(self, job: JobView, request: CallbackRequest) -> ProviderStatus | None:
        event = event_of(self._verified_body(request))
        if event.job_id != job.id:
            raise PermanentProviderError("the callback is about another VOD task")
        return event.status

    def _verified_body(self, request: CallbackRequest) -> dict[str, Any]:
        body = request.json
        if not isinstance(body, dict):
            raise PermanentProviderError("a Tencent VOD callback is a JSON object")
        verify_callback_sign(self._setting("sign_key"), request, body)
        return body

    # -- client uploads -----------------------------------------------------------------------

    def upload_signature(
        self, expiry_s: int | None = None, procedure: str | None = None, class_id: int | None = None
    ) -> dict[str, Any]:
        """A signature for VOD's client-upload SDK (a browser uploads straight to VOD)."""
        secret_id, secret_key = self._credentials()
        expiry = int(expiry_s or self._setting("upload_signature_expiry_s", 3600))
        if not 0 < expiry <= MAX_UPLOAD_SIGNATURE_EXPIRY_S:
            raise PermanentProviderError(f"an upload signature expires within 90 days, not {expiry} s")
        now = int(time.time())
        return {
            "signature": upload_signature(
                secret_id,
                secret_key,
                now=now,
                expiry_s=expiry,
                procedure=procedure or self._setting("procedure"),
                class_id=class_id,
                sub_app_id=self.sub_app_id,
            ),
            "expires_at": now + expiry,
            "sub_app_id": self.sub_app_id,
        }

    def api_blueprint(self) -> Any:
        from flask_smorest import Blueprint, abort

        blp = Blueprint("tencent", __name__, description="Tencent VOD: signatures for uploads from the browser")
        provider = self

        @blp.route("/upload-signature", methods=["POST"])
        @blp.arguments(UploadSignatureArgs)
        @blp.response(200, UploadSignatureSchema)
        @blp.alt_response(503, description="the key pair is not configured")
        def make_upload_signature(args: dict[str, Any]) -> dict[str, Any]:
            """Sign a client upload: original = url-encoded fields, signature = base64(HMAC-SHA1 + original)."""
            if {"secret_id", "secret_key"} & set(provider.missing_settings()):
                abort(503, message="Tencent VOD credentials are not configured")
            try:
                return provider.upload_signature(**args)
            except ProviderError as exc:
                abort(422, message=str(exc))

        return blp

    # -- VOD calls ----------------------------------------------------------------------------

    def _pull_task_id(self, job: JobView) -> str:
        task_id = job.provider_params.get("pull_task_id")
        if not task_id:
            raise PermanentProviderError("the job has no Tencent VOD task (pull_task_id or task_id)")
        return str(task_id)

    def _start_recognition(self, job: JobView, file_id: str) -> str:
        definition = job.provider_params.get("definition") or self._setting("definition")
        if definition is None:
            raise PermanentProviderError("no Tencent ASR template: set providers.tencent.definition")
        params = {
            "FileId": file_id,
            "AiRecognitionTask": {"Definition": int(definition)},
            "SessionContext": SESSION_PREFIX + job.id,
            "SessionId": session_id(job.id, "asr"),
        }
        return str(self._action("ProcessMedia", self._with_sub_app(params), "TaskId")["TaskId"])

    def _describe(self, task_id: str) -> dict[str, Any]:
        return self._action("DescribeTaskDetail", self._with_sub_app({"TaskId": task_id}), "Status")

    def _client(self) -> Any:
        try:
            from tencentcloud.common import credential
            from tencentcloud.common.profile.client_profile import ClientProfile
            from tencentcloud.common.profile.http_profile import HttpProfile
            from tencentcloud.common.retry import NoopRetryer
            from tencentcloud.vod.v20180717 import vod_client
        except ImportError as exc:
            raise PermanentProviderError(f"the Tencent Cloud SDK is not installed ({self.install_hint})") from exc
        scheme = str(self._setting("scheme", "https"))
        http = HttpProfile(protocol=scheme, endpoint=str(self._setting("endpoint", DEFAULT_ENDPOINT)))
        http.reqTimeout = self.timeout
        # NoopRetryer: the SDK's StandardRetryer raises the first failure even when a retry succeeds.
        profile = ClientProfile(httpProfile=http, language="en-US", retryer=NoopRetryer())
        secret_id, secret_key = self._credentials()
        client = vod_client.VodClient(
            credential.Credential(secret_id, secret_key), self._setting("region", ""), profile
        )
        client.request.conn = SessionConnection(self.session, self.timeout)
        return client

    def _action(self, action: str, params: dict[str, Any], *keys: str) -> dict[str, Any]:
        """One VOD API call; its ``Response`` object (holding ``keys``), or an error of the tree."""
        client = self._client()  # first: it says how to install the SDK when it is missing
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

        try:
            data = client.call_json(action, params)
        except TencentCloudSDKException as exc:
            raise provider_error(action, exc.get_code(), exc.get_message(), exc) from exc
        answer = require(data, SERVICE, "Response")["Response"]
        if not isinstance(answer, dict):
            raise PermanentProviderError(f"{SERVICE} answered an unexpected document (Response is not an object)")
        error = answer.get("Error")
        if isinstance(error, dict):  # the SDK raises only when the Content-Type is exactly application/json
            raise provider_error(action, str(error.get("Code", "")), str(error.get("Message", "")))
        return require(answer, SERVICE, *keys)

    # -- captions -----------------------------------------------------------------------------

    def _read_output(self, output: Mapping[str, Any], job: JobView) -> tuple[Captions, str]:
        """The transcript as captions in the job's style: the whole segment file, else a subtitle file."""
        profile = formats.get_profile(job.style or None)
        if output.get("SegmentSetFileUrl"):
            segments = segment_list(json_body(self._download(str(output["SegmentSetFileUrl"])), SERVICE))
            source = "segments"
        elif subtitle := subtitle_file(output):
            fmt, url = subtitle
            try:
                captions = formats.read(self._download(url).content, fmt, language=job.language)
            except formats.CaptionFormatError as exc:
                raise PermanentProviderError(f"{SERVICE} returned an unreadable {fmt} file: {exc}") from exc
            return in_style(captions, profile), fmt
        else:
            segments, source = segment_list(output.get("SegmentSet") or []), "inline segments"
        return in_style(captions_from_segments(segments, job.language), profile), source

    def _download(self, url: str) -> requests.Response:
        return call(self.session, "GET", url, service=SERVICE, timeout=self.timeout)


class SessionConnection:
    """Stands in for the SDK's HTTP connection: the provider's session, its timeout, the error tree.

    An HTTP error, an HTML page or a body that is not a ``{"Response": ...}`` document raises a
    :class:`ProviderError` here; the SDK wraps it as ``ClientNetworkError``, and
    :func:`provider_error` takes the original back out.
    """

    request_length = 0  # read by the SDK after each request

    def __init__(self, session: requests.Session, timeout: float) -> None:
        self.session = session
        self.timeout = timeout

    def request(self, method: str, url: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        response = call(
            self.session,
            method,
            url,
            service=SERVICE,
            timeout=self.timeout,
            data=body,
            headers=headers,
            error_message=error_words,
        )
        require(json_body(response, SERVICE), SERVICE, "Response")
        return response


def error_words(response: requests.Response) -> str | None:
    """``Code: Message`` of VOD's error envelope, when the body is one."""
    error = (response.json().get("Response") or {}).get("Error") or {}
    return f"{error.get('Code')}: {error.get('Message')}" if error else None


def provider_error(action: str, code: str, message: str, exc: BaseException | None = None) -> ProviderError:
    """The error of the tree for a VOD error code (or the one :class:`SessionConnection` raised)."""
    cause = exc
    while cause is not None:
        if isinstance(cause, ProviderError):
            return cause
        cause = cause.__cause__ or cause.__context__
    if code.startswith(TRANSIENT_CODES):
        return TransientProviderError(f"{SERVICE} {action}: {message or 'try again later'} ({code})")
    if code in AUTH_FAILURES:
        return PermanentProviderError(f"{SERVICE} refused the credentials: {AUTH_FAILURES[code]} ({code})")
    if code.startswith(("AuthFailure", "UnauthorizedOperation")):
        return PermanentProviderError(f"{SERVICE} refused the credentials: {message} ({code})")
    return PermanentProviderError(f"{SERVICE} refused {action}: {message} ({code})")


def session_id(job_id: str, step: str) -> str:
    """The ``SessionId`` of one step of a job: VOD answers a repeat with the task it already has."""
    return f"{SESSION_PREFIX}{job_id}:{step}"


# -- reading tasks ------------------------------------------------------------------------------


def pull_task(detail: Mapping[str, Any]) -> dict[str, Any]:
    task = detail.get("PullUploadTask")
    return task if isinstance(task, dict) else {}


def procedure_task(detail: Mapping[str, Any]) -> dict[str, Any]:
    task = detail.get("ProcedureTask")
    return task if isinstance(task, dict) else {}


def asr_task(task: Mapping[str, Any]) -> dict[str, Any]:
    """The full-text ASR subtask of a ``ProcedureTask`` (or of a ``ProcedureStateChangeEvent``)."""
    for result in task.get("AiRecognitionResultSet") or []:
        for kind, key in ASR_RESULT_TYPES:
            if isinstance(result, dict) and result.get("Type") == kind and isinstance(result.get(key), dict):
                return result[key]
    return {}


def pull_failure(detail: Mapping[str, Any]) -> ProviderStatus | None:
    """An error status when the pull stopped without the media, else ``None``."""
    task = pull_task(detail)
    if detail.get("Status") == "ABORTED":
        return ProviderStatus(ERROR, "pull aborted", error=f"{SERVICE} aborted the pull of the media")
    if detail.get("Status") == "FINISH" and int(task.get("ErrCode") or 0) != 0:
        return ProviderStatus(ERROR, "pull failed", error=task_error("could not pull the media", task))
    return None


def recognition_status(detail: Mapping[str, Any]) -> ProviderStatus:
    """Where the ``ProcessMedia`` task of ``detail`` (a ``DescribeTaskDetail`` answer) is."""
    return task_status(str(detail.get("Status", "")), procedure_task(detail))


def task_status(status: str, task: Mapping[str, Any]) -> ProviderStatus:
    """``FINISH`` only says the task stopped: the task's error code and the ASR subtask decide."""
    subtask = asr_task(task)
    progress = subtask.get("Progress")
    progress = int(progress) if isinstance(progress, int | float) else None
    if status == "WAITING":
        return ProviderStatus(QUEUED, "recognition waiting", progress=progress)
    if status == "PROCESSING":
        return ProviderStatus(PROCESSING, "recognition processing", progress=progress)
    if status == "ABORTED":
        return ProviderStatus(ERROR, "recognition aborted", error=f"{SERVICE} aborted the recognition task")
    if status != "FINISH":
        raise PermanentProviderError(f"{SERVICE} reported an unknown task status {status!r}")
    if int(task.get("ErrCode") or 0) != 0:
        return ProviderStatus(ERROR, "recognition failed", error=task_error("recognition failed", task))
    if not subtask:
        return ProviderStatus(ERROR, "no transcript", error=f"{SERVICE} finished without an ASR result")
    if subtask.get("Status") != "SUCCESS":
        return ProviderStatus(ERROR, "recognition failed", error=task_error("speech recognition failed", subtask))
    return ProviderStatus(DONE, "recognition finished", progress=100)


def task_error(what: str, task: Mapping[str, Any]) -> str:
    """``what``, with VOD's own code and message."""
    code = task.get("ErrCodeExt") or task.get("ErrCode")
    return f"{SERVICE} {what}: {task.get('Message') or 'no message'} (code {code})"


def event_of(event: Mapping[str, Any], handle: str | None = None) -> ProviderEvent:
    """A VOD event (``PullEvents`` item or push callback body) as the gateway's event."""
    kind = event.get("EventType")
    if kind == "PullComplete":
        body = event.get("PullCompleteEvent") or {}
        # a finished pull: ``check`` starts the recognition (a failed one ends the job at once)
        status = pull_failure({"Status": "FINISH", "PullUploadTask": body})
    elif kind == "ProcedureStateChanged":
        body = event.get("ProcedureStateChangeEvent") or {}
        state = str(body.get("Status", ""))
        status = task_status(state, body) if state in ("FINISH", "ABORTED") else None
    else:
        body = {}
        status = None
    context = str(body.get("SessionContext") or "") if isinstance(body, dict) else ""
    job_id = context[len(SESSION_PREFIX) :] if context.startswith(SESSION_PREFIX) else None
    return ProviderEvent(job_id=job_id, status=status, handle=handle)


# -- callbacks and upload signatures -------------------------------------------------------------


def callback_sign(sign_key: str, expires: int | str) -> str:
    """VOD's callback signature: ``md5(SignKey + T)`` in hex."""
    return hashlib.md5(f"{sign_key}{expires}".encode()).hexdigest()


def verify_callback_sign(sign_key: str | None, request: CallbackRequest, body: Mapping[str, Any]) -> None:
    """Raise :class:`CallbackRejected` unless ``Sign`` and ``T`` prove the callback and it has not expired.

    Where VOD puts them is unverified: the JSON body, the query string or headers are all read,
    and the hex digest may come in either case.
    """
    if not sign_key:
        raise CallbackRejected("no sign_key is configured, so no callback can be verified")
    headers = {name.lower(): value for name, value in request.headers.items()}
    sign = body.get("Sign") or request.args.get("Sign") or headers.get("sign") or headers.get("x-vod-sign")
    expires = body.get("T") or request.args.get("T") or headers.get("t") or headers.get("x-vod-t")
    if not sign or not expires:
        raise CallbackRejected("the callback carries no Sign and T")
    try:
        expiry = int(str(expires))
    except ValueError:
        raise CallbackRejected("the callback's T is not a unix time") from None
    if not hmac.compare_digest(callback_sign(sign_key, expires).lower(), str(sign).lower()):
        raise CallbackRejected("the callback's Sign does not match")
    if expiry < time.time():
        raise CallbackRejected("the callback's signature has expired")


def upload_signature(
    secret_id: str,
    secret_key: str,
    *,
    now: int,
    expiry_s: int,
    procedure: str | None = None,
    class_id: int | None = None,
    sub_app_id: int | None = None,
    nonce: int | None = None,
) -> str:
    """base64(HMAC-SHA1(SecretKey, original) + original), original being the url-encoded fields."""
    fields_: list[tuple[str, Any]] = [
        ("secretId", secret_id),
        ("currentTimeStamp", now),
        ("expireTime", now + expiry_s),
        ("random", secrets.randbelow(2**31) if nonce is None else nonce),
    ]
    optional = (("procedure", procedure), ("classId", class_id), ("vodSubAppId", sub_app_id))
    fields_.extend((name, value) for name, value in optional if value not in (None, ""))
    original = urllib.parse.urlencode(fields_).encode()
    digest = hmac.new(secret_key.encode(), original, hashlib.sha1).digest()
    return base64.b64encode(digest + original).decode()


# -- transcripts ------------------------------------------------------------------------------------


def segment_list(data: Any) -> list[dict[str, Any]]:
    """The segments of a segment file or ``SegmentSet``: a list, or an object holding ``SegmentSet``."""
    if isinstance(data, dict):
        data = data.get("SegmentSet")
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise PermanentProviderError(f"{SERVICE} returned a segment list of an unexpected shape")
    return data


def captions_from_segments(segments: list[dict[str, Any]], language: str) -> Captions:
    """One cue per recognised segment (times in seconds become milliseconds)."""
    cues = []
    for item in segments:
        text = " ".join(str(item.get("Text") or "").split())
        try:
            start, end = round(float(item["StartTimeOffset"]) * 1000), round(float(item["EndTimeOffset"]) * 1000)
        except (KeyError, TypeError, ValueError) as exc:
            raise PermanentProviderError(f"{SERVICE} returned a segment without times: {item!r:.80}") from exc
        if text:
            cues.append(Cue(start, max(end, start), [text]))
    cues.sort(key=lambda cue: cue.start)
    return Captions(cues=cues, language=language)


def in_style(captions: Captions, profile: formats.StyleProfile) -> Captions:
    """The captions as they are when they keep to ``profile``; re-cut by the segmenter when not."""
    if not captions.cues or formats.lint(captions, profile).violations == 0:
        return captions
    return formats.resegment(captions, profile)


def subtitle_file(output: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(format, url)`` of a WebVTT or SRT subtitle file of the ASR output, WebVTT first."""
    found = {}
    for item in output.get("SubtitleSet") or []:
        if isinstance(item, dict) and item.get("Url") and str(item.get("Format", "")).lower() in ("vtt", "srt"):
            found.setdefault(str(item["Format"]).lower(), str(item["Url"]))
    for fmt in ("vtt", "srt"):
        if fmt in found:
            return fmt, found[fmt]
    return None


__all__ = ["TencentProvider", "callback_sign", "upload_signature"]
