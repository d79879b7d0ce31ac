"""The HTTP API: validation, auth, limits and the uniform error body (no workers needed)."""

from __future__ import annotations

import base64

import pytest
import redis

from tests.conftest import ApiClient

MEDIA = "http://127.0.0.1:1/video.mp4"


@pytest.fixture
def client(gateway) -> ApiClient:
    return ApiClient(gateway.url)


def body(**fields):
    return {"media_url": MEDIA, "parent_id": "p-1", "provider": "demo", **fields}


def assert_error(response, code: int, text: str = "") -> dict:
    assert response.status_code == code, response.text
    payload = response.json()
    assert payload["code"] == code and payload["status"]
    assert text in (payload.get("message", "") + str(payload.get("errors", ""))), payload
    return payload


def test_health_needs_no_key_and_checks_dependencies(anonymous):
    response = anonymous.get("/health")
    assert response.status_code == 200
    checks = response.json()["checks"]
    assert checks["redis"]["ok"] and checks["storage"]["ok"]


@pytest.mark.parametrize("path", ["/providers", "/jobs/x", "/captions/p-1"])
def test_routes_need_an_api_key(anonymous, path):
    assert_error(anonymous.get(path), 401, "API key")
    assert_error(ApiClient(anonymous.base_url, key="wrong").get(path), 401)


def test_post_needs_an_api_key(anonymous):
    assert_error(anonymous.post("/captions", json=body()), 401)


def test_openapi_documents_every_route(anonymous):
    spec = anonymous.get("/openapi.json").json()
    paths = set(spec["paths"])
    expected = {
        "/captions",
        "/captions/{parent_id}",
        "/jobs/{job_id}",
        "/jobs/{job_id}/cancel",
        "/jobs/{job_id}/download/{fmt}",
        "/jobs/{job_id}/transcript/{fmt}",
        "/callbacks/{provider_id}/{job_id}",
        "/providers",
        "/health",
    }
    assert expected <= paths
    assert "ApiKey" in spec["components"]["securitySchemes"]
    docs = anonymous.get("/docs")
    assert docs.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in docs.text
    script = anonymous.get("/docs/assets/swagger-ui-bundle.js")  # served locally: the UI works offline
    assert script.status_code == 200 and "SwaggerUIBundle" in script.text


def test_providers_lists_plugins_with_params_schema(client):
    providers = {p["id"]: p for p in client.get("/providers").json()}
    assert {"demo", "upload", "whisper"} <= set(providers)
    demo = providers["demo"]
    assert demo["enabled"] and demo["supports_callback"] and demo["distribution"].startswith("caption-gateway-demo")
    assert demo["params_schema"]["properties"]["priority"]["enum"] == ["standard", "rush"]


def test_broken_plugins_are_listed_as_disabled_never_fatal(client):
    """The caption-gateway-broken test package registers plugins that fail in the usual ways."""
    providers = {p["id"]: p for p in client.get("/providers").json()}
    assert providers["broken-import"]["enabled"] is False
    assert "No module named 'caption_gateway_sdk_that_does_not_exist'" in providers["broken-import"]["reason"]
    assert "pip install caption-gateway-broken[sdk]" in providers["needs-extra"]["reason"]
    assert providers["incomplete"]["reason"] == "missing methods: check, fetch"
    upload = providers["upload"]  # a plugin cannot take over a built-in id
    assert upload["enabled"] and upload["distribution"].startswith("caption-gateway ")
    assert "caption-gateway-broken" in upload["reason"]
    refused = client.post("/captions", json=body(provider="needs-extra"))
    assert_error(refused, 400, "provider 'needs-extra' is disabled: missing optional dependency")


@pytest.mark.parametrize(
    ("fields", "code", "text"),
    [
        ({"provider": "nope"}, 400, "unknown provider 'nope'"),
        ({"parent_id": None}, 422, "parent_id"),
        ({"output_types": ["docx"]}, 422, "output_types"),
        ({"output_types": []}, 422, "output_types"),
        ({"output_types": ["vtt", "vtt"]}, 422, "must not repeat"),
        ({"language": "English!"}, 422, "language"),
        ({"media_url": "ftp://example.com/a.mp4"}, 422, "media_url"),
        ({"media_url": None}, 400, "media_url is required"),
        ({"provider_params": {"priority": "yesterday"}}, 422, "priority"),
        ({"provider_params": {"unknown": 1}}, 422, "unknown"),
        ({"style": "comic-sans"}, 422, "style"),
        ({"surprise": 1}, 422, "surprise"),
    ],
)
def test_bad_input_is_refused_clearly(client, fields, code, text):
    payload = {k: v for k, v in body(**fields).items() if v is not None}
    assert_error(client.post("/captions", json=payload), code, text)


DEEP = '{"media_url": "%s", "parent_id": "p-hostile", "provider": "demo", "provider_params": %s}'


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"{not json", "Invalid JSON body: Expecting property name"),
        (b'{"parent_id": "\xff\xfe"}', "not UTF-8"),
        ((DEEP % (MEDIA, "[" * 50_000 + "]" * 50_000)).encode(), "nested more than 32 levels deep"),
        ((DEEP % (MEDIA, '{"a": ' * 40 + "1" + "}" * 40)).encode(), "nested more than 32 levels deep"),
        ((DEEP % (MEDIA, '{"a": NaN}')).encode(), "NaN is not a JSON value"),
        ((DEEP % (MEDIA, '{"a": -Infinity}')).encode(), "-Infinity is not a JSON value"),
        ((DEEP % (MEDIA, '{"a": %s}' % ("9" * 5000))).encode(), "Exceeds the limit"),
        ((DEEP % (MEDIA, '{"a": 1e400}')).encode(), "out of range"),
    ],
    ids=["malformed", "not-utf8", "stack-overflow-deep", "too-deep", "nan", "infinity", "huge-int", "huge-float"],
)
def test_hostile_json_bodies_are_a_400(client, redis_server, data, text):
    response = client.post("/captions", data=data, headers={"Content-Type": "application/json"})
    assert_error(response, 400, text)
    assert client.get("/captions/p-hostile").status_code == 404  # no job was made (NYT: 404 for no jobs)


def test_hostile_json_in_a_multipart_field_is_a_422(client):
    deep = "{" + '"a": {' * 50_000 + "}" * 50_000 + "}"
    form = {"parent_id": "p-hostile", "provider": "demo", "media_url": MEDIA, "provider_params": deep}
    response = client.post("/captions", files={k: (None, v) for k, v in form.items()})
    assert_error(response, 422, "not valid JSON: nested more than 32 levels deep")


def test_hostile_json_in_a_callback_is_refused_not_a_crash(client, gateway):
    from gateway.auth import callback_token
    from tests.conftest import SECRET

    job = client.post("/captions", json=body(parent_id="p-callback")).json()
    url = f"/callbacks/demo/{job['id']}?token={callback_token(SECRET, 'demo', job['id'])}"
    response = client.post(url, data="[" * 50_000, headers={"Content-Type": "application/json"})
    # the body reads as no JSON at all; the demo service's callbacks only say "look again"
    assert response.status_code == 202, response.text
    assert response.json() == {"accepted": True, "job_id": job["id"]}


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.5/video.mp4",
        "http://192.168.1.10/video.mp4",
        "http://[::1]/video.mp4",
        "http://does-not-exist.invalid/video.mp4",
    ],
)
def test_ssrf_media_urls_are_refused(client, url):
    assert_error(client.post("/captions", json=body(media_url=url)), 400, "media_url refused")


def test_unusual_host_spellings_are_refused(client):
    assert client.post("/captions", json=body(media_url="http://0x0a000001/video.mp4")).status_code in (400, 422)
    assert client.post("/captions", json=body(media_url="http://2130706433:80/video.mp4")).status_code in (400, 422)


def test_ssrf_callback_url_is_refused(client):
    response = client.post("/captions", json=body(callback_url="http://169.254.169.254/hook"))
    assert_error(response, 400, "callback_url refused")


def test_nothing_is_stored_when_a_request_is_refused(client, redis_server):
    client.post("/captions", json=body(provider="nope", parent_id="p-refused"))
    client.post("/captions", json=body(media_url="http://10.0.0.1/x.mp4", parent_id="p-refused"))
    assert client.get("/captions/p-refused").status_code == 404  # no job was made (NYT: 404 for no jobs)
    assert not list(redis.Redis.from_url(redis_server.url).scan_iter("cg:job:*"))


def test_body_over_the_limit_is_413(client, gateway):
    limit = gateway.app.config["GATEWAY"]["api"]["max_body_bytes"]
    response = client.post("/captions", json=body(provider_params={"x": "a" * (limit + 10)}))
    assert_error(response, 413)


def test_only_media_uploads_may_be_large(client, gateway):
    """A multipart body to any other route, such as a forged callback, has the small limit."""
    limit = gateway.app.config["GATEWAY"]["api"]["max_body_bytes"]
    big = {"file": ("x.bin", b"a" * (limit + 10))}
    assert_error(client.post("/callbacks/demo/any-job?token=x", files=big), 413)
    assert_error(client.post("/jobs/any-job/cancel", files=big), 413)


def test_full_queue_is_429(redis_server, tmp_path):
    from rq import Queue

    from tests.support.stack import GatewayStack

    # a gateway on a Redis database that no worker serves, so the queue stays as the test fills it
    with GatewayStack(
        redis_server,
        tmp_path,
        db=13,
        default_workers=0,
        providers={"demo": {"base_url": "http://127.0.0.1:9"}},
        config={"api": {"max_queue_length": 1, "queue_length_cache_s": 0}},
    ) as stack:
        Queue("default", connection=stack.redis).enqueue("gateway.tasks.refresh", "no-such-job")
        assert_error(stack.client().post("/captions", json=body()), 429, "queue is full")


def test_unknown_job_is_404(client):
    assert_error(client.get("/jobs/nope"), 404, "no job nope")
    assert_error(client.post("/jobs/nope/cancel"), 404)
    assert_error(client.get("/jobs/nope/download/vtt"), 404)


def test_download_before_done_is_409(client, redis_server):
    job = client.post("/captions", json=body(parent_id="p-early")).json()
    assert_error(client.get(f"/jobs/{job['id']}/download/vtt"), 409, "not ready")
    assert_error(client.get(f"/jobs/{job['id']}/transcript/txt"), 400, "cannot make a transcript")
    redis.Redis.from_url(redis_server.url).delete("rq:queue:default")


def test_upload_with_a_broken_caption_file_is_400(client):
    broken = base64.b64encode(b"1\n00:00:05,000 --> banana\nhello\n").decode()
    response = client.post(
        "/captions", json={"parent_id": "p-up", "provider": "upload", "caption_file": {"name": "x.srt", "file": broken}}
    )
    assert_error(response, 400, "caption_file cannot be read")
    response = client.post(
        "/captions", json={"parent_id": "p-up", "provider": "upload", "caption_file": {"name": "x.srt", "file": "%%"}}
    )
    assert_error(response, 400, "base64")
    assert_error(client.post("/captions", json={"parent_id": "p-up", "provider": "upload"}), 400, "caption_file")


def test_out_of_range_numbers_elsewhere_are_refused_not_a_crash(client):
    assert_error(client.post("/captions", json=body(style={"max_chars_per_line": 10**30})), 422, "style")
    huge = {"parent_id": "p-hostile", "provider": "demo", "media_url": MEDIA, "style": '{"lines": %s}' % ("9" * 5000)}
    assert_error(client.post("/captions", files={k: (None, v) for k, v in huge.items()}), 422, "not valid JSON")
    assert client.post("/captions", json=body()).status_code == 201  # p-1 has a job: its listing is not a 404
    page = client.get("/captions/p-1?page=99999999999999999999")
    assert page.status_code == 200 and page.json() == []


def test_concurrent_requests_with_one_idempotency_key_make_one_job(client, redis_server):
    from concurrent.futures import ThreadPoolExecutor

    def post(_):
        clients = ApiClient(client.base_url)
        return clients.post("/captions", json=body(parent_id="p-race"), headers={"Idempotency-Key": "race"})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(16)))
    assert sorted({a.status_code for a in answers}) in ([201], [200, 201])
    assert [a.status_code for a in answers].count(201) == 1
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(client.get("/captions/p-race").json()) == 1
    redis.Redis.from_url(redis_server.url).delete("rq:queue:default")


def test_upload_format_param_is_used_to_check_the_file(client):
    srt = base64.b64encode(b"1\n00:00:01,000 --> 00:00:02,000\nhello\n").decode()
    upload = {"parent_id": "p-up", "provider": "upload", "caption_file": {"name": "x.txt", "file": srt}}
    assert_error(
        client.post("/captions", json={**upload, "provider_params": {"format": "ttml"}}), 400, "cannot be read"
    )
    assert client.post("/captions", json={**upload, "provider_params": {"format": "srt"}}).status_code == 201
