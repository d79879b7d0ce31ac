"""What the openai provider's tests share: the test key, the script of the spoken clip, and how
to make the provider and a job the way the gateway does."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from caption_gateway_openai import OpenAIProvider

from providers.base import JobView

API_KEY = "sk-test-loopback-0123456789"

#: Two short sentences with a pause between them (about 7 s of speech).
SCRIPT = "The city council approved a new budget on Tuesday. The plan adds money for schools and parks."


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
