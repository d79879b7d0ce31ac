"""Whole ``openai`` jobs through the gateway: the plugin package from examples/caption-gateway-openai,
found through its entry point, on a real asr worker, against the OpenAI-compatible server on loopback
(faster-whisper with the bundled tiny.en model)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

import formats
from tests.support.speech import speech_mp4
from tests.support.stack import GatewayStack, StackClient

testing = pytest.importorskip("caption_gateway_openai.testing", reason="pip install -e examples/caption-gateway-openai")

KEY = "sk-gateway-openai-0123456789"
SCRIPT = "The city council approved a new budget on Tuesday. The plan adds money for schools and parks."
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def server() -> Iterator[testing.TranscriptionServer]:
    endpoint = testing.TranscriptionServer(KEY).start()
    yield endpoint
    endpoint.stop()


@pytest.fixture(scope="module")
def stack(redis_server, tmp_path_factory, server) -> Iterator[GatewayStack]:
    settings = {"base_url": server.url, "model": "whisper-1", "timeout_s": 60}
    with GatewayStack(
        redis_server,
        tmp_path_factory.mktemp("openai-gw"),
        db=10,
        providers={"openai": settings},
        env={"GATEWAY_PROVIDERS_OPENAI_API_KEY": KEY},
        asr_worker=True,
    ) as gw:
        yield gw


@pytest.fixture(scope="module")
def clip(tmp_path_factory) -> Path:
    return speech_mp4(SCRIPT, tmp_path_factory.mktemp("openai-media"), "council")


@pytest.fixture
def api(stack: GatewayStack, server) -> StackClient:
    server.reset()
    return stack.client()


def post_media(api: StackClient, clip: Path) -> str:
    data = {"parent_id": f"video-openai-{next(_numbers)}", "provider": "openai", "output_types": "vtt,srt"}
    with clip.open("rb") as media:
        created = api.post("/captions", data=data, files={"media": (clip.name, media, "video/mp4")})
    assert created.status_code == 201, created.text
    return created.json()["id"]


def test_an_uploaded_video_ends_done_with_vtt_and_srt(api: StackClient, server, clip: Path) -> None:
    job = api.wait_job(post_media(api, clip), timeout=90)
    assert job["status"] == "done", job
    vtt = api.get(f"/jobs/{job['id']}/download/vtt")
    srt = api.get(f"/jobs/{job['id']}/download/srt")
    assert vtt.status_code == srt.status_code == 200
    assert formats.validate_webvtt(vtt.content) == []
    cues = formats.read(srt.content, "srt").cues
    assert cues and "council" in " ".join(cue.text for cue in cues).lower()
    assert job["provider_info"]["model"] == "whisper-1" and job["provider_info"]["uploads"] == 1
    assert [call.language for call in server.requests] == ["en"]
    assert KEY not in str(job)


def test_a_rate_limit_is_waited_out_by_the_gateway(api: StackClient, server, clip: Path) -> None:
    server.fail_next(429, retry_after="1")
    job = api.wait_job(post_media(api, clip), timeout=90)
    assert job["status"] == "done", job
    assert [call.status for call in server.requests] == [429, 200]


def test_a_refused_request_fails_the_job_with_the_endpoints_words(api: StackClient, server, clip: Path) -> None:
    server.fail_next(400, "Invalid language 'xx'. Language parameter must be specified in ISO-639-1 format.")
    job = api.wait_job(post_media(api, clip), timeout=90)
    assert job["status"] == "error"
    assert "HTTP 400" in job["error"] and "ISO-639-1" in job["error"]
    assert len(server.requests) == 1


def test_get_providers_shows_the_plugin_configured(api: StackClient) -> None:
    listed = {p["id"]: p for p in api.get("/providers").json()}
    openai = listed["openai"]
    assert openai["enabled"] and openai["configured"] and openai["queue"] == "asr"
    assert openai["distribution"] == "caption-gateway-openai 0.1.0"
