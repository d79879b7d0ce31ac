"""HTTP for provider adapters: one call that turns what a service answers into the error tree.

Every remote adapter makes its calls through :func:`call`, so they all agree on what is worth
retrying: connection errors, timeouts, 5xx and 429 are :class:`TransientProviderError` (a 429's
``Retry-After``, in seconds or as an HTTP date, becomes ``retry_after``), any other 4xx is a
:class:`PermanentProviderError` carrying the service's own words, and an HTML page where JSON
was expected (a proxy, a firewall, a maintenance page) says so instead of a parse error. Nothing
here retries: the gateway's one retry loop does.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from typing import Any

import requests

from providers.errors import PermanentProviderError, TransientProviderError

#: Statuses that are worth trying again besides 5xx.
TRANSIENT_STATUSES = frozenset({408, 425, 429})


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date; ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def looks_like_html(response: requests.Response) -> bool:
    kind = response.headers.get("Content-Type", "").lower()
    return "html" in kind or response.content.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))


def call(
    session: requests.Session,
    method: str,
    url: str,
    *,
    service: str,
    timeout: float,
    error_message: Callable[[requests.Response], str | None] = lambda _response: None,
    **kwargs: Any,
) -> requests.Response:
    """One request; a 2xx/3xx response is returned, anything else raises from the error tree.

    ``service`` names the provider in messages; ``error_message`` reads the service's own error
    words from its error envelope (``None`` when the body is not that envelope).
    """
    try:
        response = session.request(method, url, timeout=timeout, allow_redirects=False, **kwargs)
    except requests.Timeout as exc:
        raise TransientProviderError(f"{service} did not answer in time ({timeout:g} s)") from exc
    except requests.RequestException as exc:
        raise TransientProviderError(f"{service} could not be reached: {type(exc).__name__}") from exc
    if response.status_code < 400:
        return response
    words = _service_words(response, error_message)
    message = f"{service} answered HTTP {response.status_code}: {words}"
    if response.status_code >= 500 or response.status_code in TRANSIENT_STATUSES:
        raise TransientProviderError(message, parse_retry_after(response.headers.get("Retry-After")))
    raise PermanentProviderError(message, status=response.status_code)


def _service_words(response: requests.Response, error_message: Callable[[requests.Response], str | None]) -> str:
    if looks_like_html(response):
        return "an HTML page instead of the service's JSON (a proxy or firewall in the way?)"
    try:
        words = error_message(response)
    except ValueError:  # not JSON, or not the envelope
        words = None
    return words or response.reason or "no message"


def json_body(response: requests.Response, service: str) -> Any:
    """The response's JSON; an HTML page or anything else that is not JSON is a clear error."""
    if looks_like_html(response):
        raise PermanentProviderError(f"{service} answered an HTML page instead of JSON")
    try:
        return response.json()
    except ValueError as exc:
        raise PermanentProviderError(f"{service} answered something that is not JSON") from exc


def require(data: Any, service: str, *keys: str) -> dict[str, Any]:
    """``data`` as a JSON object holding ``keys``; anything else is a provider error."""
    if not isinstance(data, dict) or any(key not in data for key in keys):
        raise PermanentProviderError(f"{service} answered an unexpected document (wanted {', '.join(keys)})")
    return data


__all__ = ["call", "json_body", "looks_like_html", "parse_retry_after", "require"]
