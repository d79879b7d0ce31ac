"""Fixtures of the openai provider's tests: the loopback OpenAI-compatible server and spoken clips.

The clips come from the gateway's test helpers (espeak-ng and ffmpeg), so these tests run from a
checkout of the gateway, with the package installed: ``pytest examples/caption-gateway-openai/tests``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from caption_gateway_openai.testing import TranscriptionServer
from openai_test_support import API_KEY, SCRIPT

from tests.support.speech import speak_wav, speech_mp4


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
