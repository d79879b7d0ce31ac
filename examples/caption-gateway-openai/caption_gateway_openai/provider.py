"""The ``openai`` provider: captions from any OpenAI-compatible ``/v1/audio/transcriptions`` endpoint.

OpenAI, Groq, LiteLLM and self-hosted servers (faster-whisper-server / speaches, whisper.cpp's
server) all answer the same route; the ``base_url`` setting says which. The endpoint answers
with the transcript of the file it was sent, so the provider is synchronous: ``submit`` opens the
job's media, sends it (transcoded or cut into parts when it is over ``max_upload_bytes``), reads
the ``verbose_json`` answers, puts every part's times back on the media's clock and cuts the
words into cues with the job's style profile.

Settings (``providers.openai`` in the gateway's configuration; every one optional but the key):

``api_key``
    The bearer key; from the environment only (``GATEWAY_PROVIDERS_OPENAI_API_KEY``). A
    self-hosted server without keys takes any value.
``base_url``
    ``https://api.openai.com/v1``; the path the endpoint's ``/audio/transcriptions`` hangs from.
``model``
    ``whisper-1``; Groq: ``whisper-large-v3-turbo``, self-hosted servers name their own models.
``allowed_models``
    Models a job may pick with its ``model`` param, besides ``model``.
``timeout_s``
    600: the longest one upload may take, transcription included.
``max_upload_bytes``
    25,000,000 (OpenAI refuses more than 25 MB): larger media is transcoded, then cut.
``upload_format``
    ``auto`` (the media itself when it fits, else MP3), or ``mp3``, ``ogg``, ``flac``, ``wav``
    to always transcode (whisper.cpp's server without ``--convert`` takes WAV only).
``audio_bitrate``
    32000 bit/s for MP3 and Ogg Opus uploads (16 kHz mono speech).
``word_timestamps``
    ``true``: ask for word timestamps; ``false`` for endpoints that refuse
    ``timestamp_granularities[]=word`` (segments are then shared among their words).

A job in ``auto`` is sent without a language, and the endpoint detects it: its answer names it
(OpenAI: ``english``), which is reported as its code (``en``) in the details' ``language``, and
the captions are made in that language.

Errors: 401, 400, 413 and other 4xx fail the job with the endpoint's words (a key in them is
hidden); 429 and 5xx are retried by the gateway, after ``Retry-After`` when given, except a 429
for an exhausted quota (``insufficient_quota``), which waiting does not fix.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import marshmallow
import requests
from marshmallow import fields, validate

import formats
from caption_gateway_openai import audio
from caption_gateway_openai.transcript import PartTranscript, read_verbose_json
from formats.model import Captions, Word
from providers import http
from providers.base import CaptionResult, JobView, Provider, ProviderStatus, Submission
from providers.errors import MediaCancelled, PermanentProviderError, ProviderError, TransientProviderError

SERVICE = "openai-compatible endpoint"

#: Every setting with its default (see the module docstring).
DEFAULT_SETTINGS: dict[str, Any] = {
    "base_url": "https://api.openai.com/v1",
    "model": "whisper-1",
    "allowed_models": [],
    "timeout_s": 600.0,
    "max_upload_bytes": 25_000_000,
    "upload_format": "auto",
    "audio_bitrate": 32000,
    "word_timestamps": True,
}

MAX_VOCABULARY_TERMS = 100
#: The endpoint reads the last 224 tokens of a prompt; the glossary stays well inside that.
MAX_GLOSSARY_CHARS = 400
#: The end of the previous part's text, given with the next part so a sentence cut runs on.
CONTINUATION_CHARS = 300

#: Things that look like API keys (OpenAI ``sk-...``, Groq ``gsk_...``), hidden in messages.
_KEY_LIKE = re.compile(r"\b(?:sk|gsk)[-_][\w*.\-]{4,}")


class OpenAIParams(marshmallow.Schema):
    """``provider_params`` of an ``openai`` job; unknown keys are refused."""

    class Meta:
        unknown = marshmallow.RAISE

    vocabulary = fields.List(
        fields.String(validate=validate.Length(min=1, max=100)),
        validate=validate.Length(max=MAX_VOCABULARY_TERMS),
        metadata={"description": "names and terms the speech contains, sent as the prompt to set their spelling"},
    )
    model = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "a model of the endpoint's, one of the allowed_models setting"},
    )


class OpenAIProvider(Provider):
    """Speech recognition by an OpenAI-compatible transcription endpoint (OpenAI, Groq, self-hosted Whisper)."""

    params_schema = OpenAIParams
    synchronous = True
    # A transcription holds its worker for as long as the endpoint works, so it runs on the asr
    # queue, like local Whisper, and never delays polling, callbacks or webhooks.
    queue = "asr"
    input_kind = "media"
    requires = ("av", "numpy")
    install_hint = "pip install caption-gateway-openai"
    required_settings = ("api_key",)

    def __init__(self, settings: Any = None, session: requests.Session | None = None) -> None:
        super().__init__(settings, session)
        self.base_url = str(self.setting("base_url")).rstrip("/")
        self.timeout_s = float(self.setting("timeout_s"))
        self.max_upload_bytes = int(self.setting("max_upload_bytes"))
        self.upload_format = str(self.setting("upload_format"))

    def setting(self, name: str) -> Any:
        """One setting, or its default from :data:`DEFAULT_SETTINGS`."""
        value = self.settings.get(name)
        return DEFAULT_SETTINGS[name] if value is None else value

    def allowed_models(self) -> set[str]:
        allowed = self.setting("allowed_models")
        if isinstance(allowed, str):
            allowed = allowed.split(",")
        return {str(name).strip() for name in allowed if str(name).strip()} | {str(self.setting("model"))}

    def validate_params(self, params: dict[str, Any]) -> dict[str, Any]:
        model = params.get("model")
        if model is not None and model not in self.allowed_models():
            raise marshmallow.ValidationError({"model": [f"Model {model!r} is not allowed here."]})
        return params

    # -- the job ---------------------------------------------------------------------------------

    def submit(self, job: JobView) -> Submission:
        """Send the job's media to the endpoint and return the finished captions."""
        params = self._job_params(job)
        open_media = self._media_opener(job)
        started = time.monotonic()
        try:
            with tempfile.TemporaryDirectory(prefix="caption-openai-") as folder, open_media() as media:
                parts = audio.uploads(
                    media,
                    Path(folder),
                    max_bytes=self.max_upload_bytes,
                    encoding=self.upload_format,
                    bitrate=int(self.setting("audio_bitrate")),
                )
                transcripts = self._transcribe_parts(parts, job, params)
                parts_sent = [(part.path.stat().st_size, part.path != media) for part in parts]
        except MediaCancelled:
            return _cancelled("cancelled while the media was fetched")
        if transcripts is None:
            return _cancelled()
        words = [word for transcript in transcripts for word in transcript.words]
        details = {
            "model": params.get("model") or str(self.setting("model")),
            "endpoint": urlsplit(self.base_url).hostname,
            **_upload_details(transcripts, parts_sent),
            "words": len(words),
            "transcribe_s": round(time.monotonic() - started, 3),
        }
        if not words:
            details["note"] = "no speech recognised; the captions are empty"
        captions = self._captions(words, job, caption_language(job.language, details["language"]))
        result = CaptionResult(captions=captions, details=details)
        status = ProviderStatus(
            "done", details=f"transcribed {len(words)} words in {len(parts)} upload(s)", progress=100
        )
        return Submission(reference={}, status=status, result=result)

    def _media_opener(self, job: JobView) -> Callable[[], contextlib.AbstractContextManager[Path]]:
        """The job's ``open_media``, once it is sure the job can start (a key, a known upload_format, media)."""
        if not self.settings.get("api_key"):
            raise PermanentProviderError("the openai provider has no api_key (set GATEWAY_PROVIDERS_OPENAI_API_KEY)")
        if self.upload_format != "auto" and self.upload_format not in audio.ENCODINGS:
            choices = ", ".join(["auto", *audio.ENCODINGS])
            raise PermanentProviderError(f"the upload_format setting must be one of {choices}")
        if job.open_media is None:
            raise PermanentProviderError("the job has no media to transcribe")
        return job.open_media

    def _job_params(self, job: JobView) -> dict[str, Any]:
        try:
            return self.load_params(job.provider_params or {})
        except marshmallow.ValidationError as err:
            raise PermanentProviderError(f"invalid provider_params: {err.messages}") from err

    def _transcribe_parts(
        self, parts: list[audio.Upload], job: JobView, params: dict[str, Any]
    ) -> list[PartTranscript] | None:
        """Each part's transcript on the media's clock; ``None`` once the job is cancelled."""
        transcripts: list[PartTranscript] = []
        for index, part in enumerate(parts):
            if job.is_cancelled():
                return None
            previous = transcripts[-1].text if transcripts else ""
            answer = self._post(part, job.language, params, prompt(params.get("vocabulary") or [], previous))
            until = None if part.duration_s is None else part.offset_s + part.duration_s
            transcripts.append(read_verbose_json(answer, part.offset_s, until))
            job.report_progress(min(99, int(100 * (index + 1) / len(parts))))
        return transcripts

    def _captions(self, words: list[Word], job: JobView, language: str) -> Captions:
        if not words:
            return Captions(cues=[], language=language)
        return formats.segment(words, formats.get_profile(job.style or None), language=language)

    # -- the endpoint ----------------------------------------------------------------------------

    def _post(self, part: audio.Upload, language: str, params: dict[str, Any], text_prompt: str | None) -> Any:
        """One ``POST /audio/transcriptions``; the answer's JSON."""
        granularities = ["segment", "word"] if self.setting("word_timestamps") else ["segment"]
        form: dict[str, Any] = {
            "model": params.get("model") or str(self.setting("model")),
            "response_format": "verbose_json",
            "timestamp_granularities[]": granularities,
        }
        if endpoint_language(language):
            form["language"] = endpoint_language(language)
        if text_prompt:
            form["prompt"] = text_prompt
        seen: dict[str, Any] = {}
        with part.path.open("rb") as upload:
            try:
                response = http.call(
                    self.session,
                    "POST",
                    f"{self.base_url}/audio/transcriptions",
                    service=SERVICE,
                    timeout=self.timeout_s,
                    headers={"Authorization": f"Bearer {self.settings['api_key']}"},
                    data=form,
                    files={"file": (part.path.name, upload, part.mime_type)},
                    error_message=self._error_reader(seen),
                )
            except ProviderError as err:
                raise self._refined(err, seen) from err
        return http.json_body(response, SERVICE)

    def _error_reader(self, seen: dict[str, Any]) -> Callable[[requests.Response], str | None]:
        """Reads OpenAI's ``{"error": {"message", "code"}}``, keeping the status and code in ``seen``."""

        def read(response: requests.Response) -> str | None:
            seen["status"] = response.status_code
            error = response.json().get("error")
            if isinstance(error, dict):
                seen["code"] = error.get("code")
                return self.redact(str(error.get("message") or error.get("code") or ""))
            return self.redact(str(error)) if error else None

        return read

    def _refined(self, err: ProviderError, seen: dict[str, Any]) -> ProviderError:
        """The error of :func:`providers.http.call`, with what OpenAI's codes say beyond the status."""
        message = self.redact(str(err))
        if seen.get("code") == "insufficient_quota":
            return PermanentProviderError(f"{message} (the account's quota is used up: waiting does not help)")
        if seen.get("status") == 413:
            return PermanentProviderError(f"{message} (set max_upload_bytes to the endpoint's limit)")
        if isinstance(err, TransientProviderError):
            return TransientProviderError(message, err.retry_after)
        return PermanentProviderError(message)

    def redact(self, text: str) -> str:
        """``text`` without the API key or anything that looks like one."""
        key = str(self.settings.get("api_key") or "")
        if key:
            text = text.replace(key, "[key hidden]")
        return _KEY_LIKE.sub("[key hidden]", text)


def endpoint_language(language: str | None) -> str | None:
    """The ISO-639-1 code the endpoint takes for a job language (``en-US`` -> ``en``); ``None`` for ``auto``."""
    if not language or language.strip().lower() == "auto":
        return None
    return language.strip().replace("_", "-").split("-")[0].lower()


def caption_language(requested: str | None, detected: str | None) -> str:
    """The captions' language: the job's own, unless it is ``auto``; then the code of the language
    the endpoint detected (``en``), or ``und`` (BCP 47: undetermined) when it named none."""
    if requested and requested.strip().lower() != "auto":
        return requested
    return detected or "und"


def prompt(vocabulary: list[str], previous_text: str = "") -> str | None:
    """The prompt for one upload: a glossary of the job's terms, then the end of the previous part.

    The endpoint reads the prompt as text that came just before the audio, so the glossary sets
    the spelling of names, and the previous part's last words let a sentence cut between two
    uploads run on with the right capitals and punctuation.
    """
    pieces = []
    if vocabulary:
        kept: list[str] = []
        for term in vocabulary:
            if kept and len("Glossary: .") + len(", ".join([*kept, term])) > MAX_GLOSSARY_CHARS:
                break
            kept.append(term)
        pieces.append(f"Glossary: {', '.join(kept)}.")
    tail = previous_text.strip()[-CONTINUATION_CHARS:]
    if tail:
        pieces.append(tail.split(" ", 1)[-1] if len(previous_text.strip()) > CONTINUATION_CHARS else tail)
    return " ".join(pieces) or None


def _upload_details(transcripts: list[PartTranscript], parts_sent: list[tuple[int, bool]]) -> dict[str, Any]:
    """What the job's ``provider_info`` says of the uploads: the language, timestamps, sizes.

    ``language`` is the code of the language the endpoint detected (the gateway makes it the
    language of a job in ``auto``); an answer that names no known language is kept as
    ``endpoint_language`` instead.
    """
    language = next((t.language for t in transcripts if t.language), None)
    answered = next((t.language_answered for t in transcripts if t.language_answered), None)
    unknown = {"endpoint_language": answered} if answered and not language else {}
    return {
        "language": language,
        **unknown,
        "timestamps": transcripts[0].timestamps if transcripts else None,
        "uploads": len(parts_sent),
        "uploaded_bytes": sum(size for size, _transcoded in parts_sent),
        "transcoded": any(transcoded for _size, transcoded in parts_sent),
    }


def _cancelled(details: str = "cancelled during transcription") -> Submission:
    return Submission(reference={}, status=ProviderStatus("cancelled", details=details))
