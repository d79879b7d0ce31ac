"""An HTTP simulator of 3Play Media's API v3, for tests and benchmarks of the ``3play`` provider.

It speaks the wire protocol of ../shared/PROVIDERS.md: paths under ``/v3``, ``api_key`` as a
query parameter (GET) or a form field (POST; JSON bodies are accepted too), the envelopes
``{"code": 200, "data": ..., "meta": {}}`` and ``{"code": N, "error": {"type", "message",
"items"}}``, and v3's strictness (an unknown parameter is a 400 ``parameter_error``).

Transcripts advance ``pending`` -> ``in_progress`` -> ``complete`` on a clock (ASR fast, human
slower, or any duration per order through :attr:`ThreePlaySimulator.duration_for`), and the
simulator POSTs a callback on every change to the URL given at order time, as JSON or as a form,
with every value a string. Faults are scripted from Python: :meth:`fail_next` (401/403/429 with
``Retry-After`` in seconds or as an HTTP date, 5xx bursts, HTML pages, and answers lost after the
call took effect: an error or a dropped connection once the file or the order was made),
:meth:`hold` (slow answers), :meth:`reject_next_order` (3Play cancels the order with a reason),
and a key of another project sees "no media found" in an HTTP 200. Every request is logged
(without its key).
"""

from __future__ import annotations

import contextlib
import itertools
import queue
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

SCRIPT = (
    "The council met on Tuesday to discuss the budget.",
    "It voted to fund the library and the public pool.",
    "Residents asked for longer opening hours in winter.",
    "The mayor promised an answer before the next meeting.",
)

FORMAT_IDS = {7: "srt", 139: "vtt"}
TURNAROUND_IDS = range(1, 7)
HTML_PAGE = "<html><head><title>{status}</title></head><body><h1>{status}</h1><p>nginx</p></body></html>"


@dataclass
class Fault:
    """Answer the next ``count`` API calls whose path contains ``path`` with ``status``.

    ``method`` limits it to one HTTP method. With ``after`` the call is served first (a file or
    an order is made) and only its answer is lost: ``status`` replaces it, or status 0 closes
    the connection without any answer.
    """

    count: int
    status: int
    retry_after: str | None = None
    html: bool = False
    path: str = ""
    error_type: str = ""
    method: str = ""
    after: bool = False

    def matches(self, method: str, path: str) -> bool:
        return self.count > 0 and self.path in path and self.method in ("", method)


@dataclass
class Transcript:
    id: int
    media_file_id: int
    project: str
    kind: str  # "AsrTranscript" or "TranscribedTranscript"
    created: float
    pending_s: float
    duration_s: float
    callback: str | None
    batch_id: int | None = None
    turnaround_level_id: int | None = None
    status: str = "pending"
    rejection: tuple[str, str] | None = None  # (reason, details) when 3Play rejects the order
    cancellation_reason: str | None = None
    cancellation_details: str | None = None
    completed_at: float | None = None
    cancellable_override: bool | None = None

    @property
    def cancellable(self) -> bool:
        if self.cancellable_override is not None:
            return self.cancellable_override
        return self.status in ("pending", "in_progress")

    def due_status(self, now: float) -> str:
        """Where the clock says the transcript is (a finished one stays finished)."""
        if self.status in ("complete", "cancelled"):
            return self.status
        elapsed = now - self.created
        if elapsed < self.pending_s:
            return "pending"
        if elapsed < self.pending_s + self.duration_s:
            return "in_progress"
        return "cancelled" if self.rejection else "complete"

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "media_file_id": self.media_file_id,
            "batch_id": self.batch_id,
            "reference_id": None,
            "duration": 12.0,
            "type": self.kind,
            "language_id": 1,
            "status": self.status,
            "cancellable": self.cancellable,
            "cancellation_reason": self.cancellation_reason,
            "cancellation_details": self.cancellation_details,
            "turnaround_level_id": self.turnaround_level_id,
        }


@dataclass
class Callback:
    transcript_id: int
    status: str
    answer: int | str
    sent_at: float


@dataclass
class State:
    files: dict[int, dict[str, Any]] = field(default_factory=dict)
    transcripts: dict[int, Transcript] = field(default_factory=dict)
    log: list[dict[str, Any]] = field(default_factory=list)
    callbacks: list[Callback] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    holds: dict[str, float] = field(default_factory=dict)
    rejections: list[tuple[str, str]] = field(default_factory=list)


class ThreePlaySimulator:
    """The simulated 3Play API on ``127.0.0.1`` (port 0), in threads: HTTP, clock, callbacks.

    ``keys`` maps each valid API key to its project; objects made with one project's key are
    "no media found" for another project's key. Settable at any time: ``asr_s``, ``human_s``
    and ``pending_s`` (seconds), ``duration_for`` (``(kind, file) -> seconds``, overriding
    both), ``callbacks`` (on/off), ``announces`` (``file -> bool``: whether that file's orders
    call back at all, for a mix), ``callback_encoding`` (``"json"`` or ``"form"``).
    """

    def __init__(
        self,
        keys: dict[str, str] | None = None,
        *,
        asr_s: float = 1.0,
        human_s: float = 2.0,
        pending_s: float = 0.2,
        callbacks: bool = True,
        callback_encoding: str = "json",
        tick_s: float = 0.05,
        callback_threads: int = 8,
    ) -> None:
        self.keys = dict(keys or {"sim-key": "project-1"})
        self.asr_s, self.human_s, self.pending_s = asr_s, human_s, pending_s
        self.duration_for: Callable[[str, dict[str, Any]], float] | None = None
        self.announces: Callable[[dict[str, Any]], bool] | None = None
        self.callbacks = callbacks
        self.callback_encoding = callback_encoding
        self.tick_s = tick_s
        self.state = State()
        self.lock = threading.RLock()
        self.ids = itertools.count(1001)
        self._outbox: queue.Queue[tuple[Transcript, dict[str, str]] | None] = queue.Queue()
        self._stopping = threading.Event()
        self._callback_session = requests.Session()
        self.app = self._build_app()
        self.server = make_server("127.0.0.1", 0, self.app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v3"
        self._threads = [
            threading.Thread(target=self.server.serve_forever, daemon=True, name="3play-sim-http"),
            threading.Thread(target=self._clock, daemon=True, name="3play-sim-clock"),
            *(
                threading.Thread(target=self._send_callbacks, daemon=True, name=f"3play-sim-callback-{i}")
                for i in range(callback_threads)
            ),
        ]

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> ThreePlaySimulator:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for _ in self._threads:
            self._outbox.put(None)
        self.server.shutdown()

    def reset(self) -> None:
        """Forget every object, request, callback and scripted fault (settings stay)."""
        with self.lock:
            self.state = State()

    # -- scripting faults ---------------------------------------------------------------------

    def fail_next(
        self,
        count: int,
        status: int,
        *,
        retry_after: str | None = None,
        html: bool = False,
        path: str = "",
        error_type: str = "",
        method: str = "",
        after: bool = False,
    ) -> None:
        """Answer the next ``count`` calls (whose path contains ``path``) with ``status``.

        ``retry_after`` is sent as is (``"2"`` or an HTTP date); ``html`` answers a proxy's page;
        ``method`` limits the fault to one HTTP method. ``after`` serves the call first and then
        loses its answer (what a client sees when a proxy times out or a connection breaks after
        3Play made the file or took the order): ``status`` replaces the answer, and status 0
        closes the connection without one.
        """
        if status == 0 and not after:
            raise ValueError("status 0 (no answer) needs after=True")
        with self.lock:
            self.state.faults.append(Fault(count, status, retry_after, html, path, error_type, method, after))

    def hold(self, path: str, seconds: float) -> None:
        """Answer calls whose path contains ``path`` only after ``seconds`` (0 stops holding)."""
        with self.lock:
            if seconds > 0:
                self.state.holds[path] = seconds
            else:
                self.state.holds.pop(path, None)

    def reject_next_order(self, reason: str, details: str = "") -> None:
        """3Play takes the next order, then cancels it with ``reason`` when it would have finished."""
        with self.lock:
            self.state.rejections.append((reason, details))

    def finish(self, transcript_id: int | str) -> None:
        """Complete a transcript now (and call back)."""
        with self.lock:
            transcript = self.state.transcripts[int(transcript_id)]
            transcript.created = time.time() - transcript.pending_s - transcript.duration_s
        self.tick()

    def set_cancellable(self, transcript_id: int | str, cancellable: bool | None) -> None:
        with self.lock:
            self.state.transcripts[int(transcript_id)].cancellable_override = cancellable

    # -- reading what happened ----------------------------------------------------------------

    @property
    def files(self) -> dict[int, dict[str, Any]]:
        return self.state.files

    @property
    def transcripts(self) -> dict[int, Transcript]:
        return self.state.transcripts

    def requests_to(self, method: str, path: str) -> list[dict[str, Any]]:
        """Logged requests with this method whose path (after ``/v3``) starts with ``path``."""
        with self.lock:
            return [r for r in self.state.log if r["method"] == method and r["path"].startswith(path)]

    def files_for(self, reference_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [f for f in self.state.files.values() if f.get("reference_id") == reference_id]

    def transcripts_for(self, reference_id: str) -> list[Transcript]:
        file_ids = {f["id"] for f in self.files_for(reference_id)}
        with self.lock:
            return [t for t in self.state.transcripts.values() if t.media_file_id in file_ids]

    def requests_exactly(self, method: str, path: str) -> list[dict[str, Any]]:
        """Logged requests with this method and exactly this path (after ``/v3``, without the query).

        ``requests_exactly("GET", "/transcripts/1002")`` are the status requests of one
        transcript: its caption files (``/transcripts/1002/text``) and the listings that look
        orders up (``/transcripts?media_file_id=``) are other paths.
        """
        with self.lock:
            return [r for r in self.state.log if r["method"] == method and r["path"] == path]

    def callbacks_for(self, transcript_id: int | str) -> list[Callback]:
        with self.lock:
            return [c for c in self.state.callbacks if c.transcript_id == int(transcript_id)]

    # -- caption files ------------------------------------------------------------------------

    @staticmethod
    def caption_text(fmt: str, script: tuple[str, ...] = SCRIPT) -> str:
        """The SRT or WebVTT 3Play would return for ``script``: one cue of 2.5 s every 3 s."""
        separator = "," if fmt == "srt" else "."
        blocks = []
        for number, line in enumerate(script, 1):
            start, end = (number - 1) * 3.0 + 0.5, (number - 1) * 3.0 + 3.0
            timing = f"{_clock_time(start, separator)} --> {_clock_time(end, separator)}"
            blocks.append(f"{number}\n{timing}\n{line}\n" if fmt == "srt" else f"{timing}\n{line}\n")
        body = "\n".join(blocks)
        return body if fmt == "srt" else f"WEBVTT\n\n{body}"

    # -- the clock and the callbacks ----------------------------------------------------------

    def tick(self) -> None:
        """Move every transcript to where the clock says it is; queue a callback per change."""
        now = time.time()
        with self.lock:
            for transcript in self.state.transcripts.values():
                status = transcript.due_status(now)
                if status != transcript.status:
                    self._change(transcript, status, now)

    def _change(self, transcript: Transcript, status: str, now: float) -> None:
        transcript.status = status
        if status == "complete":
            transcript.completed_at = now
        if status == "cancelled" and transcript.rejection and not transcript.cancellation_reason:
            transcript.cancellation_reason, transcript.cancellation_details = transcript.rejection
        if self.callbacks and transcript.callback and self._announces(transcript):
            self._outbox.put((transcript, _callback_body(transcript)))

    def _announces(self, transcript: Transcript) -> bool:
        return self.announces is None or self.announces(self.state.files[transcript.media_file_id])

    def _clock(self) -> None:
        while not self._stopping.wait(self.tick_s):
            self.tick()

    def _send_callbacks(self) -> None:
        while True:
            item = self._outbox.get()
            if item is None:
                return
            transcript, body = item
            kwargs = {"json": body} if self.callback_encoding == "json" else {"data": body}
            try:
                answer: int | str = self._callback_session.post(transcript.callback, timeout=10, **kwargs).status_code
            except requests.RequestException as exc:
                answer = type(exc).__name__
            with self.lock:
                self.state.callbacks.append(Callback(transcript.id, body["status"], answer, time.time()))

    # -- the HTTP API -------------------------------------------------------------------------

    def _build_app(self) -> Flask:
        app = Flask("threeplay-simulator")
        sim = self

        @app.before_request
        def gate():
            args = _request_params()
            key = str(args.pop("api_key", "") or "")
            with sim.lock:
                sim.state.log.append({"method": request.method, "path": _api_path(), "params": args, "at": time.time()})
                hold = max((s for p, s in sim.state.holds.items() if p in request.path), default=0.0)
                fault = sim._take_fault(request.method, request.path)
            if hold:
                time.sleep(hold)
            if fault is not None and fault.after:
                request.environ["threeplay.lost_answer"] = fault  # served below, answered in lose_answer
            elif fault is not None:
                return _fault_answer(fault)
            if key not in sim.keys:
                return _error(401, "authentication_error", "Invalid or missing API key")
            request.environ["threeplay.project"] = sim.keys[key]
            request.environ["threeplay.params"] = args
            return None

        @app.after_request
        def lose_answer(response: Response) -> Response:
            fault = request.environ.get("threeplay.lost_answer")
            if fault is None:
                return response
            if fault.status == 0:
                _drop_connection()
                return response  # never arrives: the connection is closed
            return app.make_response(_fault_answer(fault))

        @app.get("/v3/authenticate")
        def authenticate():
            _params(set())
            return _ok({"authenticated": True, "project": _project()})

        @app.post("/v3/files")
        def create_file():
            args = _params({"name", "language_id", "source_url", "reference_id", "batch_id"})
            if not args.get("source_url"):
                return _error(400, "parameter_error", "source_url or source_file is required", ["source_url"])
            with sim.lock:
                media_file = {
                    "id": next(sim.ids),
                    "name": args.get("name") or "untitled",
                    "language_id": int(args.get("language_id") or 1),
                    "reference_id": args.get("reference_id"),
                    "batch_id": int(args["batch_id"]) if args.get("batch_id") else None,
                    "source_url": args["source_url"],
                    "duration": 12.0,
                    "project": _project(),
                }
                sim.state.files[media_file["id"]] = media_file
            return _ok(_public_file(media_file))

        @app.get("/v3/files")
        def list_files():
            args = _params({"reference_id", "name", "page", "per_page"})
            with sim.lock:
                found = [
                    _public_file(f)
                    for f in sim.state.files.values()
                    if f["project"] == _project()
                    and all(str(f.get(k)) == str(args[k]) for k in ("reference_id", "name") if k in args)
                ]
            return _page(found, args)

        @app.get("/v3/files/<int:file_id>")
        def get_file(file_id: int):
            _params(set())
            media_file = sim.state.files.get(file_id)
            if media_file is None:
                return _error(404, "not_found_error", "Media file not found")
            if media_file["project"] != _project():
                return _no_media_found()
            return _ok(_public_file(media_file))

        @app.post("/v3/transcripts/order/asr")
        def order_asr():
            return sim._order(_params({"media_file_id", "callback"}), "AsrTranscript")

        @app.post("/v3/transcripts/order/transcription")
        def order_transcription():
            args = _params({"media_file_id", "callback", "turnaround_level_id"})
            if _int(args.get("turnaround_level_id")) not in TURNAROUND_IDS:
                return _error(400, "parameter_error", "turnaround_level_id is invalid", ["turnaround_level_id"])
            return sim._order(args, "TranscribedTranscript")

        @app.get("/v3/transcripts")
        def list_transcripts():
            args = _params({"media_file_id", "status", "page", "per_page"})
            with sim.lock:
                found = [
                    t.public()
                    for t in sim.state.transcripts.values()
                    if t.project == _project()
                    and ("media_file_id" not in args or str(t.media_file_id) == str(args["media_file_id"]))
                    and ("status" not in args or t.status == args["status"])
                ]
            return _page(found, args)

        @app.get("/v3/transcripts/<int:transcript_id>")
        def get_transcript(transcript_id: int):
            _params(set())
            transcript, refusal = sim._transcript(transcript_id)
            return refusal or _ok(transcript.public())

        @app.get("/v3/transcripts/<int:transcript_id>/text")
        def transcript_text(transcript_id: int):
            args = _params({"output_format_id", "offset"})
            transcript, refusal = sim._transcript(transcript_id)
            if refusal:
                return refusal
            fmt = FORMAT_IDS.get(_int(args.get("output_format_id")))
            if fmt is None:
                return _error(400, "parameter_error", "output_format_id is invalid", ["output_format_id"])
            if transcript.status != "complete":
                return _ok("")  # the gotcha: an empty file while the work goes on
            return _ok(sim.caption_text(fmt))

        @app.post("/v3/transcripts/<int:transcript_id>/cancel")
        def cancel(transcript_id: int):
            _params(set())
            transcript, refusal = sim._transcript(transcript_id)
            if refusal:
                return refusal
            with sim.lock:
                if not transcript.cancellable:
                    return _error(403, "forbidden_error", "This transcript can no longer be cancelled")
                transcript.cancellation_reason = "customer_request"
                transcript.cancellation_details = "Cancelled through the API"
                sim._change(transcript, "cancelled", time.time())
            return _ok({"success": True})

        @app.get("/v3/transcripts/<int:transcript_id>/expiring_editing_link")
        def editing_link(transcript_id: int):
            args = _params({"hours_until_expiration"})
            _transcript, refusal = sim._transcript(transcript_id)
            if refusal:
                return refusal
            hours = int(args.get("hours_until_expiration") or 24)
            expires = int(time.time() + hours * 3600)
            return _ok(f"{request.host_url}editor/{transcript_id}?token=edit-{transcript_id}-{expires}")

        @app.post("/v3/transcripts/<int:transcript_id>/callback")
        def resend_callback(transcript_id: int):
            _params(set())
            transcript, refusal = sim._transcript(transcript_id)
            if refusal:
                return refusal
            if transcript.callback:
                sim._outbox.put((transcript, _callback_body(transcript)))
            return _ok({"success": True})

        @app.errorhandler(_ParameterError)
        def parameter_error(exc: _ParameterError):
            return _error(400, "parameter_error", f"Unknown parameters: {', '.join(exc.names)}", exc.names)

        @app.errorhandler(404)
        def not_found(_exc):
            return _error(404, "not_found_error", "Resource not found")

        return app

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.state.faults:
            if fault.matches(method, path):
                fault.count -= 1
                return fault
        return None

    def _transcript(self, transcript_id: int) -> tuple[Transcript, Any]:
        transcript = self.state.transcripts.get(transcript_id)
        if transcript is None:
            return None, _error(404, "not_found_error", "Transcript not found")  # type: ignore[return-value]
        if transcript.project != _project():
            return transcript, _no_media_found()
        return transcript, None

    def _order(self, args: dict[str, Any], kind: str) -> Any:
        media_file = self.state.files.get(_int(args.get("media_file_id")))
        if media_file is None:
            return _error(400, "parameter_error", "media_file_id is invalid", ["media_file_id"])
        if media_file["project"] != _project():
            return _no_media_found()
        with self.lock:
            if self.duration_for is not None:
                duration = self.duration_for(kind, media_file)
            else:
                duration = self.asr_s if kind == "AsrTranscript" else self.human_s
            transcript = Transcript(
                id=next(self.ids),
                media_file_id=media_file["id"],
                project=media_file["project"],
                kind=kind,
                created=time.time(),
                pending_s=self.pending_s,
                duration_s=duration,
                callback=args.get("callback"),
                batch_id=media_file.get("batch_id"),
                turnaround_level_id=int(args["turnaround_level_id"]) if args.get("turnaround_level_id") else None,
                rejection=self.state.rejections.pop(0) if self.state.rejections else None,
            )
            self.state.transcripts[transcript.id] = transcript
        return _ok(transcript.public())


class _ParameterError(Exception):
    def __init__(self, names: list[str]) -> None:
        super().__init__(names)
        self.names = names


def _request_params() -> dict[str, Any]:
    """Query parameters, form fields and a JSON body, merged (3Play reads all three)."""
    params: dict[str, Any] = dict(request.args.items())
    params.update(request.form.items())
    body = request.get_json(silent=True)
    if isinstance(body, dict):
        params.update(body)
    return params


def _params(allowed: set[str]) -> dict[str, Any]:
    """The request's parameters (without ``api_key``); an unknown one is a 400, as in v3."""
    args = request.environ["threeplay.params"]
    unknown = sorted(set(args) - allowed)
    if unknown:
        raise _ParameterError(unknown)
    return args


def _int(value: Any) -> int:
    """A parameter as an int (form values are strings); 0 when it is none."""
    return int(value) if str(value or "").isdigit() else 0


def _project() -> str:
    return request.environ["threeplay.project"]


def _api_path() -> str:
    return request.path[3:] if request.path.startswith("/v3") else request.path


def _ok(data: Any, **extra: Any) -> Response:
    return jsonify({"code": 200, "data": data, "meta": {}, **extra})


def _error(status: int, kind: str, message: str, items: list[str] | None = None) -> tuple[Response, int]:
    return jsonify({"code": status, "error": {"type": kind, "message": message, "items": items or []}}), status


def _no_media_found() -> tuple[Response, int]:
    """What a key of another project sees: an HTTP 200 whose body says no media was found."""
    body = {"code": 404, "error": {"type": "not_found_error", "message": "No media found", "items": []}}
    return jsonify(body), 200


def _page(items: list[dict[str, Any]], args: dict[str, Any]) -> Response:
    per_page = int(args.get("per_page") or 25)
    page = int(args.get("page") or 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    return _ok(chunk, pagination={"per_page": per_page, "current_page": page, "total_entries": len(items)})


def _fault_answer(fault: Fault) -> Any:
    headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
    if fault.html:
        page = HTML_PAGE.format(status=f"{fault.status} Error")
        return Response(page, fault.status, headers={**headers, "Content-Type": "text/html"})
    kinds = {401: "authentication_error", 403: "forbidden_error", 404: "not_found_error", 429: "rate_limit_error"}
    kind = fault.error_type or kinds.get(fault.status, "standard_error" if fault.status >= 500 else "parameter_error")
    response, status = _error(fault.status, kind, f"simulated {fault.status}")
    response.headers.update(headers)
    return response, status


def _drop_connection() -> None:
    """Close the request's connection (both ways) so that the client reads no answer at all."""
    connection = request.environ.get("werkzeug.socket")
    if connection is None:
        raise RuntimeError("the server gives no access to the connection: cannot drop it")
    with contextlib.suppress(OSError):  # the client is gone already
        connection.shutdown(socket.SHUT_RDWR)


def _public_file(media_file: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in media_file.items() if k != "project"}


def _callback_body(transcript: Transcript) -> dict[str, str]:
    """What 3Play POSTs on a status change: every value a string (``"cancellable": "false"``)."""
    body = {
        "id": str(transcript.id),
        "media_file_id": str(transcript.media_file_id),
        "batch_id": "" if transcript.batch_id is None else str(transcript.batch_id),
        "status": transcript.status,
        "cancellable": "true" if transcript.cancellable else "false",
    }
    if transcript.status == "cancelled":
        body["cancellation_reason"] = transcript.cancellation_reason or ""
        body["cancellation_details"] = transcript.cancellation_details or ""
    return body


def _clock_time(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"
