"""What the console does, through the API's own operations.

The console never re-implements what an API route does: it loads its forms with the route's
schema and calls the operation the route calls (``create_job``, ``cancel_job``, ``delete_job``,
``list_jobs``), so a job made here is made exactly as ``POST /captions`` makes one. Answers are
what the route would send, dumped by its response schema. A refusal (the operation's ``abort``
or the schema's validation error) comes back as :class:`Refused`, with the API's message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any

import marshmallow as ma
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import HTTPException

from gateway.api import captions as captions_api
from gateway.api import jobs as jobs_api
from gateway.api import services
from gateway.api import system as system_api
from gateway.schemas import (
    CaptionRequestSchema,
    JobListQuerySchema,
    JobPageSchema,
    JobSchema,
    ProviderSchema,
    first_error,
)


class Refused(Exception):
    """The API refused the action; ``message`` is what it would have told a client."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def create_job(body: Mapping[str, Any], files: Mapping[str, FileStorage]) -> dict[str, Any]:
    """A new job from the fields of a ``POST /captions`` body and its file parts."""
    with _refusals():
        args = CaptionRequestSchema().load(body)
        job, _created = captions_api.create_job(services(), args, files)
    return JobSchema().dump(job)


def job(job_id: str) -> dict[str, Any]:
    with _refusals():
        return JobSchema().dump(captions_api.get_job_or_404(job_id))


def cancel_job(job_id: str) -> dict[str, Any]:
    with _refusals():
        return JobSchema().dump(captions_api.cancel_job(services(), job_id))


def delete_job(job_id: str) -> None:
    with _refusals():
        captions_api.delete_job(services(), job_id)


def job_page(query: Mapping[str, str]) -> dict[str, Any]:
    """A page of ``GET /jobs`` for these query parameters."""
    with _refusals():
        loaded = JobListQuerySchema(unknown=ma.RAISE).load(query)
        return JobPageSchema().dump(jobs_api.list_jobs(services(), loaded))


def providers() -> list[dict[str, Any]]:
    return ProviderSchema(many=True).dump(system_api.provider_list(services()))


@contextlib.contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except HTTPException as exc:
        raise Refused(refusal_message(exc)) from exc
    except ma.ValidationError as exc:
        raise Refused(first_error(exc.messages)) from exc


def refusal_message(exc: HTTPException) -> str:
    """The API's message for a refusal: its ``message``, else the first field error."""
    data = getattr(exc, "data", None) or {}
    if data.get("message"):
        return str(data["message"])
    errors = data.get("messages") or data.get("errors") or {}
    return first_error(errors) or exc.description or "refused"
