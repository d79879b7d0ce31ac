"""An HTTP simulator of Tencent Cloud VOD (API 2018-07-17), as much of it as the provider uses.

``POST /`` dispatches on ``X-TC-Action`` and checks the TC3-HMAC-SHA256 signature for real with
its key pair. Errors come inside HTTP 200 as ``{"Response": {"Error": {"Code", "Message"},
"RequestId"}}``, like VOD. Tasks advance WAITING → PROCESSING → FINISH on the clock
(:attr:`Behaviour.waiting_s`, :attr:`Behaviour.finish_s`); a finished task puts an event in
the reliable queue (``PullEvents``/``ConfirmEvents``; unconfirmed events come again after
:attr:`Behaviour.redeliver_s`) and, with :attr:`Behaviour.push_url`, is POSTed there signed
with ``Sign = md5(SignKey + T)``. The transcript is :data:`SCRIPT`; its segment file and
subtitle files are served by the simulator at ``/files/...``. :attr:`TencentSimulator.calls`
logs every API call with its parameters; :class:`Behaviour` scripts faults.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import requests
from flask import Flask, Response, jsonify, request
from werkzeug.serving import WSGIRequestHandler, make_server

SECRET_ID = "AKIDsimulatorTestKey0123456789"
SECRET_KEY = "simulator-secret-key-0123456789ab"
SIGN_KEY = "simulator-callback-sign-key"

#: What the simulated recogniser hears, one segment a line (repeated when more segments are asked for).
SCRIPT = (
    "The city council met on Tuesday evening.",
    "It voted to fund the new library and the public pool.",
    "Residents spoke for and against the plan for two hours.",
    "The mayor said construction could begin next spring.",
    "Opponents asked for a second vote after the budget review.",
)
SEGMENT_S = 2.5  # each segment lasts this long, back to back


def segments(count: int) -> list[dict[str, Any]]:
    """``count`` segments of :data:`SCRIPT` in VOD's shape, numbered when the script repeats."""
    out = []
    for index in range(count):
        text = SCRIPT[index % len(SCRIPT)]
        if count > len(SCRIPT):
            text = f"{index + 1}. {text}"
        start = index * SEGMENT_S
        out.append({"Confidence": 96.5, "StartTimeOffset": start, "EndTimeOffset": start + 2.2, "Text": text})
    return out


def subtitle_file(fmt: str, count: int) -> str:
    def stamp(seconds: float, sep: str) -> str:
        ms = round(seconds * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"

    sep = "." if fmt == "vtt" else ","
    blocks = []
    for n, item in enumerate(segments(count), 1):
        timing = f"{stamp(item['StartTimeOffset'], sep)} --> {stamp(item['EndTimeOffset'], sep)}"
        blocks.append(f"{n}\n{timing}\n{item['Text']}\n" if fmt == "srt" else f"{timing}\n{item['Text']}\n")
    return ("WEBVTT\n\n" if fmt == "vtt" else "") + "\n".join(blocks)


@dataclass
class Behaviour:
    waiting_s: float = 0.2  # a task is WAITING this long, then PROCESSING
    finish_s: float = 0.8  # ... and FINISH this long after it was created
    segment_count: int = len(SCRIPT)
    output: str = "segments"  # "segments": SegmentSetFileUrl; "subtitles": only SubtitleSet files
    fail_recognition: bool = False  # the ASR subtask ends FAIL
    rate_limit_next: int = 0  # answer the next N API calls with RequestLimitExceeded
    http_error_next: int = 0  # answer the next N API calls with HTTP 503
    malformed_next: int = 0  # answer the next N API calls with broken JSON
    redeliver_s: float = 1.0  # an unconfirmed event comes again after this long (30 s on VOD)
    pull_wait_s: float = 0.2  # PullEvents waits this long for an event (up to 5 s on VOD)
    push_url: str | None = None  # POST each event here (VOD's push mode)
    sign_placement: str = "body"  # where Sign and T go in a push: "body" or "query"
    sign_upper: bool = False  # hex digits of Sign in upper case
    sign_ttl_s: int = 300  # T = now + this


@dataclass
class Task:
    id: str
    kind: str  # "pull" or "procedure"
    created: float
    context: str
    session_id: str
    file_id: str
    definition: int | None = None
    media_url: str | None = None
    fail: bool = False
    finished: bool = False


@dataclass
class QueuedEvent:
    handle: str
    body: dict[str, Any]
    delivered_at: float | None = None
    confirmed: bool = False


@dataclass
class SimState:
    base_url: str = ""  # where the simulator's files are served
    behaviour: Behaviour = field(default_factory=Behaviour)
    tasks: dict[str, Task] = field(default_factory=dict)
    sessions: dict[tuple[str, str], str] = field(default_factory=dict)
    events: list[QueuedEvent] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    pushes: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    lock: threading.RLock = field(default_factory=threading.RLock)


def tc3_signature(secret_key: str, date: str, string_to_sign: str) -> str:
    def sign(key: bytes, msg: str) -> bytes:
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    signing_key = sign(sign(sign(("TC3" + secret_key).encode(), date), "vod"), "tc3_request")
    return hmac.new(signing_key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def create_simulator(state: SimState, keys: dict[str, str]) -> Flask:
    app = Flask("tencent-vod-simulator")

    def answer(payload: dict[str, Any]) -> Response:
        return jsonify({"Response": {**payload, "RequestId": str(uuid.uuid4())}})

    @app.post("/")
    def api() -> Response | tuple[Any, ...]:
        action = request.headers.get("X-TC-Action", "")
        params = request.get_json(silent=True) or {}
        with state.lock:
            state.calls.append((action, params))
            behaviour = state.behaviour
            if behaviour.http_error_next > 0:
                behaviour.http_error_next -= 1
                return "<html><body>503 Service Unavailable</body></html>", 503, {"Content-Type": "text/html"}
            if behaviour.malformed_next > 0:
                behaviour.malformed_next -= 1
                return '{"Response": {"TaskId": ', 200, {"Content-Type": "application/json"}
        try:
            verify_signature(keys)
            with state.lock:
                if state.behaviour.rate_limit_next > 0:
                    state.behaviour.rate_limit_next -= 1
                    raise ApiError("RequestLimitExceeded", "Your current request times exceeds the limit.")
            handler = ACTIONS.get(action)
            if handler is None:
                raise ApiError("InvalidAction", f"The action {action} is not supported.")
            return answer(handler(state, params))
        except ApiError as exc:
            return answer({"Error": {"Code": exc.code, "Message": exc.message}})

    @app.get("/files/<task_id>/<name>")
    def files(task_id: str, name: str) -> tuple[Any, ...]:
        task = state.tasks.get(task_id)
        if task is None:
            return "no such file", 404
        count = state.behaviour.segment_count
        if name == "segments.json":
            return json.dumps(segments(count)), 200, {"Content-Type": "application/json"}
        fmt = name.rsplit(".", 1)[-1]
        return subtitle_file(fmt, count), 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app


def verify_signature(keys: dict[str, str]) -> None:
    """TC3-HMAC-SHA256 as VOD checks it: the credential, the 5-minute window, the signature."""
    auth = request.headers.get("Authorization", "")
    try:
        algorithm, rest = auth.split(" ", 1)
        parts = dict(item.strip().split("=", 1) for item in rest.split(","))
        secret_id, date, service, _ = parts["Credential"].split("/")
    except (ValueError, KeyError):
        raise ApiError("AuthFailure.InvalidAuthorization", "The Authorization header is malformed.") from None
    if algorithm != "TC3-HMAC-SHA256" or service != "vod":
        raise ApiError("AuthFailure.InvalidAuthorization", "Only TC3-HMAC-SHA256 for vod is accepted.")
    secret_key = keys.get(secret_id)
    if secret_key is None:
        raise ApiError("AuthFailure.SecretIdNotFound", "The SecretId is not found.")
    timestamp = int(request.headers.get("X-TC-Timestamp", "0"))
    if abs(time.time() - timestamp) > 300:
        raise ApiError("AuthFailure.SignatureExpire", "The request timestamp is over 5 minutes off.")
    if datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d") != date:
        raise ApiError("AuthFailure.SignatureFailure", "The credential date does not match the timestamp.")
    canonical = "\n".join(
        [
            request.method,
            "/",
            "",
            f"content-type:{request.headers.get('Content-Type', '')}\nhost:{request.headers.get('Host', '')}\n",
            parts.get("SignedHeaders", ""),
            hashlib.sha256(request.get_data()).hexdigest(),
        ]
    )
    string_to_sign = "\n".join(
        ["TC3-HMAC-SHA256", str(timestamp), f"{date}/vod/tc3_request", hashlib.sha256(canonical.encode()).hexdigest()]
    )
    if not hmac.compare_digest(tc3_signature(secret_key, date, string_to_sign), parts.get("Signature", "")):
        raise ApiError("AuthFailure.SignatureFailure", "The provided credentials could not be validated.")


# -- actions ---------------------------------------------------------------------------------------


def new_task(state: SimState, kind: str, params: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A task, or the one this ``SessionId`` already started (VOD dedupes for 3 days)."""
    key = (kind, str(params.get("SessionId") or ""))
    with state.lock:
        if key[1] and key in state.sessions:
            return {"TaskId": state.sessions[key]}
        number = next(state.ids)
        task_id = f"1400000000-{kind}-{number}"
        task = Task(
            id=task_id,
            kind=kind,
            created=time.time(),
            context=str(params.get("SessionContext") or ""),
            session_id=key[1],
            fail=state.behaviour.fail_recognition and kind == "procedure",
            **extra,
        )
        state.tasks[task_id] = task
        if key[1]:
            state.sessions[key] = task_id
    return {"TaskId": task_id}


def pull_upload(state: SimState, params: dict[str, Any]) -> dict[str, Any]:
    if not params.get("MediaUrl"):
        raise ApiError("InvalidParameterValue.MediaUrl", "MediaUrl is required.")
    file_id = f"52858907988{len(state.tasks) + 1:05d}"
    return new_task(state, "pull", params, file_id=file_id, media_url=params["MediaUrl"])


def process_media(state: SimState, params: dict[str, Any]) -> dict[str, Any]:
    file_id = str(params.get("FileId") or "")
    pulled = any(task.file_id == file_id for task in state.tasks.values() if task.kind == "pull")
    if not pulled and not file_id.startswith("existing-"):  # "existing-*": media uploaded to VOD earlier
        raise ApiError("ResourceNotFound.FileNotExist", f"The file {file_id} does not exist.")
    definition = (params.get("AiRecognitionTask") or {}).get("Definition")
    if not isinstance(definition, int):
        raise ApiError("InvalidParameterValue.Definition", "AiRecognitionTask.Definition is required.")
    return new_task(state, "procedure", params, file_id=file_id, definition=definition)


def status_of(state: SimState, task: Task) -> str:
    elapsed = time.time() - task.created
    if elapsed < state.behaviour.waiting_s:
        return "WAITING"
    return "FINISH" if elapsed >= state.behaviour.finish_s else "PROCESSING"


def asr_result(state: SimState, task: Task, status: str) -> dict[str, Any]:
    count = state.behaviour.segment_count
    files = f"{state.base_url}/files/{task.id}"
    output: dict[str, Any] = {
        "SubtitleSet": [{"Format": fmt, "Url": f"{files}/subtitle.{fmt}"} for fmt in ("vtt", "srt")],
    }
    if state.behaviour.output == "segments":
        output["SegmentSet"] = segments(count)[:100]
        output["SegmentSetFileUrl"] = f"{files}/segments.json"
    sub: dict[str, Any] = {"Status": "PROCESSING", "ErrCodeExt": "", "ErrCode": 0, "Message": "", "Progress": 50}
    if status == "FINISH" and task.fail:
        sub.update(Status="FAIL", ErrCodeExt="InvalidInput.NoSpeech", ErrCode=30010, Message="no speech in the audio")
    elif status == "FINISH":
        sub.update(Status="SUCCESS", Progress=100, Output=output, Message="SUCCESS")
    return {"Type": "AsrFullTextRecognition", "AsrFullTextTask": sub}


def task_body(state: SimState, task: Task) -> tuple[str, dict[str, Any]]:
    status = status_of(state, task)
    common = {"TaskId": task.id, "Status": status, "FileId": task.file_id, "SessionContext": task.context}
    common["SessionId"] = task.session_id
    if task.kind == "pull":
        done = status == "FINISH"
        return status, {**common, "ErrCode": 0, "Message": "SUCCESS" if done else "", "Progress": 100 if done else 30}
    return status, {
        **common,
        "ErrCode": 0,
        "Message": "SUCCESS",
        "AiRecognitionResultSet": [asr_result(state, task, status)],
    }


def describe_task_detail(state: SimState, params: dict[str, Any]) -> dict[str, Any]:
    task = state.tasks.get(str(params.get("TaskId")))
    if task is None:
        raise ApiError("ResourceNotFound.TaskNotExist", "The task does not exist.")
    status, body = task_body(state, task)
    key = "PullUploadTask" if task.kind == "pull" else "ProcedureTask"
    return {"TaskType": "PullUpload" if task.kind == "pull" else "Procedure", "Status": status, key: body}


def describe_media_infos(state: SimState, params: dict[str, Any]) -> dict[str, Any]:
    media = []
    for file_id in params.get("FileIds") or []:
        tasks = [t for t in state.tasks.values() if t.kind == "procedure" and t.file_id == file_id]
        subtitles = [
            {"Id": f"sub-{t.id}-{fmt}", "Name": "ASR", "Language": "en", "Format": fmt, "Url": url}
            for t in tasks
            for fmt, url in ((f, f"{state.base_url}/files/{t.id}/subtitle.{f}") for f in ("vtt", "srt"))
        ]
        media.append({"FileId": file_id, "SubtitleInfo": {"SubtitleSet": subtitles}})
    return {"MediaInfoSet": media, "NotExistFileIdSet": []}


def pull_events(state: SimState, params: dict[str, Any]) -> dict[str, Any]:
    deadline = time.time() + state.behaviour.pull_wait_s
    while True:
        with state.lock:
            now = time.time()
            due = [
                e
                for e in state.events
                if not e.confirmed and (e.delivered_at is None or now - e.delivered_at >= state.behaviour.redeliver_s)
            ][:16]
            for event in due:
                event.delivered_at = now
        if due or time.time() >= deadline:
            return {"EventSet": [{"EventHandle": e.handle, **e.body} for e in due]}
        time.sleep(0.05)


def confirm_events(state: SimState, params: dict[str, Any]) -> dict[str, Any]:
    handles = set(params.get("EventHandles") or [])
    with state.lock:
        for event in state.events:
            if event.handle in handles:
                event.confirmed = True
    return {}


ACTIONS = {
    "PullUpload": pull_upload,
    "ProcessMedia": process_media,
    "DescribeTaskDetail": describe_task_detail,
    "DescribeMediaInfos": describe_media_infos,
    "PullEvents": pull_events,
    "ConfirmEvents": confirm_events,
}


# -- the clock and the events ------------------------------------------------------------------------


def event_for(state: SimState, task: Task) -> dict[str, Any]:
    _, body = task_body(state, task)
    if task.kind == "pull":
        return {"EventType": "PullComplete", "PullCompleteEvent": body}
    return {"EventType": "ProcedureStateChanged", "ProcedureStateChangeEvent": body}


def signed_push(behaviour: Behaviour, event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The push body and query string of ``event``, signed as :attr:`Behaviour.sign_placement` says."""
    expires = str(int(time.time()) + behaviour.sign_ttl_s)
    sign = hashlib.md5(f"{SIGN_KEY}{expires}".encode()).hexdigest()
    sign = sign.upper() if behaviour.sign_upper else sign
    if behaviour.sign_placement == "query":
        return event, {"Sign": sign, "T": expires}
    return {**event, "Sign": sign, "T": expires}, {}


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:
        """No access log: a test run is not the place for one."""


class TencentSimulator:
    """The simulator on a loopback port, in a thread, with a clock thread that finishes tasks."""

    def __init__(self, keys: dict[str, str] | None = None) -> None:
        self.state = SimState()
        self.keys = keys or {SECRET_ID: SECRET_KEY}  # SecretId -> SecretKey; change it to rotate a key
        app = create_simulator(self.state, self.keys)
        self.server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
        self.host = f"127.0.0.1:{self.server.server_port}"
        self.url = self.state.base_url = f"http://{self.host}"
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self.server.serve_forever, daemon=True, name="tencent-sim"),
            threading.Thread(target=self._tick, daemon=True, name="tencent-sim-clock"),
        ]

    @property
    def behaviour(self) -> Behaviour:
        return self.state.behaviour

    def calls_of(self, action: str) -> list[dict[str, Any]]:
        return [params for name, params in list(self.state.calls) if name == action]

    def reset(self) -> None:
        """Default behaviour (the push URL stays), empty logs; tasks and events are kept."""
        with self.state.lock:
            self.state.behaviour = Behaviour(push_url=self.state.behaviour.push_url)
            self.state.calls.clear()
            self.state.pushes.clear()

    def start(self) -> TencentSimulator:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.server.shutdown()

    def _tick(self) -> None:
        while not self._stop.wait(0.1):
            with self.state.lock:
                finished = [
                    t for t in self.state.tasks.values() if not t.finished and status_of(self.state, t) == "FINISH"
                ]
                for task in finished:
                    task.finished = True
                    body = event_for(self.state, task)
                    self.state.events.append(QueuedEvent(handle=f"handle-{uuid.uuid4().hex}", body=body))
                    if self.state.behaviour.push_url:
                        self._push(self.state.behaviour, body)

    def _push(self, behaviour: Behaviour, event: dict[str, Any]) -> None:
        body, query = signed_push(behaviour, event)

        def send() -> None:
            try:
                response = requests.post(behaviour.push_url, json=body, params=query, timeout=10)
                self.state.pushes.append((response.status_code, event))
            except requests.RequestException:
                self.state.pushes.append((0, event))

        threading.Thread(target=send, daemon=True).start()
