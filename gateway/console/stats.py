"""Statistics from the job index: jobs and media minutes per day and per provider, mean
turnaround and failure rate over the jobs a key may see."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gateway.models import DONE, ERROR, STATUSES, Job
from gateway.store import JobFilter, JobStore

MAX_JOBS_READ = 10_000  # the most jobs one statistics page reads from the index
COUNTED_JOBS = 1_000  # the job list counts the statuses of this many latest jobs


def walk_jobs(store: JobStore, where: JobFilter, max_jobs: int = MAX_JOBS_READ) -> Iterator[Job]:
    """Jobs matching ``where``, newest first, page by page through the index."""
    cursor: int | None = None
    read = 0
    while read < max_jobs:
        page, cursor = store.list_jobs(where, cursor, min(500, max_jobs - read))
        yield from page
        read += len(page)
        if cursor is None:
            return


@dataclass
class Bucket:
    """Jobs of one day or one provider."""

    jobs: int = 0
    media_minutes: float = 0.0
    finished: int = 0
    failed: int = 0
    turnaround_total_s: float = 0.0
    turnaround_jobs: int = 0

    def add(self, job: Job) -> None:
        self.jobs += 1
        self.media_minutes += media_minutes(job)
        if job.status in (DONE, ERROR):
            self.finished += 1
            self.failed += job.status == ERROR
        if job.status == DONE and job.finished_at:
            self.turnaround_total_s += job.finished_at - job.created_at
            self.turnaround_jobs += 1

    @property
    def mean_turnaround_s(self) -> float | None:
        return self.turnaround_total_s / self.turnaround_jobs if self.turnaround_jobs else None

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.finished if self.finished else None


@dataclass
class Statistics:
    days: int
    total: Bucket = field(default_factory=Bucket)
    by_day: dict[str, Bucket] = field(default_factory=dict)
    by_provider: dict[str, Bucket] = field(default_factory=dict)
    by_status: Counter = field(default_factory=Counter)
    truncated: bool = False


def media_minutes(job: Job) -> float:
    """The media's length as the provider reported it (``duration_s``), in minutes; 0 when unknown."""
    seconds = job.provider_info.get("duration_s") if isinstance(job.provider_info, dict) else None
    return float(seconds) / 60 if isinstance(seconds, int | float) else 0.0


def day_of(job: Job) -> str:
    return datetime.fromtimestamp(job.created_at, UTC).date().isoformat()


def statistics(store: JobStore, owner: str | None, days: int, now: float | None = None) -> Statistics:
    """Statistics of the jobs created in the last ``days`` days (``owner``: only that key's)."""
    since_ms = int(((now or time.time()) - days * 86400) * 1000)
    stats = Statistics(days=days)
    count = 0
    for job in walk_jobs(store, JobFilter(owner=owner, created_after_ms=since_ms)):
        count += 1
        stats.total.add(job)
        stats.by_day.setdefault(day_of(job), Bucket()).add(job)
        stats.by_provider.setdefault(job.provider, Bucket()).add(job)
        stats.by_status[job.status] += 1
    stats.truncated = count >= MAX_JOBS_READ
    stats.by_day = dict(sorted(stats.by_day.items(), reverse=True))
    stats.by_provider = dict(sorted(stats.by_provider.items()))
    return stats


def status_counts(store: JobStore, owner: str | None) -> dict[str, int]:
    """How many of the latest :data:`COUNTED_JOBS` jobs are in each status."""
    counts = Counter(job.status for job in walk_jobs(store, JobFilter(owner=owner), COUNTED_JOBS))
    return {status: counts.get(status, 0) for status in STATUSES}
