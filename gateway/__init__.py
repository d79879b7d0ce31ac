"""The caption gateway: a Flask API in front of pluggable captioning providers."""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_smorest import abort
from werkzeug.exceptions import HTTPException, ServiceUnavailable

from gateway import extensions, jsonbody, openapi
from gateway.auth import API_KEY_HEADER, current_key, required_scope
from gateway.config import load_config
from gateway.keys import KeyRing, load_keys
from gateway.paths import hide_paths
from gateway.redisconn import REDIS_DOWN
from gateway.schemas import first_error
from gateway.services import Services, build_services

log = logging.getLogger(__name__)

# multipart media: max_upload_bytes; every other body: max_body_bytes
UPLOAD_ENDPOINTS = ("captions.Captions", "console.new_job")
#: Seconds a client is told to wait (``Retry-After``) while Redis is away.
REDIS_RETRY_AFTER_S = 5
# routes that authenticate by a token of their own (or need none) rather than the API key
PUBLIC_ENDPOINTS = (
    "system.Health", "system.Metrics", "captions.JobMedia", "captions.JobOutput",
    "callbacks.", "api-docs.", "docs-assets.", "static", "home.",
    "console.",  # the console's pages: a login session of their own (gateway/console)
)  # fmt: skip


def create_app(config: dict[str, Any] | None = None, services: Services | None = None) -> Flask:
    """The application factory: config, extensions, blueprints, error handling, auth."""
    app = Flask(__name__)
    app.json = jsonbody.JSONProvider(app)
    cfg = load_config(config)
    app.config.update(
        GATEWAY=cfg,
        MAX_CONTENT_LENGTH=max(cfg["api"]["max_upload_bytes"], cfg["api"]["max_body_bytes"]),
        API_TITLE="Caption gateway",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",  # served from the swagger-ui-bundle package: works offline
        API_SPEC_OPTIONS={
            "components": {"securitySchemes": {"ApiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER}}},
            "security": [{"ApiKey": []}],
            "info": {"description": "One API for captioning providers, compatible with NYT's video-captions-api."},
        },
    )
    app.extensions["caption_gateway"] = services or build_services(cfg)
    app.extensions["caption_gateway_keys"] = load_keys(cfg["api_keys"], cfg["api"]["keys_file"])
    extensions.api.init_app(app)
    app.register_error_handler(HTTPException, _error_response)
    for error in REDIS_DOWN:
        app.register_error_handler(error, _redis_unavailable)

    from gateway import console
    from gateway.api import callbacks, captions, jobs, system

    for blueprint in (captions.blp, jobs.blp, jobs.home, callbacks.blp, system.blp):
        extensions.api.register_blueprint(blueprint)
    _register_provider_routes(app.extensions["caption_gateway"])
    openapi.describe_installation(
        extensions.api.spec, app.extensions["caption_gateway"].registry.enabled(), captions.MULTIPART_BODY
    )
    app.register_blueprint(_docs_assets())
    app.register_blueprint(console.blueprint)
    app.before_request(_limit_and_authenticate)
    _rate_limiter(cfg, app.extensions["caption_gateway"]).init_app(app)  # after authentication: the key's limit
    return app


def _rate_limiter(cfg: dict[str, Any], svc: Services) -> Limiter:
    """Per-key request limits (``api.rate_limit``, or the key's own), counted in the gateway's Redis
    so that every gateway process and machine shares them; 429 with ``Retry-After`` above.

    The counts go through the gateway's own Redis client (its connections: the same database,
    credentials and timeouts, and the master that Sentinel names through a failover)."""

    def key_limit() -> str:
        key = current_key()
        return key.rate_limit if key is not None and key.rate_limit is not None else cfg["api"]["rate_limit"]

    storage_options = {
        "key_prefix": f"{cfg['redis']['key_prefix']}:ratelimit",
        "connection_pool": svc.redis.connection_pool,
    }
    return Limiter(
        key_func=lambda: current_key().name,
        application_limits=[key_limit],
        application_limits_exempt_when=lambda: current_key() is None or not key_limit(),
        storage_uri="redis://",  # the connections come from the pool
        storage_options=storage_options,
        strategy="fixed-window",
        swallow_errors=True,  # Redis away: the route itself answers 503 rather than the limiter a 500
    )


def _register_provider_routes(svc: Services) -> None:
    """Mount the routes each provider contributes (``Provider.api_blueprint``) under
    ``/providers/<id>``. They need the API key like every other route and are in the OpenAPI
    document. A provider whose routes cannot be built is logged and left without them."""
    for provider_id in sorted(svc.registry.enabled()):
        try:
            blueprint = svc.provider(provider_id).api_blueprint()
            if blueprint is not None:
                extensions.api.register_blueprint(blueprint, url_prefix=f"/providers/{provider_id}")
        except Exception:  # a plugin's routes must never stop the gateway
            log.exception("provider %s: its API routes could not be added", provider_id)


def _docs_assets() -> Blueprint:
    """Swagger UI's scripts and styles for ``/docs``, from the installed swagger-ui-bundle."""
    from swagger_ui_bundle import swagger_ui_path

    return Blueprint("docs-assets", __name__, static_folder=str(swagger_ui_path), static_url_path="/docs/assets")


def _limit_and_authenticate() -> None:
    """Body limits (media uploads may be large, every other body is small) and the API key."""
    cfg = current_app.config["GATEWAY"]
    if not (request.endpoint in UPLOAD_ENDPOINTS and (request.mimetype or "").startswith("multipart/")):
        limit = request.max_content_length = cfg["api"]["max_body_bytes"]
        if (request.content_length or 0) > limit or (_chunked() and len(request.get_data(cache=True)) >= limit):
            abort(413, message=f"request body over {limit} bytes")
    endpoint = request.endpoint or ""
    # the console's own pages, unknown ones included, answer with its HTML rather than the API's 401
    if endpoint.startswith(PUBLIC_ENDPOINTS) or request.path.startswith("/console/") or request.method == "OPTIONS":
        return
    keys: KeyRing = current_app.extensions["caption_gateway_keys"]
    key = keys.lookup(request.headers.get(API_KEY_HEADER))
    if key is None:
        abort(401, message=f"missing or invalid API key ({API_KEY_HEADER} header)")
    scope = required_scope(request.method)
    if not key.allows(scope):
        abort(403, message=f"API key {key.name!r} lacks the {scope!r} scope")
    g.api_key = key


def _error_response(error: HTTPException) -> Response:
    """One error body everywhere: flask-smorest's ``{code, status, message, errors}`` plus NYT's
    ``error`` (the message), with server paths taken out; ``Retry-After`` on a rate limit, ``Allow``
    on a 405, and a 413 closes the connection (the unread body would be taken for the next request)."""
    response = current_app.make_response(extensions.api.handle_http_exception(error))
    body = response.get_json(silent=True)
    if isinstance(body, dict):
        body = hide_paths(body, current_app.config["GATEWAY"]["storage"]["local"]["root"])
        if error.code == 413 and not body.get("message"):
            body["message"] = f"request body over {request.max_content_length} bytes"
        body["message"] = body.get("message") or first_error(body.get("errors")) or body.get("status", "")
        body["error"] = body["message"]
        response.set_data(current_app.json.dumps(body))
    if isinstance(error, RateLimitExceeded):
        limit = _current_limit()
        response.headers["Retry-After"] = str(max(1, int(limit.reset_at - time.time()))) if limit else "1"
    if error.code == 405 and getattr(error, "valid_methods", None):
        response.headers["Allow"] = ", ".join(error.valid_methods)
    if error.code == 413:
        response.headers["Connection"] = "close"
    return response


def _redis_unavailable(error: Exception) -> Response:
    """Redis is away (stopped, restarting, failing over): 503 with ``Retry-After``, never a 500."""
    log.warning("redis unavailable during %s %s: %s", request.method, request.path, error)
    unavailable = ServiceUnavailable()
    unavailable.data = {"message": "the job store (Redis) is unavailable; try again in a few seconds"}
    response = _error_response(unavailable)
    response.headers["Retry-After"] = str(REDIS_RETRY_AFTER_S)
    return response


def _current_limit():
    for limiter in current_app.extensions.get("limiter", ()):
        if limiter.current_limit is not None:
            return limiter.current_limit
    return None


def _chunked() -> bool:
    """A body of unknown length: werkzeug stops reading it at the limit without a word, so it is
    read here (up to the limit) to tell a body that reached the limit from one that did not."""
    return request.content_length is None and "chunked" in request.headers.get("Transfer-Encoding", "").lower()
