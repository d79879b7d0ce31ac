"""Throughput and accuracy of local Whisper settings: jobs per hour and word error rate, each
variant against the configuration the provider had before (``today``), in one run.

Three clips of synthetic speech with known scripts (espeak-ng, tests/support/speech.py) make one
*mix*: a 19 s news read, a 50 s interview in another voice, and over five minutes of six readings
in six voices and speeds with pauses between them. Every variant transcribes the whole mix with
``WhisperProvider.submit``, the way an ``asr`` worker does (decoding, recognition, cues); the
``workers`` variants run the mix in two worker processes at once, as two ``asr`` workers on one
machine would. Variants take turns within each round, so the machine's other load falls on all of
them alike; the figures are medians over the rounds.

For each variant: seconds for the mix, jobs per hour (the mix's three jobs), the ratio of its
jobs per hour to ``today``'s, the pooled word error rate over the three scripts and its
difference to ``today``'s in points, the real-time factor, and the CPU other processes of the
machine used meanwhile. Results go to ``bench/results/whisper/results-variants.json``.

    .venv/bin/python bench/whisper/variants_bench.py                 # every variant, 2 rounds
    .venv/bin/python bench/whisper/variants_bench.py --rounds 3 --only today,default
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.procstat import machine_busy_seconds  # noqa: E402
from bench.whisper.whisper_bench import machine, word_error_rate  # noqa: E402
from providers.base import JobView  # noqa: E402
from providers.whisper import WhisperProvider  # noqa: E402
from tests.support import speech  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "whisper"
GOAL_RATIO = 2.0
WER_TOLERANCE_POINTS = 0.5

#: The settings the provider ran with before this benchmark's levers: one part on every core,
#: sequential decoding, beam 5, no VAD.
TODAY: dict[str, Any] = {"parallel_parts": 1, "cpu_threads": 0, "batch_size": 0}


@dataclass(frozen=True)
class Variant:
    name: str
    settings: dict[str, Any]
    workers: int = 1  # worker processes running the mix at once
    note: str = ""


VARIANTS: tuple[Variant, ...] = (
    Variant("today", TODAY, note="1 part on 2 threads, sequential, beam 5"),
    Variant("default", {}, note="the new defaults: 2 parts at once on 1 thread each"),
    Variant("parts-2x2threads", {"parallel_parts": 2, "cpu_threads": 2}, note="2 parts at once on 2 threads each"),
    Variant("parts-4", {"parallel_parts": 4, "cpu_threads": 1}, note="4 parts at once on 1 thread each"),
    Variant("batched-8", {"batch_size": 8}, note="BatchedInferencePipeline, VAD chunks, batch 8"),
    Variant("batched-8-beam1", {"batch_size": 8, "beam_size": 1}, note="the same, beam 1"),
    Variant("beam1", {**TODAY, "beam_size": 1}, note="today with beam 1"),
    Variant(
        "vad-tuned",
        {**TODAY, "vad_filter": True, "vad_parameters": {"min_silence_duration_ms": 500, "speech_pad_ms": 200}},
        note="today with VAD (silences from 0.5 s, 0.2 s padding)",
    ),
    Variant("no-timestamps", {**TODAY, "without_timestamps": True}, note="today, text tokens only, words aligned"),
    Variant(
        "workers-2x1thread",
        {"parallel_parts": 1, "cpu_threads": 1},
        workers=2,
        note="2 worker processes, 1 job each at once, 1 thread",
    ),
    Variant(
        "workers-2-default",
        {"parallel_parts": 2, "cpu_threads": 1},
        workers=2,
        note="2 worker processes with the new defaults",
    ),
)


@dataclass(frozen=True)
class Clip:
    name: str
    path: Path
    script: str
    duration_s: float


@dataclass
class Run:
    seconds: float
    other_cores: float
    texts: dict[str, str] = field(default_factory=dict)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2, help="timed runs of every variant (default 2)")
    parser.add_argument("--only", help="comma-separated variant names (today is always run)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the clips and the results")
    return parser.parse_args(argv)


# -- the clips ------------------------------------------------------------------------------------


def make_clips(folder: Path) -> list[Clip]:
    """The mix: a short news read, an interview in another voice, and over five minutes of readings."""
    folder.mkdir(parents=True, exist_ok=True)
    news = speech.speech_mp4(speech.NEWS_SCRIPT, folder, "news")
    interview = speech.speak_wav(speech.INTERVIEW_SCRIPT, folder / "interview.wav", voice="en-us+f3", wpm=165)
    varied = speech.readings_wav(folder)
    return [
        Clip("news", news, speech.NEWS_SCRIPT, media_duration(news)),
        Clip("interview", interview, speech.INTERVIEW_SCRIPT, media_duration(interview)),
        Clip("readings", varied, speech.readings_script(), media_duration(varied)),
    ]


def media_duration(path: Path) -> float:
    import av

    with av.open(str(path)) as container:
        return float(container.duration or 0) / 1_000_000


# -- running a mix --------------------------------------------------------------------------------


def job_for(path: Path) -> JobView:
    @contextlib.contextmanager
    def open_media() -> Iterator[Path]:
        yield path

    return JobView(
        id=f"bench-{path.stem}", media_url=None, language="en", provider_params={}, output_types=["vtt"],
        open_media=open_media,
    )  # fmt: skip


def transcribe_mix(provider: WhisperProvider, clips: list[Clip]) -> dict[str, str]:
    """Each clip's transcript (the cues' text), one job after the other."""
    texts = {}
    for clip in clips:
        submission = provider.submit(job_for(clip.path))
        assert submission.result is not None, submission.status
        texts[clip.name] = " ".join(" ".join(cue.lines) for cue in submission.result.captions.cues)
    return texts


_WORKER_PROVIDER: WhisperProvider | None = None


def _worker_start(settings: dict[str, Any], warm: str) -> None:
    global _WORKER_PROVIDER
    _WORKER_PROVIDER = WhisperProvider(settings)
    _WORKER_PROVIDER.submit(job_for(Path(warm)))  # loads the model, as a worker's first job does


def _worker_mix(clips: list[Clip]) -> dict[str, str]:
    assert _WORKER_PROVIDER is not None
    return transcribe_mix(_WORKER_PROVIDER, clips)


class Runner:
    """Runs one variant's mix: in this process, or in its pool of worker processes."""

    def __init__(self, variant: Variant, clips: list[Clip]) -> None:
        self.variant = variant
        self.clips = clips
        self.provider: WhisperProvider | None = None
        self.pool: Any = None
        if variant.workers > 1:
            context = multiprocessing.get_context("spawn")
            self.pool = context.Pool(variant.workers, _worker_start, (variant.settings, str(clips[0].path)))
        else:
            self.provider = WhisperProvider(variant.settings)
            self.provider.submit(job_for(clips[0].path))  # the model loaded and warm

    def run(self) -> Run:
        busy0, started = machine_busy_seconds(), time.perf_counter()
        own0 = own_cpu_seconds()
        if self.pool is not None:
            results = self.pool.map(_worker_mix, [self.clips] * self.variant.workers)
            texts = results[0]
        else:
            assert self.provider is not None
            texts = transcribe_mix(self.provider, self.clips)
        seconds = time.perf_counter() - started
        others = max(0.0, machine_busy_seconds() - busy0 - (own_cpu_seconds() - own0)) / seconds
        return Run(seconds, round(others, 2), texts)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool.join()


def own_cpu_seconds() -> float:
    """CPU of this process and of its worker processes (live ones read from /proc)."""
    from bench.procstat import children_of, cpu_seconds

    return cpu_seconds([os.getpid(), *children_of(os.getpid())], waited_children=True)


# -- figures --------------------------------------------------------------------------------------


def pooled_wer(clips: list[Clip], texts: dict[str, str]) -> float:
    """Errors over all three scripts divided by their words (each clip's WER weighted by its length)."""
    words = {clip.name: len(clip.script.split()) for clip in clips}
    errors = sum((word_error_rate(clip.script, texts[clip.name]) or 0.0) * words[clip.name] for clip in clips)
    return errors / sum(words.values())


def summarise(variant: Variant, runs: list[Run], clips: list[Clip], today: dict[str, Any] | None) -> dict[str, Any]:
    seconds = statistics.median(run.seconds for run in runs)
    audio_s = sum(clip.duration_s for clip in clips) * variant.workers
    jobs = len(clips) * variant.workers
    texts = runs[-1].texts
    summary: dict[str, Any] = {
        "variant": variant.name,
        "note": variant.note,
        "settings": variant.settings,
        "workers": variant.workers,
        "seconds": round(seconds, 2),
        "seconds_per_round": [round(run.seconds, 2) for run in runs],
        "jobs_per_hour": round(3600 * jobs / seconds, 1),
        "real_time_factor": round(seconds / audio_s, 4),
        "wer": round(pooled_wer(clips, texts), 4),
        "wer_per_clip": {clip.name: word_error_rate(clip.script, texts[clip.name]) for clip in clips},
        "other_cores": [run.other_cores for run in runs],
    }
    summary["best_seconds"] = round(min(run.seconds for run in runs), 2)
    summary["best_jobs_per_hour"] = round(3600 * jobs / summary["best_seconds"], 1)
    if today is not None:
        summary["ratio"] = round(summary["jobs_per_hour"] / today["jobs_per_hour"], 2)
        summary["best_ratio"] = round(summary["best_jobs_per_hour"] / today["best_jobs_per_hour"], 2)
        # Against the mean of today's two runs in the same round (one before, one after it).
        today_s = today["seconds_per_round"]
        summary["ratio_per_round"] = [
            round((today_s[2 * k] + today_s[2 * k + 1]) / 2 / run.seconds * variant.workers, 2)
            for k, run in enumerate(runs)
        ]
        summary["ratio_median_of_rounds"] = statistics.median(summary["ratio_per_round"])
        summary["wer_points"] = round(100 * (summary["wer"] - today["wer"]), 2)
        summary["keeps_accuracy"] = abs(summary["wer_points"]) <= WER_TOLERANCE_POINTS or summary["wer_points"] < 0
    return summary


def print_table(summaries: list[dict[str, Any]]) -> None:
    print(
        f"\n{'variant':20} {'mix s':>7} {'jobs/h':>8} {'ratio':>6} {'rounds':>6} {'best':>6} {'WER %':>6} {'Δ pts':>6}"
        "  ratio per round / other cores per round"
    )
    for s in summaries:
        print(
            f"{s['variant']:20} {s['seconds']:7.1f} {s['jobs_per_hour']:8.0f} {s.get('ratio', 1.0):6.2f} "
            f"{s.get('ratio_median_of_rounds', 1.0):6.2f} "
            f"{s.get('best_ratio', 1.0):6.2f} {100 * s['wer']:6.2f} {s.get('wer_points', 0.0):+6.2f}  "
            f"{s.get('ratio_per_round', '')} / {s['other_cores']}"
        )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wanted = set(args.only.split(",")) | {"today"} if args.only else None
    variants = [v for v in VARIANTS if wanted is None or v.name in wanted]
    clips = make_clips(args.out / "clips")
    print("clips:", ", ".join(f"{clip.name} {clip.duration_s:.0f} s" for clip in clips), flush=True)
    runners = [Runner(variant, clips) for variant in variants]
    runs: dict[str, list[Run]] = {variant.name: [] for variant in variants}
    try:
        for round_index in range(args.rounds):
            # Today's runs open and close the round; the others take turns in a changing order.
            others = runners[1:] if round_index % 2 == 0 else runners[:0:-1]
            for runner in [runners[0], *others, runners[0]]:
                run = runner.run()
                runs[runner.variant.name].append(run)
                print(f"round {round_index + 1} {runner.variant.name:20} {run.seconds:6.1f} s", flush=True)
    finally:
        for runner in runners:
            runner.close()
    today = summarise(variants[0], runs["today"], clips, None)
    summaries = [today] + [summarise(v, runs[v.name], clips, today) for v in variants[1:]]
    print_table(summaries)
    result = {
        "machine": machine(),
        "clips": [{"name": c.name, "seconds": round(c.duration_s, 1), "words": len(c.script.split())} for c in clips],
        "rounds": args.rounds,
        "goal": {"ratio": GOAL_RATIO, "wer_tolerance_points": WER_TOLERANCE_POINTS},
        "variants": summaries,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "results-variants.json"
    path.write_text(json.dumps(result, indent=1) + "\n")
    print(f"\nwritten to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
