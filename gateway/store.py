"""The job store: jobs in Redis, updated atomically.

Keys (under the configured prefix):
  ``job:<id>``                the job as JSON
  ``parent:<parent_id>``      sorted set of the parent's job ids by creation time
  ``jobs:all``                every job id by creation time (the listing's index)
  ``jobs:status:<status>``    job ids of one status, by creation time
  ``jobs:provider:<id>``      job ids of one provider, by creation time
  ``jobs:owner:<key name>``   job ids one API key created, by creation time
  ``jobs:finished``           finished job ids by finishing time (retention)
  ``jobs:clock``              the last creation time handed out (milliseconds)
  ``jobs:deleting``           ids of jobs being deleted (hidden, finished by retention)
  ``idem:<scope>:<key>``      the job an ``Idempotency-Key`` created, with the request fingerprint
  ``lock:<name>:<id>``        short-lived claims (finalize runs once)

Scores are creation times in integer milliseconds handed out by a Lua script in the same
transaction that writes the job, strictly increasing in the order jobs become visible. So a
cursor ("older than this score") never skips or repeats a job while others are being created:
a job written after a page was read always has a higher score than every job already listed.

Every change goes through :meth:`JobStore.update`, an optimistic transaction (WATCH/MULTI)
that refuses to move a finished job to another status and keeps the status index in step.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import redis
from redis.client import Pipeline

from gateway.models import TERMINAL, Job, now

MAX_INDEX = 2**62
CREATED_AT_PLACEHOLDER = "__CREATED_AT__"
# Give the job a creation time (ms, strictly increasing), write it and index it, atomically.
# KEYS: the clock, the job, then every index the job belongs to. ARGV: job id, job JSON.
CREATE_SCRIPT = """
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
if ms <= last then ms = last + 1 end
redis.call('SET', KEYS[1], ms)
local stamp = string.format('%d.%03d', math.floor(ms / 1000), ms % 1000)
local body = string.gsub(ARGV[2], '"__CREATED_AT__"', stamp)
redis.call('SET', KEYS[2], body)
for i = 3, #KEYS do redis.call('ZADD', KEYS[i], ms, ARGV[1]) end
return ms
"""
# the most index entries one listing request reads while filtering
MAX_SCAN = 2000


@dataclass
class JobFilter:
    """What ``GET /jobs`` selects; times are milliseconds, both bounds exclusive."""

    status: str | None = None
    provider: str | None = None
    parent_id: str | None = None
    owner: str | None = None
    created_after_ms: int | None = None
    created_before_ms: int | None = None

    def matches(self, job: Job) -> bool:
        return (
            (self.status is None or job.status == self.status)
            and (self.provider is None or job.provider == self.provider)
            and (self.parent_id is None or job.parent_id == self.parent_id)
            and (self.owner is None or job.created_by == self.owner)
        )


def score_of(job: Job) -> int:
    """The job's index score: its creation time in milliseconds."""
    return round(job.created_at * 1000)


class IdempotencyConflict(Exception):
    """The Idempotency-Key was used before for a different request."""


class JobStore:
    def __init__(self, connection: redis.Redis, prefix: str = "cg") -> None:
        self.redis = connection
        self.prefix = prefix
        self._create_script = connection.register_script(CREATE_SCRIPT)

    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, *parts))

    def _index_keys(self, job: Job) -> list[str]:
        """Every creation-time index the job is in (the status index changes with the job)."""
        keys = [
            self._key("jobs", "all"),
            self._key("jobs", "status", job.status),
            self._key("jobs", "provider", job.provider),
            self._key("parent", job.parent_id),
        ]
        if job.created_by:
            keys.append(self._key("jobs", "owner", job.created_by))
        return keys

    @staticmethod
    def _json_with_placeholder(job: Job) -> str:
        data = json.loads(job.to_json())
        data["created_at"] = data["updated_at"] = CREATED_AT_PLACEHOLDER
        return json.dumps(data, separators=(",", ":"))

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
                    self._create_script(
                        keys=[self._key("jobs", "clock"), self._key("job", job.id), *self._index_keys(job)],
                        args=[job.id, self._json_with_placeholder(job)],
                        client=pipe,
                    )
                    if also is not None:
                        also(pipe)
                    results = pipe.execute()
                    job.created_at = job.updated_at = int(results[1 if idem_key is not None else 0]) / 1000
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
                    if job.status != before:
                        self._reindex_status(pipe, job, before)
                    pipe.execute()
                    return job
                except redis.WatchError:
                    continue

    def _reindex_status(self, pipe: Pipeline, job: Job, before: str) -> None:
        pipe.zrem(self._key("jobs", "status", before), job.id)
        pipe.zadd(self._key("jobs", "status", job.status), {job.id: score_of(job)})
        if job.status in TERMINAL:
            pipe.zadd(self._key("jobs", "finished"), {job.id: round((job.finished_at or now()) * 1000)})

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

    def list_by_parent(
        self, parent_id: str, offset: int = 0, limit: int = 50, owner: str | None = None
    ) -> tuple[list[Job], int]:
        """Jobs of one parent, oldest first, and how many there are in all.

        With ``owner`` only the jobs that key created (a parent has few jobs: they are read
        whole and filtered).
        """
        key = self._key("parent", parent_id)
        if owner is not None:
            mine = [j for j in self._load(self.redis.zrange(key, 0, -1)) if j.created_by == owner]
            return mine[offset : offset + limit], len(mine)
        if offset + limit > MAX_INDEX:  # beyond what Redis takes as an index: an empty page
            return [], self.redis.zcard(key)
        ids = self.redis.zrange(key, offset, offset + limit - 1)
        return self._load(ids), self.redis.zcard(key)

    def list_jobs(
        self, where: JobFilter, before_ms: int | None = None, limit: int = 50
    ) -> tuple[list[Job], int | None]:
        """Jobs matching ``where``, newest first, created before ``before_ms`` (a cursor).

        Returns the page and the cursor of the next one (``None`` at the end). The most
        selective index answers; other conditions are checked on the jobs read, at most
        :data:`MAX_SCAN` entries per call (a page may then be short, with a cursor to go on).
        """
        index = self._index_for(where)
        upper = min(b for b in (before_ms, where.created_before_ms, MAX_INDEX) if b is not None)
        lower = f"({where.created_after_ms}" if where.created_after_ms is not None else "-inf"
        page: list[Job] = []
        scanned = 0
        while len(page) < limit and scanned < MAX_SCAN:
            batch = max(limit - len(page), 20)
            entries = self.redis.zrevrangebyscore(index, f"({upper}", lower, start=0, num=batch, withscores=True)
            if not entries:
                return page, None
            scanned += len(entries)
            for job in self._load(job_id for job_id, _ in entries):
                if where.matches(job) and len(page) < limit:
                    page.append(job)
            upper = int(entries[-1][1]) if len(page) < limit else score_of(page[-1])
            if len(entries) < batch:
                return page, (upper if len(page) == limit else None)
        return page, upper

    def _index_for(self, where: JobFilter) -> str:
        if where.parent_id is not None:
            return self._key("parent", where.parent_id)
        if where.owner is not None:
            return self._key("jobs", "owner", where.owner)
        if where.status is not None:
            return self._key("jobs", "status", where.status)
        if where.provider is not None:
            return self._key("jobs", "provider", where.provider)
        return self._key("jobs", "all")

    def _load(self, ids: Iterable[bytes | str]) -> list[Job]:
        keys = [self._key("job", i.decode() if isinstance(i, bytes) else i) for i in ids]
        return [Job.from_json(raw) for raw in (self.redis.mget(keys) if keys else []) if raw]

    def reindex(self, batch: int = 500) -> int:
        """Add jobs stored before the listing indexes existed to them; how many it added.

        Run once after upgrading (``caption-gateway reindex``): it walks every job key. The jobs
        keep their creation times, all in the past, so new jobs still sort after them.
        """
        added = 0
        for keys in _chunked(self.redis.scan_iter(self._key("job", "*"), count=batch), batch):
            with self.redis.pipeline(transaction=False) as pipe:
                for job in (Job.from_json(raw) for raw in self.redis.mget(keys) if raw):
                    if self.is_deleting(job.id):
                        continue
                    score = score_of(job)
                    for key in self._index_keys(job):
                        pipe.zadd(key, {job.id: score})  # also puts an old parent index in milliseconds
                    if job.terminal:
                        pipe.zadd(
                            self._key("jobs", "finished"), {job.id: round((job.finished_at or now()) * 1000)}, nx=True
                        )
                    added += 1
                pipe.execute()
        return added

    # -- deletion ----------------------------------------------------------------------------

    def begin_delete(self, job: Job) -> None:
        """Hide a job: out of every index and marked as being deleted, in one transaction.

        Its files go next, then :meth:`finish_delete` removes the record; a process that dies
        in between leaves the mark, and retention finishes the deletion.
        """
        with self.redis.pipeline() as pipe:
            pipe.sadd(self._key("jobs", "deleting"), job.id)
            for key in {*self._index_keys(job), self._key("jobs", "finished")}:
                pipe.zrem(key, job.id)
            pipe.execute()

    def is_deleting(self, job_id: str) -> bool:
        return bool(self.redis.sismember(self._key("jobs", "deleting"), job_id))

    def deleting(self, limit: int) -> list[str]:
        """Jobs whose deletion started and did not finish (a process died in between)."""
        ids = self.redis.srandmember(self._key("jobs", "deleting"), limit) or []
        return [i.decode() if isinstance(i, bytes) else i for i in ids]

    def finish_delete(self, job_id: str) -> None:
        """Remove the record of a job whose files are gone, and its deletion mark."""
        with self.redis.pipeline() as pipe:
            pipe.delete(self._key("job", job_id), self._key("lock", "finalize", job_id))
            pipe.srem(self._key("jobs", "deleting"), job_id)
            pipe.execute()

    def finished_before(self, cutoff_ms: int, limit: int) -> list[str]:
        """Ids of jobs that finished before ``cutoff_ms``, oldest first, at most ``limit``."""
        ids = self.redis.zrangebyscore(self._key("jobs", "finished"), "-inf", f"({cutoff_ms}", start=0, num=limit)
        return [i.decode() if isinstance(i, bytes) else i for i in ids]

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


def _chunked(items: Iterable, size: int) -> Iterable[list]:
    chunk: list = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
