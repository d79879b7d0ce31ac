"""Fixtures of the openai provider's tests: the loopback OpenAI-compatible server and spoken clips.

The clips come from the gateway's test helpers (espeak-ng and ffmpeg), so these tests run from a
checkout of the gateway, with the package installed: ``pytest examples/caption-gateway-openai/tests``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from caption_gateway_openai import OpenAIProvider
from caption_gateway_openai.testing import TranscriptionServer

from providers.base import JobView
from tests.support.speech import speak_wav, speech_mp4

API_KEY = "sk-test-loopback-0123456789"

#: Two short sentences with a pause between them (about 7 s of speech).
SCRIPT = "The city council approved a new budget on Tuesday. The plan adds money for schools and parks."


@pytest.fixture(scope="session")
def transcription_server() -> Iterator[TranscriptionServer]:
    server = TranscriptionServer(API_KEY).start()
    yield server
    server.stop()


@pytest.fixture
def server(transcription_server: TranscriptionServer) -> TranscriptionServer:
    """The session's server with no scripted fault and an empty request log."""
    transcription_server.reset()
    return transcription_server


@pytest.fixture(scope="session")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("openai-clips")
    return {"mp4": speech_mp4(SCRIPT, folder, "council"), "wav": speak_wav(SCRIPT, folder / "council-speech.wav")}


def make_provider(url: str, **settings: Any) -> OpenAIProvider:
    return OpenAIProvider({"base_url": url, "api_key": API_KEY, "timeout_s": 30, **settings}, requests.Session())


def media_opener(path: Path) -> Callable[[], contextlib.AbstractContextManager[Path]]:
    """``JobView.open_media`` for a file on disk, as the gateway hands over a downloaded one."""

    @contextlib.contextmanager
    def open_media() -> Iterator[Path]:
        yield path

    return open_media


def make_job(path: Path, **overrides: Any) -> JobView:
    fields: dict[str, Any] = {
        "id": "job-openai",
        "media_url": None,
        "language": "en",
        "provider_params": {},
        "output_types": ["vtt", "srt"],
        "open_media": media_opener(path),
    }
    return JobView(**{**fields, **overrides})
