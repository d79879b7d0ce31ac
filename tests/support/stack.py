"""A whole gateway of its own for one test module: the API on a loopback port and real worker
processes, on a Redis database of its own, with the provider settings the module needs.

The session's gateway (``tests/conftest.py``) serves the demo provider. A module that needs
other provider settings (a simulator's URL, an event mode) starts a :class:`GatewayStack`
instead, so that its tasks are never taken by workers configured otherwise::

    @pytest.fixture(scope="module")
    def stack(redis_server, tmp_path_factory):
        with GatewayStack(redis_server, tmp_path_factory.mktemp("gw"), db=3,
                          providers={"3play": {"base_url": sim.url}},
                          env={"GATEWAY_PROVIDERS_3PLAY_API_KEY": "k"}) as stack:
            yield stack
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import redis
import requests
import yaml

from gateway.config import deep_merge
from tests.support.services import LiveServer, RedisServer, WorkerProcess, free_port, wait_for

API_KEY = "test-key-0123456789"
SECRET = "test-secret-0123456789abcdef"


class StackClient:
    """``requests`` against a stack's API, with its API key unless told otherwise."""

    def __init__(self, base_url: str, key: str | None = API_KEY) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if key:
            self.session.headers["X-Api-Key"] = key

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def job(self, job_id: str) -> dict[str, Any]:
        return self.get(f"/jobs/{job_id}").json()

    def wait_job(self, job_id: str, statuses=("done", "error", "cancelled"), timeout: float = 60) -> dict:
        def finished():
            job = self.job(job_id)
            return job if job["status"] in statuses else None

        return wait_for(finished, timeout, 0.2, what=f"job {job_id} to reach {statuses}")


class GatewayStack:
    """The gateway app and ``default`` (and optionally ``asr``) workers on Redis database ``db``.

    ``providers`` are provider settings for the config file, ``config`` other settings merged
    (deeply) over the test defaults, ``env`` extra variables (provider secrets) for the app and workers.
    Keys of the database are flushed on start and by :meth:`flush`.
    """

    def __init__(
        self,
        redis_server: RedisServer,
        folder: Path,
        *,
        db: int,
        providers: dict[str, dict[str, Any]] | None = None,
        config: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        default_workers: int = 1,
        asr_worker: bool = False,
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.redis_url = redis_server.url.rsplit("/", 1)[0] + f"/{db}"
        self.redis = redis.Redis.from_url(self.redis_url)
        settings = deep_merge(
            {
                "providers": providers or {},
                "media": {"allow_networks": ["127.0.0.0/8"]},
                "workers": {"transient_backoff_s": 1, "maintenance_interval_s": 5, "heartbeat_interval_s": 2},
                "webhooks": {"backoff_s": 1, "retries": 3},
            },
            config or {},
        )
        (folder / "config.yaml").write_text(yaml.safe_dump(settings))
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GATEWAY_")},
            "GATEWAY_CONFIG": str(folder / "config.yaml"),
            "GATEWAY_REDIS_URL": self.redis_url,
            "GATEWAY_API_KEYS": API_KEY,
            "GATEWAY_SECRET_KEY": SECRET,
            "GATEWAY_STORAGE_LOCAL_ROOT": str(folder / "storage"),
            "GATEWAY_PUBLIC_URL": self.url,
            **(env or {}),
        }
        queues = [["default"]] * default_workers + ([["asr"]] if asr_worker else [])
        self.workers = [WorkerProcess(q, self.env, folder / f"worker-{i}-{q[0]}.log") for i, q in enumerate(queues)]
        self.server: LiveServer | None = None
        self.app = None

    def __enter__(self) -> GatewayStack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> GatewayStack:
        from gateway import create_app
        from gateway.config import load_config
        from gateway.services import build_services

        self.flush()
        services = build_services(load_config(environ=self.env))
        self.app = create_app(services.config, services=services)
        self.server = LiveServer(self.app, self.port)
        for worker in self.workers:
            worker.start()
        return self

    @property
    def services(self):
        return self.app.extensions["caption_gateway"]

    def restart_dead_workers(self) -> None:
        for worker in self.workers:
            if not worker.alive():
                worker.start()

    def flush(self) -> None:
        self.redis.flushdb()

    def uploads_without_a_job(self, connection: redis.Redis | None = None) -> list[str]:
        """Ids of the upload folders in storage whose job is not in Redis (``connection``: another
        client of the stack's database, such as the master after a failover)."""
        root = Path(self.env["GATEWAY_STORAGE_LOCAL_ROOT"]) / "uploads"
        folders = [p.name for p in root.iterdir()] if root.exists() else []
        connection = connection or self.redis
        return [job_id for job_id in folders if not connection.exists(f"cg:job:{job_id}")]

    def client(self, key: str | None = API_KEY) -> StackClient:
        return StackClient(self.url, key)

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self.server is not None:
            self.server.stop()
