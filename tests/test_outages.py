"""What production does to the gateway: Redis stopped and started again under submissions, a
worker killed in the middle of a task, uploads left without a job. Real processes throughout:
a redis-server of this module's own, the gateway and its worker processes."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from moto import mock_aws
from rq.job import Job as RQJob
from rq.registry import StartedJobRegistry

from gateway.config import load_config
from gateway.retention import stored_uploads
from gateway.worker import LEASE_BEATS
from storage import S3Storage
from tests.conftest import DEMO_KEY
from tests.support.services import RedisServer, wait_for
from tests.support.stack import GatewayStack, StackClient
from tests.support.submitter import Submitter, upload_job


@pytest.fixture(scope="module")
def own_redis(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("outage-redis")).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(own_redis, simulator, tmp_path_factory) -> Iterator[GatewayStack]:
    with GatewayStack(
        own_redis,
        tmp_path_factory.mktemp("outages"),
        db=0,
        providers={"demo": {"base_url": simulator.url}},
        config={"workers": {"task_retries": 1}, "storage": {"orphan_sweep_interval_s": 2}},
        env={"GATEWAY_PROVIDERS_DEMO_API_KEY": DEMO_KEY},
    ) as stack:
        yield stack


@pytest.fixture
def api(stack) -> StackClient:
    stack.restart_dead_workers()
    return stack.client()


def test_redis_killed_and_started_again_under_submissions(stack, api, own_redis):
    """No 500 while Redis is away (503 with Retry-After), no job lost or stuck, no upload left
    without its job; the worker waits for Redis and goes on."""
    submitter = Submitter(api)
    submitter.start()
    try:
        wait_for(lambda: len(submitter.created()) >= 3, 60, what="jobs before the outage")
        own_redis.proc.kill()  # as a crash would; every acknowledged write is in the append-only file
        own_redis.proc.wait(10)
        wait_for(lambda: any(a[0] == 503 for a in submitter.answers), 60, what="a 503 while Redis is away")
        during = api.get(f"/jobs/{submitter.created()[0]}")
        assert during.status_code == 503 and during.headers["Retry-After"]
        assert "Redis" in during.json()["message"]
        time.sleep(5)  # long enough for the worker to lose its connection and wait
        own_redis.start()
        before = len(submitter.created())
        wait_for(lambda: len(submitter.created()) >= before + 3, 60, what="jobs after the outage")
    finally:
        submitter.stopped.set()
        submitter.join(30)
    statuses = {status for status, _, _ in submitter.answers}
    assert statuses <= {201, 503}, statuses
    unavailable = [(body, headers) for status, body, headers in submitter.answers if status == 503]
    assert all(headers.get("Retry-After") and body["message"] for body, headers in unavailable)
    for job_id in submitter.created():
        assert api.wait_job(job_id, timeout=120)["status"] == "done"
    assert stack.uploads_without_a_job() == []


def test_uploads_no_job_refers_to_are_swept(stack, api):
    root = Path(stack.env["GATEWAY_STORAGE_LOCAL_ROOT"]) / "uploads"
    job = api.post("/captions", json={**upload_job("kept"), "output_types": ["vtt"]}).json()
    old, recent = root / "no-such-job" / "talk.mp4", root / "in-flight" / "talk.mp4"
    for path in (old, recent):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"media")
    an_hour_ago = time.time() - 3600
    os.utime(old, (an_hour_ago, an_hour_ago))
    stack.redis.delete("cg:upload-sweep")  # the next maintenance pass sweeps
    wait_for(lambda: not old.exists(), 60, 0.2, what="the sweep of an upload without a job")
    assert recent.exists()  # younger than the grace period: its job may be on its way
    assert api.get(f"/jobs/{job['id']}").status_code == 200


def test_uploads_in_s3_are_listed_for_the_sweep(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    with mock_aws():
        boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="captions-bucket")
        storage = S3Storage(bucket="captions-bucket", prefix="newsroom", region="us-east-1")
        storage.put("uploads/job-1/talk.mp4", b"media")
        storage.put("jobs/job-1/job-1.vtt", b"WEBVTT\n")
        assert [key for key, _ in stored_uploads(storage)] == ["uploads/job-1/talk.mp4"]


def test_a_killed_worker_task_runs_again_and_then_fails_saying_why(stack, api, simulator):
    """The demo provider's order hangs; its worker is killed twice in the middle of it. The task
    runs again after the first death (task_retries: 1), and after the second the job fails
    saying that its worker stopped, how often and when."""
    simulator.state.behaviour.order_delay_s = 120
    body = {"parent_id": "killed", "provider": "demo", "media_url": "http://127.0.0.1:9/a.mp4"}
    job_id = api.post("/captions", json=body).json()["id"]
    (worker,) = stack.workers
    try:
        for stops in (1, 2):
            wait_for(lambda: dispatch_running(stack), 60, 0.1, what="the task to start")
            time.sleep(1)  # in the provider call now
            worker.kill()  # the worker and the work horse running its task
            worker.start()
            wait_for(lambda n=stops: stored(stack, job_id)["worker_stops"] >= n, 60, 0.2, what="the task to return")
            if stops == 1:
                assert api.job(job_id)["details"].startswith("the worker running this job stopped")
    finally:
        simulator.state.behaviour.order_delay_s = 0
    failed = api.wait_job(job_id, timeout=60)
    assert failed["status"] == "error"
    assert "the worker running it stopped 2 times, last at 20" in failed["error"]


def dispatch_running(stack: GatewayStack) -> bool:
    """Read without the registry's own cleanup, which would handle abandoned tasks in this process."""
    entries = stack.redis.zrange(StartedJobRegistry("default", connection=stack.redis).key, 0, -1)
    tasks = [RQJob.fetch(entry.decode().split(":")[0], connection=stack.redis) for entry in entries]
    return any(task.func_name.endswith(".dispatch") for task in tasks)


def stored(stack: GatewayStack, job_id: str) -> dict:
    return json.loads(stack.redis.get(f"cg:job:{job_id}"))


def test_by_default_a_dead_worker_task_runs_again_within_a_minute():
    """The lease (heartbeats) runs out, then the next maintenance pass puts the task back."""
    workers = load_config(environ={"GATEWAY_SECRET_KEY": "x" * 16, "GATEWAY_API_KEYS": "k" * 16})["workers"]
    assert LEASE_BEATS * workers["heartbeat_interval_s"] + workers["maintenance_interval_s"] <= 60
