"""Whole Tencent VOD jobs through the gateway: the API, Redis, real workers and the VOD simulator,
in each event mode (``poll``: polling only; ``pull``: the event queue read by a worker chain;
``push``: VOD's signed callbacks to ``/callbacks/tencent``), one gateway of its own per mode."""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import time
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest

import formats
from providers.tencent import callback_sign
from tests.support.services import wait_for
from tests.support.stack import GatewayStack, StackClient
from tests.support.tencent_sim import SCRIPT, SECRET_ID, SECRET_KEY, SIGN_KEY, TencentSimulator

MEDIA = "http://127.0.0.1:1/council.mp4"  # VOD pulls it; the simulator never fetches it
ENV = {
    "GATEWAY_PROVIDERS_TENCENT_SECRET_ID": SECRET_ID,
    "GATEWAY_PROVIDERS_TENCENT_SECRET_KEY": SECRET_KEY,
    "GATEWAY_PROVIDERS_TENCENT_SIGN_KEY": SIGN_KEY,
}
_numbers = itertools.count(1)


def settings(sim: TencentSimulator, mode: str, **overrides: Any) -> dict[str, Any]:
    return {
        "endpoint": sim.host,
        "scheme": "http",
        "definition": 10,
        "event_mode": mode,
        "timeout_s": 5,
        "poll_initial": 0.3,
        "poll_factor": 1.5,
        "poll_max_interval": 1.0,
        **overrides,
    }


# In the event modes the first poll comes only after minutes: the events alone finish the job.
EVENTS_ONLY = {"poll_initial": 600, "poll_max_interval": 600}


@pytest.fixture(scope="class")
def sim() -> Iterator[TencentSimulator]:
    server = TencentSimulator().start()
    yield server
    server.stop()


def start_stack(redis_server, folder, sim: TencentSimulator, db: int, mode: str, **overrides: Any) -> GatewayStack:
    providers = {"tencent": settings(sim, mode, **overrides)}
    return GatewayStack(redis_server, folder, db=db, providers=providers, env=ENV).start()


def submit(api: StackClient, **payload: Any) -> str:
    body = {"parent_id": f"p-tencent-{next(_numbers)}", "provider": "tencent", "media_url": MEDIA, **payload}
    created = api.post("/captions", json={"output_types": ["vtt", "srt", "txt"], **body})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def assert_script_arrived(api: StackClient, job: dict[str, Any]) -> None:
    assert job["status"] == "done", job
    text = " ".join(api.get(f"/jobs/{job['id']}/download/txt").text.split())
    assert all(sentence in text for sentence in SCRIPT), text
    assert formats.validate_webvtt(api.get(f"/jobs/{job['id']}/download/vtt").content) == []
    assert job["provider_info"]["file_id"] and job["provider_info"]["task_id"]


@pytest.fixture(scope="class")
def poll_stack(redis_server, tmp_path_factory, sim: TencentSimulator) -> Iterator[GatewayStack]:
    gw = start_stack(redis_server, tmp_path_factory.mktemp("tencent-poll"), sim, 5, "poll")
    yield gw
    gw.stop()


@pytest.fixture(scope="class")
def pull_stack(redis_server, tmp_path_factory, sim: TencentSimulator) -> Iterator[GatewayStack]:
    folder = tmp_path_factory.mktemp("tencent-pull")
    gw = start_stack(redis_server, folder, sim, 6, "pull", events_interval_s=0.3, **EVENTS_ONLY)
    yield gw
    gw.stop()


@pytest.fixture(scope="class")
def push_stack(redis_server, tmp_path_factory, sim: TencentSimulator) -> Iterator[GatewayStack]:
    gw = start_stack(redis_server, tmp_path_factory.mktemp("tencent-push"), sim, 7, "push", **EVENTS_ONLY)
    sim.behaviour.push_url = f"{gw.url}/callbacks/tencent"
    yield gw
    gw.stop()


class TestPolling:
    @pytest.fixture
    def stack(self, poll_stack: GatewayStack) -> GatewayStack:
        return poll_stack

    @pytest.fixture
    def api(self, stack: GatewayStack, sim: TencentSimulator) -> StackClient:
        sim.reset()
        return stack.client()

    def test_a_job_is_pulled_recognised_and_stored(self, api, sim):
        job = api.wait_job(submit(api))
        assert_script_arrived(api, job)
        assert len(sim.calls_of("PullUpload")) == len(sim.calls_of("ProcessMedia")) == 1

    def test_more_than_100_segments_all_arrive(self, api, sim):
        sim.behaviour.segment_count = 130
        job = api.wait_job(submit(api))
        assert job["status"] == "done", job
        text = api.get(f"/jobs/{job['id']}/download/txt").text
        assert all(f"{n}. " in text for n in (1, 100, 101, 130))

    def test_a_failed_subtask_fails_the_job_with_tencents_words(self, api, sim):
        sim.behaviour.fail_recognition = True
        job = api.wait_job(submit(api))
        assert job["status"] == "error"
        assert "no speech in the audio" in job["error"] and "InvalidInput.NoSpeech" in job["error"]

    def test_rate_limits_are_retried_and_the_job_finishes(self, api, sim):
        sim.behaviour.rate_limit_next = 2
        job = api.wait_job(submit(api))
        assert job["status"] == "done", job
        assert len(sim.calls_of("PullUpload")) >= 2  # refused, then tried again by the gateway
        assert sum(task.kind == "pull" and job["id"] in task.context for task in sim.state.tasks.values()) == 1

    def test_a_wrong_secret_key_fails_the_job_naming_the_cause(self, api, sim):
        sim.keys[SECRET_ID] = "the-key-was-rotated"
        try:
            job = api.wait_job(submit(api))
        finally:
            sim.keys[SECRET_ID] = SECRET_KEY
        assert job["status"] == "error"
        assert "the SecretKey does not match the SecretId (AuthFailure.SignatureFailure)" in job["error"]
        assert SECRET_KEY not in str(job)

    def test_upload_signature_route(self, api, stack):
        assert stack.client(key=None).post("/providers/tencent/upload-signature", json={}).status_code == 401
        made = api.post("/providers/tencent/upload-signature", json={"expiry_s": 600, "procedure": "asr-flow"})
        assert made.status_code == 200, made.text
        raw = base64.b64decode(made.json()["signature"])
        digest, original = raw[:20], raw[20:]
        assert hmac.compare_digest(digest, hmac.new(SECRET_KEY.encode(), original, hashlib.sha1).digest())
        fields = dict(urllib.parse.parse_qsl(original.decode()))
        assert fields["secretId"] == SECRET_ID and fields["procedure"] == "asr-flow"
        assert int(fields["expireTime"]) - int(fields["currentTimeStamp"]) == 600
        too_long = api.post("/providers/tencent/upload-signature", json={"expiry_s": 90 * 86400 + 1})
        assert too_long.status_code == 422
        paths = api.get("/openapi.json").json()["paths"]
        assert "post" in paths["/providers/tencent/upload-signature"]


class TestEventQueue:
    @pytest.fixture
    def stack(self, pull_stack: GatewayStack) -> GatewayStack:
        return pull_stack

    def test_events_finish_the_job_and_are_confirmed(self, stack, sim):
        sim.reset()
        api = stack.client()
        job = api.wait_job(submit(api), timeout=90)
        assert_script_arrived(api, job)
        confirmed = {h for call in sim.calls_of("ConfirmEvents") for h in call["EventHandles"]}
        ours = [e for e in sim.state.events if job["id"] in str(e.body)]
        assert len(ours) == 2 and all(e.handle in confirmed for e in ours)
        wait_for(lambda: all(e.confirmed for e in ours), 10, 0.1, what="the events to be confirmed")


class TestPushCallbacks:
    @pytest.fixture
    def stack(self, push_stack: GatewayStack) -> GatewayStack:
        return push_stack

    @pytest.mark.parametrize(("placement", "upper"), [("body", False), ("query", True)])
    def test_signed_pushes_finish_the_job(self, stack, sim, placement, upper):
        sim.reset()
        sim.behaviour.sign_placement, sim.behaviour.sign_upper = placement, upper
        api = stack.client()
        job = api.wait_job(submit(api), timeout=90)
        assert_script_arrived(api, job)
        assert [status for status, event in sim.state.pushes if job["id"] in str(event)] == [202, 202]

    def test_forged_or_expired_pushes_get_403_and_change_nothing(self, stack, sim):
        sim.reset()
        sim.behaviour.finish_s = sim.behaviour.waiting_s = 3600  # the real task stays waiting
        api = stack.client()
        job_id = submit(api)
        wait_for(lambda: sim.calls_of("PullUpload"), 30, 0.1, what="the order")
        before = api.job(job_id)
        event = {
            "EventType": "ProcedureStateChanged",
            "ProcedureStateChangeEvent": {
                "TaskId": "forged",
                "Status": "FINISH",
                "ErrCode": 0,
                "SessionContext": f"caption-gateway:{job_id}",
                "AiRecognitionResultSet": [{"Type": "AsrFullTextRecognition", "AsrFullTextTask": {"Status": "FAIL"}}],
            },
        }
        expired = int(time.time()) - 10
        for body in (
            {**event, "Sign": "f" * 32, "T": str(int(time.time()) + 60)},
            {**event, "Sign": callback_sign(SIGN_KEY, expired), "T": str(expired)},
            event,
        ):
            assert stack.client(key=None).post("/callbacks/tencent", json=body).status_code == 403
        time.sleep(1)
        after = api.job(job_id)
        assert (after["status"], after["error"], after["provider_params"]) == (
            before["status"],
            before["error"],
            before["provider_params"],
        )
