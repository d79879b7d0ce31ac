"""What a newcomer hit: ``GET /`` points to the docs; ``/docs`` can upload files and send
``Idempotency-Key``; unknown fields and file parts are errors that say what was meant; errors
never show a server path; ``make run`` takes REDIS_PORT and VAR and keeps to its own Redis."""

from __future__ import annotations

import subprocess

import pytest

from gateway.devserver import start_redis
from tests.support.services import ROOT, free_port, stop_process

MEDIA = "http://127.0.0.1:1/video.mp4"


def test_root_points_to_the_docs(anonymous):
    home = anonymous.get("/")
    assert home.status_code == 200
    assert home.json()["docs"] == "/docs" and home.json()["openapi"] == "/openapi.json"
    assert anonymous.get(home.json()["docs"]).status_code == 200


def test_openapi_has_the_upload_form_the_idempotency_header_and_the_listing(anonymous):
    spec = anonymous.get("/openapi.json").json()
    create = spec["paths"]["/captions"]["post"]
    form_ref = create["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    form = spec["components"]["schemas"][form_ref.rsplit("/", 1)[-1]]["properties"]
    assert "demo" in form["provider"]["enum"]
    assert form["media"]["format"] == "binary" and form["caption_file"]["format"] == "binary"
    assert "application/json" in create["requestBody"]["content"]
    assert {"in": "header", "name": "Idempotency-Key"}.items() <= create["parameters"][0].items()
    listing = {p["name"] for p in spec["paths"]["/jobs"]["get"]["parameters"]}
    assert {"status", "provider", "parent_id", "created_after", "created_before", "cursor", "limit"} <= listing
    assert "delete" in spec["paths"]["/jobs/{job_id}"]


def test_unknown_field_names_the_closest_known_one(api):
    body = {"parent_id": "p", "media_url": MEDIA, "provider": "demo", "output_type": ["vtt"]}
    error = api.post("/captions", json=body).json()
    assert error["code"] == 422
    assert next(iter(error["errors"].values()))["output_type"] == [
        "Unknown field 'output_type'; did you mean 'output_types'?"
    ]
    assert "output_types" in error["error"]
    form = api.post("/captions", data={"parent_id": "p", "media_url": MEDIA, "provider": "demo", "langauge": "fr"})
    assert "did you mean 'language'" in form.json()["error"]


def test_a_multipart_file_part_with_an_unknown_name_is_an_error(api):
    response = api.post("/captions", data={"parent_id": "p", "provider": "demo"}, files={"video": ("a.mp4", b"x")})
    assert response.status_code == 400
    assert "video" in response.json()["error"] and "media" in response.json()["error"]


def test_errors_never_show_a_server_path(api):
    echoed = f"{ROOT}/gateway/store.py"
    response = api.post("/captions", json={"parent_id": "p", "media_url": MEDIA, "provider": "demo", echoed: 1})
    assert response.status_code == 422
    assert str(ROOT) not in response.text and "<path>" in response.text


def test_make_run_takes_redis_port_and_var():
    dry = subprocess.run(
        ["make", "-n", "run", "REDIS_PORT=6499", "VAR=/srv/captions"], cwd=ROOT, capture_output=True, text=True
    )
    assert "--redis-port 6499" in dry.stdout and "--var /srv/captions" in dry.stdout, dry.stdout + dry.stderr


def test_make_run_refuses_the_redis_of_another_folder(tmp_path):
    port = free_port()
    first, second = tmp_path / "first", tmp_path / "second"
    for var in (first, second):
        (var / "log").mkdir(parents=True)
        (var / "secrets.env").write_text("GATEWAY_API_KEYS=k\n")
    proc = start_redis(first, port)
    try:
        assert proc is not None
        assert start_redis(first, port) is None  # the same folder reuses its own Redis
        with pytest.raises(SystemExit, match="REDIS_PORT"):
            start_redis(second, port)
    finally:
        stop_process(proc)
