"""Redis Sentinel: the gateway and its workers find the master through a Sentinel and follow it
through a failover under load. Real redis-server (a master and a replica) and redis-sentinel
processes; the master is stopped while jobs are being submitted."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

from gateway import retention, tasks
from tests.support.services import free_port, stop_process, wait_for
from tests.support.stack import GatewayStack
from tests.support.submitter import Submitter

MASTER_NAME = "captions"

pytestmark = pytest.mark.skipif(shutil.which("redis-sentinel") is None, reason="redis-sentinel is not installed")


@dataclass
class RedisNode:
    port: int
    proc: subprocess.Popen

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, db: int = 0) -> redis.Redis:
        return redis.Redis(port=self.port, db=db)


def start_redis(folder: Path, *extra: str) -> RedisNode:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    args = ["--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--appendonly", "yes", "--save", ""]
    proc = subprocess.Popen(["redis-server", *args, *extra], stdout=subprocess.DEVNULL)
    node = RedisNode(port, proc)
    wait_for(lambda: _pings(node.client()), 20, what="redis-server")
    return node


def start_sentinel(folder: Path, master: RedisNode) -> RedisNode:
    port = free_port()
    config = folder / "sentinel.conf"  # Sentinel rewrites its file: one of its own
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
        f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master.port} 1\n"
        f"sentinel down-after-milliseconds {MASTER_NAME} 2000\n"
        f"sentinel failover-timeout {MASTER_NAME} 10000\n"
    )
    proc = subprocess.Popen(["redis-sentinel", str(config)], stdout=subprocess.DEVNULL)
    node = RedisNode(port, proc)
    wait_for(lambda: _pings(node.client()), 20, what="redis-sentinel")
    return node


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[dict[str, RedisNode]]:
    folder = tmp_path_factory.mktemp("sentinel")
    master = start_redis(folder / "master")
    replica = start_redis(folder / "replica", "--replicaof", "127.0.0.1", str(master.port))
    wait_for(lambda: replica.client().info("replication")["master_link_status"] == "up", 30, what="replication")
    sentinel = start_sentinel(folder, master)
    wait_for(lambda: _replicas_known(sentinel), 30, 0.2, what="the sentinel to find the replica")
    nodes = {"master": master, "replica": replica, "sentinel": sentinel}
    yield nodes
    for node in nodes.values():
        stop_process(node.proc)


def _sentinel_settings(cluster: dict[str, RedisNode]) -> dict[str, object]:
    return {"sentinels": [f"127.0.0.1:{cluster['sentinel'].port}"], "sentinel_master": MASTER_NAME}


def _replicas_known(sentinel: RedisNode) -> bool:
    return bool(sentinel.client().sentinel_slaves(MASTER_NAME))


@pytest.fixture(scope="module")
def stack(cluster, tmp_path_factory) -> Iterator[GatewayStack]:
    with GatewayStack(
        cluster["master"], tmp_path_factory.mktemp("gw-sentinel"), db=0, config={"redis": _sentinel_settings(cluster)}
    ) as stack:
        yield stack


def test_rate_limits_are_counted_beside_the_jobs(cluster, tmp_path):
    """Through the Sentinels, the per-key request counts live in redis.url's database on the master."""
    settings = {"redis": _sentinel_settings(cluster), "api": {"rate_limit": "2 per minute"}}
    with GatewayStack(cluster["master"], tmp_path, db=2, config=settings) as stack:
        codes = [stack.client().get("/jobs").status_code for _ in range(3)]
        counted = {db: list(cluster["master"].client(db).scan_iter("*ratelimit*")) for db in (0, 2)}
    assert codes == [200, 200, 429]
    assert counted[2] and not counted[0], counted


def test_a_failover_under_load_loses_no_job(stack, cluster):
    """The master stops (a maintenance restart: it hands its last writes to the replica first);
    the Sentinel promotes the replica; the API answers 201 or 503 meanwhile, never 500, and no
    503 once it answers again; every job it accepted, before or after, is done, and no upload
    is left without its job."""
    api = stack.client()
    submitter = Submitter(api)
    submitter.start()
    try:
        wait_for(lambda: len(submitter.created()) >= 3, 60, what="jobs before the failover")
        stop_process(cluster["master"].proc)
        during = api.get(f"/jobs/{submitter.created()[0]}")
        promoted = cluster["replica"].client()
        wait_for(lambda: promoted.info("replication")["role"] == "master", 60, 0.2, what="the failover")
        promoted_at = len(submitter.answers)
        before = len(submitter.created())
        wait_for(lambda: len(submitter.created()) >= before + 3, 60, 0.2, what="jobs after the failover")
    finally:
        submitter.stopped.set()
        submitter.join(30)
    assert during.status_code == 200 or (during.status_code == 503 and during.headers["Retry-After"]), during.text
    statuses = [status for status, _, _ in submitter.answers]
    assert set(statuses) <= {201, 503}, statuses
    back = statuses.index(201, promoted_at)
    assert 503 not in statuses[back:], statuses[promoted_at:]
    for job_id in submitter.created():
        assert api.wait_job(job_id, timeout=120)["status"] == "done"
    health = api.get("/health").json()
    assert health["checks"]["redis"]["ok"]
    assert stack.uploads_without_a_job(promoted) == []


def test_scheduled_tasks_run_after_the_failover(stack):
    """RQ's scheduler (polls, retries, webhook backoff) reaches the new master too."""
    task = tasks.enqueue(stack.services, retention.sweep_orphan_uploads, delay=1)
    wait_for(lambda: task.get_status(refresh=True) == "finished", 90, 0.5, what="the scheduled task to run")
