"""The job store: jobs in Redis, updated atomically.

Keys (under the configured prefix):
  ``job:<id>``           the job as JSON
  ``parent:<parent_id>`` sorted set of job ids by creation time
  ``idem:<scope>:<key>`` the job an ``Idempotency-Key`` created, with the request fingerprint
  ``lock:<name>:<id>``   short-lived claims (finalize runs once)

Every change goes through :meth:`JobStore.update`, an optimistic transaction (WATCH/MULTI)
that refuses to move a finished job to another status.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import redis
from redis.client import Pipeline

from gateway.models import TERMINAL, Job, now

MAX_INDEX = 2**62


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different request."""


class JobStore:
    def __init__(self, connection: redis.Redis, prefix: str = "cg") -> None:
        self.redis = connection
        self.prefix = prefix

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def create(
        self,
        job: Job,
        idempotency: tuple[str, str] | None = None,
        fingerprint: str = "",
        ttl: int = 86400,
        also: Callable[[Pipeline], object] | None = None,
    ) -> tuple[Job, bool]:
        """Store a new job; with ``idempotency`` (scope, key) return the earlier job instead.

        Returns ``(job, created)``. ``also`` adds its own commands (enqueueing the job's first
        task) to the transaction that writes the job, so a job is never stored without its task.
        The idempotency record is written in that same transaction, watched: of two requests
        racing with one key, one writes its job and the other returns that job.
        """
        idem_key = self._key("idem", *idempotency) if idempotency is not None else None
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    if idem_key is not None:
                        pipe.watch(idem_key)
                        earlier = self._earlier_job(pipe.get(idem_key), fingerprint)
                        if earlier is not None:
                            pipe.unwatch()
                            return earlier, False
                    pipe.multi()
                    if idem_key is not None:
                        claim = json.dumps({"job_id": job.id, "fingerprint": fingerprint})
                        pipe.set(idem_key, claim, ex=ttl)
                    pipe.set(self._key("job", job.id), job.to_json())
                    pipe.zadd(self._key("parent", job.parent_id), {job.id: job.created_at})
                    if also is not None:
                        also(pipe)
                    pipe.execute()
                    return job, True
                except redis.WatchError:
                    continue

    def _earlier_job(self, raw_claim: bytes | None, fingerprint: str) -> Job | None:
        """The job an idempotency record points at; raises when the request differs."""
        if not raw_claim:
            return None
        earlier = json.loads(raw_claim)
        if earlier.get("fingerprint") != fingerprint:
            raise IdempotencyConflict("Idempotency-Key was already used for a different request")
        return self.get(earlier.get("job_id", ""))  # None: the job is gone, make a new one

    def get(self, job_id: str) -> Job | None:
        raw = self.redis.get(self._key("job", job_id))
        return Job.from_json(raw) if raw else None

    def update(self, job_id: str, change: Callable[[Job], bool | None]) -> Job | None:
        """Apply ``change`` to the stored job atomically and return the new job.

        ``change`` mutates the job it is given; returning ``False`` leaves the store untouched.
        Returns ``None`` when the job is missing, ``change`` declined, or the change would
        move a finished job to another status.
        """
        key = self._key("job", job_id)
        with self.redis.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        return None
                    job = Job.from_json(raw)
                    before = job.status
                    if change(job) is False or (before in TERMINAL and job.status != before):
                        pipe.unwatch()
                        return None
                    job.updated_at = now()
                    if job.status in TERMINAL and before not in TERMINAL:
                        job.finished_at = job.updated_at
                    pipe.multi()
                    pipe.set(key, job.to_json())
                    pipe.execute()
                    return job
                except redis.WatchError:
                    continue

    def transition(self, job_id: str, status: str, **fields) -> Job | None:
        """Move an unfinished job to ``status`` and set ``fields``; ``None`` if it had finished."""

        def change(job: Job) -> bool:
            if job.terminal:
                return False
            job.status = status
            for name, value in fields.items():
                setattr(job, name, value)
            return True

        return self.update(job_id, change)

    def list_by_parent(self, parent_id: str, offset: int = 0, limit: int = 50) -> tuple[list[Job], int]:
        """Jobs of one parent, oldest first, and how many there are in all."""
        key = self._key("parent", parent_id)
        if offset + limit > MAX_INDEX:  # beyond what Redis takes as an index: an empty page
            return [], self.redis.zcard(key)
        ids = self.redis.zrange(key, offset, offset + limit - 1)
        total = self.redis.zcard(key)
        raws = (
            self.redis.mget([self._key("job", i.decode() if isinstance(i, bytes) else i) for i in ids]) if ids else []
        )
        return [Job.from_json(r) for r in raws if r], total

    def claim(self, name: str, job_id: str, ttl: int, owner: str = "") -> bool:
        """Take a named claim on a job for ``ttl`` seconds; ``False`` if someone else holds it.

        An ``owner`` that already holds the claim gets it again: a task that RQ runs again
        after its worker died must not be locked out by its own earlier attempt.
        """
        key = self._key("lock", name, job_id)
        if self.redis.set(key, owner or "1", nx=True, ex=ttl):
            return True
        return bool(owner) and self.redis.get(key) == owner.encode()

    def release(self, name: str, job_id: str) -> None:
        self.redis.delete(self._key("lock", name, job_id))
