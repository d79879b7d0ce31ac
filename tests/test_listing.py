"""``GET /jobs``: every job newest first, filters, and cursor pages that neither skip nor repeat
a job while other jobs are being created; the index is Redis sorted sets."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import redis

from tests.conftest import ApiClient

MEDIA = "http://127.0.0.1:1/video.mp4"


def create(client: ApiClient, parent: str, provider: str = "demo") -> dict:
    response = client.post("/captions", json={"parent_id": parent, "media_url": MEDIA, "provider": provider})
    assert response.status_code == 201, response.text
    return response.json()


def every_page(client: ApiClient, query: str = "", limit: int = 4) -> list[dict]:
    jobs, cursor = [], None
    while True:
        page = client.get(f"/jobs?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")).json()
        jobs += page["jobs"]
        cursor = page["next_cursor"]
        if cursor is None:
            return jobs


def test_newest_first_with_filters(api, simulator, redis_server):
    simulator.state.behaviour.reads_to_finish = 1000
    made = [create(api, f"list-{i % 2}") for i in range(5)]
    listed = every_page(api, limit=2)
    assert [j["id"] for j in listed] == [j["id"] for j in reversed(made)]
    assert [j["id"] for j in every_page(api, "&parent_id=list-0")] == [made[4]["id"], made[2]["id"], made[0]["id"]]
    api.post(f"/jobs/{made[1]['id']}/cancel")
    assert [j["id"] for j in every_page(api, "&status=cancelled")] == [made[1]["id"]]
    assert made[1]["id"] not in {j["id"] for j in every_page(api, "&status=queued")}
    assert len(every_page(api, "&provider=demo")) == 5 and every_page(api, "&provider=upload") == []
    middle = made[2]["created_at"]
    after = every_page(api, f"&created_after={middle}")
    before = every_page(api, f"&created_before={middle}")
    assert [j["id"] for j in after] == [made[4]["id"], made[3]["id"]]
    assert [j["id"] for j in before] == [made[1]["id"], made[0]["id"]]
    ids_in_index = redis.Redis.from_url(redis_server.url).zrevrange("cg:jobs:all", 0, -1)
    assert [i.decode() for i in ids_in_index] == [j["id"] for j in reversed(made)]


def test_paging_while_jobs_are_created_skips_and_repeats_nothing(api, simulator):
    simulator.state.behaviour.reads_to_finish = 1000
    before = [create(api, "race")["id"] for _ in range(12)]
    stop = threading.Event()
    during: list[str] = []

    def keep_creating() -> None:
        other = ApiClient(api.base_url)
        while not stop.is_set() and len(during) < 40:
            during.append(create(other, "race")["id"])

    writer = threading.Thread(target=keep_creating)
    writer.start()
    try:
        listed = [j["id"] for j in every_page(api, "&parent_id=race", limit=3)]
    finally:
        stop.set()
        writer.join()
    assert len(listed) == len(set(listed)), "a job was listed twice"
    assert set(before) <= set(listed), "a job that existed before the listing began was skipped"
    assert set(listed) <= set(before) | set(during)
    order = {job_id: i for i, job_id in enumerate(listed)}
    assert [order[i] for i in reversed(before)] == sorted(order[i] for i in before)  # newest first


def test_bad_queries_are_refused_with_the_field_named(api):
    unknown = api.get("/jobs?stauts=done").json()
    assert unknown["code"] == 422 and "did you mean 'status'" in unknown["error"]
    assert api.get("/jobs?status=finished").status_code == 422
    assert api.get("/jobs?created_after=yesterday").status_code == 422
    assert api.get("/jobs?cursor=abc").status_code == 422
    assert api.get("/jobs?limit=0").status_code == 422


def test_created_after_takes_iso_times(api):
    job = create(api, "iso")
    stamp = datetime.fromisoformat(job["created_at"].replace("Z", "+00:00"))
    earlier = stamp.replace(microsecond=0).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")  # no zone: UTC
    assert job["id"] in {j["id"] for j in every_page(api, f"&created_after={earlier}")}


def test_jobs_stored_before_the_listing_are_indexed_by_reindex(api, redis_server, capsys):
    """A job an older gateway stored (a record and its parent index only) joins the listing."""
    from gateway.cli import main
    from gateway.models import Job

    old = Job(parent_id="legacy", provider="demo", media_url=MEDIA, created_at=1_700_000_000.123456)
    client = redis.Redis.from_url(redis_server.url)
    client.set(f"cg:job:{old.id}", old.to_json())
    client.zadd("cg:parent:legacy", {old.id: old.created_at})
    newer = create(api, "legacy")
    assert [j["id"] for j in every_page(api)] == [newer["id"]]
    assert main(["reindex"]) == 0 and "jobs indexed" in capsys.readouterr().out
    assert [j["id"] for j in every_page(api)] == [newer["id"], old.id]
    assert [j["id"] for j in every_page(api, "&status=queued&provider=demo")] == [newer["id"], old.id]
