"""3Play benchmark: many concurrent 3Play jobs through the gateway against the 3Play simulator.

Starts its own redis-server, the gateway API (loopback), ``--workers`` default workers and the
3Play simulator. Submits ``--jobs`` ASR jobs at once; the simulator completes them spread evenly
over ``--spread`` seconds (from ``--first`` on). Half the jobs are announced by a callback, the
other half are found only by polling (the simulator sends them none). Then it reports:

- whether every job is done, with exactly one media file and one order each (none lost);
- provider requests per job (callback jobs and polling jobs apart);
- the lag from the simulator's completion to the job's ``done`` (its ``updated_at``), p50/p99.

Prints the tables and writes them into ``docs/benchmarks/threeplay.md`` between the result markers.
Loopback only, bounded by ``--timeout``. Not part of ``make test``.

    .venv/bin/python bench/threeplay/bench.py [--jobs 1000] [--spread 120] [--workers 2]
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import logging
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT))

from tests.support.services import RedisServer  # noqa: E402
from tests.support.stack import GatewayStack, StackClient  # noqa: E402
from tests.support.threeplay_sim import ThreePlaySimulator  # noqa: E402

KEY = "bench-3play-key-0123456789"
MEDIA_URL = "http://127.0.0.1:9/v.mp4"
REPORT = ROOT / "docs" / "benchmarks" / "threeplay.md"
BEGIN, END = "<!-- results:begin -->", "<!-- results:end -->"
POLLING = {"poll_initial": 5, "poll_factor": 2.0, "poll_max_interval": 30}


def main() -> int:
    args = parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
    with tempfile.TemporaryDirectory(prefix="bench-3play-") as folder:
        redis_server = RedisServer(Path(folder) / "redis").start()
        sim = ThreePlaySimulator({KEY: "bench"}, pending_s=1.0, tick_s=0.1).start()
        order = {}  # job name -> its position, so completions spread evenly

        def duration(_kind: str, media_file: dict[str, Any]) -> float:
            index = order[media_file["name"]]
            return args.first + args.spread * index / max(args.jobs - 1, 1)

        sim.duration_for = duration
        sim.announces = lambda media_file: order[media_file["name"]] % 2 == 0
        settings = {"base_url": sim.url, "timeout_s": 10, **POLLING}
        stack = GatewayStack(
            redis_server,
            Path(folder),
            db=0,
            providers={"3play": settings},
            config={"api": {"max_queue_length": args.jobs * 10}},
            env={"GATEWAY_PROVIDERS_3PLAY_API_KEY": KEY},
            default_workers=args.workers,
        )
        try:
            with stack:
                jobs = submit_all(stack.client(), args.jobs, order)
                finished = wait_all(stack.client(), jobs, args.timeout)
                results = measure(sim, jobs, finished, order)
        finally:
            sim.stop()
            redis_server.stop()
    text = report(args, results)
    print(text)
    write_report(text)
    return 0 if results["lost"] == 0 else 1


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--first", type=float, default=20.0, help="seconds until the first completion")
    parser.add_argument("--spread", type=float, default=120.0, help="seconds over which completions spread")
    parser.add_argument("--workers", type=int, default=2, help="default-queue workers")
    parser.add_argument("--timeout", type=float, default=480.0, help="give up waiting after this long")
    return parser.parse_args()


def submit_all(api: StackClient, count: int, order: dict[str, int]) -> list[str]:
    """POST every job at once (16 clients); returns the job ids in submission order."""

    def post(index: int) -> str:
        name = f"bench-{index:05d}"
        order[name] = index
        body = {
            "parent_id": f"video-{index}",
            "provider": "3play",
            "media_url": MEDIA_URL,
            "output_types": ["srt", "vtt"],
            "provider_params": {"name": name},
        }
        response = api.post("/captions", json=body)
        response.raise_for_status()
        return response.json()["id"]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        return list(pool.map(post, range(count)))


def wait_all(api: StackClient, job_ids: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    """Read the jobs until all are finished or ``timeout`` passes; the last view of each."""
    deadline = time.monotonic() + timeout
    last: dict[str, dict[str, Any]] = {}
    pending = list(job_ids)
    while pending and time.monotonic() < deadline:
        for job_id in pending:
            last[job_id] = api.job(job_id)
        pending = [j for j in pending if last[j]["status"] not in ("done", "error", "cancelled")]
        time.sleep(2)
    return last


def measure(
    sim: ThreePlaySimulator, job_ids: list[str], finished: dict[str, dict[str, Any]], order: dict[str, int]
) -> dict[str, Any]:
    job_of_file = {f["id"]: f["reference_id"] for f in sim.files.values()}
    job_of_transcript = {t.id: job_of_file.get(t.media_file_id) for t in sim.transcripts.values()}
    requests_per_job: Counter[str] = Counter()
    for entry in sim.state.log:
        requests_per_job[owner(entry, job_of_file, job_of_transcript)] += 1
    kinds: dict[str, dict[str, list[float]]] = {
        "callback": {"lag": [], "requests": []},
        "polling": {"lag": [], "requests": []},
    }
    lost = 0
    for job_id in job_ids:
        job = finished.get(job_id) or {}
        files = [f for f in sim.files.values() if f["reference_id"] == job_id]
        transcripts = [t for t in sim.transcripts.values() if job_of_file.get(t.media_file_id) == job_id]
        if job.get("status") != "done" or len(files) != 1 or len(transcripts) != 1:
            lost += 1
            continue
        kind = "callback" if order[files[0]["name"]] % 2 == 0 else "polling"
        done_at = dt.datetime.fromisoformat(job["updated_at"].replace("Z", "+00:00")).timestamp()
        kinds[kind]["lag"].append(done_at - (transcripts[0].completed_at or done_at))
        kinds[kind]["requests"].append(requests_per_job[job_id])
    statuses = Counter(job.get("status") for job in finished.values())
    return {"lost": lost, "statuses": dict(statuses), "kinds": kinds, "unowned": requests_per_job.get("", 0)}


def owner(entry: dict[str, Any], job_of_file: dict[int, str], job_of_transcript: dict[int, str | None]) -> str:
    """The job a logged request was made for."""
    params, parts = entry["params"], entry["path"].strip("/").split("/")
    if "reference_id" in params:
        return str(params["reference_id"])
    if "media_file_id" in params and str(params["media_file_id"]).isdigit():
        return job_of_file.get(int(params["media_file_id"]), "")
    if len(parts) >= 2 and parts[0] == "transcripts" and parts[1].isdigit():
        return job_of_transcript.get(int(parts[1])) or ""
    return ""


def percentile(values: list[float], pct: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def report(args: argparse.Namespace, results: dict[str, Any]) -> str:
    lines = [
        f"{args.jobs} jobs, completions from {args.first:g} s over {args.spread:g} s, {args.workers} default "
        f"workers; polling {POLLING['poll_initial']} s x{POLLING['poll_factor']:g} up to "
        f"{POLLING['poll_max_interval']} s; run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"- final statuses: {results['statuses']}; lost or duplicated: **{results['lost']}**",
        "",
        "| jobs | count | requests/job (mean, max) | lag p50 | lag p99 | lag max |",
        "|---|---|---|---|---|---|",
    ]
    for kind, data in results["kinds"].items():
        lag, reqs = data["lag"], data["requests"]
        mean = statistics.mean(reqs) if reqs else float("nan")
        lines.append(
            f"| {kind} | {len(lag)} | {mean:.1f}, {max(reqs, default=0)} | {percentile(lag, 50):.2f} s | "
            f"{percentile(lag, 99):.2f} s | {max(lag, default=float('nan')):.2f} s |"
        )
    return "\n".join(lines)


def write_report(text: str) -> None:
    if not REPORT.exists():
        return
    page = REPORT.read_text()
    if BEGIN in page and END in page:
        head, rest = page.split(BEGIN, 1)
        page = f"{head}{BEGIN}\n{text}\n{END}{rest.split(END, 1)[1]}"
        REPORT.write_text(page)


if __name__ == "__main__":
    sys.exit(main())
