"""Fixtures of the openai provider's tests: the loopback OpenAI-compatible server and spoken clips.

The clips are made by ``openai_test_support`` with espeak-ng and ffmpeg. The tests need the
package installed with its ``test`` extra, and nothing else of the gateway's checkout: run them
from this folder (``pytest``) or from the gateway's (``pytest examples/caption-gateway-openai/tests``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from caption_gateway_openai.testing import TranscriptionServer
from openai_test_support import API_KEY, speech_mp4, speech_wav


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
    wav = speech_wav(folder / "council.wav")
    return {"mp4": speech_mp4(wav, folder / "council.mp4"), "wav": wav}
