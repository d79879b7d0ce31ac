"""The caption job as the gateway stores it and shows it."""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from providers.base import CANCELLED, DONE, ERROR, PROCESSING, QUEUED
from providers.base import FINISHED as TERMINAL
from providers.base import STATES as STATUSES

__all__ = ["CANCELLED", "DONE", "ERROR", "PROCESSING", "QUEUED", "STATUSES", "TERMINAL", "Job", "Output", "now"]


def new_job_id() -> str:
    return uuid.uuid4().hex


def now() -> float:
    return time.time()


@dataclass
class Output:
    """One stored caption file; ``key`` is its storage key (never shown to clients)."""

    type: str
    filename: str
    key: str
    url: str = ""


@dataclass
class Job:
    """A caption job. Field names follow NYT's video-captions-api where they overlap.

    ``job_type`` is NYT's (3Play picks the account by it); ``created_by`` names the API key
    that created the job. ``created_at`` is set by the store when the job is indexed: it orders
    the job in listings (milliseconds, strictly increasing).
    """

    parent_id: str
    provider: str
    media_url: str | None = None
    provider_params: dict[str, Any] = field(default_factory=dict)
    output_types: list[str] = field(default_factory=lambda: ["vtt"])
    language: str = "en"
    callback_url: str | None = None
    style: dict[str, Any] = field(default_factory=dict)
    job_type: str = ""
    created_by: str = ""
    id: str = field(default_factory=new_job_id)
    status: str = QUEUED
    details: str = ""
    error: str | None = None
    progress: int | None = None
    outputs: list[Output] = field(default_factory=list)
    quality: dict[str, Any] | None = None
    provider_info: dict[str, Any] = field(default_factory=dict)
    media_key: str | None = None
    created_at: float = field(default_factory=now)
    updated_at: float = field(default_factory=now)
    started_at: float | None = None
    finished_at: float | None = None
    submitted_at: float | None = None
    poll_attempt: int = 0
    transient_failures: int = 0
    worker_stops: int = 0  # workers that died running a task of this job
    worker_stopped_at: float | None = None
    webhook: dict[str, Any] = field(default_factory=dict)

    @property
    def done(self) -> bool:
        """Finished in any way (done, error, cancelled), as NYT's API sets it: a client polling
        "until done" always stops. Whether captions exist is ``status == "done"``."""
        return self.status in TERMINAL

    @property
    def succeeded(self) -> bool:
        return self.status == DONE

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    def timings(self, at: float | None = None) -> dict[str, float | None]:
        """Seconds spent queued, running and in all; running totals while unfinished."""
        end = self.finished_at or at or now()
        started = self.started_at
        return {
            "queue_s": round((started or end) - self.created_at, 3),
            "run_s": round(end - started, 3) if started else None,
            "total_s": round(end - self.created_at, 3),
        }

    def to_json(self) -> str:
        # vars() rather than dataclasses.asdict: the same dict without a deep copy of every field
        data = {**vars(self), "outputs": [vars(o) for o in self.outputs]}
        return json.dumps(data, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str | bytes) -> Job:
        data = json.loads(raw)
        data["outputs"] = [Output(**o) for o in data.get("outputs", [])]
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
