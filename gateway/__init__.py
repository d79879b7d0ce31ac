"""The caption gateway: a Flask API in front of pluggable captioning providers."""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, current_app, request
from flask_smorest import abort

from gateway import extensions, jsonbody
from gateway.auth import API_KEY_HEADER, check_api_key
from gateway.config import load_config
from gateway.services import Services, build_services

log = logging.getLogger(__name__)

UPLOAD_ENDPOINTS = ("captions.Captions",)  # multipart media: max_upload_bytes; every other body: max_body_bytes
# routes that authenticate by a token of their own (or need none) rather than the API key
PUBLIC_ENDPOINTS = (
    "system.Health", "system.Metrics", "captions.JobMedia", "captions.JobOutput",
    "callbacks.", "api-docs.", "docs-assets.", "static",
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
    extensions.api.init_app(app)

    from gateway.api import callbacks, captions, system

    for module in (captions, callbacks, system):
        extensions.api.register_blueprint(module.blp)
    _register_provider_routes(app.extensions["caption_gateway"])
    app.register_blueprint(_docs_assets())
    app.before_request(_limit_and_authenticate)
    return app


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
        request.max_content_length = cfg["api"]["max_body_bytes"]
        if (request.content_length or 0) > cfg["api"]["max_body_bytes"]:
            abort(413, message=f"request body over {cfg['api']['max_body_bytes']} bytes")
    endpoint = request.endpoint or ""
    if endpoint.startswith(PUBLIC_ENDPOINTS) or request.method == "OPTIONS":
        return
    if not check_api_key(request.headers.get(API_KEY_HEADER), cfg["api_keys"]):
        abort(401, message=f"missing or invalid API key ({API_KEY_HEADER} header)")
