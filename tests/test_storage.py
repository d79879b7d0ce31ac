"""One behaviour suite for every storage backend: local files and S3 (moto over real HTTP)."""

from __future__ import annotations

import io
import os
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from storage import (
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    Storage,
    StorageError,
    content_type_for,
    make_storage,
)
from tests.support.s3server import DUMMY_CREDENTIALS, REGION, create_bucket, s3_server

BAD_KEYS = ["../x", "/etc/passwd", "a/../../b", "a\\b", "", "a//b", "./a", "a/..", "a b"]


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with s3_server() as endpoint:
        yield endpoint


def _s3(endpoint: str, bucket: str | None = None, **kwargs: object) -> S3Storage:
    if bucket is None:
        bucket = f"captions-{uuid.uuid4().hex[:12]}"
        create_bucket(endpoint, bucket)
    return S3Storage(bucket, endpoint_url=endpoint, region=REGION, **DUMMY_CREDENTIALS, **kwargs)


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Storage:
    if request.param == "local":
        return LocalStorage(tmp_path / "storage")
    return _s3(request.getfixturevalue("s3_endpoint"), prefix="outputs")


def test_put_get_roundtrip(store: Storage) -> None:
    store.put("jobs/j1/captions.vtt", b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n")
    assert store.get("jobs/j1/captions.vtt") == b"WEBVTT\n\n00:00.000 --> 00:01.000\nHi\n"
    assert store.exists("jobs/j1/captions.vtt")


def test_put_overwrites(store: Storage) -> None:
    store.put("a.txt", b"first")
    store.put("a.txt", b"second")
    assert store.get("a.txt") == b"second"


def test_put_from_file_object_streams(store: Storage) -> None:
    data = os.urandom(300 * 1024)
    store.put("media/upload.mp4", io.BytesIO(data))
    assert store.get("media/upload.mp4") == data


def test_open_yields_chunks_of_the_object(store: Storage) -> None:
    data = os.urandom(200 * 1024 + 17)
    store.put("big.bin", data)
    chunks = list(store.open("big.bin"))
    assert b"".join(chunks) == data
    assert len(chunks) >= 2
    assert all(len(c) <= 64 * 1024 for c in chunks)


def test_missing_object(store: Storage) -> None:
    assert not store.exists("nope.vtt")
    with pytest.raises(ObjectNotFound):
        store.get("nope.vtt")
    with pytest.raises(ObjectNotFound):
        store.open("nope.vtt")


def test_delete_and_delete_missing(store: Storage) -> None:
    store.put("gone.srt", b"1\n")
    store.delete("gone.srt")
    assert not store.exists("gone.srt")
    store.delete("gone.srt")
    store.delete("never/was.srt")


@pytest.mark.parametrize("key", BAD_KEYS)
def test_escaping_keys_are_refused(store: Storage, key: str) -> None:
    for call in (
        lambda: store.put(key, b"x"),
        lambda: store.get(key),
        lambda: store.open(key),
        lambda: store.exists(key),
        lambda: store.delete(key),
    ):
        with pytest.raises(StorageError, match="invalid storage key"):
            call()


def test_check_passes(store: Storage) -> None:
    store.check()


def test_content_types() -> None:
    assert content_type_for("a/b.vtt") == "text/vtt; charset=utf-8"
    assert content_type_for("x.SRT") == "application/x-subrip; charset=utf-8"
    assert content_type_for("x.dfxp") == "application/ttml+xml"
    assert content_type_for("x") == "application/octet-stream"


# --- local backend -----------------------------------------------------------------------


def test_local_url_is_none(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    store.put("a.vtt", b"WEBVTT\n")
    assert store.url("a.vtt") is None


def test_local_put_leaves_no_temp_files(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    store.put("j/a.vtt", b"WEBVTT\n")
    store.put("j/a.vtt", io.BytesIO(b"WEBVTT\n\n"))
    assert sorted(p.name for p in (tmp_path / "j").iterdir()) == ["a.vtt"]


def test_local_failed_put_keeps_old_object_and_no_temp(tmp_path: Path) -> None:
    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:
            raise OSError(5, "disk went away")

    store = LocalStorage(tmp_path)
    store.put("a.vtt", b"old")
    with pytest.raises(StorageError, match="cannot write 'a.vtt'"):
        store.put("a.vtt", io.BufferedReader(Broken()))
    assert store.get("a.vtt") == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["a.vtt"]


def test_local_concurrent_writers_leave_one_whole_object(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    payloads = [bytes([i]) * (256 * 1024) for i in range(8)]
    barrier = threading.Barrier(len(payloads))

    def write(data: bytes) -> None:
        barrier.wait()
        for _ in range(5):
            store.put("race/out.json", data)

    threads = [threading.Thread(target=write, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get("race/out.json") in payloads
    assert [p.name for p in (tmp_path / "race").iterdir()] == ["out.json"]


def test_local_refuses_symlink_out_of_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "link").symlink_to(outside)
    store = LocalStorage(root)
    with pytest.raises(StorageError, match="invalid storage key"):
        store.get("link/secret.txt")
    with pytest.raises(StorageError, match="invalid storage key"):
        store.put("link/new.txt", b"x")
    assert not (outside / "new.txt").exists()


def test_local_check_creates_root_and_refuses_a_file(tmp_path: Path) -> None:
    LocalStorage(tmp_path / "new" / "root").check()
    assert (tmp_path / "new" / "root").is_dir()
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(StorageError, match="not a writable directory"):
        LocalStorage(tmp_path / "file").check()


# --- S3 backend -------------------------------------------------------------------------


def test_s3_presigned_url_serves_bytes_and_content_type(s3_endpoint: str) -> None:
    store = _s3(s3_endpoint, prefix="outputs")
    store.put("jobs/j1/captions.vtt", b"WEBVTT\n")
    url = store.url("jobs/j1/captions.vtt")
    assert url is not None and "X-Amz-Signature=" in url and "/outputs/jobs/j1/captions.vtt" in url
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == b"WEBVTT\n"
    assert response.headers["Content-Type"] == "text/vtt; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="captions.vtt"'


def test_s3_stores_content_type(s3_endpoint: str) -> None:
    store = _s3(s3_endpoint)
    store.put("a.srt", b"1\n")
    store.put("b.data", b"x", content_type="application/json")
    head = store.client.head_object(Bucket=store.bucket, Key="a.srt")
    assert head["ContentType"] == "application/x-subrip; charset=utf-8"
    assert store.client.head_object(Bucket=store.bucket, Key="b.data")["ContentType"] == "application/json"


def test_s3_objects_are_private(s3_endpoint: str) -> None:
    store = _s3(s3_endpoint)
    store.put("private.vtt", b"WEBVTT\n")
    acl = store.client.get_object_acl(Bucket=store.bucket, Key="private.vtt")
    assert not [g for g in acl["Grants"] if "URI" in g["Grantee"]]  # no AllUsers/AuthenticatedUsers
    anonymous = requests.get(f"{s3_endpoint}/{store.bucket}/private.vtt", timeout=10)
    if anonymous.status_code == 200:
        pytest.skip("this moto version does not enforce ACLs on anonymous requests")
    assert anonymous.status_code == 403


def test_s3_prefix_is_applied_and_cannot_be_escaped(s3_endpoint: str) -> None:
    store = _s3(s3_endpoint, prefix="/tenant-a/")
    store.put("x.txt", b"x")
    assert store.object_key("x.txt") == "tenant-a/x.txt"
    listed = store.client.list_objects_v2(Bucket=store.bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["tenant-a/x.txt"]
    with pytest.raises(StorageError):
        store.put("../tenant-b/x.txt", b"x")
    with pytest.raises(ValueError, match="invalid S3 prefix"):
        S3Storage("bucket", prefix="a/../b")


def test_s3_missing_bucket_is_a_clear_error(s3_endpoint: str) -> None:
    store = _s3(s3_endpoint, bucket="no-such-bucket-here")
    with pytest.raises(StorageError, match="bucket does not exist") as info:
        store.check()
    assert "testing" not in str(info.value)
    with pytest.raises(StorageError, match="bucket does not exist"):
        store.put("a.vtt", b"x")
    with pytest.raises(StorageError, match="bucket does not exist"):
        store.put("a.vtt", io.BytesIO(b"x"))


def test_s3_unreachable_endpoint_is_a_storage_error() -> None:
    store = S3Storage("captions", endpoint_url="http://127.0.0.1:9", region=REGION, **DUMMY_CREDENTIALS)
    store.client.meta.config.retries = {"max_attempts": 0}
    with pytest.raises(StorageError, match="cannot reach S3 bucket 'captions'") as info:
        store.check()
    assert "testing" not in str(info.value)


def test_s3_bad_expiry() -> None:
    with pytest.raises(ValueError, match="expiry"):
        S3Storage("bucket", presign_expiry=0)


# --- make_storage -----------------------------------------------------------------------


def test_make_storage_local_default(tmp_path: Path) -> None:
    store = make_storage({"local": {"root": str(tmp_path)}})
    assert isinstance(store, LocalStorage) and store.root == tmp_path
    assert isinstance(make_storage({}), LocalStorage)


def test_make_storage_s3(s3_endpoint: str) -> None:
    store = make_storage(
        {
            "backend": "S3",
            "s3": {
                "bucket": "captions",
                "prefix": "p",
                "region": REGION,
                "endpoint_url": s3_endpoint,
                "presign_expiry": "600",
                "addressing_style": "path",
            },
        }
    )
    assert isinstance(store, S3Storage)
    assert (store.bucket, store.prefix, store.presign_expiry, store.endpoint_url) == ("captions", "p", 600, s3_endpoint)


def test_make_storage_refuses_bad_config() -> None:
    with pytest.raises(ValueError, match="unknown storage backend 'gcs'"):
        make_storage({"backend": "gcs"})
    with pytest.raises(ValueError, match="needs storage.s3.bucket"):
        make_storage({"backend": "s3", "s3": {"bucket": ""}})


def test_local_delete_removes_emptied_folders(tmp_path) -> None:
    store = LocalStorage(tmp_path / "root")
    store.put("uploads/job-1/clip.mp4", b"x")
    store.put("uploads/job-2/clip.mp4", b"y")
    store.delete("uploads/job-1/clip.mp4")
    assert not (tmp_path / "root" / "uploads" / "job-1").exists()
    assert (tmp_path / "root" / "uploads" / "job-2" / "clip.mp4").exists()
    assert (tmp_path / "root").is_dir()
