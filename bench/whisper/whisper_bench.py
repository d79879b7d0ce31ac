"""Benchmark of local Whisper captioning: what the provider costs on top of bare faster-whisper.

Local mode (the default) makes about 60 s of speech (espeak-ng reading a news script, muxed into
mp4), then in one process measures, alternating, ``--repeats`` times each:

(a) bare faster-whisper: ``WhisperModel.transcribe`` of the file with the provider's settings
    (``word_timestamps=True``, same beam, same ``condition_on_previous_text``), iterating every
    segment and word;
(b) ``WhisperProvider.submit`` on the same file with the model warm (decoding, recognition,
    word conversion and segmenting into cues).

It reports medians, real-time factors, the ratio (b)/(a), the process's peak RSS and the jobs per
hour one such worker gets through with 60 s clips.

Gateway mode (``--gateway URL --api-key KEY``) posts the same clip to a running gateway
(``POST /captions`` with the file as the ``media`` part, provider ``whisper``) and polls
``GET /jobs/<id>`` until the job ends, reporting wall time from POST to done.

    python bench/whisper/whisper_bench.py --repeats 3
    python bench/whisper/whisper_bench.py --gateway http://127.0.0.1:8000 --api-key KEY
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from providers.base import JobView  # noqa: E402
from providers.whisper import DEFAULT_SETTINGS, WhisperProvider  # noqa: E402
from tests.support.speech import LONG_SCRIPT, speech_mp4  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "whisper"
POLL_INTERVAL_S = 0.1


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each variant (default 3)")
    parser.add_argument("--media", type=Path, help="an existing media file instead of the generated clip")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the clip and results.json")
    parser.add_argument("--model", default=DEFAULT_SETTINGS["model"], help="model name or path")
    parser.add_argument("--beam-size", type=int, default=DEFAULT_SETTINGS["beam_size"])
    parser.add_argument("--cpu-threads", type=int, default=DEFAULT_SETTINGS["cpu_threads"])
    parser.add_argument("--compute-type", default=DEFAULT_SETTINGS["compute_type"])
    parser.add_argument("--device", default=DEFAULT_SETTINGS["device"])
    parser.add_argument("--gateway", help="base URL of a running gateway: measure POST to done through it")
    parser.add_argument("--api-key", help="API key for --gateway")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for one gateway job")
    return parser.parse_args(argv)


def clip(args: argparse.Namespace) -> Path:
    """The media to transcribe: ``--media``, or a generated ~60 s news read."""
    if args.media:
        return args.media
    args.out.mkdir(parents=True, exist_ok=True)
    return speech_mp4(LONG_SCRIPT, args.out, "news-60s")


def media_duration(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1_000_000


def settings_of(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "model": args.model,
        "device": args.device,
        "compute_type": args.compute_type,
        "cpu_threads": args.cpu_threads,
        "beam_size": args.beam_size,
    }


def peak_rss_mib() -> float:
    """Peak resident set size of this process (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bare_run(model: Any, media: Path, settings: dict[str, Any]) -> tuple[float, str]:
    """(a): faster-whisper alone, every segment and word iterated."""
    started = time.perf_counter()
    segments, _info = model.transcribe(
        str(media),
        language="en",
        beam_size=settings["beam_size"],
        word_timestamps=True,
        vad_filter=DEFAULT_SETTINGS["vad_filter"],
        condition_on_previous_text=DEFAULT_SETTINGS["condition_on_previous_text"],
    )
    words = [word.word for segment in segments for word in segment.words or ()]
    return time.perf_counter() - started, "".join(words)


def provider_run(provider: WhisperProvider, media: Path) -> tuple[float, str, dict[str, Any]]:
    """(b): the provider's whole submit, captions segmented."""

    @contextlib.contextmanager
    def open_media() -> Iterator[Path]:
        yield media

    job = JobView(
        id="bench", media_url=None, language="en", provider_params={}, output_types=["vtt"], open_media=open_media
    )
    started = time.perf_counter()
    submission = provider.submit(job)
    elapsed = time.perf_counter() - started
    assert submission.result is not None, submission.status
    text = " ".join(" ".join(cue.lines) for cue in submission.result.captions.cues)
    return elapsed, text, submission.result.details


def word_error_rate(reference: str, hypothesis: str) -> float | None:
    try:
        import jiwer
    except ImportError:
        return None
    normalise = jiwer.Compose(
        [
            jiwer.ToLowerCase(),
            jiwer.RemovePunctuation(),
            jiwer.RemoveMultipleSpaces(),
            jiwer.Strip(),
            jiwer.ReduceToListOfListOfWords(),
        ]
    )
    return jiwer.wer(reference, hypothesis, reference_transform=normalise, hypothesis_transform=normalise)


def local_bench(args: argparse.Namespace) -> dict[str, Any]:
    from faster_whisper import WhisperModel

    media = clip(args)
    duration = media_duration(media)
    settings = settings_of(args)
    started = time.perf_counter()
    bare_model = WhisperModel(
        settings["model"],
        device=settings["device"],
        compute_type=settings["compute_type"],
        cpu_threads=settings["cpu_threads"],
        local_files_only=True,
    )
    bare_load_s = time.perf_counter() - started
    provider = WhisperProvider(settings)
    started = time.perf_counter()
    provider.load_model()
    provider_load_s = time.perf_counter() - started

    # One untimed run of each warms caches and allocators alike.
    bare_run(bare_model, media, settings)
    provider_run(provider, media)

    bare_times: list[float] = []
    provider_times: list[float] = []
    details: dict[str, Any] = {}
    bare_text = provider_text = ""
    for _ in range(args.repeats):
        elapsed, bare_text = bare_run(bare_model, media, settings)
        bare_times.append(elapsed)
        elapsed, provider_text, details = provider_run(provider, media)
        provider_times.append(elapsed)

    bare_s = statistics.median(bare_times)
    provider_s = statistics.median(provider_times)
    script = LONG_SCRIPT if not args.media else None
    return {
        "mode": "local",
        "media": str(media),
        "media_duration_s": round(duration, 2),
        "settings": settings,
        "cpu_count": os.cpu_count(),
        "repeats": args.repeats,
        "model_load_s": {"bare": round(bare_load_s, 3), "provider": round(provider_load_s, 3)},
        "bare_s": [round(t, 3) for t in bare_times],
        "provider_s": [round(t, 3) for t in provider_times],
        "bare_median_s": round(bare_s, 3),
        "provider_median_s": round(provider_s, 3),
        "bare_rtf": round(bare_s / duration, 4),
        "provider_rtf": round(provider_s / duration, 4),
        "provider_over_bare": round(provider_s / bare_s, 3),
        "jobs_per_hour_60s_clip": round(3600 / (provider_s * 60 / duration)),
        "peak_rss_mib": round(peak_rss_mib(), 1),
        "model_loads": details.get("model_loads"),
        "wer_bare": None if script is None else round(word_error_rate(script, bare_text) or 0, 4),
        "wer_provider": None if script is None else round(word_error_rate(script, provider_text) or 0, 4),
    }


def gateway_job(session: Any, base: str, media: Path, timeout: float) -> dict[str, Any]:
    """POST the clip to the gateway and poll the job until it ends; the job and the wall time."""
    started = time.perf_counter()
    with media.open("rb") as handle:
        response = session.post(
            f"{base}/captions",
            data={"provider": "whisper", "language": "en", "parent_id": "whisper-bench"},
            files={"media": (media.name, handle, "video/mp4")},
            timeout=60,
        )
    response.raise_for_status()
    job = response.json()
    while job.get("status") not in ("done", "error", "cancelled"):
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"job {job.get('id')} still {job.get('status')} after {timeout:.0f} s")
        # A short fixed interval: the measured wall time is at most this much late.
        time.sleep(POLL_INTERVAL_S)
        response = session.get(f"{base}/jobs/{job['id']}", timeout=30)
        response.raise_for_status()
        job = response.json()
    return {"wall_s": round(time.perf_counter() - started, 3), "job": job}


def gateway_bench(args: argparse.Namespace) -> dict[str, Any]:
    import requests

    if not args.api_key:
        raise SystemExit("--gateway needs --api-key")
    media = clip(args)
    duration = media_duration(media)
    base = args.gateway.rstrip("/")
    session = requests.Session()
    session.headers["X-Api-Key"] = args.api_key
    gateway_job(session, base, media, args.timeout)  # warm-up: the worker loads its model here
    runs = [gateway_job(session, base, media, args.timeout) for _ in range(args.repeats)]
    failed = [run["job"] for run in runs if run["job"].get("status") != "done"]
    walls = [run["wall_s"] for run in runs]
    wall_s = statistics.median(walls)
    run_times = [run["job"]["timings"]["run_s"] for run in runs if (run["job"].get("timings") or {}).get("run_s")]
    last = runs[-1]["job"]
    return {
        "mode": "gateway",
        "gateway": base,
        "media_duration_s": round(duration, 2),
        "repeats": args.repeats,
        "wall_s": walls,
        "wall_median_s": round(wall_s, 3),
        "end_to_end_rtf": round(wall_s / duration, 4),
        "worker_run_median_s": round(statistics.median(run_times), 3) if run_times else None,
        "jobs_per_hour_60s_clip_one_worker": round(3600 / (wall_s * 60 / duration)),
        "failed": [{"id": job.get("id"), "status": job.get("status"), "error": job.get("error")} for job in failed],
        "last_job_timings": last.get("timings"),
        "last_job_details": last.get("details"),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    result = gateway_bench(args) if args.gateway else local_bench(args)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"results-{result['mode']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    print(f"written to {out}", file=sys.stderr)
    return 0 if not result.get("failed") else 1


if __name__ == "__main__":
    sys.exit(main())
