"""``make run``: Redis, one worker per queue and the gateway on this machine.

Everything lives under one folder (``var/``): Redis's append-only file, stored captions,
generated secrets and logs. A process that dies is started again, after 1 s, 2 s, 4 s ... (at
most 30 s); one that keeps dying within a minute of its start ``max_restarts`` times in a row
makes ``make run`` stop everything and exit with 1. Stop with Ctrl-C; every process stops with it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import redis

from gateway.config import ConfigError, load_config

# Not Redis's usual 6379: a system Redis there (Debian's package starts one) keeps no
# append-only file, and jobs must survive a restart.
REDIS_PORT = 6390
#: gunicorn's settings module: it closes the connection of a body over the limit (413).
GUNICORN_CONFIG = "python:gateway.gunicorn_conf"
#: Restarts of a child that dies within STABLE_S of its start, in a row, before giving up.
MAX_RESTARTS = 5
STABLE_S = 60.0
RESTART_FIRST_S = 1.0
RESTART_MAX_S = 30.0


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


def redis_command(var: Path, port: int) -> list[str]:
    server = shutil.which("redis-server")
    if server is None:
        sys.exit("redis-server is not installed: run `make run` (it installs it) or apt-get install redis-server")
    return [server, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(var / "redis"), "--appendonly", "yes"]


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
    (var / "redis").mkdir(parents=True, exist_ok=True)
    child = Child("redis", redis_command(var, port))
    child.start(os.environ, var / "log")
    for _ in range(100):
        try:
            client.ping()
            return child.proc
        except redis.ConnectionError:
            time.sleep(0.1)
    sys.exit("redis-server did not start: see var/log/redis.log")


@dataclass
class Child:
    """A process ``make run`` keeps running: restarted when it dies, with backoff."""

    name: str
    command: list[str]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0  # deaths in a row, each within STABLE_S of its start
    restart_at: float | None = None

    def start(self, env: Mapping[str, str], log_dir: Path) -> None:
        with open(log_dir / f"{self.name}.log", "ab") as log:  # the child keeps its own descriptor
            self.proc = subprocess.Popen(
                self.command,
                env=dict(env),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # Ctrl-C reaches the supervisor only; it stops the children in order
            )
        self.started_at, self.restart_at = time.monotonic(), None
        print(f"started {self.name} (pid {self.proc.pid})", flush=True)

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


class Supervisor:
    """Runs the children, restarts one that dies (after 1 s, 2 s, 4 s ... at most
    :data:`RESTART_MAX_S`) and gives up, stopping them all, when one has died ``max_restarts``
    times in a row, each time within :data:`STABLE_S` of its start."""

    def __init__(self, children: list[Child], env: Mapping[str, str], log_dir: Path, max_restarts: int) -> None:
        self.children = children
        self.env = env
        self.log_dir = log_dir
        self.max_restarts = max_restarts
        self.stopping = False

    def run(self) -> int:
        """Until SIGINT or SIGTERM (0), or until a child cannot be kept running (1)."""
        for signum in (signal.SIGINT, signal.SIGTERM):  # set both: a background shell ignores SIGINT
            signal.signal(signum, lambda *_: setattr(self, "stopping", True))
        for child in self.children:
            if child.proc is None:
                child.start(self.env, self.log_dir)
        status = 0
        while not self.stopping and status == 0:
            status = max((self.look_after(child) for child in self.children), default=0)
            time.sleep(0.5)
        print("stopping...", flush=True)
        for child in reversed(self.children):  # the gateway and workers first, Redis last
            child.stop()
        return status

    def look_after(self, child: Child) -> int:
        """Restart ``child`` when it is due; 1 when it has died too often."""
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at:
                child.start(self.env, self.log_dir)
            return 0
        code = child.proc.poll() if child.proc is not None else None
        if code is None:
            return 0
        child.failures = 1 if now - child.started_at >= STABLE_S else child.failures + 1
        where = self.log_dir / f"{child.name}.log"
        if child.failures > self.max_restarts:
            print(f"{child.name} exited with {code}, {child.failures} times in a row: giving up (see {where})")
            return 1
        delay = min(RESTART_FIRST_S * 2 ** (child.failures - 1), RESTART_MAX_S)
        print(f"{child.name} exited with {code}: restarting in {delay:g} s (see {where})", flush=True)
        child.restart_at = now + delay
        return 0


def run_local(
    port: int = 8000, var_dir: str = "var", redis_port: int = REDIS_PORT, max_restarts: int = MAX_RESTARTS
) -> int:
    var = Path(var_dir).resolve()
    (var / "log").mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **{k: v for k, v in load_or_make_secrets(var / "secrets.env").items() if k not in os.environ}}
    env.setdefault("GATEWAY_REDIS_URL", f"redis://127.0.0.1:{redis_port}/0")
    env.setdefault("GATEWAY_STORAGE_LOCAL_ROOT", str(var / "storage"))
    env.setdefault("GATEWAY_PUBLIC_URL", f"http://127.0.0.1:{port}")
    env.setdefault("GATEWAY_LOGGING_FORMAT", "text")  # a person reads these logs
    children = []
    redis_proc = start_redis(var, redis_port) if "GATEWAY_REDIS_URL" not in os.environ else None
    if redis_proc:
        children.append(Child("redis", redis_command(var, redis_port), proc=redis_proc, started_at=time.monotonic()))
    python = sys.executable
    gunicorn = [python, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "--workers", "2", "--threads", "4"]
    try:
        asr_workers = load_config(environ=env)["workers"]["asr_workers"]
    except ConfigError:  # every child says what is wrong in its log, and the supervisor gives up
        asr_workers = 1
    children += [
        Child("worker-default", [python, "-m", "gateway.cli", "worker", "default"]),
        *(
            Child(
                "worker-asr" if asr_workers == 1 else f"worker-asr-{n}", [python, "-m", "gateway.cli", "worker", "asr"]
            )
            for n in range(1, asr_workers + 1)
        ),
        Child("gateway", [*gunicorn, "--bind", f"127.0.0.1:{port}", "--access-logfile", "-", "wsgi:app"]),
    ]
    key = env["GATEWAY_API_KEYS"].split(",")[0]
    print(USAGE.format(port=port, key=key, var=var), flush=True)
    return Supervisor(children, env, var / "log", max_restarts).run()


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
