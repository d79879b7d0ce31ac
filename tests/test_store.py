"""The Redis job store: atomic transitions, parent index, idempotency, claims."""

from __future__ import annotations

import threading

import pytest
import redis

from gateway.models import CANCELLED, DONE, ERROR, PROCESSING, Job
from gateway.store import IdempotencyConflict, JobStore


@pytest.fixture
def store(redis_server) -> JobStore:
    return JobStore(redis.Redis.from_url(redis_server.url), "cg")


def test_a_finished_job_never_changes_status(store):
    job, _ = store.create(Job(parent_id="p", provider="demo"))
    assert store.transition(job.id, PROCESSING).status == PROCESSING
    done = store.transition(job.id, DONE)
    assert done.status == DONE and done.finished_at is not None
    assert store.transition(job.id, ERROR, error="late") is None
    assert store.transition(job.id, CANCELLED) is None
    assert store.get(job.id).status == DONE and store.get(job.id).error is None


def test_concurrent_updates_lose_nothing(store):
    job, _ = store.create(Job(parent_id="p", provider="demo"))

    def bump():
        for _ in range(50):
            store.update(job.id, lambda j: setattr(j, "poll_attempt", j.poll_attempt + 1))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(job.id).poll_attempt == 200


def test_only_one_racer_finishes_a_job(store):
    job, _ = store.create(Job(parent_id="p", provider="demo"))
    results = []
    threads = [threading.Thread(target=lambda: results.append(store.transition(job.id, DONE))) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(r is not None for r in results) == 1


def test_parent_index_is_oldest_first(store):
    ids = []
    for i in range(5):
        job = Job(parent_id="video", provider="demo", created_at=1000.0 + i)
        ids.append(store.create(job)[0].id)
    jobs, total = store.list_by_parent("video", 1, 2)
    assert total == 5 and [j.id for j in jobs] == ids[1:3]


def test_idempotency(store):
    first, created = store.create(Job(parent_id="p", provider="demo"), ("client", "k1"), "fp")
    again, created_again = store.create(Job(parent_id="p", provider="demo"), ("client", "k1"), "fp")
    assert created and not created_again and again.id == first.id
    other, created_other = store.create(Job(parent_id="p", provider="demo"), ("other-client", "k1"), "fp")
    assert created_other and other.id != first.id
    with pytest.raises(IdempotencyConflict):
        store.create(Job(parent_id="p", provider="demo"), ("client", "k1"), "another body")


def test_claims_are_exclusive(store):
    assert store.claim("finalize", "j1", 30)
    assert not store.claim("finalize", "j1", 30)
    store.release("finalize", "j1")
    assert store.claim("finalize", "j1", 30)


def test_a_claim_is_taken_again_by_its_owner_only(store):
    assert store.claim("finalize", "j2", 30, owner="rq-task-1")
    assert store.claim("finalize", "j2", 30, owner="rq-task-1")  # the same task, run again after its worker died
    assert not store.claim("finalize", "j2", 30, owner="rq-task-2")
    assert not store.claim("finalize", "j2", 30)
