"""The whole job lifecycle through real workers, a real Redis and the demo service over HTTP."""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
import requests

from gateway.auth import verify_webhook
from tests.conftest import SECRET
from tests.support.services import WorkerProcess, wait_for

MEDIA = "http://127.0.0.1:1/video.mp4"  # never fetched by the demo service; loopback is allow-listed


def create(api, **fields) -> dict:
    body = {"media_url": MEDIA, "parent_id": "video-1", "provider": "demo", **fields}
    response = api.post("/captions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def test_polling_lifecycle_stores_outputs(api, simulator):
    simulator.state.behaviour.callbacks = False
    simulator.state.behaviour.reads_to_finish = 2
    job = create(api, output_types=["vtt", "srt", "txt"], provider_params={"use_callback": False})
    assert job["status"] == "queued" and job["done"] is False

    done = api.wait_job(job["id"])
    assert done["status"] == "done", done
    assert done["done"] is True and done["progress"] == 100
    assert done["provider_params"]["ProviderID"].startswith("ord-")
    assert {o["type"] for o in done["outputs"]} == {"vtt", "srt", "txt"}
    assert done["timings"]["total_s"] >= done["timings"]["run_s"] > 0
    assert done["quality"]["cues"] == 2

    vtt = api.get(f"/jobs/{job['id']}/download/vtt")
    assert vtt.status_code == 200
    assert vtt.headers["Content-Type"].startswith("text/vtt")
    assert vtt.text.startswith("WEBVTT")
    assert "the library &amp; the pool" in vtt.text
    srt = api.get(f"/jobs/{job['id']}/download/srt")
    order = done["provider_params"]["ProviderID"]
    assert f"Order {order}: the council met on Tuesday." in srt.text  # the provider's own file, unchanged
    transcript = api.get(f"/jobs/{job['id']}/transcript/vtt")
    assert transcript.status_code == 200
    assert "It voted to fund the library & the pool." in transcript.text


def test_callback_finishes_without_waiting_for_poll(api, simulator):
    simulator.state.behaviour.reads_to_finish = 1000  # polling alone would never finish it
    job = create(api)
    running = api.wait_job(job["id"], statuses=("processing",))
    order = running["provider_params"].get("ProviderID") or wait_for(
        lambda: api.get(f"/jobs/{job['id']}").json()["provider_params"].get("ProviderID"), 10, what="order id"
    )
    requests.post(f"{simulator.url}/_control/complete/{order}", timeout=5).raise_for_status()
    done = api.wait_job(job["id"], timeout=15)
    assert done["status"] == "done"


def test_forged_callbacks_are_refused(api, simulator, gateway):
    simulator.state.behaviour.reads_to_finish = 1000
    job = create(api)
    url = f"{gateway.url}/callbacks/demo/{job['id']}"
    assert requests.post(url, json={"id": "x", "status": "complete"}, timeout=5).status_code == 403
    assert requests.post(url + "?token=" + "0" * 64, json={}, timeout=5).status_code == 403
    assert requests.post(f"{gateway.url}/callbacks/demo/nope?token=x", json={}, timeout=5).status_code == 404
    assert requests.post(f"{gateway.url}/callbacks/whisper/{job['id']}?token=x", json={}, timeout=5).status_code == 404


@pytest.fixture
def second_default_worker(gateway_env, workers):
    """Another default worker, so that tasks of one job really run at the same time."""
    worker = WorkerProcess(["default"], gateway_env["env"], gateway_env["folder"] / "worker-default-2.log").start()
    yield worker
    worker.stop()


def test_racing_callbacks_and_polls_finalize_once(api, simulator, gateway, webhook_receiver, second_default_worker):
    simulator.state.behaviour.reads_to_finish = 1
    simulator.state.behaviour.callbacks = False
    simulator.state.behaviour.captions_delay_s = 1.0  # racing finalizes overlap while the captions download
    job = create(api, callback_url=webhook_receiver.url + "/hook")
    running = wait_for(
        lambda: (j := api.get(f"/jobs/{job['id']}").json())["provider_params"].get("ProviderID") and j,
        15,
        what="submission",
    )
    from gateway.auth import callback_token

    url = f"{gateway.url}/callbacks/demo/{job['id']}?token={callback_token(SECRET, 'demo', job['id'])}"
    body = {"id": running["provider_params"]["ProviderID"], "status": "complete"}
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: requests.post(url, json=body, timeout=5).status_code, range(8)))
    assert answers == [202] * 8
    done = api.wait_job(job["id"])
    assert done["status"] == "done"
    wait_for(lambda: webhook_receiver.for_path("/hook"), 15, what="webhook")
    time.sleep(2)  # give any duplicate a chance to arrive
    assert len(webhook_receiver.for_path("/hook")) == 1
    order = running["provider_params"]["ProviderID"]
    assert simulator.state.calls.count(("CAPTIONS", order)) == 1  # fetched once


def test_a_job_dispatched_twice_is_ordered_once(api, simulator, second_default_worker):
    """Two dispatch tasks of one job (the transaction that made it run again by the Redis client
    after its answer was lost queues a second one): one orders, the other steps aside."""
    from gateway import tasks
    from gateway.config import load_config
    from gateway.services import build_services

    simulator.state.behaviour.order_delay_s = 1.0  # the two dispatches overlap while the order is placed
    simulator.state.behaviour.callbacks = False
    simulator.state.behaviour.reads_to_finish = 1
    orders_before = simulator.state.calls.count(("POST", "/v1/orders"))
    job = create(api)
    tasks.enqueue(build_services(load_config()), tasks.dispatch, job["id"])
    done = api.wait_job(job["id"], timeout=30)
    assert done["status"] == "done", done
    time.sleep(2)  # a second order would have been placed by now
    assert simulator.state.calls.count(("POST", "/v1/orders")) == orders_before + 1


def test_webhook_is_signed_and_retried(api, simulator, webhook_receiver, job_store):
    webhook_receiver.status = 500
    job = create(api, callback_url=webhook_receiver.url + "/cms")
    api.wait_job(job["id"])
    wait_for(lambda: len(webhook_receiver.for_path("/cms")) >= 2, 20, what="a retried webhook")
    webhook_receiver.status = 200
    wait_for(lambda: job_store.get(job["id"]).webhook.get("status") == "delivered", 30, what="delivery")
    hit = webhook_receiver.for_path("/cms")[-1]
    assert verify_webhook(SECRET, hit["body"], hit["headers"])
    assert not verify_webhook("another-secret-0123456789", hit["body"], hit["headers"])
    assert hit["json"]["id"] == job["id"] and hit["json"]["status"] == "done"


def test_transient_errors_are_retried(api, simulator):
    simulator.state.behaviour.fail_next = 3  # the order and the first polls get 503
    simulator.state.behaviour.callbacks = False
    job = create(api)
    done = api.wait_job(job["id"], timeout=60)
    assert done["status"] == "done", done


def test_permanent_error_fails_with_provider_message(api, simulator):
    simulator.state.behaviour.reject_orders = "media could not be fetched"
    job = create(api)
    failed = api.wait_job(job["id"])
    assert failed["status"] == "error" and failed["done"] is True  # finished, as NYT sets it
    assert "media could not be fetched" in failed["error"]


def test_provider_failure_is_reported(api, simulator):
    simulator.state.behaviour.finish_as = "failed"
    simulator.state.behaviour.callbacks = False
    job = create(api)
    failed = api.wait_job(job["id"])
    assert failed["status"] == "error"
    assert "audio could not be transcribed" in failed["error"]


def test_cancel_running_job_then_409_after(api, simulator):
    simulator.state.behaviour.reads_to_finish = 1000
    job = create(api)
    wait_for(lambda: api.get(f"/jobs/{job['id']}").json()["provider_params"].get("ProviderID"), 15, what="order")
    cancelled = api.post(f"/jobs/{job['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    order = api.get(f"/jobs/{job['id']}").json()["provider_params"]["ProviderID"]
    wait_for(lambda: simulator.state.orders[order]["status"] == "cancelled", 15, what="provider cancel")
    assert api.post(f"/jobs/{job['id']}/cancel").status_code == 200  # cancelling again is harmless

    simulator.state.behaviour.reads_to_finish = 1
    finished = create(api)
    api.wait_job(finished["id"])
    refused = api.post(f"/jobs/{finished['id']}/cancel")
    assert refused.status_code == 409
    assert refused.json()["code"] == 409


def test_parent_listing_oldest_first_and_paginated(api, simulator):
    ids = [create(api, parent_id="video-list")["id"] for _ in range(3)]
    create(api, parent_id="other-video")
    listing = api.get("/captions/video-list")
    assert [j["id"] for j in listing.json()] == ids
    assert json.loads(listing.headers["X-Pagination"])["total"] == 3
    page = api.get("/captions/video-list?page=2&page_size=1").json()
    assert [j["id"] for j in page] == ids[1:2]


def test_idempotency_key_returns_the_same_job(api, simulator):
    body = {"media_url": MEDIA, "parent_id": "video-idem", "provider": "demo"}
    first = api.post("/captions", json=body, headers={"Idempotency-Key": "abc"})
    again = api.post("/captions", json=body, headers={"Idempotency-Key": "abc"})
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    assert len(api.get("/captions/video-idem").json()) == 1
    other = api.post("/captions", json={**body, "language": "fr"}, headers={"Idempotency-Key": "abc"})
    assert other.status_code == 422


def test_killed_work_horse_is_retried(api, simulator, workers):
    """SIGKILL the process running a task (as the OOM killer would): RQ runs the task again."""
    simulator.state.behaviour.callbacks = False
    pid = workers["default"].proc.pid
    # the worker's one long-lived child is its RQ scheduler; the work horse is the next one
    idle = set(wait_for(lambda: len(c := _children(pid)) == 1 and c, 20, what="the scheduler"))
    simulator.state.behaviour.order_delay_s = 3  # the submission blocks long enough to be killed
    job = create(api)
    horse = wait_for(lambda: set(_children(pid)) - idle, 20, 0.05, what="a busy work horse")
    os.kill(horse.pop(), signal.SIGKILL)
    simulator.state.behaviour.order_delay_s = 0
    done = api.wait_job(job["id"], timeout=60)
    assert done["status"] == "done", done
    assert workers["default"].alive()


def test_worker_killed_while_finishing_a_job_does_not_leave_it_stuck(api, simulator, workers):
    """SIGKILL the work horse while it downloads the finished captions: the task runs again and
    takes over its own claim on finishing the job."""
    simulator.state.behaviour.callbacks = False
    simulator.state.behaviour.reads_to_finish = 1
    simulator.state.behaviour.captions_delay_s = 5
    pid = workers["default"].proc.pid
    idle = set(wait_for(lambda: len(c := _children(pid)) == 1 and c, 20, what="the scheduler"))
    job = create(api)
    wait_for(lambda: any(c[0] == "CAPTIONS_START" for c in simulator.state.calls), 30, 0.05, what="finalize")
    horse = wait_for(lambda: set(_children(pid)) - idle, 10, 0.05, what="the busy work horse")
    os.kill(horse.pop(), signal.SIGKILL)
    simulator.state.behaviour.captions_delay_s = 0
    done = api.wait_job(job["id"], timeout=60)
    assert done["status"] == "done", done
    assert {o["type"] for o in done["outputs"]} == {"vtt"}


def _children(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as fh:
        return [int(p) for p in fh.read().split()]


def test_jobs_survive_a_redis_restart(api, simulator, redis_server):
    simulator.state.behaviour.callbacks = False
    job = create(api)
    done = api.wait_job(job["id"])
    redis_server.restart()
    client = redis.Redis.from_url(redis_server.url)
    wait_for(lambda: client.ping(), 10, what="redis back")
    again = wait_for(lambda: _get_ok(api, job["id"]), 20, what="the gateway reading the job again")
    assert again["status"] == "done" and again["outputs"] == done["outputs"]
    assert json.loads(json.dumps(again))["id"] == job["id"]


def _get_ok(api, job_id):
    try:
        response = api.get(f"/jobs/{job_id}")
    except requests.RequestException:
        return None
    return response.json() if response.status_code == 200 else None


def test_idempotent_media_upload_keeps_one_copy(api, simulator, gateway_env):
    fields = {"parent_id": "video-idem-upload", "provider": "demo"}
    headers = {"Idempotency-Key": "upload-1"}
    first = api.post("/captions", data=fields, files={"media": ("clip.mp4", b"0" * 2048)}, headers=headers)
    again = api.post("/captions", data=fields, files={"media": ("clip.mp4", b"0" * 2048)}, headers=headers)
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    uploads = gateway_env["folder"] / "storage" / "uploads"
    before = {p.name for p in uploads.iterdir()}
    assert first.json()["id"] in before  # the duplicate's copy was removed: only ids of stored jobs remain
    assert again.json()["id"] == first.json()["id"]
    other = api.post("/captions", data=fields, files={"media": ("clip.mp4", b"1" * 2048)}, headers=headers)
    assert other.status_code == 422  # same key, different bytes
    assert {p.name for p in uploads.iterdir() if any(p.iterdir())} <= before


def test_polling_gives_up_after_the_providers_maximum_wait(gateway_env, simulator, job_store):
    """Polling stops at the provider's max wait and fails the job with a clear error."""
    from gateway import tasks
    from gateway.config import load_config
    from gateway.models import Job
    from gateway.services import build_services, set_services

    simulator.state.behaviour.reads_to_finish = 1000
    config = load_config({"providers": {"demo": {"max_wait": 5}}})
    services = build_services(config)
    set_services(services)  # this process now acts as a worker with that setting
    try:
        job = Job(parent_id="video-slow", provider="demo", media_url=MEDIA)
        services.store.create(job)
        tasks.dispatch(job.id)
        assert job_store.get(job.id).status == "processing"
        services.store.update(job.id, lambda j: setattr(j, "submitted_at", j.submitted_at - 10))
        tasks.refresh(job.id, 1)
        failed = job_store.get(job.id)
        assert failed.status == "error"
        assert "did not finish within 5 s" in failed.error
    finally:
        set_services(None)


def test_remote_provider_fetches_uploaded_media_through_a_signed_url(api, simulator):
    simulator.state.behaviour.callbacks = False
    simulator.state.behaviour.reads_to_finish = 1000
    created = api.post(
        "/captions",
        data={"parent_id": "video-upload-remote", "provider": "demo"},
        files={"media": ("clip.mp4", b"not really a video" * 100)},
    )
    assert created.status_code == 201, created.text
    job_id = created.json()["id"]
    order_id = wait_for(lambda: api.get(f"/jobs/{job_id}").json()["provider_params"].get("ProviderID"), 15)
    order = simulator.state.orders[order_id]
    fetched = requests.get(order["media_url"], timeout=10)  # what the provider does, no API key
    assert fetched.status_code == 200 and fetched.content == b"not really a video" * 100
    forged = order["media_url"].split("?")[0] + "?token=" + "0" * 64
    assert requests.get(forged, timeout=10).status_code == 403

    requests.post(f"{simulator.url}/_control/complete/{order_id}", timeout=5).raise_for_status()
    assert api.wait_job(job_id)["status"] == "done"
    # once the job is over the upload is deleted (storage.keep_uploads: false)
    wait_for(lambda: requests.get(order["media_url"], timeout=10).status_code == 404, 15, what="upload deleted")
