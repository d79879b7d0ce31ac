"""``GET /jobs``: every job, newest first, with filters and cursor pagination; ``GET /``."""

from __future__ import annotations

import math
from typing import Any

import marshmallow as ma
from flask import url_for
from flask.views import MethodView

from gateway.api import Blueprint, services
from gateway.auth import current_key
from gateway.schemas import JobListQuerySchema, JobPageSchema
from gateway.services import Services
from gateway.store import JobFilter

blp = Blueprint("jobs", __name__, description="Every job, with filters")
home = Blueprint("home", __name__, description="Where the API and its documentation are")


@blp.route("/jobs")
class Jobs(MethodView):
    @blp.arguments(JobListQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.response(200, JobPageSchema)
    def get(self, query: dict[str, Any]):
        """Every job (a key without `admin` sees its own), newest first.

        Filter by `status`, `provider`, `parent_id`, `created_after`, `created_before` (ISO 8601,
        both exclusive). A page ends with `next_cursor`: pass it as `cursor` for the next page.
        Jobs created while a client pages never make it skip or repeat a job: they are newer
        than the first page and show up when the client starts from the top again.
        """
        return list_jobs(services(), query)


def list_jobs(svc: Services, query: dict[str, Any]) -> dict[str, Any]:
    """A page of the jobs the current key sees, for a loaded ``JobListQuerySchema`` query."""
    key = current_key()
    where = JobFilter(
        status=query.get("status"),
        provider=query.get("provider"),
        parent_id=query.get("parent_id"),
        owner=None if key.admin else key.name,
        created_after_ms=_ms(query.get("created_after")),
        created_before_ms=_ms(query.get("created_before"), round_up=True),
    )
    limit = query.get("limit") or svc.config["api"]["list_page_size"]
    cursor = int(query["cursor"]) if "cursor" in query else None
    jobs, next_cursor = svc.store.list_jobs(where, cursor, limit)
    return {"jobs": jobs, "next_cursor": None if next_cursor is None else str(next_cursor)}


def _ms(timestamp: float | None, round_up: bool = False) -> int | None:
    """Milliseconds (creation times are whole milliseconds; both bounds are exclusive)."""
    if timestamp is None:
        return None
    return math.ceil(timestamp * 1000) if round_up else math.floor(timestamp * 1000)


@home.route("/")
class Home(MethodView):
    @home.doc(security=[])
    @home.response(200)
    def get(self):
        """Links to the API documentation (no key needed)."""
        return {
            "name": "Caption gateway",
            "docs": url_for("api-docs.openapi_swagger_ui", _external=False),
            "openapi": url_for("api-docs.openapi_json", _external=False),
            "health": "/health",
        }
