"""Provider callbacks: ``POST /callbacks/<provider>/<job_id>`` (a URL per job, with its token or
the provider's signature) and ``POST /callbacks/<provider>`` (one URL for every job, for services
configured with a single callback address; the provider's signature is the only proof)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from gateway import tasks
from gateway.api import Blueprint, services
from gateway.auth import check_callback_token
from gateway.views import follow_view
from providers.base import CallbackRequest, ProviderEvent
from providers.errors import CallbackRejected, ProviderError

T = TypeVar("T")

blp = Blueprint("callbacks", __name__, description="Provider callbacks")


@blp.route("/callbacks/<provider_id>/<job_id>")
class ProviderCallback(MethodView):
    @blp.doc(security=[])
    @blp.response(202, description="accepted: the job is refreshed with the status the callback carried, or by asking")
    @blp.alt_response(403, description="bad token or signature")
    @blp.alt_response(404, description="no such job for this provider")
    def post(self, provider_id: str, job_id: str):
        """Authenticated by the per-job `token` query parameter, or the provider's own signature."""
        svc = services()
        job = svc.store.get(job_id)
        if job is None or job.provider != provider_id or svc.registry.get_class(provider_id) is None:
            abort(404, message=f"no {provider_id} job {job_id}")
        provider = svc.provider(provider_id)
        token_ok = check_callback_token(svc.config["secret_key"], provider_id, job_id, request.args.get("token"))
        if not token_ok and not provider.signed_callbacks:
            abort(403, message="invalid callback token")
        # a status the callback carried is applied as it is; without one, the provider is asked
        status = read_or_abort(lambda: provider.parse_callback(follow_view(job), incoming_callback()))
        tasks.hand_over_events(svc, provider_id, [ProviderEvent(job_id, status)])
        return {"accepted": True, "job_id": job_id}, 202


@blp.route("/callbacks/<provider_id>")
class ProviderEventCallback(MethodView):
    @blp.doc(security=[])
    @blp.response(202, description="accepted: each job the events are about is refreshed")
    @blp.alt_response(403, description="bad or expired signature")
    @blp.alt_response(404, description="no such provider, or it takes no signed callbacks")
    def post(self, provider_id: str):
        """Events for any number of jobs, signed by the provider (Tencent VOD push events)."""
        svc = services()
        cls = svc.registry.get_class(provider_id)
        if cls is None or not cls.signed_callbacks:
            abort(404, message=f"provider {provider_id} takes no callbacks at this address")
        events = read_or_abort(lambda: svc.provider(provider_id).parse_event_callback(incoming_callback()))
        tasks.hand_over_events(svc, provider_id, events)
        return {"accepted": True, "events": len(events)}, 202


def read_or_abort(read: Callable[[], T]) -> T:
    """What the provider read from a callback; 403 for a forged one, 400 for one that makes no sense."""
    try:
        return read()
    except CallbackRejected as exc:
        abort(403, message=f"callback rejected: {exc}")
    except ProviderError as exc:
        abort(400, message=f"callback not understood: {exc}")


def incoming_callback() -> CallbackRequest:
    return CallbackRequest(
        headers=dict(request.headers),
        body=request.get_data(cache=True),
        form=request.form.to_dict(),
        json=request.get_json(silent=True),
        args=request.args.to_dict(),
    )
