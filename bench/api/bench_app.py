"""The WSGI app the API benchmark serves: the real gateway, plus a bare Flask JSON route.

``/bare`` (GET and POST) is a plain Flask view in a second, minimal Flask app: no schema, no
API key, no Redis. It parses the JSON body of a POST, as any JSON endpoint must, and answers a
small JSON object. A GET answers the worker's process id too, which the benchmark uses to
spread its connections evenly over the workers. Every other path goes to the gateway built by ``create_app()`` from the
environment (``GATEWAY_*``). Both are served by the same gunicorn server, workers and process,
so the difference between them is the gateway's own work.

    gunicorn --chdir bench/api --pythonpath . bench_app:app
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request

from gateway import create_app

BARE_PATH = "/bare"

bare = Flask("bare")


@bare.route(BARE_PATH, methods=["GET", "POST"])
def bare_view() -> tuple[dict[str, Any], int]:
    if request.method == "POST":
        body = request.get_json()
        return {"id": "bare", "parent_id": body.get("parent_id"), "status": "queued"}, 201
    return {"id": "bare", "status": "queued", "worker": os.getpid()}, 200


gateway = create_app()


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Send ``/bare`` to the bare app and everything else to the gateway."""
    if environ.get("PATH_INFO") == BARE_PATH:
        return bare(environ, start_response)
    return gateway(environ, start_response)
