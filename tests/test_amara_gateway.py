"""Whole Amara jobs through the gateway: the API, Redis, real workers and the Amara simulator,
which fetches the captions to review from the gateway's own output URL."""

from __future__ import annotations

import base64
import itertools
from collections.abc import Iterator
from typing import Any

import pytest
import requests

import formats
from tests.support.amara_sim import HUMAN_TRANSCRIPT, REVIEW_MARK, SOURCE_VTT, AmaraSimulator
from tests.support.services import wait_for
from tests.support.stack import GatewayStack, StackClient

KEY = "amara-gateway-key-0123456789"
TEAM = "newsroom"
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def sim() -> Iterator[AmaraSimulator]:
    server = AmaraSimulator(KEY, team=TEAM, review_after_s=3.0).start()  # long enough to see the review
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(redis_server, tmp_path_factory, sim: AmaraSimulator) -> Iterator[GatewayStack]:
    settings = {
        "base_url": sim.api_url,
        "username": "reviewer-anna",
        "team": TEAM,
        "timeout_s": 5,
        "poll_initial": 0.3,
        "poll_factor": 1.5,
        "poll_max_interval": 1.0,
    }
    env = {"GATEWAY_PROVIDERS_AMARA_API_KEY": KEY}
    with GatewayStack(
        redis_server, tmp_path_factory.mktemp("amara-gw"), db=4, providers={"amara": settings}, env=env
    ) as gw:
        yield gw


@pytest.fixture
def api(stack: GatewayStack, sim: AmaraSimulator) -> StackClient:
    sim.reset()
    return stack.client()


def media_url(sim: AmaraSimulator) -> str:
    return sim.host_file(f"talk-{next(_numbers)}.mp4", b"\x00\x00\x00\x18ftypmp42")


def submit(api: StackClient, **payload: Any) -> str:
    created = api.post("/captions", json={"parent_id": f"p-amara-{next(_numbers)}", "language": "de", **payload})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def upload_job(api: StackClient, output_types: list[str]) -> str:
    """A finished German job of the built-in ``upload`` provider: the captions to review."""
    caption_file = {"name": "rat.vtt", "file": base64.b64encode(SOURCE_VTT).decode()}
    job_id = submit(api, provider="upload", output_types=output_types, caption_file=caption_file)
    assert api.wait_job(job_id)["status"] == "done"
    return job_id


def test_review_of_another_jobs_output(api: StackClient, sim: AmaraSimulator) -> None:
    source = upload_job(api, ["vtt"])
    job_id = submit(
        api,
        provider="amara",
        media_url=media_url(sim),
        output_types=["vtt", "srt"],
        provider_params={"source_job": source},
    )

    def in_review() -> dict[str, Any] | None:
        job = api.job(job_id)
        return job if job["provider_info"].get("ReviewURL") else None

    job = wait_for(in_review, 30, 0.1, what="the editor link")
    review_url = job["provider_info"]["ReviewURL"]  # shown while the job is in review
    assert job["status"] == "processing" and job["provider_params"]["ReviewURL"] == review_url
    video_id = job["provider_params"]["ProviderID"]
    assert f"/subtitles/editor/{video_id}/de/" in review_url

    done = api.wait_job(job_id, timeout=60)
    assert done["status"] == "done", done
    assert done["provider_info"]["ReviewURL"] == review_url
    assert done["provider_info"]["language"] == "de"
    (upload,) = sim.calls("POST", f"/api/videos/{video_id}/languages/de/subtitles/")
    assert f"/jobs/{source}/output/vtt?token=" in upload.body["subtitles_url"]
    vtt = api.get(f"/jobs/{job_id}/download/vtt").content
    srt = api.get(f"/jobs/{job_id}/download/srt").content
    assert formats.read(vtt, "vtt").cues[0].text == "Der Stadtrat tagte am Dienstag." + REVIEW_MARK
    assert formats.read(srt, "srt").cues[1].text == "Er stimmte für die Bibliothek."
    assert not [r for r in sim.requests if "/languages/en/" in r.path]


def test_review_of_captions_at_a_url(api: StackClient, sim: AmaraSimulator) -> None:
    job_id = review_of_file(api, sim, "archive.vtt", ["vtt"])
    done = api.wait_job(job_id, timeout=60)
    assert done["status"] == "done", done
    assert REVIEW_MARK in api.get(f"/jobs/{job_id}/download/vtt").text


def test_plain_human_captioning(api: StackClient, sim: AmaraSimulator) -> None:
    job_id = submit(api, provider="amara", media_url=media_url(sim), output_types=["srt", "txt"])
    done = api.wait_job(job_id, timeout=60)
    assert done["status"] == "done", done
    assert not sim.calls("POST", "/subtitles/")
    expected = formats.read(HUMAN_TRANSCRIPT.encode(), "vtt").cues[0].text
    assert api.get(f"/jobs/{job_id}/download/txt").text.strip() == expected


def test_rate_limits_and_server_errors_are_retried_with_one_video(api: StackClient, sim: AmaraSimulator) -> None:
    sim.add_fault(status=429, retry_after="1", method="GET", path="/api/videos/")
    sim.add_fault(status=500, method="POST", path="/subtitles/")
    sim.add_fault(status=503, html=True, method="POST", path="/api/editor-login/")
    url = sim.host_file("retried.vtt", SOURCE_VTT)
    media = media_url(sim)
    job_id = submit(
        api, provider="amara", media_url=media, output_types=["vtt"], provider_params={"subtitles_url": url}
    )
    done = api.wait_job(job_id, timeout=90)
    assert done["status"] == "done", done
    assert len(sim.calls("POST", "/api/videos/")) == 1
    assert [v.id for v in sim.videos.values() if v.video_url == media] == [done["provider_params"]["ProviderID"]]


def test_an_empty_file_while_in_review_never_becomes_the_output(api: StackClient, sim: AmaraSimulator) -> None:
    sim.empty_while_incomplete = True
    job_id = review_of_file(api, sim, "in-review.vtt", ["vtt", "txt"])
    job = in_review(api, job_id)
    video_id = job["provider_params"]["ProviderID"]
    file_url = f"{sim.api_url}/videos/{video_id}/languages/de/subtitles/"
    draft = requests.get(file_url, params={"format": "vtt"}, headers={"X-api-key": KEY}, timeout=5)
    assert draft.status_code == 200 and draft.text.strip() == "WEBVTT"  # no cues while in review
    done = api.wait_job(job_id, timeout=60)
    assert done["status"] == "done", done
    vtt = formats.read(api.get(f"/jobs/{job_id}/download/vtt").content, "vtt")
    assert [c.text for c in vtt.cues] == [
        "Der Stadtrat tagte am Dienstag." + REVIEW_MARK,
        "Er stimmte für die Bibliothek.",
    ]
    assert api.get(f"/jobs/{job_id}/download/txt").text.strip()


@pytest.mark.parametrize("deleted", ["video", "language"])
def test_work_cancelled_at_amara_fails_the_job(api: StackClient, sim: AmaraSimulator, deleted: str) -> None:
    """The video is deleted at Amara, or its subtitle language withdrawn, during the review."""
    job_id = review_of_file(api, sim, "withdrawn.vtt", ["vtt"])
    job = in_review(api, job_id)
    video_id = job["provider_params"]["ProviderID"]
    if deleted == "video":
        sim.delete_video(video_id)
    else:
        sim.delete_language(video_id, "de")
    failed = api.wait_job(job_id, timeout=60)
    assert failed["status"] == "error", failed
    assert failed["error"] == (
        f"Amara has no de subtitles for video {video_id} any more: the video or the language was deleted "
        "at Amara (Amara answered HTTP 404: Not found.)"
    )
    assert not failed["outputs"]


def test_a_bad_key_fails_the_job_without_showing_it(api: StackClient, sim: AmaraSimulator) -> None:
    sim.api_key = "another-key"
    try:
        job_id = submit(api, provider="amara", media_url=media_url(sim), output_types=["vtt"])
        failed = api.wait_job(job_id, timeout=60)
    finally:
        sim.api_key = KEY
    assert failed["status"] == "error"
    assert failed["error"] == "Amara answered HTTP 403: Incorrect authentication credentials."
    assert KEY not in str(failed)


def test_an_unknown_param_is_refused(api: StackClient, sim: AmaraSimulator) -> None:
    payload = {"provider": "amara", "media_url": media_url(sim), "provider_params": {"turnaround": "rush"}}
    refused = api.post("/captions", json={"parent_id": "p-amara-unknown", **payload})
    assert refused.status_code == 422 and "turnaround" in refused.text


@pytest.mark.parametrize("case", ["missing", "no-vtt"])
def test_a_source_job_without_output_fails_the_job(api: StackClient, sim: AmaraSimulator, case: str) -> None:
    source = "does-not-exist" if case == "missing" else upload_job(api, ["srt"])
    job_id = submit(api, provider="amara", media_url=media_url(sim), provider_params={"source_job": source})
    failed = api.wait_job(job_id, timeout=60)
    assert failed["status"] == "error"
    expected = f"source job {source} does not exist" if case == "missing" else f"source job {source} (done) has no vtt"
    assert expected in failed["error"]
    assert not sim.calls("POST", "/api/videos/")


def review_of_file(api: StackClient, sim: AmaraSimulator, name: str, output_types: list[str]) -> str:
    """The id of an Amara review job of ``SOURCE_VTT``, served by the simulator as ``name``."""
    url = sim.host_file(name, SOURCE_VTT)
    params = {"subtitles_url": url}
    return submit(api, provider="amara", media_url=media_url(sim), output_types=output_types, provider_params=params)


def in_review(api: StackClient, job_id: str) -> dict:
    """The job once Amara's editor link is on it."""
    return wait_for(lambda: (j := api.job(job_id))["provider_info"].get("ReviewURL") and j, 30, 0.1, what="the review")
