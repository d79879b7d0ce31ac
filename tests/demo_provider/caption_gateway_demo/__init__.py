"""An example provider plugin, packaged on its own as a third party would.

It talks to the "demo captioning service" (see ``simulator.py``) over HTTP:

    POST /v1/orders                 {media_url, language, callback} -> {id, status}
    GET  /v1/orders/<id>            -> {id, status, progress, error}
    GET  /v1/orders/<id>/captions   ?format=srt|vtt -> the caption file
    POST /v1/orders/<id>/cancel     -> {cancelled: bool}

Auth is a bearer token. Statuses: pending, in_progress, complete, failed, cancelled.
Callbacks: the service POSTs ``{id, status}`` to the callback URL on every change.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
import requests
from marshmallow import fields, validate

import formats
from providers.base import CallbackRequest, CaptionResult, JobView, Provider, ProviderStatus, Submission
from providers.errors import PermanentProviderError, TransientProviderError

STATES = {
    "pending": "queued",
    "in_progress": "processing",
    "complete": "done",
    "failed": "error",
    "cancelled": "cancelled",
}


class DemoParams(ma.Schema):
    class Meta:
        unknown = ma.RAISE

    priority = fields.String(validate=validate.OneOf(["standard", "rush"]))
    use_callback = fields.Boolean(load_default=True)


class DemoProvider(Provider):
    """The demo captioning service (an example plugin and the gateway's test provider)."""

    params_schema = DemoParams
    native_formats = frozenset({"srt"})
    supports_callback = True
    poll_initial = 1.0
    poll_factor = 1.5
    poll_max_interval = 2.0
    max_wait = 600.0

    def __init__(self, settings=None, session=None) -> None:
        super().__init__(settings, session)
        self.base_url = str(self.settings.get("base_url", "http://127.0.0.1:9999")).rstrip("/")

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.settings.get('api_key', '')}"}
        timeout = float(self.settings.get("timeout_s", 10))
        try:
            response = self.session.request(method, self.base_url + path, headers=headers, timeout=timeout, **kwargs)
        except requests.RequestException as exc:
            raise TransientProviderError(f"demo service unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After", "")
            raise TransientProviderError(
                f"demo service answered {response.status_code}", float(retry_after) if retry_after.isdigit() else None
            )
        if response.status_code >= 400:
            raise PermanentProviderError(f"demo service refused: {_error_message(response)}")
        return response

    def _json(self, response: requests.Response, *keys: str) -> dict[str, Any]:
        """The response's JSON object, which must hold ``keys``; anything else is a provider error."""
        try:
            data = response.json()
        except ValueError as exc:
            raise PermanentProviderError("demo service answered something that is not JSON") from exc
        if not isinstance(data, dict) or any(key not in data for key in keys):
            raise PermanentProviderError(f"demo service answered an unexpected document (wanted {', '.join(keys)})")
        return data

    def _status(self, order: dict[str, Any]) -> ProviderStatus:
        state = STATES.get(order["status"])
        if state is None:
            raise PermanentProviderError(f"unknown demo status {order['status']!r}")
        return ProviderStatus(state, details=order["status"], progress=order.get("progress"), error=order.get("error"))

    def submit(self, job: JobView) -> Submission:
        body = {"media_url": job.media_url, "language": job.language, **job.provider_params}
        if job.provider_params.get("use_callback", True):
            body["callback"] = job.callback_url
        body.pop("use_callback", None)
        order = self._json(self._call("POST", "/v1/orders", json=body), "id", "status")
        return Submission(reference={"ProviderID": order["id"]}, status=self._status(order))

    def check(self, job: JobView) -> ProviderStatus:
        response = self._call("GET", f"/v1/orders/{job.provider_params['ProviderID']}")
        return self._status(self._json(response, "status"))

    def fetch(self, job: JobView) -> CaptionResult:
        path = f"/v1/orders/{job.provider_params['ProviderID']}/captions"
        srt = self._call("GET", path, params={"format": "srt"}).content
        try:
            captions = formats.read(srt, "srt", language=job.language)
        except formats.CaptionFormatError as exc:
            raise PermanentProviderError(f"demo service returned unreadable captions: {exc}") from exc
        return CaptionResult(captions, native={"srt": srt})

    def cancel(self, job: JobView) -> bool:
        response = self._call("POST", f"/v1/orders/{job.provider_params['ProviderID']}/cancel")
        return bool(self._json(response, "cancelled")["cancelled"])

    def parse_callback(self, job: JobView, request: CallbackRequest) -> ProviderStatus | None:
        data = request.json if isinstance(request.json, dict) else request.form
        if str(data.get("id")) != str(job.provider_params.get("ProviderID")):
            raise PermanentProviderError("callback is about another order")
        return None


def _error_message(response: requests.Response) -> str:
    """The service's own error words when the body is its JSON envelope, else the status line."""
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return f"{response.status_code} {response.reason}"
