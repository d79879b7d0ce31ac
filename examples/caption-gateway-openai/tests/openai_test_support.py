"""What the openai provider's tests share: the test key, the spoken clips, and how to make the
provider and a job the way the gateway does.

The clips are made from :data:`SCRIPT` with espeak-ng (speech as WAV) and ffmpeg (the speech
in an mp4 beside a black video track, and an mp4 with no audio at all), so the expected
transcript is known and nothing is downloaded.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from caption_gateway_openai import OpenAIProvider

from providers.base import JobView

API_KEY = "sk-test-loopback-0123456789"

#: Two short sentences with a pause between them (about 7 s of speech).
SCRIPT = "The city council approved a new budget on Tuesday. The plan adds money for schools and parks."


def run_tool(name: str, *args: str) -> None:
    """Run the command-line tool ``name`` (espeak-ng, ffmpeg) with ``args``; raise if it fails."""
    path = shutil.which(name)
    if path is None:
        raise RuntimeError(f"{name} is needed to make the test clips; install it (Debian: apt-get install {name})")
    done = subprocess.run([path, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr.strip()[-500:]}")


def ffmpeg(out: Path, *args: str) -> Path:
    run_tool("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, str(out))
    return out


def speech_wav(out: Path, text: str = SCRIPT) -> Path:
    """``text`` read aloud by espeak-ng (US English, 150 words a minute) into the WAV file ``out``."""
    run_tool("espeak-ng", "-v", "en-us", "-s", "150", "-w", str(out), text)
    return out


def speech_mp4(wav: Path, out: Path) -> Path:
    """The mp4 ``out``: ``wav`` as AAC audio beside a black video track, as long as the audio."""
    video = ("-f", "lavfi", "-i", "color=c=black:s=320x240:r=25")
    return ffmpeg(
        out, *video, "-i", str(wav), "-map", "0:v", "-map", "1:a", "-shortest", "-c:v", "mpeg4", "-c:a", "aac"
    )


def video_only_mp4(folder: Path, seconds: float = 2.0) -> Path:
    """An mp4 with a black video track and no audio track at all."""
    video = ("-f", "lavfi", "-i", "color=c=black:s=320x240:r=25", "-t", str(seconds))
    return ffmpeg(folder / "video-only.mp4", *video, "-c:v", "mpeg4", "-an")


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
