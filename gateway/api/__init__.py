"""The API blueprints: captions and jobs, provider callbacks, providers and health."""

from __future__ import annotations

from flask import current_app

from gateway.services import Services


def services() -> Services:
    return current_app.extensions["caption_gateway"]
