"""Whole 3Play jobs through the gateway: the API, Redis, real worker processes and the 3Play
simulator, which calls the gateway back over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.support.services import wait_for
from tests.support.stack import GatewayStack, StackClient
from tests.support.threeplay_sim import SCRIPT, ThreePlaySimulator

KEY = "sim-key-newsroom-0123456789"
WRONG_TRANSCRIPT_KEY = "sim-key-revoked-0123456789"
MEDIA_URL = "http://127.0.0.1:9/council.mp4"  # 3Play fetches it; the simulator does not


@pytest.fixture(scope="module")
def sim() -> Iterator[ThreePlaySimulator]:
    server = ThreePlaySimulator({KEY: "newsroom"}, asr_s=1.0, human_s=1.5, pending_s=0.2).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(redis_server, tmp_path_factory, sim: ThreePlaySimulator) -> Iterator[GatewayStack]:
    settings = {"base_url": sim.url, "timeout_s": 5, "poll_initial": 3, "poll_factor": 1.0, "poll_max_interval": 3}
    env = {"GATEWAY_PROVIDERS_3PLAY_API_KEY": KEY, "GATEWAY_PROVIDERS_3PLAY_API_KEY_TRANSCRIPT": WRONG_TRANSCRIPT_KEY}
    with GatewayStack(
        redis_server, tmp_path_factory.mktemp("gw-3play"), db=3, providers={"3play": settings}, env=env
    ) as gateway:
        yield gateway


@pytest.fixture
def api(stack: GatewayStack, sim: ThreePlaySimulator) -> StackClient:
    sim.reset()
    sim.callbacks, sim.asr_s, sim.human_s = True, 1.0, 1.5
    stack.restart_dead_workers()
    return stack.client()


def order(api: StackClient, **params: Any) -> dict[str, Any]:
    body = {
        "parent_id": "video-3play",
        "provider": "3play",
        "media_url": MEDIA_URL,
        "output_types": ["srt", "vtt", "txt"],
        "provider_params": params,
    }
    response = api.post("/captions", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def finished(api: StackClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    job = api.wait_job(job_id, timeout=timeout)
    text = json.dumps(job)
    assert KEY not in text and WRONG_TRANSCRIPT_KEY not in text, "an API key leaked into the job"
    return job


def test_provider_is_listed_as_configured(api: StackClient) -> None:
    entry = next(p for p in api.get("/providers").json() if p["id"] == "3play")
    assert entry["enabled"] and entry["configured"], entry
    assert set(entry["params_schema"]["properties"]) >= {"job_type", "turnaround_level_id", "transcript_id"}


def test_asr_job_done_by_callback_stores_3plays_files(api: StackClient, sim: ThreePlaySimulator) -> None:
    # 3Play finishes well before the first poll is due (poll_initial 3 s), so only the callback can end the job
    sim.asr_s = 0.5
    job = finished(api, order(api)["id"])
    assert job["status"] == "done", job
    (transcript,) = sim.transcripts_for(job["id"])
    assert transcript.kind == "AsrTranscript"
    assert job["provider_params"]["ProviderID"] == str(transcript.id)
    assert ("complete", 202) in [(c.status, c.answer) for c in sim.callbacks_for(transcript.id)]
    # the status the callback carried was applied as it came: 3Play was never asked for the
    # transcript's status (GET /transcripts/{id}), neither after the callback nor by a poll;
    # only its caption files were read (GET /transcripts/{id}/text)
    assert not sim.requests_exactly("GET", f"/transcripts/{transcript.id}")
    assert sim.requests_exactly("GET", f"/transcripts/{transcript.id}/text")
    assert api.get(f"/jobs/{job['id']}/download/srt").content == sim.caption_text("srt").encode()
    assert api.get(f"/jobs/{job['id']}/download/vtt").content == sim.caption_text("vtt").encode()
    assert api.get(f"/jobs/{job['id']}/download/txt").text.split() == " ".join(SCRIPT).split()


def test_human_job_done_by_polling_alone(api: StackClient, sim: ThreePlaySimulator) -> None:
    sim.callbacks = False
    job = finished(api, order(api, turnaround_level_id=2)["id"])
    assert job["status"] == "done", job
    (transcript,) = sim.transcripts_for(job["id"])
    assert (transcript.kind, transcript.turnaround_level_id) == ("TranscribedTranscript", 2)
    assert not sim.callbacks_for(transcript.id)
    assert sim.requests_to("GET", f"/transcripts/{transcript.id}")


def test_cancel_withdraws_the_order(api: StackClient, sim: ThreePlaySimulator) -> None:
    sim.human_s = 60
    job_id = order(api, turnaround_level_id=1)["id"]
    wait_for(lambda: sim.transcripts_for(job_id), 30, what="the order")
    assert api.post(f"/jobs/{job_id}/cancel").status_code in (200, 202)
    wait_for(lambda: sim.transcripts_for(job_id)[0].status == "cancelled", 30, what="3Play to cancel")
    assert finished(api, job_id)["status"] == "cancelled"


def test_a_rejected_order_fails_with_3plays_reason(api: StackClient, sim: ThreePlaySimulator) -> None:
    sim.reject_next_order("media_unusable", "The media file has no audio track")
    job = finished(api, order(api)["id"])
    assert job["status"] == "error"
    assert "3play cancelled the order: media_unusable: The media file has no audio track" in job["error"]


def test_a_wrong_key_is_a_clear_error(api: StackClient, sim: ThreePlaySimulator) -> None:
    job = finished(api, order(api, job_type="transcript")["id"])
    assert job["status"] == "error"
    assert "API key was refused" in job["error"] and "authentication_error" in job["error"]
    assert not sim.files


def test_nyts_top_level_job_type_picks_the_key_and_is_checked(api: StackClient, sim: ThreePlaySimulator) -> None:
    """``job_type`` beside the params, as NYT's clients send it, reaches 3Play's own checks."""
    body = {"parent_id": "video-3play", "provider": "3play", "media_url": MEDIA_URL, "job_type": "transcript"}
    created = api.post("/captions", json=body)
    assert created.status_code == 201, created.text
    job = finished(api, created.json()["id"])
    assert job["status"] == "error" and "authentication_error" in job["error"]  # the transcript key was used
    refused = api.post("/captions", json={**body, "job_type": "audio"})
    assert refused.status_code == 422, refused.text
    assert "job_type" in refused.json()["message"]
    assert not sim.files


def test_rate_limits_and_server_errors_still_give_one_file_and_one_order(
    api: StackClient, sim: ThreePlaySimulator
) -> None:
    """Faults in the order they strike: two 429s; the file made but its answer lost (a 502);
    an order refused before 3Play took it (a 500); an order taken but the connection closed
    before the answer. Each retried submit looks up what 3Play made before making anything."""
    sim.fail_next(2, 429, retry_after="1")
    sim.fail_next(1, 502, method="POST", path="/files", after=True)
    sim.fail_next(1, 500, path="/transcripts/order")
    sim.fail_next(1, 0, path="/transcripts/order", after=True)
    job = finished(api, order(api)["id"], timeout=120)  # five transient failures: 1+2+4+8+16 s of backoff
    assert job["status"] == "done", job
    (media_file,) = sim.files_for(job["id"])
    (transcript,) = sim.transcripts_for(job["id"])
    assert job["provider_params"]["ProviderFileID"] == str(media_file["id"])
    assert job["provider_params"]["ProviderID"] == str(transcript.id)
    assert len(sim.requests_to("POST", "/files")) == 1
    assert len(sim.requests_to("POST", "/transcripts/order")) == 2
    assert not [f for f in sim.state.faults if f.count], "a scripted fault never struck"
    assert api.get(f"/jobs/{job['id']}/download/srt").content == sim.caption_text("srt").encode()


def test_a_forged_callback_is_refused_and_changes_nothing(api: StackClient, sim: ThreePlaySimulator) -> None:
    sim.callbacks, sim.human_s = False, 60
    job_id = order(api, turnaround_level_id=1)["id"]
    (transcript,) = wait_for(lambda: sim.transcripts_for(job_id), 30, what="the order")
    wait_for(lambda: api.job(job_id)["provider_params"].get("ProviderID"), 30, what="the reference")
    before = api.job(job_id)
    body = {"id": str(transcript.id), "status": "complete", "cancellable": "false"}
    forged = requests.post(f"{api.base_url}/callbacks/3play/{job_id}?token=forged", data=body, timeout=10)
    assert forged.status_code == 403
    other = requests.post(transcript.callback, data={**body, "id": "424242"}, timeout=10)
    assert other.status_code == 400
    after = api.job(job_id)
    assert (after["status"], after["outputs"]) == (before["status"], before["outputs"]) and after["status"] != "done"
    api.post(f"/jobs/{job_id}/cancel")


def test_review_mode_gives_the_review_url(api: StackClient, sim: ThreePlaySimulator) -> None:
    source = finished(api, order(api)["id"])
    transcript_id = source["provider_params"]["ProviderID"]
    job = finished(api, order(api, transcript_id=transcript_id, hours_until_expiration=72)["id"])
    assert job["status"] == "done", job
    review_url = job["provider_info"]["ReviewURL"]
    assert f"editor/{transcript_id}" in review_url and job["provider_params"]["ReviewURL"] == review_url
    assert not sim.files_for(job["id"]) and len(sim.transcripts) == 1


def test_unknown_provider_params_are_refused(api: StackClient) -> None:
    body = {"parent_id": "video-3play", "provider": "3play", "media_url": MEDIA_URL, "provider_params": {"rush": 1}}
    response = api.post("/captions", json=body)
    assert response.status_code == 422
    assert "rush" in response.text


@pytest.mark.slow
def test_a_worker_killed_between_file_and_order_resumes_without_duplicates(
    api: StackClient, stack: GatewayStack, sim: ThreePlaySimulator
) -> None:
    """The order call is held, then lost (503): the worker dies after creating the file.

    Its task comes back once the dead worker's lease runs out (about a minute); the new run
    finds the file by its reference_id and orders once.
    """
    sim.hold("/transcripts/order", 3)
    sim.fail_next(1, 503, path="/transcripts/order")
    job_id = order(api)["id"]
    wait_for(lambda: sim.requests_to("POST", "/transcripts/order"), 30, what="the order call")
    assert len(sim.files_for(job_id)) == 1
    stack.workers[0].kill()
    sim.hold("/transcripts/order", 0)
    stack.workers[0].start()
    job = finished(api, job_id, timeout=150)
    assert job["status"] == "done", job
    assert len(sim.files_for(job_id)) == 1 and len(sim.transcripts_for(job_id)) == 1
