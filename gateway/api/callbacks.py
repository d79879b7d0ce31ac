"""``POST /callbacks/<provider>/<job_id>``: a provider says something changed."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import abort

from gateway import tasks
from gateway.api import Blueprint, services
from gateway.auth import check_callback_token
from providers.base import CallbackRequest
from providers.errors import CallbackRejected, ProviderError

blp = Blueprint("callbacks", __name__, description="Provider callbacks")


@blp.route("/callbacks/<provider_id>/<job_id>")
class ProviderCallback(MethodView):
    @blp.doc(security=[])
    @blp.response(202, description="accepted: the job is refreshed at once")
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
        incoming = CallbackRequest(
            headers=dict(request.headers),
            body=request.get_data(cache=True),
            form=request.form.to_dict(),
            json=request.get_json(silent=True),
            args=request.args.to_dict(),
        )
        try:
            provider.parse_callback(tasks.job_view(svc, job), incoming)
        except CallbackRejected as exc:
            abort(403, message=f"callback rejected: {exc}")
        except ProviderError as exc:
            abort(400, message=f"callback not understood: {exc}")
        if not job.terminal:
            tasks.enqueue(svc, tasks.refresh, job_id, None, queue="default")
        return {"accepted": True, "job_id": job_id}, 202
