"""SRT -> WebVTT conversion benchmark: whole processes, wall time and peak memory.

Generates a 100,000-cue SRT file (about 10 MB) in a temporary directory and converts it to WebVTT
with the ``captions`` command (``python -m formats.cli convert``), ffmpeg, pysubs2, webvtt-py and
pysrt, each run as a fresh process; the converters take turns, ``--runs`` times. Reports the median
wall time, its ratio to ffmpeg's, and the peak resident memory of the child process
(``ru_maxrss`` from ``os.wait4``, which is per child).

    .venv/bin/python bench/formats/convert_bench.py [--runs 5] [--cues 100000] [--only NAME ...] [--no-blank-lines]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VOCABULARY = (
    "the a storm city mayor said damage worse than expected crews would working through night we went "
    "house where family had been sheltering since Tuesday they told us never seen anything like it "
    "café naïve & < > rock'n'roll 42 percent"
)
WORDS = VOCABULARY.split()


def make_srt(path: Path, cues: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    t = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for n in range(1, cues + 1):
            start = t + rng.randint(0, 400)
            end = start + rng.randint(800, 4000)
            t = end
            lines = [
                " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))) for _ in range(rng.choice((1, 2, 2)))
            ]
            fh.write(f"{n}\n{_tc(start)} --> {_tc(end)}\n" + "\n".join(lines) + "\n\n")


def _tc(ms: int) -> str:
    h, rem = divmod(ms, 3_600_000)
    m, rem = divmod(rem, 60_000)
    s, f = divmod(rem, 1000)
    return f"{h:02d}:{m:02d}:{s:02d},{f:03d}"


PY = sys.executable
SCRIPTS = {
    "pysubs2": "import pysubs2,sys; pysubs2.load(sys.argv[1], encoding='utf-8').save(sys.argv[2], format_='vtt')",
    "webvtt-py": "import webvtt,sys; webvtt.from_srt(sys.argv[1]).save(sys.argv[2])",
    "pysrt": (
        "import pysrt,sys\n"
        "def tc(o):\n"
        "    h, r = divmod(o, 3600000); m, r = divmod(r, 60000); s, f = divmod(r, 1000)\n"
        "    return f'{h:02d}:{m:02d}:{s:02d}.{f:03d}'\n"
        "subs = pysrt.open(sys.argv[1], encoding='utf-8')\n"
        "with open(sys.argv[2], 'w', encoding='utf-8') as fh:\n"
        "    fh.write('WEBVTT\\n\\n')\n"
        "    for s in subs:\n"
        "        fh.write(f'{tc(s.start.ordinal)} --> {tc(s.end.ordinal)}\\n{s.text}\\n\\n')\n"
    ),
}


def commands(src: Path, out: Path) -> dict[str, list[str]]:
    cmds = {"captions (formats.cli)": [PY, "-m", "formats.cli", "convert", str(src), str(out)]}
    if shutil.which("ffmpeg"):
        cmds["ffmpeg"] = ["ffmpeg", "-v", "error", "-y", "-i", str(src), "-f", "webvtt", str(out)]
    for name, script in SCRIPTS.items():
        cmds[name] = [PY, "-c", script, str(src), str(out)]
    return cmds


def run_once(cmd: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (KiB) of one run of ``cmd`` as a fresh
    child process. CPU time is less disturbed than wall time by other work on the machine."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({proc.returncode}): {err[-500:]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def count_cues(path: Path) -> int:
    return path.read_text(encoding="utf-8").count(" --> ")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cues", type=int, default=100_000)
    parser.add_argument("--only", nargs="*", help="names of the converters to run (default all)")
    parser.add_argument("--no-blank-lines", action="store_true", help="drop the blank lines between cues")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "big.srt"
        make_srt(src, args.cues)
        if args.no_blank_lines:
            src.write_bytes(src.read_bytes().replace(b"\n\n", b"\n"))
        size = src.stat().st_size
        layout = ", no blank lines" if args.no_blank_lines else ""
        print(f"input: {args.cues} cues, {size / 1e6:.1f} MB{layout}; {args.runs} runs each")
        print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}")
        print()
        print(f"load average before: {os.getloadavg()[0]:.2f}")
        out = Path(tmp) / "out.vtt"
        chosen = {
            name: cmd for name, cmd in commands(src, out).items() if not args.only or name.split()[0] in args.only
        }
        runs: dict[str, list[tuple[float, float, int]]] = {name: [] for name in chosen}
        cues_out = {}
        # the converters take turns, run by run, so that a busy spell on the (shared) machine slows
        # them all rather than the one that happens to run then
        for _ in range(args.runs):
            for name, cmd in chosen.items():
                if out.exists():
                    out.unlink()
                runs[name].append(run_once(cmd))
                cues_out[name] = count_cues(out)
        reference = statistics.median(wall for wall, _, _ in runs["ffmpeg"]) if "ffmpeg" in runs else None
        print("| converter | median wall s | min wall s | median CPU s | peak RSS MiB | cues out | wall vs ffmpeg |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, results in runs.items():
            times = [wall for wall, _, _ in results]
            ratio = f"{statistics.median(times) / reference:.2f}x" if reference else ""
            print(
                f"| {name} | {statistics.median(times):.2f} | {min(times):.2f} "
                f"| {statistics.median(cpu for _, cpu, _ in results):.2f} "
                f"| {max(rss for _, _, rss in results) / 1024:.0f} | {cues_out[name]} | {ratio} |"
            )
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
