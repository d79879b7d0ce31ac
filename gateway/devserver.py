"""``make run``: Redis, one worker per queue and the gateway on this machine.

Everything lives under one folder (``var/``): Redis's append-only file, stored captions,
generated secrets and logs. Stop with Ctrl-C; every process stops with it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

# Not Redis's usual 6379: a system Redis there (Debian's package starts one) keeps no
# append-only file, and jobs must survive a restart.
REDIS_PORT = 6390


def load_or_make_secrets(path: Path) -> dict[str, str]:
    """A development API key and secret, made once and kept in ``var/secrets.env``."""
    if not path.exists():
        path.write_text(
            f"GATEWAY_API_KEYS=dev-{secrets.token_urlsafe(16)}\nGATEWAY_SECRET_KEY={secrets.token_urlsafe(32)}\n"
        )
        path.chmod(0o600)
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def refuse_foreign_redis(client: redis.Redis, var: Path, port: int) -> None:
    """Stop when the Redis on ``port`` keeps its data in another ``make run``'s folder: sharing it
    would mix both folders' jobs, and each would find the other's outputs missing."""
    ours = (var / "redis").resolve()
    theirs = Path(client.config_get("dir").get("dir", ""))
    if theirs.name == "redis" and theirs.parent.joinpath("secrets.env").exists() and theirs.resolve() != ours:
        sys.exit(
            f"the Redis on port {port} serves `make run` in {theirs.parent}; stop that one, or start this one "
            f"on a port of its own: make run REDIS_PORT={port + 1}"
        )


def start_redis(var: Path, port: int) -> subprocess.Popen | None:
    """Start redis-server with an append-only file under ``var/redis``, unless one answers."""
    client = redis.Redis(port=port)
    try:
        client.ping()
    except redis.ConnectionError:
        pass
    else:
        refuse_foreign_redis(client, var, port)
        print(f"using the Redis already running on port {port}")
        if client.config_get("appendonly").get("appendonly") != "yes":
            print("warning: it keeps no append-only file; jobs will not survive its restart", file=sys.stderr)
        return None
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed: run `make run` (it installs it) or apt-get install redis-server")
    (var / "redis").mkdir(parents=True, exist_ok=True)
    with open(var / "log" / "redis.log", "ab") as log:  # the child keeps its own descriptor
        proc = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(var / "redis"), "--appendonly", "yes"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops Redis last
        )
    for _ in range(100):
        try:
            client.ping()
            return proc
        except redis.ConnectionError:
            time.sleep(0.1)
    sys.exit("redis-server did not start: see var/log/redis.log")


def run_local(port: int = 8000, var_dir: str = "var", redis_port: int = REDIS_PORT) -> int:
    var = Path(var_dir).resolve()
    (var / "log").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **{k: v for k, v in load_or_make_secrets(var / "secrets.env").items() if k not in os.environ}}
    env.setdefault("GATEWAY_REDIS_URL", f"redis://127.0.0.1:{redis_port}/0")
    env.setdefault("GATEWAY_STORAGE_LOCAL_ROOT", str(var / "storage"))
    env.setdefault("GATEWAY_PUBLIC_URL", f"http://127.0.0.1:{port}")
    env.setdefault("GATEWAY_LOGGING_FORMAT", "text")  # a person reads these logs
    procs = []
    redis_proc = start_redis(var, redis_port) if "GATEWAY_REDIS_URL" not in os.environ else None
    if redis_proc:
        procs.append(("redis", redis_proc))
    python = sys.executable
    commands = {
        "worker-default": [python, "-m", "gateway.cli", "worker", "default"],
        "worker-asr": [python, "-m", "gateway.cli", "worker", "asr"],
        "gateway": [
            python,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--threads",
            "4",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "-",
            "wsgi:app",
        ],
    }
    for name, cmd in commands.items():
        with open(var / "log" / f"{name}.log", "ab") as log:
            proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        procs.append((name, proc))
    key = env["GATEWAY_API_KEYS"].split(",")[0]
    print(USAGE.format(port=port, key=key, var=var))
    stop = {"now": False}
    for signum in (signal.SIGINT, signal.SIGTERM):  # set both: a background shell ignores SIGINT
        signal.signal(signum, lambda *_: stop.update(now=True))
    while not stop["now"]:
        for name, proc in procs:
            if proc.poll() is not None:
                print(f"{name} exited with {proc.returncode}: see {var}/log/{name}.log", file=sys.stderr)
                stop["now"] = True
        time.sleep(0.5)
    print("stopping...")
    for _name, proc in reversed(procs):  # the gateway and workers first, Redis last
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
    return 0


USAGE = """
Caption gateway on http://127.0.0.1:{port}  (API docs: http://127.0.0.1:{port}/docs)
API key: {key}   (kept in {var}/secrets.env; logs in {var}/log/)

  curl -s http://127.0.0.1:{port}/health
  curl -s -H 'X-Api-Key: {key}' -F parent_id=demo-1 -F provider=whisper \\
       -F output_types=vtt,srt,txt -F media=@talk.mp4 http://127.0.0.1:{port}/captions
  curl -s -H 'X-Api-Key: {key}' http://127.0.0.1:{port}/jobs/<id>
  curl -s -H 'X-Api-Key: {key}' http://127.0.0.1:{port}/jobs/<id>/download/vtt

Ctrl-C stops everything.
"""
