"""``make run``: ``caption-gateway run-local`` starts Redis, both workers and gunicorn, captions
a file, keeps the job in Redis's append-only file under var/, and stops everything on SIGTERM;
its gunicorn closes the connection of a body over the limit."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys

import requests

from tests.support.services import ROOT, free_port, wait_for
from tests.test_supervisor import start_run_local

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


def test_gunicorn_closes_the_connection_of_a_body_over_the_limit(tmp_path):
    """gunicorn drops the app's ``Connection: close``; its config (gateway/gunicorn_conf.py) closes
    a connection whose body is over ``api.max_body_bytes`` itself, and the next request is served.
    gunicorn's own lines follow ``logging.format``: with ``json``, its access lines are JSON too."""
    port, limit = free_port(), 64 * 1024
    env = {"GATEWAY_API_MAX_BODY_BYTES": str(limit), "GATEWAY_LOGGING_FORMAT": "json"}
    proc, output = start_run_local(tmp_path, port, env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _get(base + "/health"), 60, 0.2, what="the gateway")
        key = (tmp_path / "var" / "secrets.env").read_text().split("GATEWAY_API_KEYS=")[1].split()[0]
        with requests.Session() as session:
            session.headers["X-Api-Key"] = key
            body = b'{"parent_id": "big", "padding": "' + b"x" * (2 * limit) + b'"}'
            refused = session.post(
                base + "/captions", data=body, headers={"Content-Type": "application/json"}, timeout=10
            )
            assert refused.status_code == 413, refused.text
            assert refused.headers["Connection"] == "close"
            assert refused.json()["message"] == f"request body over {limit} bytes"
            after = session.get(base + "/jobs", timeout=10)
            assert after.status_code == 200, after.text
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    assert proc.returncode == 0, output.read_text()
    log = (tmp_path / "var" / "log" / "gateway.log").read_text()
    gunicorn_lines = [line for line in log.splitlines() if '"gunicorn.' in line]
    access = [json.loads(line) for line in gunicorn_lines if '"gunicorn.access"' in line]
    assert any('"POST /captions' in line["message"] and " 413 " in line["message"] for line in access), access
    assert all(json.loads(line)["level"] for line in gunicorn_lines)
