"""Media intake against a real local HTTP server and real local storage."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from werkzeug.wrappers import Request, Response

from gateway.media import JobMedia, MediaError, download_media, media_suffix
from storage import LocalStorage
from tests.support.services import LiveServer

LOOPBACK = ["127.0.0.0/8"]
VIDEO = os.urandom(300 * 1024)
LIMIT = 100 * 1024


def _stream(data: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@Request.application
def _app(request: Request) -> Response:
    path = request.path
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
