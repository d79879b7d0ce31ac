"""A full disk under the storage root: health says so (503) and jobs fail with a clear error.

The storage root is a small tmpfs where this machine lets the test mount one; elsewhere it is a
folder under a plain file, where every write is refused."""

from __future__ import annotations

import base64
import contextlib
import errno
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import DEMO_KEY
from tests.support.stack import GatewayStack

FILLER = "filler.bin"


@pytest.fixture(scope="module")
def small_disk(tmp_path_factory) -> Iterator[tuple[Path, bool]]:
    """(storage root, whether it is a real small file system that can be filled)."""
    root = tmp_path_factory.mktemp("small-disk")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(root)], capture_output=True)
    if mounted.returncode != 0:  # no mounting here: a root whose every write is refused
        (root / "not-a-folder").write_bytes(b"")
        yield root / "not-a-folder" / "storage", False
        return
    yield root, True
    subprocess.run(["umount", str(root)], capture_output=True)


@pytest.fixture(scope="module")
def stack(small_disk, redis_server, simulator, tmp_path_factory) -> Iterator[GatewayStack]:
    root, _ = small_disk
    with GatewayStack(
        redis_server,
        tmp_path_factory.mktemp("full-disk"),
        db=15,
        providers={"demo": {"base_url": simulator.url}},
        env={"GATEWAY_PROVIDERS_DEMO_API_KEY": DEMO_KEY, "GATEWAY_STORAGE_LOCAL_ROOT": str(root)},
    ) as stack:
        yield stack


def fill(root: Path) -> None:
    """Write until the file system has no room left."""
    with open(root / FILLER, "wb") as fh:
        try:
            while True:
                fh.write(b"\0" * 65536)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_health_turns_503_and_jobs_fail_clearly_on_a_full_disk(stack, small_disk):
    root, fillable = small_disk
    api = stack.client()
    if fillable:
        healthy = api.get("/health").json()
        assert healthy["checks"]["storage"]["ok"] and healthy["checks"]["storage"]["free_bytes"] > 0
        fill(root)
    try:
        health = api.get("/health")
        assert health.status_code == 503
        storage = health.json()["checks"]["storage"]
        assert not storage["ok"] and storage["error"] and str(root) not in storage["error"]
        if fillable:
            assert "No space left on device" in storage["error"]
            assert storage["free_bytes"] < 65536
        body = {"parent_id": "full", "provider": "demo", "media_url": "http://127.0.0.1:9/talk.mp4"}
        failed = api.wait_job(api.post("/captions", json=body).json()["id"], timeout=60)
        assert failed["status"] == "error"
        assert failed["error"].startswith("the captions could not be stored: cannot write 'jobs/")
        assert str(root) not in failed["error"]
        caption_file = {"name": "a.srt", "file": base64.b64encode(b"1\n00:00:01,000 --> 00:00:02,000\nHi\n").decode()}
        upload = api.post("/captions", json={"parent_id": "full", "provider": "upload", "caption_file": caption_file})
        assert upload.status_code == 503 and "storage unavailable" in upload.json()["message"]
    finally:
        with contextlib.suppress(FileNotFoundError):
            (root / FILLER).unlink()
