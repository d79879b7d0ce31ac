"""Real services for tests: a redis-server, gateway workers in their own processes, the
gateway itself on a loopback port, and a receiver for CMS webhooks."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import redis
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from bench.procstat import children_of

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 30.0, interval: float = 0.1, what: str = "condition"):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def stop_process(proc: subprocess.Popen, timeout: float = 10) -> None:
    """Ask a child process to stop (SIGTERM); kill it if it has not within ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout)


class RedisServer:
    """redis-server on its own port and data folder, with an append-only file."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.proc: subprocess.Popen | None = None

    def start(self) -> RedisServer:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (make test installs it)")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.data_dir),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url)
        wait_for(lambda: _pings(client), 10, what="redis-server")
        return self

    def restart(self) -> None:
        self.stop()
        self.start()

    def stop(self) -> None:
        if self.proc is not None:
            stop_process(self.proc)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


class WorkerProcess:
    """``caption-gateway worker <queues>`` as a child process with the test environment."""

    def __init__(self, queues: list[str], env: dict[str, str], log_path: Path) -> None:
        self.queues = queues
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gateway.cli", "worker", *self.queues],
                env=self.env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL the worker and everything it started, as a crash or the OOM killer would.

        RQ gives the work horse running a task a session of its own, so killing the worker's
        process group would leave the horse to finish its task: its pid is taken first.
        """
        if self.proc is not None:
            horses = children_of(self.proc.pid)
            os.killpg(self.proc.pid, signal.SIGKILL)
            for pid in horses:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


class LiveServer:
    """A WSGI app served on a loopback port in a thread (the gateway, or a webhook receiver)."""

    def __init__(self, app, port: int = 0) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


class WebhookReceiver:
    """Records every POST it gets; answers with the status set in ``status``."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 200
        self.server = LiveServer(self._app)
        self.url = self.server.url

    def _app(self, environ, start_response):
        request = Request(environ)
        body = request.get_data()
        self.received.append(
            {
                "path": request.path,
                "headers": dict(request.headers),
                "body": body,
                "json": json.loads(body) if body else None,
            }
        )
        return Response("", status=self.status)(environ, start_response)

    def for_path(self, path: str) -> list[dict]:
        return [r for r in self.received if r["path"] == path]
