"""NYT's video-captions-api, replayed: its own request and answer examples (tests/data/nyt/)
against the gateway, and what a NYT client relies on: ``done`` for every finished job,
``job_type``, 404 for an unknown parent, the ``error`` text and ``caption_file`` in JSON."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ApiClient

DATA = Path(__file__).parent / "data" / "nyt"
MEDIA = "http://127.0.0.1:1/video.mp4"
EXCHANGES = json.loads((DATA / "exchanges.json").read_text())


def substitute(value: Any, saved: dict[str, str]) -> Any:
    """The fixture's placeholders filled in: ``$MEDIA``, the Iowa captions, saved job ids."""
    if isinstance(value, dict):
        return {k: substitute(v, saved) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, saved) for v in value]
    if isinstance(value, str):
        value = value.replace("$MEDIA", MEDIA)
        value = value.replace("$IOWA_VTT_BASE64", base64.b64encode((DATA / "iowa.vtt").read_bytes()).decode())
        for name, job_id in saved.items():
            value = value.replace("{" + name + "}", job_id)
    return value


def replay(api: ApiClient, exchange: dict[str, Any], saved: dict[str, str]) -> dict[str, Any] | list | None:
    request = substitute(exchange["request"], saved)
    response = api.request(
        request["method"], request["path"], json=request.get("json"), data=request.get("data"),
        headers=request.get("headers"),
    )  # fmt: skip
    expected = substitute(exchange["response"], saved)
    assert response.status_code == expected["status"], (exchange["name"], response.text)
    body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else None
    for field in expected.get("fields", []):
        assert field in body, (exchange["name"], field)
    for field, value in expected.get("json", {}).items():
        assert body[field] == value, (exchange["name"], field, body)
    for field in expected.get("list_fields", []):
        assert body and all(field in item for item in body), (exchange["name"], field)
    if expected.get("error"):
        assert isinstance(body["error"], str) and body["error"], (exchange["name"], body)
        assert body["code"] == expected["status"] and body["message"]  # today's error body is kept
    if "save_as" in exchange:
        saved[exchange["save_as"]] = body["id"]
    return body


def test_nyt_examples_replayed(api, simulator):
    simulator.state.behaviour.reads_to_finish = 1000  # the created job is still running when cancelled
    saved: dict[str, str] = {}
    for exchange in EXCHANGES:
        replay(api, exchange, saved)
    uploaded = api.wait_job(saved["uploaded"])
    assert uploaded["status"] == "done" and uploaded["done"] is True
    transcript = api.get(f"/jobs/{saved['uploaded']}/transcript/vtt")
    assert transcript.text.strip() == "We're all talking about the Iowa caucuses"  # NYT's TestTranscript
    vtt = api.get(f"/jobs/{saved['uploaded']}/download/vtt").text
    assert "00:00:09.240 --> 00:00:11.010" in vtt and "about the Iowa caucuses" in vtt  # NYT's TestDownload
    refused = api.post(f"/jobs/{saved['uploaded']}/cancel")
    assert refused.status_code == 409 and refused.json()["error"]  # NYT's TestCancelJobDone


@pytest.mark.parametrize("outcome", ["error", "cancelled"])
def test_done_is_true_for_every_finished_job(api, simulator, outcome):
    """A NYT client polls until ``done``: a failed or cancelled job must stop it."""
    simulator.state.behaviour.callbacks = False
    if outcome == "error":
        simulator.state.behaviour.finish_as = "failed"
        simulator.state.behaviour.reads_to_finish = 1
    else:
        simulator.state.behaviour.reads_to_finish = 1000
    job = api.post("/captions", json={"parent_id": "nyt-done", "media_url": MEDIA, "provider": "demo"}).json()
    assert job["done"] is False
    if outcome == "cancelled":
        api.post(f"/jobs/{job['id']}/cancel")
    finished = api.wait_job(job["id"])
    assert finished["status"] == outcome and finished["done"] is True


def test_job_type_reaches_the_provider(api):
    created = api.post(
        "/captions", json={"parent_id": "nyt-type", "media_url": MEDIA, "provider": "demo", "job_type": "transcript"}
    ).json()
    assert created["job_type"] == "transcript"
    assert created["provider_params"]["job_type"] == "transcript"  # what the provider is handed


def test_caption_file_as_json_and_as_multipart_make_the_same_captions(api):
    vtt = (DATA / "iowa.vtt").read_bytes()
    as_json = api.post(
        "/captions",
        json={
            "parent_id": "nyt-cf",
            "provider": "upload",
            "caption_file": {"name": "a.vtt", "file": base64.b64encode(vtt).decode()},
        },
    ).json()
    as_part = api.post(
        "/captions", data={"parent_id": "nyt-cf", "provider": "upload"}, files={"caption_file": ("a.vtt", vtt)}
    ).json()
    downloads = [api.get(f"/jobs/{api.wait_job(j['id'])['id']}/download/vtt").text for j in (as_json, as_part)]
    assert downloads[0] == downloads[1] and "Iowa caucuses" in downloads[0]


def test_error_bodies_carry_nyt_error_text(api):
    body = api.post("/captions", json={"parent_id": "x", "provider": "demo", "media_url": "ftp://a/b"}).json()
    assert body["code"] == 422 and body["errors"] and body["error"].startswith("media_url:")
