"""``make run``: ``caption-gateway run-local`` starts Redis, both workers and gunicorn, captions
a file, keeps the job in Redis's append-only file under var/, and stops everything on SIGTERM."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys

import requests

from tests.support.services import ROOT, free_port, wait_for

SRT = b"1\n00:00:01,000 --> 00:00:02,000\nGood evening.\n"


def test_run_local_serves_and_stops(tmp_path):
    port, redis_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")}
    cmd = [sys.executable, "-m", "gateway.cli", "run-local", "--port", str(port), "--redis-port", str(redis_port)]
    proc = subprocess.Popen(
        [*cmd, "--var", str(tmp_path / "var")], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        health = wait_for(lambda: _get(base + "/health"), 60, 0.2, what="the gateway")
        assert health["checks"]["redis"]["ok"]
        key = (tmp_path / "var" / "secrets.env").read_text().split("GATEWAY_API_KEYS=")[1].split()[0]
        body = {
            "parent_id": "dev-1",
            "provider": "upload",
            "caption_file": {"name": "a.srt", "file": base64.b64encode(SRT).decode()},
        }
        created = requests.post(base + "/captions", json=body, headers={"X-Api-Key": key}, timeout=10)
        assert created.status_code == 201, created.text
        job_url = f"{base}/jobs/{created.json()['id']}"
        done = wait_for(
            lambda: (j := _get(job_url, key)) and j["status"] == "done" and j, 30, 0.2, what="the job to finish"
        )
        assert (tmp_path / "var" / "storage" / "jobs" / done["id"]).is_dir()
        assert any(".aof" in p.name for p in (tmp_path / "var" / "redis").rglob("*"))  # append-only file under var/
    finally:
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0
    assert f"API key: {key}" in out and "curl" in out
    assert _get(base + "/health") is None  # everything stopped


def _get(url: str, key: str | None = None):
    try:
        response = requests.get(url, headers={"X-Api-Key": key} if key else {}, timeout=5)
    except requests.RequestException:
        return None
    return response.json() if response.status_code == 200 else None
