"""The gateway's conformance kit on the openai provider, against a real OpenAI-compatible server on
loopback (faster-whisper with the bundled tiny.en model) and the kit's HTTP fault table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from caption_gateway_openai import OpenAIProvider
from caption_gateway_openai.testing import TranscriptionServer
from openai_test_support import make_job, make_provider

from providers.base import JobView, Provider
from providers.testing import ProviderConformance


class TestOpenAIConformance(ProviderConformance):
    provider_class = OpenAIProvider
    provider_id = "openai"
    remote = True  # synchronous, but every submit is an HTTP call: play the fault table on it
    foreign_callback_raises = False  # no callbacks: the default parse_callback asks nothing
    timeout_s = 2.0

    @pytest.fixture(autouse=True)
    def _service(self, transcription_server: TranscriptionServer, clips: dict[str, Path]) -> None:
        self.service = transcription_server
        self.clip = clips["mp4"]

    def make_provider(self) -> Provider:
        return make_provider(self.service.url)

    def make_provider_for(self, base_url: str) -> Provider:
        return make_provider(base_url, timeout_s=self.timeout_s)

    def make_job(self, **overrides: Any) -> JobView:
        return make_job(self.clip, **overrides)
