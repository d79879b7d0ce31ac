"""``GET /providers`` and ``GET /health``."""

from __future__ import annotations

from apispec.ext.marshmallow import OpenAPIConverter
from flask.views import MethodView
from rq import Worker

from gateway.api import Blueprint, services
from gateway.schemas import HealthSchema, ProviderSchema
from providers.base import QUEUES

blp = Blueprint("system", __name__, description="Installed providers and service health")

_converter = OpenAPIConverter("3.0.3", lambda schema: None, None)


@blp.route("/providers")
class Providers(MethodView):
    @blp.response(200, ProviderSchema(many=True))
    def get(self):
        """Installed providers: capabilities and params schema, or why one is disabled."""
        out = []
        for entry in services().registry.entries.values():
            info = entry.describe()
            if entry.cls is not None:
                info["params_schema"] = _converter.schema2jsonschema(entry.cls.params_schema)
                missing = services().provider(entry.id).missing_settings()
                info["configured"], info["missing_settings"] = not missing, missing
            out.append(info)
        return out


@blp.route("/health")
class Health(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="a dependency is down")
    def get(self):
        """Liveness and dependencies: Redis, storage, workers and queue lengths (no key needed)."""
        svc = services()
        checks: dict = {}
        try:
            svc.redis.ping()
            checks["redis"] = {"ok": True}
            checks["queues"] = {name: svc.queue(name).count for name in QUEUES}
            checks["workers"] = len(Worker.all(connection=svc.redis))
        except Exception as exc:  # any failure of the dependency is the answer
            checks["redis"] = {"ok": False, "error": str(exc)}
        try:
            svc.storage.check()
            checks["storage"] = {"ok": True}
        except Exception as exc:
            checks["storage"] = {"ok": False, "error": str(exc)}
        ok = checks["redis"]["ok"] and checks["storage"]["ok"]
        return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503
