"""Running the API's own views for the console's logged-in key.

The console never re-implements what an API route does: it hands the route the fields a client
would have sent (query, form fields, file parts) and calls the view's method, so validation,
checks, storage and queuing are exactly the API's. The route's answer comes back as its JSON
body; a refusal (``abort``) comes back as :class:`ApiRefused` with the API's message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask import Response, request
from werkzeug.datastructures import FileStorage, ImmutableMultiDict, MultiDict
from werkzeug.exceptions import HTTPException


class ApiRefused(Exception):
    """The API refused the request; ``message`` is what it told the client."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def call_api(
    view: Callable[..., Any],
    *args: Any,
    query: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
    files: Mapping[str, FileStorage] | None = None,
) -> Any:
    """Call an API view method with this request's query, form and files replaced by the given
    ones; returns the JSON body of its answer (``None`` for an empty one)."""
    with _request_data(query, form, files):
        try:
            answer = view(*args)
        except HTTPException as exc:
            raise ApiRefused(exc.code or 500, refusal_message(exc)) from exc
    response = answer if isinstance(answer, Response) else None
    if response is None:
        return answer
    return response.get_json(silent=True)


@contextlib.contextmanager
def _request_data(
    query: Mapping[str, str] | None, form: Mapping[str, str] | None, files: Mapping[str, FileStorage] | None
) -> Iterator[None]:
    """Give the current request other args, form and files for the time of a call."""
    current = request._get_current_object()  # werkzeug caches args, form and files in __dict__
    current.form  # noqa: B018 -- parse the console's own body before it is set aside
    replaced = {"args": query, "form": form, "files": files}
    saved = {name: current.__dict__.get(name) for name in replaced}
    for name, value in replaced.items():
        if value is not None:
            current.__dict__[name] = ImmutableMultiDict(MultiDict(value))
        elif name != "args":  # the console's own form fields and files never reach the API
            current.__dict__[name] = ImmutableMultiDict()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                current.__dict__.pop(name, None)
            else:
                current.__dict__[name] = value


def refusal_message(exc: HTTPException) -> str:
    """The API's message for a refusal: its ``message``, else the first field error."""
    data = getattr(exc, "data", None) or {}
    if data.get("message"):
        return str(data["message"])
    errors = data.get("messages") or data.get("errors") or {}
    for location in errors.values() if isinstance(errors, dict) else ():
        if isinstance(location, dict):
            for field, problems in location.items():
                return f"{field}: {_first(problems)}"
    return exc.description or "refused"


def _first(problems: Any) -> str:
    while isinstance(problems, dict) and problems:
        problems = next(iter(problems.values()))
    return str(problems[0]) if isinstance(problems, list) and problems else str(problems)
