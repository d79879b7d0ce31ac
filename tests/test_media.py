"""Media intake against a real local HTTP server and real local storage."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
import requests
from rq import Queue
from werkzeug.wrappers import Request, Response

from gateway import media as media_module
from gateway.media import (
    JobMedia,
    MediaCancelled,
    MediaError,
    download_media,
    media_root,
    media_suffix,
    process_media_dir,
    remove_stale_media,
)
from gateway.models import CANCELLED, Job
from storage import LocalStorage
from tests.support.services import ROOT, LiveServer

LOOPBACK = ["127.0.0.0/8"]
VIDEO = os.urandom(300 * 1024)
LIMIT = 100 * 1024


def _stream(data: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


TRICKLE_BYTES = 400
TRICKLE_INTERVAL_S = 0.05  # 400 bytes take 20 s: every read gets a byte long before its timeout


def _trickle() -> Iterator[bytes]:
    for _ in range(TRICKLE_BYTES):
        yield b"x"
        time.sleep(TRICKLE_INTERVAL_S)


@Request.application
def trickle_app(request: Request) -> Response:
    """A source that sends its media one byte at a time (``/slow.mp4``; ``/slow-chunked.mp4``
    without a Content-Length), or answers only after a pause (``/stall.mp4``)."""
    if request.path == "/slow.mp4":
        return Response(_trickle(), content_type="video/mp4", headers={"Content-Length": str(TRICKLE_BYTES)})
    if request.path == "/slow-chunked.mp4":
        return Response(_trickle(), content_type="video/mp4")
    if request.path == "/stall.mp4":
        time.sleep(1.5)
        return Response(VIDEO[:1000], content_type="video/mp4")
    return Response("not found", status=404)


@Request.application
def _app(request: Request) -> Response:
    path = request.path
    if path.startswith(("/slow", "/stall")):
        return trickle_app
    if path == "/video.mp4":
        return Response(VIDEO, content_type="video/mp4")
    if path == "/media":
        return Response(VIDEO[:1000], content_type="audio/mpeg")
    if path == "/chunked.mp4":
        return Response(_stream(VIDEO), content_type="video/mp4")  # no Content-Length
    if path == "/redirect":
        return Response(status=302, headers={"Location": "/video.mp4"})
    if path == "/to-metadata":
        return Response(status=302, headers={"Location": "http://169.254.169.254/"})
    if path == "/unavailable":
        return Response("try later", status=503)
    if path == "/busy":
        return Response("slow down", status=429)
    return Response("not found", status=404)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    live = LiveServer(_app)
    yield live.url
    live.stop()


def _download(url: str, dest: Path, max_bytes: int = len(VIDEO)) -> Path:
    return download_media(url, dest, session=requests.Session(), max_bytes=max_bytes, allow=LOOPBACK)


def test_streaming_download(server: str, tmp_path: Path) -> None:
    path = _download(f"{server}/video.mp4", tmp_path)
    assert path.parent == tmp_path and path.suffix == ".mp4"
    assert path.read_bytes() == VIDEO


def test_download_follows_redirects(server: str, tmp_path: Path) -> None:
    assert _download(f"{server}/redirect", tmp_path).read_bytes() == VIDEO


def test_suffix_from_content_type(server: str, tmp_path: Path) -> None:
    assert _download(f"{server}/media", tmp_path).suffix == ".mp3"


def test_too_large_by_content_length(server: str, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="too large") as info:
        _download(f"{server}/video.mp4", tmp_path, max_bytes=LIMIT)
    assert info.value.transient is False
    assert list(tmp_path.iterdir()) == []


def test_too_large_while_streaming(server: str, tmp_path: Path) -> None:
    with requests.get(f"{server}/chunked.mp4", stream=True, timeout=5) as probe:
        assert "Content-Length" not in probe.headers
    with pytest.raises(MediaError, match="too large") as info:
        _download(f"{server}/chunked.mp4", tmp_path, max_bytes=LIMIT)
    assert info.value.transient is False
    assert list(tmp_path.iterdir()) == []
    assert _download(f"{server}/chunked.mp4", tmp_path).read_bytes() == VIDEO


@pytest.mark.parametrize(("path", "transient"), [("/missing.mp4", False), ("/unavailable", True), ("/busy", True)])
def test_http_errors(server: str, tmp_path: Path, path: str, transient: bool) -> None:
    with pytest.raises(MediaError, match="HTTP") as info:
        _download(f"{server}{path}", tmp_path)
    assert info.value.transient is transient
    assert list(tmp_path.iterdir()) == []


def test_unsafe_redirect_is_permanent(server: str, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="refused") as info:
        _download(f"{server}/to-metadata", tmp_path)
    assert info.value.transient is False


def test_private_address_without_allow_list(server: str, tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="loopback") as info:
        download_media(f"{server}/video.mp4", tmp_path, session=requests.Session(), max_bytes=len(VIDEO))
    assert info.value.transient is False


def test_connection_refused_is_transient(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        with pytest.raises(MediaError) as info:
            _download(f"http://127.0.0.1:{port}/a.mp4", tmp_path)
    assert info.value.transient is True


def test_media_suffix() -> None:
    assert media_suffix("https://cdn.example.com/v/clip.MOV?sig=1") == ".mov"
    assert media_suffix("https://cdn.example.com/v/clip", "video/mp4; codecs=avc1") == ".mp4"
    assert media_suffix("https://cdn.example.com/v/clip.mp4%00.sh!x") == ".bin"
    assert media_suffix("https://cdn.example.com/watch") == ".bin"
    assert media_suffix("uploads/j1/source.wav") == ".wav"


# --- the job media opener ---------------------------------------------------------------


def test_opener_from_storage_key_cleans_up(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "storage")
    storage.put("uploads/j1/source.wav", VIDEO)
    work = tmp_path / "work"
    work.mkdir()
    opener = JobMedia(
        media_url=None,
        storage=storage,
        storage_key="uploads/j1/source.wav",
        session=requests.Session(),
        max_bytes=len(VIDEO),
        tmp_root=work,
    ).open
    with opener() as path:
        assert path.suffix == ".wav"
        assert path.read_bytes() == VIDEO
        assert path.parent.parent == work
    assert list(work.iterdir()) == []
    with opener() as again:  # each call opens the media anew
        assert again.read_bytes() == VIDEO
    assert list(work.iterdir()) == []


def test_opener_from_url_cleans_up_even_on_error(server: str, tmp_path: Path) -> None:
    opener = JobMedia(
        media_url=f"{server}/video.mp4",
        storage=None,
        storage_key=None,
        session=requests.Session(),
        max_bytes=len(VIDEO),
        allow=LOOPBACK,
        tmp_root=tmp_path,
    ).open
    with pytest.raises(RuntimeError), opener() as path:
        assert path.read_bytes() == VIDEO
        raise RuntimeError("the provider failed")
    assert list(tmp_path.iterdir()) == []


def test_opener_missing_upload(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "storage")
    work = tmp_path / "work"
    work.mkdir()
    with (
        pytest.raises(MediaError, match="not found") as info,
        JobMedia(
            media_url=None,
            storage=storage,
            storage_key="uploads/none.wav",
            session=requests.Session(),
            max_bytes=10,
            tmp_root=work,
        ).open(),
    ):
        pass
    assert info.value.transient is False
    assert list(work.iterdir()) == []


def test_opener_upload_over_the_limit(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "storage")
    storage.put("uploads/big.wav", VIDEO)
    opener = JobMedia(
        media_url=None, storage=storage, storage_key="uploads/big.wav", session=requests.Session(), max_bytes=LIMIT
    ).open
    with pytest.raises(MediaError, match="too large"), opener():
        pass


def test_opener_needs_a_source() -> None:
    with pytest.raises(ValueError, match="no media"):
        JobMedia(media_url=None, storage=None, storage_key=None, session=requests.Session(), max_bytes=1)
    with pytest.raises(ValueError, match="needs the storage"):
        JobMedia(media_url=None, storage=None, storage_key="a.wav", session=requests.Session(), max_bytes=1)


# --- time limits and cancelling -----------------------------------------------------------


def _after(seconds: float) -> Callable[[], bool]:
    """An ``is_cancelled`` that turns true ``seconds`` from now."""
    at = time.monotonic() + seconds
    return lambda: time.monotonic() >= at


@pytest.mark.parametrize("path", ["/slow.mp4", "/slow-chunked.mp4"])
def test_a_trickling_source_is_stopped_at_the_download_deadline(server: str, tmp_path: Path, path: str) -> None:
    with pytest.raises(MediaError, match=r"did not finish within 0\.5 s: the source sends too slowly") as info:
        download_media(
            f"{server}{path}", tmp_path, session=requests.Session(), max_bytes=LIMIT, allow=LOOPBACK,
            download_timeout=0.5,
        )  # fmt: skip
    assert info.value.transient is True
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", ["/slow.mp4", "/slow-chunked.mp4"])
def test_a_cancelled_job_stops_its_download(server: str, tmp_path: Path, path: str) -> None:
    with pytest.raises(MediaCancelled, match="cancelled"):
        download_media(
            f"{server}{path}", tmp_path, session=requests.Session(), max_bytes=LIMIT, allow=LOOPBACK,
            is_cancelled=_after(0.3),
        )  # fmt: skip
    assert list(tmp_path.iterdir()) == []


def test_the_opener_passes_the_deadline_and_the_cancel_check(server: str, tmp_path: Path) -> None:
    def opener(**options) -> JobMedia:
        return JobMedia(
            media_url=f"{server}/slow.mp4", storage=None, storage_key=None, session=requests.Session(),
            max_bytes=LIMIT, allow=LOOPBACK, tmp_root=tmp_path, **options,
        )  # fmt: skip

    with pytest.raises(MediaError, match="did not finish within 0.4 s"), opener(download_timeout=0.4).open():
        pass
    with pytest.raises(MediaCancelled), opener(is_cancelled=_after(0.2)).open():
        pass
    assert list(tmp_path.iterdir()) == []


def test_copying_an_upload_of_a_cancelled_job_stops(tmp_path: Path) -> None:
    storage = LocalStorage(tmp_path / "storage")
    storage.put("uploads/j1/source.wav", VIDEO)
    work = tmp_path / "work"
    work.mkdir()
    media = JobMedia(
        media_url=None, storage=storage, storage_key="uploads/j1/source.wav", session=requests.Session(),
        max_bytes=len(VIDEO), tmp_root=work, is_cancelled=lambda: True,
    )  # fmt: skip
    with pytest.raises(MediaCancelled), media.open():
        pass
    assert list(work.iterdir()) == []


class _Store:
    """Just enough of the job store for ``submit_view``."""

    def __init__(self, job: Job) -> None:
        self.jobs = {job.id: job}

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def update(self, job_id: str, change) -> Job | None:
        job = self.jobs.get(job_id)
        return job if job is not None and change(job) else None


def _services_for(job: Job, **media_settings) -> SimpleNamespace:
    """What ``submit_view`` reads of the services, for ``job`` and these ``media`` settings."""
    from gateway.config import load_config

    media = {"max_bytes": LIMIT, "allow_networks": LOOPBACK} | media_settings
    config = load_config({"media": media}, environ={"GATEWAY_API_KEYS": "k", "GATEWAY_SECRET_KEY": "s" * 16})
    return SimpleNamespace(
        config=config, storage=None, http=requests.Session(), allow_networks=LOOPBACK, store=_Store(job)
    )


def _job_view(media_url: str, *, transient_failures: int = 0, **media_settings):
    from gateway.views import submit_view

    job = Job(parent_id="p", provider="whisper", media_url=media_url, transient_failures=transient_failures)
    return job, submit_view(_services_for(job, **media_settings), job)


def test_job_media_uses_the_configured_timeouts(server: str) -> None:
    _, view = _job_view(f"{server}/stall.mp4", read_timeout_s=0.3)  # the server answers after 1.5 s
    with pytest.raises(MediaError, match="timed out") as info, view.open_media():
        pass
    assert info.value.transient is True
    _, view = _job_view(f"{server}/slow.mp4", download_timeout_s=0.4)
    with pytest.raises(MediaError, match="did not finish within 0.4 s") as info, view.open_media():
        pass
    assert info.value.transient is True


def test_a_source_too_slow_a_second_time_fails_the_job(server: str) -> None:
    _, view = _job_view(f"{server}/slow.mp4", transient_failures=1, download_timeout_s=0.3)
    with pytest.raises(MediaError, match="too slowly, as on an earlier attempt") as info, view.open_media():
        pass
    assert info.value.transient is False


def test_job_media_stops_when_the_job_is_cancelled(server: str) -> None:
    job, view = _job_view(f"{server}/slow.mp4")
    cancel = threading.Timer(0.3, lambda: setattr(job, "status", CANCELLED))
    cancel.start()
    with pytest.raises(MediaCancelled), view.open_media():
        pass
    cancel.join()


# --- where temporary media lives, and what a killed process leaves ------------------------


@pytest.fixture
def system_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private stand-in for the system's temporary directory (``TMPDIR``)."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _mark(pid: int) -> str:
    return media_module._start_mark(pid) or "0"


def test_media_is_kept_in_a_folder_of_its_process(system_tmp: Path) -> None:
    storage = LocalStorage(system_tmp.parent / "storage")
    storage.put("uploads/j1/source.wav", VIDEO)
    media = JobMedia(
        media_url=None, storage=storage, storage_key="uploads/j1/source.wav", session=requests.Session(),
        max_bytes=len(VIDEO),
    )  # fmt: skip
    root = system_tmp / "caption-gateway-media"
    assert media_root() == root
    with media.open() as path, media.open() as second:
        own = root / f"{os.getpid()}-{_mark(os.getpid())}"
        assert path.parent.parent == own == second.parent.parent
        assert path.parent != second.parent
        assert path.read_bytes() == VIDEO
    assert list(root.iterdir()) == []  # the process's folder goes with its last media


def test_remove_stale_media_keeps_only_folders_of_live_processes(system_tmp: Path) -> None:
    root = media_root()
    live = process_media_dir()
    (live / "job-x").mkdir()
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = root / f"{int(child.stdout)}-12345"
    reused = root / f"{os.getpid()}-1"  # our pid, but a process that started at another time
    for folder in (dead / "job-a", reused / "job-b"):
        folder.mkdir(parents=True)
        (folder / "media-1.mp4").write_bytes(b"x")
    other = [root / "notes", root / "12345"]
    for folder in other:
        folder.mkdir()
    assert sorted(remove_stale_media()) == sorted([dead, reused])
    assert sorted(root.iterdir()) == sorted([live, *other])
    assert remove_stale_media() == []


_HOLD_MEDIA = """
import sys, time
import requests
from gateway.media import JobMedia
from storage import LocalStorage
media = JobMedia(media_url=None, storage=LocalStorage(sys.argv[1]), storage_key="uploads/j1/clip.mp4",
                 session=requests.Session(), max_bytes=10**7)
with media.open() as path:
    print(path, flush=True)
    time.sleep(60)
"""


def test_a_starting_worker_removes_the_media_of_a_killed_one(system_tmp: Path, redis_server) -> None:
    from gateway.worker import run_worker

    storage_root = system_tmp.parent / "storage"
    LocalStorage(storage_root).put("uploads/j1/clip.mp4", VIDEO)
    env = {**os.environ, "TMPDIR": str(system_tmp)}
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD_MEDIA, str(storage_root)], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        path = Path(holder.stdout.readline().strip())
        assert path.read_bytes() == VIDEO
    finally:
        holder.kill()  # SIGKILL: nothing gets to clean up
        holder.wait(10)
        holder.stdout.close()
    left = path.parent.parent
    assert left.parent == media_root() and path.exists()
    live = process_media_dir()  # this process's own folder must survive
    connection = redis.Redis.from_url(redis_server.url)
    services = SimpleNamespace(
        config={
            "workers": {"maintenance_interval_s": 5, "heartbeat_interval_s": 2},
            "logging": {"format": "text", "level": "INFO"},
        },
        redis=connection,
        queue=lambda name: Queue(name, connection=connection),
    )
    run_worker(services, [f"media-test-{os.getpid()}"], burst=True)
    assert not left.exists()
    assert list(media_root().iterdir()) == [live]
