"""Edges of the API: a 413 closes the connection and says why, a 405 names the allowed methods,
a parent_id that could never be listed is refused, and no job error shows a server path."""

from __future__ import annotations

import io
import tempfile

from gateway import create_app, tasks
from gateway.config import load_config
from gateway.models import Job
from gateway.paths import hide_paths
from gateway.services import build_services
from tests.conftest import API_KEY

KEY = {"X-Api-Key": API_KEY}


def test_a_multipart_body_over_the_limit_is_413_with_a_message_and_closes(gateway_env):
    client = create_app({"api": {"max_upload_bytes": 4096, "max_body_bytes": 1024}}).test_client()
    data = {"parent_id": "big", "provider": "whisper", "media": (io.BytesIO(b"x" * 10000), "talk.mp4")}
    response = client.post("/captions", headers=KEY, data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    assert response.headers["Connection"] == "close"
    assert response.json["message"] == "request body over 4096 bytes" == response.json["error"]


def test_a_json_body_over_the_limit_is_413_and_closes(api):
    response = api.post(
        "/captions", data=b"{" + b" " * (3 * 1024 * 1024) + b"}", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert "close" in response.headers["Connection"]
    assert "over 2097152 bytes" in response.json()["message"]


def test_a_chunked_json_body_over_the_limit_is_413(api):
    """A body of unknown length is refused for its size too, not read cut short as bad JSON."""

    def chunks():
        yield b'{"parent_id": "'
        for _ in range(3 * 64):
            yield b"x" * (16 * 1024)
        yield b'", "provider": "demo"}'

    response = api.post("/captions", data=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413, response.text
    assert "over 2097152 bytes" in response.json()["message"]
    small = api.post(
        "/captions",
        data=iter([b'{"parent_id": "p",', b' "provider": "nope"}']),
        headers={"Content-Type": "application/json"},
    )
    assert small.status_code == 400 and "unknown provider" in small.json()["message"]


def test_405_names_the_allowed_methods(api):
    response = api.request("PUT", "/jobs")
    assert response.status_code == 405
    assert set(response.headers["Allow"].replace(" ", "").split(",")) >= {"GET"}


def test_a_parent_id_that_could_not_be_listed_is_refused(api):
    for parent_id in ("news/2026/clip", ".", ".."):
        body = {"parent_id": parent_id, "provider": "demo", "media_url": "http://127.0.0.1:9/a.mp4"}
        response = api.post("/captions", json=body)
        assert response.status_code == 422, parent_id
        assert response.json()["message"].startswith("parent_id: ")
    odd = "clip #1 ?&=%+ é"
    body = {"parent_id": odd, "provider": "demo", "media_url": "http://127.0.0.1:9/a.mp4"}
    assert api.post("/captions", json=body).status_code == 201
    from urllib.parse import quote

    listed = api.get(f"/captions/{quote(odd, safe='')}")
    assert listed.status_code == 200 and listed.json()[0]["parent_id"] == odd


def test_a_job_error_shows_no_server_path(gateway_env, job_store):
    services = build_services(load_config())
    job, _ = job_store.create(Job(parent_id="paths", provider="demo", media_url="http://127.0.0.1:9/a.mp4"))
    temporary = f"{tempfile.gettempdir()}/caption-gateway-media/123-456/job-abc/media-def.mp4"
    failed = tasks.fail(services, job.id, f"cannot decode media: {temporary}: Invalid data", details=temporary)
    assert failed.error == "cannot decode media: <path>: Invalid data"
    assert failed.details == "<path>"
    assert hide_paths({"a": [temporary]}, "var/storage") == {"a": ["<path>"]}
