"""The gateway on S3 storage: a job's outputs are stored in the bucket over HTTP, downloads
redirect to presigned URLs that work without the API key, and the upload is deleted after."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
import redis
import requests

from gateway import create_app, tasks
from gateway.config import load_config
from gateway.services import Services, build_services, set_services
from tests.conftest import API_KEY, SECRET
from tests.support.s3server import create_bucket, s3_client, s3_server

SRT = b"1\n00:00:01,000 --> 00:00:02,500\nTom & Jerry\n\n2\n00:00:03,000 --> 00:00:04,000\nThe end\n"


@pytest.fixture
def s3_services(redis_server, monkeypatch) -> Iterator[tuple[Services, str]]:
    monkeypatch.setenv("GATEWAY_API_KEYS", API_KEY)
    monkeypatch.setenv("GATEWAY_SECRET_KEY", SECRET)
    # a Redis database of its own: the session's workers (local storage) must not take these tasks
    url = redis_server.url.rsplit("/", 1)[0] + "/1"
    redis.Redis.from_url(url).flushdb()
    with s3_server() as endpoint:
        create_bucket(endpoint, "newsroom")
        config = load_config(
            {
                "redis": {"url": url},
                "storage": {"backend": "s3", "s3": {"bucket": "newsroom", "prefix": "cg", "endpoint_url": endpoint}},
            }
        )
        services = build_services(config)
        set_services(services)  # this process runs the tasks, as a worker would
        try:
            yield services, endpoint
        finally:
            set_services(None)


def test_a_job_on_s3_storage(s3_services):
    services, endpoint = s3_services
    client = create_app(services=services).test_client()
    headers = {"X-Api-Key": API_KEY}
    payload = {
        "parent_id": "p-s3",
        "provider": "upload",
        "output_types": ["vtt", "srt"],
        "caption_file": {"name": "archive.srt", "file": base64.b64encode(SRT).decode()},
    }
    created = client.post("/captions", json=payload, headers=headers)
    assert created.status_code == 201, created.json
    job_id = created.json["id"]
    tasks.dispatch(job_id)
    tasks.discard_media(job_id)

    done = client.get(f"/jobs/{job_id}", headers=headers).json
    assert done["status"] == "done", done
    keys = {o["Key"] for o in s3_client(endpoint).list_objects_v2(Bucket="newsroom")["Contents"]}
    assert keys == {f"cg/jobs/{job_id}/{job_id}.vtt", f"cg/jobs/{job_id}/{job_id}.srt"}  # the upload is gone

    redirect = client.get(f"/jobs/{job_id}/download/vtt", headers=headers)
    assert redirect.status_code == 302
    assert redirect.location.startswith(endpoint) and "Signature" in redirect.location
    fetched = requests.get(redirect.location, timeout=10)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"].startswith("text/vtt")
    assert fetched.content.startswith(b"WEBVTT") and b"Tom &amp; Jerry" in fetched.content
    unsigned = requests.get(redirect.location.split("?")[0], timeout=10)
    assert unsigned.status_code == 403  # private objects: only the presigned URL reads them
    transcript = client.get(f"/jobs/{job_id}/transcript/srt", headers=headers)
    assert transcript.status_code == 200 and "Tom & Jerry" in transcript.text
