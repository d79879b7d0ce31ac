"""Fixtures: a real redis-server, the demo provider's HTTP simulator, the gateway on a
loopback port, worker processes, and a webhook receiver. Redis keys of the gateway are
flushed before each test; jobs are never shared between tests."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis
import requests
import yaml
from caption_gateway_demo.simulator import SimulatorServer

from tests.support.services import LiveServer, RedisServer, WebhookReceiver, WorkerProcess, free_port, wait_for

API_KEY = "test-key-0123456789"
SECRET = "test-secret-0123456789abcdef"
DEMO_KEY = "demo-key"


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def simulator() -> Iterator[SimulatorServer]:
    server = SimulatorServer(DEMO_KEY).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def gateway_env(tmp_path_factory, redis_server, simulator) -> Iterator[dict]:
    """Environment of the gateway and its workers, set in this process for the session."""
    folder = tmp_path_factory.mktemp("gateway")
    port = free_port()
    config = {
        "providers": {"demo": {"base_url": simulator.url}},
        "media": {"allow_networks": ["127.0.0.0/8"]},
        "workers": {"transient_backoff_s": 1, "maintenance_interval_s": 5, "heartbeat_interval_s": 2},
        "webhooks": {"backoff_s": 1, "retries": 3},
    }
    (folder / "config.yaml").write_text(yaml.safe_dump(config))
    env = {
        "GATEWAY_CONFIG": str(folder / "config.yaml"),
        "GATEWAY_REDIS_URL": redis_server.url,
        "GATEWAY_API_KEYS": API_KEY,
        "GATEWAY_SECRET_KEY": SECRET,
        "GATEWAY_PROVIDERS_DEMO_API_KEY": DEMO_KEY,  # secrets come from the environment only
        "GATEWAY_STORAGE_LOCAL_ROOT": str(folder / "storage"),
        "GATEWAY_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    saved = dict(os.environ)
    os.environ.update(env)
    yield {"env": {**os.environ}, "port": port, "folder": folder}
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture(scope="session")
def gateway(gateway_env) -> Iterator[LiveServer]:
    from gateway import create_app

    server = LiveServer(create_app(), gateway_env["port"])
    server.app = server.server.app
    yield server
    server.stop()


@pytest.fixture(scope="session")
def worker_pool(gateway_env) -> Iterator[dict[str, WorkerProcess]]:
    logs = gateway_env["folder"]
    pool = {
        "default": WorkerProcess(["default"], gateway_env["env"], logs / "worker-default.log").start(),
        "asr": WorkerProcess(["asr"], gateway_env["env"], logs / "worker-asr.log").start(),
    }
    yield pool
    for worker in pool.values():
        worker.stop()


@pytest.fixture
def workers(worker_pool) -> dict[str, WorkerProcess]:
    """The worker processes, restarted if an earlier test killed one."""
    for worker in worker_pool.values():
        if not worker.alive():
            worker.start()
    return worker_pool


@pytest.fixture(autouse=True)
def _clean_state(request) -> None:
    if "redis_server" in request.fixturenames:
        client = redis.Redis.from_url(request.getfixturevalue("redis_server").url)
        wait_for(lambda: _ping(client), 15, what="redis")
        keys = list(client.scan_iter("cg:*"))
        if keys:
            client.delete(*keys)
    if "simulator" in request.fixturenames:
        sim = request.getfixturevalue("simulator")
        sim.state.behaviour = type(sim.state.behaviour)()


def _ping(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


class ApiClient:
    """``requests`` against the live gateway, with the API key unless told otherwise."""

    def __init__(self, base_url: str, key: str | None = API_KEY) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        if key:
            self.session.headers["X-Api-Key"] = key

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.session.request(method, self.base_url + path, **kwargs)

    def get(self, path: str, **kwargs) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs) -> requests.Response:
        return self.request("POST", path, **kwargs)

    def wait_job(self, job_id: str, statuses=("done", "error", "cancelled"), timeout: float = 60) -> dict:
        def finished():
            job = self.get(f"/jobs/{job_id}").json()
            return job if job["status"] in statuses else None

        return wait_for(finished, timeout, 0.2, what=f"job {job_id} to reach {statuses}")


@pytest.fixture
def api(gateway, workers) -> ApiClient:
    return ApiClient(gateway.url)


@pytest.fixture
def anonymous(gateway) -> ApiClient:
    return ApiClient(gateway.url, key=None)


@pytest.fixture
def job_store(redis_server):
    """The gateway's job store, for what the API does not show (webhook delivery records)."""
    from gateway.store import JobStore

    return JobStore(redis.Redis.from_url(redis_server.url), "cg")


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.server.stop()
