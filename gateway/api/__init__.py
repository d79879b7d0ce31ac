"""The API blueprints: captions and jobs, provider callbacks, providers and health."""

from __future__ import annotations

import flask_smorest
from flask import current_app

from gateway.jsonbody import ArgumentsParser
from gateway.services import Services


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's blueprint, parsing JSON bodies with the nesting limit of :mod:`gateway.jsonbody`."""

    ARGUMENTS_PARSER = ArgumentsParser()


def services() -> Services:
    return current_app.extensions["caption_gateway"]
