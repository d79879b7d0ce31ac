"""``make run``'s supervisor: a child that dies is started again (with backoff, logged); one that
keeps dying makes it stop everything and exit non-zero."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import requests

from tests.support.services import ROOT, free_port, wait_for


def start_run_local(folder: Path, port: int, *extra: str, env: dict[str, str] | None = None):
    """``caption-gateway run-local`` with a Redis and a folder of its own; its output goes to a file."""
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    redis_port = free_port()
    cmd = [sys.executable, "-m", "gateway.cli", "run-local", "--port", str(port), "--redis-port", str(redis_port)]
    output = folder / "run-local.out"
    with open(output, "w") as out:
        proc = subprocess.Popen(
            [*cmd, "--var", str(folder / "var"), *extra],
            cwd=ROOT,
            env={**base_env, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return proc, output


def started_pids(output: Path, name: str) -> list[int]:
    return [int(pid) for pid in re.findall(rf"started {name} \(pid (\d+)\)", output.read_text())]


def test_a_killed_worker_is_started_again(tmp_path):
    port = free_port()
    proc, output = start_run_local(tmp_path, port)
    try:
        wait_for(lambda: _health(port), 90, 0.2, what="the gateway")
        (first,) = started_pids(output, "worker-default")
        os.killpg(first, signal.SIGKILL)  # the worker and its work horse, as the OOM killer would
        pids = wait_for(
            lambda: len(p := started_pids(output, "worker-default")) == 2 and p, 60, 0.2, what="a new worker"
        )
        assert pids[1] != first
        assert re.search(r"worker-default exited with -9: restarting in 1 s", output.read_text())
        assert proc.poll() is None
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(60)
    assert proc.returncode == 0


def test_it_gives_up_on_a_process_that_keeps_dying(tmp_path):
    # every worker and the gateway refuse this configuration at once
    proc, output = start_run_local(tmp_path, free_port(), "--max-restarts", "2", env={"GATEWAY_LOGGING_LEVEL": "LOUD"})
    try:
        proc.wait(120)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = output.read_text()
    assert proc.returncode == 1, text
    assert "restarting in 1 s" in text and "restarting in 2 s" in text
    assert re.search(r"exited with \d+, 3 times in a row: giving up", text)


def _health(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/health", timeout=5).status_code == 200
    except requests.RequestException:
        return False
