"""``GET /providers``, the health checks (``/health``, ``/health/live``, ``/health/ready``) and ``/metrics``."""

from __future__ import annotations

import ipaddress
import secrets
import shutil
import time
import uuid
from typing import Any

from apispec.ext.marshmallow import OpenAPIConverter
from flask import Response, request
from flask.views import MethodView
from flask_smorest import abort
from rq import Worker

from gateway.api import Blueprint, services
from gateway.metrics import exposition
from gateway.paths import hide_paths
from gateway.schemas import HealthSchema, ProviderSchema
from gateway.services import Services
from providers.base import QUEUES
from storage import Storage, StorageError

blp = Blueprint("system", __name__, description="Installed providers and service health")

#: The health check writes and reads back this many bytes under this prefix.
PROBE_PREFIX = "health"
PROBE_BYTES = 4096
_converter = OpenAPIConverter("3.0.3", lambda schema: None, None)


@blp.route("/providers")
class Providers(MethodView):
    @blp.response(200, ProviderSchema(many=True))
    def get(self):
        """Installed providers: capabilities and params schema, or why one is disabled."""
        return provider_list(services())


def provider_list(svc: Services) -> list[dict[str, Any]]:
    """Each installed provider's description, with its params schema and settings when enabled."""
    out = []
    for entry in svc.registry.entries.values():
        info = entry.describe()
        if entry.cls is not None:
            info["params_schema"] = _converter.schema2jsonschema(entry.cls.params_schema)
            missing = svc.provider(entry.id).missing_settings()
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
        checks = dependency_checks()
        ok = checks["redis"]["ok"] and checks["storage"]["ok"]
        return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


@blp.route("/health/live")
class HealthLive(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    def get(self):
        """The process answers (a liveness probe: restart the gateway when this fails)."""
        return {"status": "ok", "checks": {}}


@blp.route("/health/ready")
class HealthReady(MethodView):
    @blp.doc(security=[])
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="not ready: a dependency is down or a queue has no worker")
    def get(self):
        """Ready for traffic: Redis and storage answer and every queue has at least one live worker."""
        checks = dependency_checks(workers_per_queue=True)
        ok = checks["redis"]["ok"] and checks["storage"]["ok"]
        ok = ok and all(count > 0 for count in checks.get("workers_by_queue", {}).values())
        return {"status": "ok" if ok else "unavailable", "checks": checks}, 200 if ok else 503


def dependency_checks(workers_per_queue: bool = False) -> dict:
    svc = services()
    checks: dict = {}
    try:
        svc.redis.ping()
        checks["redis"] = {"ok": True}
        checks["queues"] = {name: svc.queue(name).count for name in QUEUES}
        workers = Worker.all(connection=svc.redis)
        checks["workers"] = len(workers)
        if workers_per_queue:
            checks["workers_by_queue"] = live_workers_by_queue(workers, svc.config["workers"])
    except Exception as exc:  # any failure of the dependency is the answer
        checks["redis"] = {"ok": False, "error": str(exc)}
    try:
        checks["storage"] = storage_check(svc.storage)
    except Exception as exc:
        checks["storage"] = {"ok": False, "error": hide_paths(str(exc), svc.config["storage"]["local"]["root"])}
    free = free_bytes(svc.storage)
    if free is not None:
        checks["storage"]["free_bytes"] = free
    return checks


def storage_check(storage: Storage) -> dict:
    """Write a probe object of real bytes, read it back, delete it: a full disk fails here."""
    storage.check()
    key = f"{PROBE_PREFIX}/{uuid.uuid4().hex}"
    probe = secrets.token_bytes(PROBE_BYTES)
    storage.put(key, probe)
    try:
        if storage.get(key) != probe:
            raise StorageError("the probe object read back differs from what was written")
    finally:
        storage.delete(key)
    return {"ok": True}


def free_bytes(storage: Storage) -> int | None:
    """Free space where a local storage root is; ``None`` for object stores (S3)."""
    root = getattr(storage, "root", None)
    if root is None:
        return None
    try:
        return shutil.disk_usage(root).free
    except OSError:
        return None


def live_workers_by_queue(workers: list[Worker], settings: dict) -> dict[str, int]:
    """Workers per queue whose last heartbeat is recent: a killed worker stops counting once its
    heartbeat is older than the worker TTL (maintenance interval + 15 s), not when RQ forgets it."""
    ttl = settings["maintenance_interval_s"] + 15
    counts = dict.fromkeys(QUEUES, 0)
    for worker in workers:
        beat = worker.last_heartbeat
        if beat is None or time.time() - beat.timestamp() > ttl:
            continue
        for name in worker.queue_names():
            if name in counts:
                counts[name] += 1
    return counts


@blp.route("/metrics")
class Metrics(MethodView):
    @blp.doc(security=[])
    @blp.response(200, description="Prometheus text exposition format")
    @blp.alt_response(403, description="the client's address is not in metrics.allow_networks")
    def get(self):
        """Prometheus metrics of every gateway and worker process (jobs, durations, errors, queues).

        Open to the networks of ``metrics.allow_networks`` (loopback by default), without a key.
        """
        svc = services()
        if not address_allowed(request.remote_addr, svc.config["metrics"]["allow_networks"]):
            abort(403, message="metrics are served only to the networks of metrics.allow_networks")
        body = exposition(svc.metrics, svc.queue_length)
        return Response(body, content_type="text/plain; version=0.0.4; charset=utf-8")


def address_allowed(address: str | None, networks: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in networks)
