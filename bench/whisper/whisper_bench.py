"""Benchmark of local Whisper captioning: the whole gateway and the provider against bare faster-whisper.

The default mode (``end-to-end``) makes about 60 s of speech (espeak-ng reading a news script,
muxed into mp4) and starts a gateway of its own: redis-server (free port, temporary folder,
append-only file), gunicorn serving ``wsgi:app`` (one worker), one ``asr`` and one ``default``
worker (``python -m gateway.cli worker ...``), local storage in the temporary folder and Whisper
settings equal to the bare run's. Then, after one untimed run of each, it alternates
``--repeats`` times:

(a) **bare**: ``WhisperModel.transcribe`` of the file in this process with the provider's
    settings (``word_timestamps=True``, same beam, same ``condition_on_previous_text``),
    iterating every segment and word;
(b) **provider**: ``WhisperProvider.submit`` on the same file in this process, model warm
    (decoding, recognition, word conversion and segmenting into cues); ``--skip-provider``
    leaves it out;
(c) **gateway**: ``POST /captions`` (multipart, the file as the ``media`` part, provider
    ``whisper``, outputs vtt, srt and txt), then ``GET /jobs/<id>`` every 0.05 s until the job
    is done; the outputs are checked afterwards by downloading the vtt (not timed).

It reports medians, the ratios (c)/(a) (goal at most 1.10) and (b)/(a), real-time factors, how
the gateway's extra time divides (upload and queueing, worker-side work around recognition,
result polling), the peak memory (VmHWM) of the ``asr`` worker and of this process, the CPU that
other processes of the machine used meanwhile, and jobs per hour for 60 s clips with one ``asr``
worker: from the single-job time and measured with ``--burst`` jobs posted at once. Every process
it started and the temporary folder are removed at the end, also after Ctrl-C or an error.

``--mode local`` runs (a) against (b) only. ``--gateway URL --api-key KEY`` times (c) against an
already running gateway instead (nothing is started; its settings are its own).

    .venv/bin/python bench/whisper/whisper_bench.py                    # end to end, 3 repeats
    .venv/bin/python bench/whisper/whisper_bench.py --mode local
    .venv/bin/python bench/whisper/whisper_bench.py --gateway http://127.0.0.1:8000 --api-key KEY
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.procstat import children_of, cpu_seconds, machine_busy_seconds, vm_hwm_mib  # noqa: E402
from providers.base import JobView  # noqa: E402
from providers.whisper import DEFAULT_SETTINGS, WhisperProvider  # noqa: E402
from tests.support.services import RedisServer, WorkerProcess, free_port, wait_for  # noqa: E402
from tests.support.speech import LONG_SCRIPT, speech_mp4  # noqa: E402

DEFAULT_OUT = ROOT / "bench" / "results" / "whisper"
POLL_INTERVAL_S = 0.05
GOAL_RATIO = 1.10
HOST = "127.0.0.1"
API_KEY = "bench-key-0123456789abcdef"
SECRET = "bench-secret-0123456789abcdef"
OUTPUT_TYPES = ("vtt", "srt", "txt")
Run = Callable[[], tuple[float, dict[str, Any]]]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mode",
        choices=("end-to-end", "local"),
        default="end-to-end",
        help="end-to-end: bare, provider and an own gateway (default); local: bare and provider only",
    )
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each variant (default 3)")
    parser.add_argument(
        "--burst", type=int, default=3, help="jobs posted at once to measure jobs per hour (end-to-end; 0: none)"
    )
    parser.add_argument("--skip-provider", action="store_true", help="end-to-end without the in-process provider")
    parser.add_argument("--media", type=Path, help="an existing media file instead of the generated clip")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="folder for the clip and the results")
    parser.add_argument("--model", default=DEFAULT_SETTINGS["model"], help="model name or path")
    parser.add_argument("--beam-size", type=int, default=DEFAULT_SETTINGS["beam_size"])
    parser.add_argument("--cpu-threads", type=int, default=DEFAULT_SETTINGS["cpu_threads"])
    parser.add_argument("--compute-type", default=DEFAULT_SETTINGS["compute_type"])
    parser.add_argument("--device", default=DEFAULT_SETTINGS["device"])
    parser.add_argument("--gateway", help="base URL of a running gateway: time POST to done through it only")
    parser.add_argument("--api-key", help="API key for --gateway")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for one gateway job")
    parser.add_argument("--keep-temp", action="store_true", help="keep the gateway's temporary folder (logs)")
    return parser.parse_args(argv)


# -- the clip and the settings ------------------------------------------------------------------


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
    """The Whisper settings both the bare run and the gateway's ``asr`` worker use."""
    return {
        "model": args.model,
        "device": args.device,
        "compute_type": args.compute_type,
        "cpu_threads": args.cpu_threads,
        "num_workers": DEFAULT_SETTINGS["num_workers"],
        # One part, sequential: the same decoding as the bare run (variants_bench.py measures parts).
        "parallel_parts": 1,
        "batch_size": 0,
        "beam_size": args.beam_size,
        "vad_filter": DEFAULT_SETTINGS["vad_filter"],
        "condition_on_previous_text": DEFAULT_SETTINGS["condition_on_previous_text"],
    }


def machine() -> dict[str, Any]:
    from importlib.metadata import version

    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model or platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "faster_whisper": version("faster-whisper"),
        "ctranslate2": version("ctranslate2"),
        "load_average_at_start": [round(v, 2) for v in os.getloadavg()],
    }


# -- measuring -----------------------------------------------------------------------------------


@dataclass
class Sample:
    seconds: float  # what the variant itself timed
    cpu_s: float  # CPU of this process and the gateway's processes meanwhile
    other_cores: float  # CPU every other process of the machine used meanwhile, in cores
    extra: dict[str, Any] = field(default_factory=dict)


class Meter:
    """Times a run and the CPU used meanwhile by our processes and by everything else."""

    def __init__(self, pids: Callable[[], list[int]]) -> None:
        self.pids = pids

    def measure(self, run: Run) -> Sample:
        pids = self.pids()
        cpu0, busy0, t0 = cpu_seconds(pids, waited_children=True), machine_busy_seconds(), time.monotonic()
        seconds, extra = run()
        cpu1, busy1, t1 = cpu_seconds(pids, waited_children=True), machine_busy_seconds(), time.monotonic()
        ours = cpu1 - cpu0
        return Sample(seconds, round(ours, 2), round(max(0.0, busy1 - busy0 - ours) / (t1 - t0), 2), extra)


# -- the variants ---------------------------------------------------------------------------------


def load_bare_model(settings: dict[str, Any]) -> tuple[Any, float]:
    """faster-whisper's model with the provider's settings, and the seconds it took to load."""
    from faster_whisper import WhisperModel

    started = time.perf_counter()
    model = WhisperModel(
        settings["model"],
        device=settings["device"],
        compute_type=settings["compute_type"],
        cpu_threads=settings["cpu_threads"],
        num_workers=settings["num_workers"],
        local_files_only=True,
    )
    return model, time.perf_counter() - started


def bare_run(model: Any, media: Path, settings: dict[str, Any]) -> tuple[float, str]:
    """(a): faster-whisper alone, every segment and word iterated."""
    started = time.perf_counter()
    segments, _info = model.transcribe(
        str(media),
        language="en",
        beam_size=settings["beam_size"],
        word_timestamps=True,
        vad_filter=settings["vad_filter"],
        condition_on_previous_text=settings["condition_on_previous_text"],
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


def post_job(session: Any, base: str, media: Path, tag: str) -> dict[str, Any]:
    with media.open("rb") as handle:
        response = session.post(
            f"{base}/captions",
            data={
                "provider": "whisper",
                "language": "en",
                "parent_id": f"whisper-bench-{tag}",
                "output_types": ",".join(OUTPUT_TYPES),
            },
            files={"media": (media.name, handle, "video/mp4")},
            timeout=60,
        )
    response.raise_for_status()
    return response.json()


def poll_job(
    session: Any, base: str, job: dict[str, Any], started: float, timeout: float, alive: Callable[[], None]
) -> dict[str, Any]:
    """``GET /jobs/<id>`` every :data:`POLL_INTERVAL_S` until the job has ended."""
    while job.get("status") not in ("done", "error", "cancelled"):
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"job {job.get('id')} still {job.get('status')} after {timeout:.0f} s")
        alive()
        # A short fixed interval: the measured wall time is at most this much late.
        time.sleep(POLL_INTERVAL_S)
        response = session.get(f"{base}/jobs/{job['id']}", timeout=30)
        response.raise_for_status()
        job = response.json()
    return job


def gateway_job(
    session: Any, base: str, media: Path, timeout: float, alive: Callable[[], None] = lambda: None
) -> dict[str, Any]:
    """(c): POST the clip, poll until the job ends, then check its outputs (not timed)."""
    posted_at = time.time()
    started = time.perf_counter()
    job = post_job(session, base, media, f"{posted_at:.6f}")
    post_s = time.perf_counter() - started
    job = poll_job(session, base, job, started, timeout, alive)
    wall_s = time.perf_counter() - started
    if job.get("status") != "done":
        raise RuntimeError(f"job {job.get('id')} ended {job.get('status')}: {job.get('error')}")
    missing = set(OUTPUT_TYPES) - {output["type"] for output in job.get("outputs") or ()}
    vtt = session.get(f"{base}/jobs/{job['id']}/download/vtt", timeout=30)
    if missing or vtt.status_code != 200 or not vtt.text.startswith("WEBVTT"):
        raise RuntimeError(f"job {job['id']}: outputs missing {sorted(missing)} or vtt answered {vtt.status_code}")
    timings = job.get("timings") or {}
    info = job.get("provider_info") or {}
    extra: dict[str, Any] = {
        "id": job["id"],
        "post_s": round(post_s, 3),
        "queue_s": timings.get("queue_s"),
        "run_s": timings.get("run_s"),
        "total_s": timings.get("total_s"),
        "transcribe_s": info.get("transcribe_s"),
        "worker_pid": info.get("worker_pid"),
        "model_loads": info.get("model_loads"),
        "words": info.get("words"),
        "vtt_bytes": len(vtt.content),
    }
    created = epoch(job.get("created_at"))
    if created is not None and timings.get("total_s") is not None:
        # Gateway and benchmark on one machine read one clock: the job was created upload_s after
        # the POST began, and seen done seen_after_s after it finished.
        extra["upload_s"] = round(created - posted_at, 3)
        extra["seen_after_s"] = round(posted_at + wall_s - (created + timings["total_s"]), 3)
    return {"wall_s": wall_s, **extra}


def epoch(stamp: str | None) -> float | None:
    """Seconds since the epoch of a job's ISO 8601 UTC time stamp."""
    if not stamp:
        return None
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def transcript_of(session: Any, base: str, job_id: str) -> str:
    response = session.get(f"{base}/jobs/{job_id}/download/txt", timeout=30)
    response.raise_for_status()
    return response.text


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
    return round(jiwer.wer(reference, hypothesis, reference_transform=normalise, hypothesis_transform=normalise), 4)


# -- a gateway of our own -------------------------------------------------------------------------


class LocalGateway:
    """redis-server, gunicorn and one ``asr`` and one ``default`` worker in a temporary folder."""

    def __init__(self, settings: dict[str, Any], folder: Path) -> None:
        self.settings = settings
        self.folder = folder
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}"
        self.redis = RedisServer(folder / "redis")
        self.gunicorn: subprocess.Popen[bytes] | None = None
        self.asr: WorkerProcess | None = None
        self.default: WorkerProcess | None = None

    def env(self) -> dict[str, str]:
        import yaml

        config = {
            "storage": {"backend": "local", "local": {"root": str(self.folder / "storage")}},
            "providers": {"whisper": dict(self.settings)},
        }
        (self.folder / "config.yaml").write_text(yaml.safe_dump(config))
        # Only this run's settings: GATEWAY_* variables of the calling shell would override them.
        env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
        return {
            **env,
            "GATEWAY_CONFIG": str(self.folder / "config.yaml"),
            "GATEWAY_REDIS_URL": self.redis.url,
            "GATEWAY_API_KEYS": API_KEY,
            "GATEWAY_SECRET_KEY": SECRET,
            "GATEWAY_PUBLIC_URL": self.url,
        }

    def start(self) -> LocalGateway:
        import redis
        from rq import Worker

        self.redis.start()
        client = redis.Redis.from_url(self.redis.url)
        client.config_set("appendfsync", "everysec")  # as make run
        env = self.env()
        self.asr = WorkerProcess(["asr"], env, self.folder / "worker-asr.log").start()
        self.default = WorkerProcess(["default"], env, self.folder / "worker-default.log").start()
        command = [sys.executable, "-m", "gunicorn", "--workers", "1", "--threads", "2"]
        command += ["--bind", f"{HOST}:{self.port}", "wsgi:app"]
        with open(self.folder / "gunicorn.log", "ab") as log:
            self.gunicorn = subprocess.Popen(
                command, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(self._healthy, 60, 0.2, what=f"gunicorn (log: {self.folder / 'gunicorn.log'})")
        wait_for(lambda: self.alive() or Worker.count(connection=client) >= 2, 60, 0.2, what="both workers")
        return self

    def _healthy(self) -> bool:
        import requests

        self.alive()
        try:
            return requests.get(f"{self.url}/health", timeout=2).status_code == 200
        except requests.RequestException:
            return False

    def processes(self) -> dict[str, subprocess.Popen[bytes] | None]:
        workers = {f"worker-{w.queues[0]}": w.proc for w in (self.asr, self.default) if w is not None}
        return {"redis-server": self.redis.proc, "gunicorn": self.gunicorn, **workers}

    def alive(self) -> None:
        """Raise if a process of the gateway has exited (its log says why)."""
        for name, proc in self.processes().items():
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}; logs in {self.folder}")

    def main_pids(self) -> dict[str, int]:
        return {name: proc.pid for name, proc in self.processes().items() if proc is not None}

    def pids(self) -> list[int]:
        """Every process of the gateway: the main ones and their children (gunicorn's worker,
        the RQ schedulers, work horses)."""
        mains = list(self.main_pids().values())
        return mains + [child for pid in mains for child in children_of(pid)]

    def memory(self) -> dict[str, float | None]:
        """Peak resident memory (VmHWM, MiB) of each process of the gateway."""
        out = {name: vm_hwm_mib(pid) for name, pid in self.main_pids().items()}
        if self.gunicorn is not None:
            workers = [vm_hwm_mib(child) or 0.0 for child in children_of(self.gunicorn.pid)]
            out["gunicorn worker"] = max(workers, default=None)
        return out

    def stop(self) -> None:
        """Stop every process (workers, gunicorn, Redis last), each whatever happened to the others."""
        groups = [w.proc for w in (self.asr, self.default) if w is not None] + [self.gunicorn]
        for proc in groups:
            if proc is None:
                continue
            try:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                    proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
            finally:
                # It and anything it left behind (RQ's scheduler, a work horse, gunicorn's worker):
                # each was started in a session of its own.
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        proc = self.redis.proc
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@contextlib.contextmanager
def local_gateway(settings: dict[str, Any], keep: bool) -> Iterator[LocalGateway]:
    folder = Path(tempfile.mkdtemp(prefix="whisper-bench-"))
    gateway = LocalGateway(settings, folder)
    try:
        yield gateway.start()
    finally:
        gateway.stop()
        if keep:
            print(f"kept {folder}", file=sys.stderr)
        else:
            shutil.rmtree(folder, ignore_errors=True)


# -- the runs -------------------------------------------------------------------------------------


def alternate(
    variants: dict[str, Run], repeats: int, meter: Meter, warmups: dict[str, float] | None = None
) -> dict[str, list[Sample]]:
    """One untimed run of each variant (its time kept in ``warmups``), then ``repeats`` rounds of
    each in turn."""
    for name, run in variants.items():
        print(f"warm-up: {name}", file=sys.stderr, flush=True)
        seconds, _extra = run()
        if warmups is not None:
            warmups[name] = round(seconds, 3)
    samples: dict[str, list[Sample]] = {name: [] for name in variants}
    for round_no in range(repeats):
        for name, run in variants.items():
            sample = meter.measure(run)
            samples[name].append(sample)
            print(
                f"round {round_no + 1}/{repeats}: {name:<8} {sample.seconds:6.2f} s  "
                f"(other load {sample.other_cores:.2f} cores)",
                file=sys.stderr,
                flush=True,
            )
    return samples


def median_of(samples: list[Sample], key: str | None = None) -> float | None:
    values = [s.seconds if key is None else s.extra.get(key) for s in samples]
    values = [v for v in values if v is not None]
    return round(statistics.median(values), 3) if values else None


def median_diff(samples: list[Sample], diff: Callable[[Sample], float]) -> float:
    return round(statistics.median(diff(s) for s in samples), 3)


def series(samples: list[Sample]) -> list[float]:
    return [round(s.seconds, 3) for s in samples]


def per_60s_clip(seconds: float, duration: float) -> int:
    """Jobs per hour for 60 s clips, one at a time, if time grows with the clip's length."""
    return round(3600 / (seconds * 60 / duration))


def burst(
    session: Any, base: str, media: Path, count: int, timeout: float, alive: Callable[[], None]
) -> dict[str, Any]:
    """``count`` jobs posted back to back, then polled until all are done: measured throughput."""
    started = time.perf_counter()
    jobs = [post_job(session, base, media, f"burst-{time.time():.6f}-{n}") for n in range(count)]
    ended = [poll_job(session, base, job, started, timeout * count, alive) for job in jobs]
    wall_s = time.perf_counter() - started
    failed = [job["id"] for job in ended if job.get("status") != "done"]
    if failed:
        raise RuntimeError(f"burst jobs not done: {failed}")
    return {"jobs": count, "wall_s": round(wall_s, 3), "per_job_s": round(wall_s / count, 3)}


def end_to_end_bench(args: argparse.Namespace) -> dict[str, Any]:
    import requests

    media = clip(args)
    duration = media_duration(media)
    settings = settings_of(args)
    info = machine()
    with local_gateway(settings, args.keep_temp) as gateway:
        bare_model, bare_load_s = load_bare_model(settings)
        provider = None
        if not args.skip_provider:
            provider = WhisperProvider(settings)
            provider.load_model()
        session = requests.Session()
        session.headers["X-Api-Key"] = API_KEY
        texts: dict[str, str] = {}
        last_job: dict[str, str] = {}

        def bare() -> tuple[float, dict[str, Any]]:
            elapsed, texts["bare"] = bare_run(bare_model, media, settings)
            return elapsed, {}

        def in_process() -> tuple[float, dict[str, Any]]:
            assert provider is not None
            elapsed, texts["provider"], details = provider_run(provider, media)
            return elapsed, {"transcribe_s": details.get("transcribe_s")}

        def through_gateway() -> tuple[float, dict[str, Any]]:
            run = gateway_job(session, gateway.url, media, args.timeout, gateway.alive)
            last_job["id"] = run["id"]
            return run.pop("wall_s"), run

        variants: dict[str, Run] = {"bare": bare}
        if provider is not None:
            variants["provider"] = in_process
        variants["gateway"] = through_gateway
        meter = Meter(lambda: [os.getpid(), *gateway.pids()])
        warmups: dict[str, float] = {}
        samples = alternate(variants, args.repeats, meter, warmups)
        bursts = None
        if args.burst > 0:
            print(f"burst: {args.burst} jobs at once", file=sys.stderr, flush=True)

            def measured_burst() -> tuple[float, dict[str, Any]]:
                run = burst(session, gateway.url, media, args.burst, args.timeout, gateway.alive)
                return run["wall_s"], run

            sample = meter.measure(measured_burst)
            bursts = {**sample.extra, "other_cores": sample.other_cores}
        gateway_text = transcript_of(session, gateway.url, last_job["id"])
        memory = {**gateway.memory(), "benchmark process": vm_hwm_mib()}
        asr_pid = gateway.main_pids().get("worker-asr")
    result = summarise(args, media, duration, settings, info, samples, bursts, memory, texts, gateway_text)
    return result | {
        # The jobs ran in the asr worker's own process (no work horse): its VmHWM holds the model.
        "jobs_ran_in_asr_worker_process": all(s.extra.get("worker_pid") == asr_pid for s in samples["gateway"]),
        "bare_model_load_s": round(bare_load_s, 3),
        "warmup_s": warmups,  # the first gateway job also loads the model in the asr worker
    }


def summarise(
    args: argparse.Namespace,
    media: Path,
    duration: float,
    settings: dict[str, Any],
    info: dict[str, Any],
    samples: dict[str, list[Sample]],
    bursts: dict[str, Any] | None,
    memory: dict[str, Any],
    texts: dict[str, str],
    gateway_text: str,
) -> dict[str, Any]:
    bare_s = median_of(samples["bare"]) or 0.0
    gw = samples["gateway"]
    gw_s = median_of(gw) or 0.0
    script = LONG_SCRIPT if not args.media else None
    ratio = round(gw_s / bare_s, 3)
    # Where the gateway's time goes, per job (all on one machine, one clock):
    # POST answered (upload, store, enqueue) + waiting for the worker + running + seeing it done.
    # Where the gateway's extra time goes, per job (one machine, one clock): the POST up to the job's
    # creation, queued (upload stored, Redis transaction, answer, RQ hand-over), the worker's run
    # around recognition (media fetch, segmenting, rendering, storing, linting) and recognition
    # itself against the bare run, then the wait until a poll sees the job done.
    split = {
        "post_s": median_of(gw, "post_s"),
        "upload_s": median_of(gw, "upload_s"),
        "queue_s": median_of(gw, "queue_s"),
        "run_s": median_of(gw, "run_s"),
        "transcribe_s": median_of(gw, "transcribe_s"),
        "run_minus_transcribe_s": median_diff(gw, lambda s: s.extra["run_s"] - s.extra["transcribe_s"]),
        "transcribe_minus_bare_s": round(
            statistics.median(g.extra["transcribe_s"] - b.seconds for g, b in zip(gw, samples["bare"], strict=True)),
            3,
        ),
        "seen_after_s": median_of(gw, "seen_after_s"),
        "wall_minus_run_s": median_diff(gw, lambda s: s.seconds - s.extra["run_s"]),
    }
    result: dict[str, Any] = {
        "mode": "end-to-end",
        "machine": info,
        "media": str(media),
        "media_duration_s": round(duration, 2),
        "settings": settings,
        "repeats": args.repeats,
        "bare_s": series(samples["bare"]),
        "gateway_s": series(gw),
        "bare_median_s": bare_s,
        "gateway_median_s": gw_s,
        "gateway_over_bare": ratio,
        "gateway_over_bare_per_round": [
            round(g.seconds / b.seconds, 3) for g, b in zip(gw, samples["bare"], strict=True)
        ],
        "goal_ratio": GOAL_RATIO,
        "goal_met": ratio <= GOAL_RATIO,
        "gateway_split_median_s": split,
        "bare_rtf": round(bare_s / duration, 4),
        "gateway_rtf": round(gw_s / duration, 4),
        "cpu_s_median": {name: round(statistics.median(s.cpu_s for s in runs), 2) for name, runs in samples.items()},
        "other_load_cores": {name: [s.other_cores for s in runs] for name, runs in samples.items()},
        "jobs_per_hour_60s_clip": {
            "bare_one_at_a_time": per_60s_clip(bare_s, duration),
            "gateway_one_at_a_time": per_60s_clip(gw_s, duration),
            "gateway_burst_measured": per_60s_clip(bursts["per_job_s"], duration) if bursts else None,
        },
        "burst": bursts,
        "peak_memory_mib": memory,
        "gateway_runs": [{"wall_s": round(s.seconds, 3), **s.extra} for s in gw],
        "wer": {
            "bare": None if script is None else word_error_rate(script, texts.get("bare", "")),
            "gateway": None if script is None else word_error_rate(script, gateway_text),
        },
    }
    if "provider" in samples:
        provider_s = median_of(samples["provider"]) or 0.0
        result |= {
            "provider_s": series(samples["provider"]),
            "provider_median_s": provider_s,
            "provider_over_bare": round(provider_s / bare_s, 3),
            "provider_rtf": round(provider_s / duration, 4),
        }
        result["wer"]["provider"] = None if script is None else word_error_rate(script, texts.get("provider", ""))
    return result


def local_bench(args: argparse.Namespace) -> dict[str, Any]:
    """(a) against (b) in this process only."""
    media = clip(args)
    duration = media_duration(media)
    settings = settings_of(args)
    bare_model, bare_load_s = load_bare_model(settings)
    provider = WhisperProvider(settings)
    started = time.perf_counter()
    provider.load_model()
    provider_load_s = time.perf_counter() - started
    texts: dict[str, str] = {}

    def bare() -> tuple[float, dict[str, Any]]:
        elapsed, texts["bare"] = bare_run(bare_model, media, settings)
        return elapsed, {}

    def in_process() -> tuple[float, dict[str, Any]]:
        elapsed, texts["provider"], details = provider_run(provider, media)
        return elapsed, {"model_loads": details.get("model_loads")}

    samples = alternate({"bare": bare, "provider": in_process}, args.repeats, Meter(lambda: [os.getpid()]))
    bare_s = median_of(samples["bare"]) or 0.0
    provider_s = median_of(samples["provider"]) or 0.0
    script = LONG_SCRIPT if not args.media else None
    return {
        "mode": "local",
        "machine": machine(),
        "media": str(media),
        "media_duration_s": round(duration, 2),
        "settings": settings,
        "repeats": args.repeats,
        "model_load_s": {"bare": round(bare_load_s, 3), "provider": round(provider_load_s, 3)},
        "bare_s": series(samples["bare"]),
        "provider_s": series(samples["provider"]),
        "bare_median_s": bare_s,
        "provider_median_s": provider_s,
        "bare_rtf": round(bare_s / duration, 4),
        "provider_rtf": round(provider_s / duration, 4),
        "provider_over_bare": round(provider_s / bare_s, 3),
        "jobs_per_hour_60s_clip": per_60s_clip(provider_s, duration),
        "peak_rss_mib": vm_hwm_mib(),
        "other_load_cores": {name: [s.other_cores for s in runs] for name, runs in samples.items()},
        "model_loads": samples["provider"][-1].extra.get("model_loads"),
        "wer_bare": None if script is None else word_error_rate(script, texts["bare"]),
        "wer_provider": None if script is None else word_error_rate(script, texts["provider"]),
    }


def gateway_bench(args: argparse.Namespace) -> dict[str, Any]:
    """(c) alone, through a gateway that is already running (its own settings and machine)."""
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
    wall_s = statistics.median(run["wall_s"] for run in runs)
    run_s = [run["run_s"] for run in runs if run.get("run_s") is not None]
    return {
        "mode": "gateway",
        "gateway": base,
        "media_duration_s": round(duration, 2),
        "repeats": args.repeats,
        "wall_s": [round(run["wall_s"], 3) for run in runs],
        "wall_median_s": round(wall_s, 3),
        "end_to_end_rtf": round(wall_s / duration, 4),
        "worker_run_median_s": round(statistics.median(run_s), 3) if run_s else None,
        "jobs_per_hour_60s_clip_one_worker": per_60s_clip(wall_s, duration),
        "runs": runs,
    }


def report(result: dict[str, Any]) -> str:
    """A few lines for the terminal."""
    if result["mode"] != "end-to-end":
        return json.dumps(result, indent=2)
    split = result["gateway_split_median_s"]
    memory = result["peak_memory_mib"]
    jobs = result["jobs_per_hour_60s_clip"]
    lines = [
        f"clip {result['media_duration_s']} s, {result['repeats']} repeats, medians:",
        f"  bare      {result['bare_median_s']:.2f} s  RTF {result['bare_rtf']}  {result['bare_s']}",
    ]
    if "provider_median_s" in result:
        lines.append(
            f"  provider  {result['provider_median_s']:.2f} s  RTF {result['provider_rtf']}  "
            f"{result['provider_s']}  provider/bare {result['provider_over_bare']}"
        )
    lines += [
        f"  gateway   {result['gateway_median_s']:.2f} s  RTF {result['gateway_rtf']}  {result['gateway_s']}",
        f"  gateway/bare {result['gateway_over_bare']} (per round {result['gateway_over_bare_per_round']}), "
        f"goal <= {GOAL_RATIO}: {'met' if result['goal_met'] else 'NOT met'}",
        f"  gateway split: to created {split['upload_s']} s, queued {split['queue_s']} s, run {split['run_s']} s "
        f"(transcribe {split['transcribe_s']} s, rest {split['run_minus_transcribe_s']} s), "
        f"seen done after {split['seen_after_s']} s; POST answered in {split['post_s']} s; "
        f"transcribe - bare {split['transcribe_minus_bare_s']} s",
        f"  peak memory: asr worker {memory.get('worker-asr')} MiB, benchmark {memory.get('benchmark process')} MiB",
        f"  jobs/hour (60 s clips, one asr worker): {jobs['gateway_one_at_a_time']} one at a time, "
        f"{jobs['gateway_burst_measured']} in a burst; bare {jobs['bare_one_at_a_time']}",
        f"  other load (cores) during the runs: {result['other_load_cores']}",
        f"  WER: {result['wer']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # Stop cleanly on Ctrl-C and SIGTERM, also when started in the background (SIGINT ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.gateway:
        result = gateway_bench(args)
    elif args.mode == "local":
        result = local_bench(args)
    else:
        result = end_to_end_bench(args)
    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / f"results-{result['mode']}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(report(result))
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; every process this benchmark started is stopped", file=sys.stderr)
        sys.exit(130)
