"""``DELETE /jobs/<id>`` and retention: the job, its outputs and its media leave storage and
Redis together (checked by listing both), a running job is cancelled first, and deleting is
idempotent. Retention runs in the workers and deletes finished jobs past ``jobs.retention_days``."""

from __future__ import annotations

from pathlib import Path

import pytest
import redis

from tests.support.services import wait_for
from tests.support.stack import GatewayStack

SRT = b"1\n00:00:01,000 --> 00:00:02,000\nGood evening.\n"
MEDIA = "http://127.0.0.1:1/video.mp4"


def stored_files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def redis_traces(client: redis.Redis, job_id: str) -> list[str]:
    """Every Redis key that names the job, or a sorted set or set that holds it."""
    traces = [k.decode() for k in client.scan_iter(f"*{job_id}*") if not k.startswith(b"rq:")]
    for key in client.scan_iter("cg:*"):
        kind = client.type(key)
        if (kind == b"zset" and client.zscore(key, job_id) is not None) or (
            kind == b"set" and client.sismember(key, job_id)
        ):
            traces.append(key.decode())
    return traces


def upload(client, parent: str = "del-1", **extra) -> dict:
    response = client.post(
        "/captions",
        data={"parent_id": parent, "provider": "upload", "output_types": "vtt,srt", **extra},
        files={"caption_file": ("a.srt", SRT)},
    )
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def storage_root(gateway_env) -> Path:
    return gateway_env["folder"] / "storage"


def test_delete_removes_job_outputs_and_indexes(api, redis_server, storage_root):
    job = api.wait_job(upload(api)["id"])
    assert job["status"] == "done"
    outputs = {f"jobs/{job['id']}/{job['id']}.vtt", f"jobs/{job['id']}/{job['id']}.srt"}
    # the uploaded captions may still be there: a worker discards them once the job is done
    assert {f for f in stored_files(storage_root) if job["id"] in f} - {f"uploads/{job['id']}/a.srt"} == outputs
    client = redis.Redis.from_url(redis_server.url)
    assert redis_traces(client, job["id"])

    assert api.request("DELETE", f"/jobs/{job['id']}").status_code == 204
    assert api.get(f"/jobs/{job['id']}").status_code == 404
    assert api.get(f"/jobs/{job['id']}/download/vtt").status_code == 404
    assert not [f for f in stored_files(storage_root) if job["id"] in f]
    assert redis_traces(client, job["id"]) == []
    assert job["id"] not in {j["id"] for j in api.get("/jobs").json()["jobs"]}
    assert api.request("DELETE", f"/jobs/{job['id']}").status_code == 204  # idempotent


def test_delete_running_job_cancels_it_at_the_provider(api, simulator, redis_server):
    simulator.state.behaviour.reads_to_finish = 1000
    simulator.state.behaviour.callbacks = False
    job = api.post("/captions", json={"parent_id": "del-run", "media_url": MEDIA, "provider": "demo"}).json()

    def ordered() -> dict | None:
        current = api.get(f"/jobs/{job['id']}").json()
        return current if "ProviderID" in current["provider_params"] else None

    order = wait_for(ordered, 20, 0.2, what="the order")["provider_params"]["ProviderID"]
    assert api.request("DELETE", f"/jobs/{job['id']}").status_code == 204
    assert simulator.state.orders[order]["status"] == "cancelled"
    assert api.get(f"/jobs/{job['id']}").status_code == 404
    assert redis_traces(redis.Redis.from_url(redis_server.url), job["id"]) == []


def test_delete_of_an_unknown_job_is_harmless(api):
    assert api.request("DELETE", "/jobs/no-such-job").status_code == 204


@pytest.fixture(scope="module")
def retention_stack(redis_server, tmp_path_factory):
    config = {"jobs": {"retention_days": 3 / 86400, "retention_interval_s": 1, "retention_batch": 2}}
    with GatewayStack(redis_server, tmp_path_factory.mktemp("retention"), db=8, config=config) as stack:
        yield stack


def test_retention_deletes_finished_jobs_in_batches(retention_stack):
    client = retention_stack.client()
    jobs = [upload(client, parent="old") for _ in range(3)]
    for job in jobs:
        assert client.wait_job(job["id"])["status"] == "done"
    root = retention_stack.folder / "storage"
    assert len([f for f in stored_files(root) if f.startswith("jobs/")]) == 6

    def all_gone() -> bool:
        return all(client.get(f"/jobs/{j['id']}").status_code == 404 for j in jobs)

    wait_for(all_gone, 60, 0.5, what="retention to delete the finished jobs")
    assert not [f for f in stored_files(root) if f.startswith(("jobs/", "uploads/"))]
    for job in jobs:
        assert redis_traces(retention_stack.redis, job["id"]) == []
    assert client.get("/captions/old").status_code == 404
