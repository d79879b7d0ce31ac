"""The WSGI app the API benchmark serves: the real gateway, a bare Flask JSON route and a reference.

``/bare`` (GET and POST) is a plain Flask view in a second, minimal Flask app: no schema, no
API key, no Redis. It parses the JSON body of a POST, as any JSON endpoint must, and answers a
small JSON object. A GET answers the worker's process id too, which the benchmark uses to
spread its connections evenly over the workers.

``/schemas`` (GET and POST) is the reference in between: a flask-smorest view that does what
the gateway's routes do minus the gateway's own work. A POST loads the body with the gateway's
``CaptionRequestSchema`` and answers the ``Job`` it describes through ``JobSchema``; a GET
answers a queued job through ``JobSchema``. No API key, no provider, no SSRF check, no Redis.

Every other path goes to the gateway built by ``create_app()`` from the environment
(``GATEWAY_*``). All three are served by the same gunicorn server, workers and process, so the
differences between them are the framework's and the gateway's own work.

    gunicorn --chdir bench/api --pythonpath . bench_app:app
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request
from flask.views import MethodView
from flask_smorest import Api, Blueprint

from gateway import create_app
from gateway.api.captions import job_from_request
from gateway.models import Job
from gateway.schemas import CaptionRequestSchema, JobSchema

BARE_PATH = "/bare"
SCHEMAS_PATH = "/schemas"

bare = Flask("bare")


@bare.route(BARE_PATH, methods=["GET", "POST"])
def bare_view() -> tuple[dict[str, Any], int]:
    if request.method == "POST":
        body = request.get_json()
        return {"id": "bare", "parent_id": body.get("parent_id"), "status": "queued"}, 201
    return {"id": "bare", "status": "queued", "worker": os.getpid()}, 200


schemas = Flask("schemas")
schemas.config.update(API_TITLE="schemas only", API_VERSION="1", OPENAPI_VERSION="3.0.3")
schemas_blp = Blueprint("schemas", __name__)


@schemas_blp.route(SCHEMAS_PATH)
class SchemasOnly(MethodView):
    @schemas_blp.arguments(CaptionRequestSchema())
    @schemas_blp.response(201, JobSchema)
    def post(self, args: dict[str, Any]) -> Job:
        return job_from_request(args)

    @schemas_blp.response(200, JobSchema)
    def get(self) -> Job:
        return Job(parent_id="reference", provider="demo", media_url="http://127.0.0.1:9/v.mp4")


Api(schemas).register_blueprint(schemas_blp)
gateway = create_app()
ROUTES = {BARE_PATH: bare, SCHEMAS_PATH: schemas}


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Send ``/bare`` and ``/schemas`` to their apps and everything else to the gateway."""
    return ROUTES.get(environ.get("PATH_INFO", ""), gateway)(environ, start_response)
