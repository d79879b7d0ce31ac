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
        self.max_wait = float(self.settings.get("max_wait", type(self).max_wait))

    def _call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.settings.get('api_key', '')}"}
        try:
            response = self.session.request(method, self.base_url + path, headers=headers, timeout=10, **kwargs)
        except requests.RequestException as exc:
            raise TransientProviderError(f"demo service unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            retry_after = response.headers.get("Retry-After")
            raise TransientProviderError(
                f"demo service answered {response.status_code}", float(retry_after) if retry_after else None
            )
        if response.status_code >= 400:
            message = response.json().get("error", response.text) if response.content else response.reason
            raise PermanentProviderError(f"demo service refused: {message}")
        return response

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
        order = self._call("POST", "/v1/orders", json=body).json()
        return Submission(reference={"ProviderID": order["id"]}, status=self._status(order))

    def check(self, job: JobView) -> ProviderStatus:
        return self._status(self._call("GET", f"/v1/orders/{job.provider_params['ProviderID']}").json())

    def fetch(self, job: JobView) -> CaptionResult:
        path = f"/v1/orders/{job.provider_params['ProviderID']}/captions"
        srt = self._call("GET", path, params={"format": "srt"}).content
        return CaptionResult(formats.read(srt, "srt", language=job.language), native={"srt": srt})

    def cancel(self, job: JobView) -> bool:
        return bool(self._call("POST", f"/v1/orders/{job.provider_params['ProviderID']}/cancel").json()["cancelled"])

    def parse_callback(self, job: JobView, request: CallbackRequest) -> ProviderStatus | None:
        data = request.json if isinstance(request.json, dict) else request.form
        if str(data.get("id")) != str(job.provider_params.get("ProviderID")):
            raise PermanentProviderError("callback is about another order")
        return None
