"""The conformance kit (``providers.testing``) run on the demo plugin, over HTTP against its
simulator, and on the built-in ``upload`` provider. The ``whisper`` provider passes the same kit
but is left out here: each submit runs a real model."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from caption_gateway_demo import DemoProvider
from caption_gateway_demo.simulator import SimulatorServer

from providers.base import CallbackRequest, JobView, Provider
from providers.testing import ProviderConformance
from providers.upload import UploadProvider

DEMO_KEY = "conformance-key"

SRT = (
    "1\n00:00:01,000 --> 00:00:03,000\nThe council met on Tuesday.\n\n"
    "2\n00:00:03,500 --> 00:00:05,000\nIt voted to fund the library.\n"
)


@pytest.fixture(scope="module")
def demo_service() -> Iterator[SimulatorServer]:
    server = SimulatorServer(DEMO_KEY).start()
    yield server
    server.stop()


class TestDemoProviderConformance(ProviderConformance):
    """A remote provider with callbacks, driven against its HTTP simulator."""

    provider_class = DemoProvider
    provider_id = "demo"
    foreign_callback_raises = True
    timeout_s = 1.0

    @pytest.fixture(autouse=True)
    def _service(self, demo_service: SimulatorServer) -> None:
        self.service = demo_service

    def make_provider(self) -> Provider:
        return self.make_provider_for(self.service.url)

    def make_provider_for(self, base_url: str) -> Provider:
        return DemoProvider({"base_url": base_url, "api_key": DEMO_KEY, "timeout_s": 1}, requests.Session())

    def make_job(self, **overrides: Any) -> JobView:
        fields: dict[str, Any] = {
            "id": "job-conformance",
            "media_url": "https://media.example.com/council.mp4",
            "language": "en",
            "provider_params": {"priority": "rush"},
            "output_types": ["vtt", "srt"],
            "callback_url": None,  # the kit reads callbacks itself; the simulator need not call back
        }
        return JobView(**{**fields, **overrides})

    def drive_to_done(self, provider: Provider, job: JobView) -> None:
        order = job.provider_params["ProviderID"]
        requests.post(f"{self.service.url}/_control/complete/{order}", timeout=5).raise_for_status()

    def make_foreign_callback(self, job: JobView) -> CallbackRequest:
        body = {"id": "ord-does-not-exist", "status": "complete"}
        return CallbackRequest(headers={"Content-Type": "application/json"}, body=b"", form={}, json=body, args={})


class TestUploadProviderConformance(ProviderConformance):
    """A synchronous provider that reads the caption file the CMS uploaded."""

    provider_class = UploadProvider
    provider_id = "upload"
    foreign_callback_raises = False

    def make_provider(self) -> Provider:
        return UploadProvider({}, requests.Session())

    def make_job(self, **overrides: Any) -> JobView:
        @contextlib.contextmanager
        def open_media() -> Iterator[Path]:
            with tempfile.TemporaryDirectory(prefix="conformance-") as folder:
                path = Path(folder) / "captions.srt"
                path.write_text(SRT, encoding="utf-8")
                yield path

        fields: dict[str, Any] = {
            "id": "job-upload",
            "media_url": None,
            "language": "en",
            "provider_params": {},
            "output_types": ["vtt", "srt", "txt"],
            "open_media": open_media,
        }
        return JobView(**{**fields, **overrides})
