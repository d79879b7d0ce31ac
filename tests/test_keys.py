"""Named API keys with scopes (environment and keys file, stored hashed): a key sees and
cancels only the jobs it created unless it is ``admin``; the job records its key; per-key rate
limits answer 429 with ``Retry-After`` and recover; today's plain GATEWAY_API_KEYS still works."""

from __future__ import annotations

import hashlib
import time

import pytest
import yaml

from tests.support.services import wait_for
from tests.support.stack import API_KEY, GatewayStack

MEDIA = "http://127.0.0.1:1/video.mp4"
KEYS = {"newsdesk": "newsdesk-key-0123", "sports": "sports-key-0123", "archive": "archive-key-0123"}


@pytest.fixture(scope="module")
def stack(redis_server, tmp_path_factory):
    folder = tmp_path_factory.mktemp("keys")
    keys_file = folder / "keys.yaml"
    keys_file.write_text(
        yaml.safe_dump(
            [
                {"name": "newsdesk", "scopes": ["submit", "read"], "sha256": _sha(KEYS["newsdesk"])},
                {"name": "sports", "scopes": ["submit", "read"], "key": KEYS["sports"]},
                {"name": "limited", "scopes": ["read"], "sha256": _sha("limited-key"), "rate_limit": "3 per 5 seconds"},
            ]
        )
    )
    env = {"GATEWAY_API_KEYS": f"{API_KEY},archive:read:{KEYS['archive']}"}
    config = {"api": {"keys_file": str(keys_file)}}
    with GatewayStack(redis_server, folder, db=9, config=config, env=env, default_workers=0) as stack:
        yield stack


def _sha(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def test_a_key_sees_and_cancels_only_its_own_jobs(stack):
    newsdesk, sports, admin = stack.client(KEYS["newsdesk"]), stack.client(KEYS["sports"]), stack.client()
    job = newsdesk.post(
        "/captions",
        data={"parent_id": "shared-video", "provider": "upload"},
        files={"caption_file": ("a.srt", b"1\n00:00:01,000 --> 00:00:02,000\nHi.\n")},
    ).json()
    assert job["created_by"] == "newsdesk"
    assert newsdesk.get(f"/jobs/{job['id']}").status_code == 200
    assert sports.get(f"/jobs/{job['id']}").status_code == 404
    assert sports.post(f"/jobs/{job['id']}/cancel").status_code == 404
    assert sports.get("/captions/shared-video").status_code == 404
    assert job["id"] not in {j["id"] for j in sports.get("/jobs").json()["jobs"]}
    assert sports.request("DELETE", f"/jobs/{job['id']}").status_code == 204
    assert newsdesk.get(f"/jobs/{job['id']}").status_code == 200  # another key cannot delete it
    assert [j["id"] for j in newsdesk.get("/jobs").json()["jobs"]] == [job["id"]]
    assert [j["id"] for j in admin.get("/captions/shared-video").json()] == [job["id"]]
    assert admin.get(f"/jobs/{job['id']}").json()["created_by"] == "newsdesk"
    assert newsdesk.post(f"/jobs/{job['id']}/cancel").json()["status"] == "cancelled"


def test_scopes_decide_what_a_key_may_do(stack):
    archive = stack.client(KEYS["archive"])
    refused = archive.post("/captions", json={"parent_id": "p", "media_url": MEDIA, "provider": "demo"})
    assert refused.status_code == 403 and "submit" in refused.json()["error"]
    assert archive.get("/jobs").status_code == 200
    assert archive.get("/providers").status_code == 200
    assert stack.client("no-such-key").get("/jobs").status_code == 401


def test_plain_keys_of_today_still_see_everything(stack):
    admin = stack.client()
    assert admin.get("/jobs").status_code == 200
    assert admin.get("/providers").status_code == 200


def test_rate_limit_answers_429_then_recovers(stack):
    limited = stack.client("limited-key")
    answers = [limited.get("/providers") for _ in range(6)]
    codes = [a.status_code for a in answers]
    assert 429 in codes and codes[0] == 200, codes
    refused = answers[codes.index(429)]
    body = refused.json()
    assert body["code"] == 429 and body["error"]
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 5
    stack.client().get("/providers").raise_for_status()  # other keys have limits of their own
    time.sleep(retry_after)
    wait_for(lambda: limited.get("/providers").status_code == 200, 10, 0.5, what="the limit to recover")
