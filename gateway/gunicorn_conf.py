"""gunicorn's settings for the gateway: ``gunicorn -c python:gateway.gunicorn_conf wsgi:app``.

gunicorn writes the ``Connection`` header itself and drops the application's: the ``Connection:
close`` the gateway puts on a 413 never reaches the client. gunicorn answers ``keep-alive``
instead, then reads what is left of the refused body and closes the socket when more than 64 KiB
is left: the client's next request on that connection can fail. So the request is marked here,
before the application runs: gunicorn then answers it with ``Connection: close`` and closes the
connection after the response, without reading the body.

Marked are the requests whose body may be refused: a ``Content-Length`` above the smaller of
``api.max_body_bytes`` and ``api.max_upload_bytes`` (a media upload above it closes too: one
connection more, beside its size), and a chunked body, whose size is known only once it is read.

gunicorn's own lines (its errors, and one access line per request) are written in the gateway's
log format (``logging.format``: one JSON object per line by default), so that a log collector
reads the API's stream as it reads the workers'.
"""

from __future__ import annotations

import functools
from typing import Any

from gateway.config import ConfigError, load_config


@functools.cache
def body_limit() -> int:
    """Bodies above this may be answered with 413 (the application's rules: gateway/__init__.py).

    Read in each worker, after the application has loaded (and validated) the same configuration.
    """
    api = load_config()["api"]
    return min(api["max_body_bytes"], api["max_upload_bytes"])


def pre_request(worker, req) -> None:
    """Close the connection after a request whose body may be over the limit."""
    worker.log.debug("%s %s", req.method, req.path)  # what gunicorn's own pre_request does
    if req.version >= (2, 0):  # HTTP/2 frames every body in a stream of its own: nothing is left over
        return
    for name, value in req.headers:  # names in capitals; gunicorn has checked Content-Length
        if name == "TRANSFER-ENCODING" or (name == "CONTENT-LENGTH" and int(value) > body_limit()):
            req.must_close = True


def log_config(settings: dict[str, Any]) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its error and access loggers on stderr in the format of the
    gateway's ``logging`` settings (:func:`gateway.logs.formatter`)."""
    gunicorn_logger = {"level": "INFO", "handlers": ["stderr"], "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"gateway": {"()": "gateway.logs.formatter", "fmt": settings["format"]}},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "gateway", "stream": "ext://sys.stderr"}
        },
        "root": {"level": settings["level"].upper(), "handlers": ["stderr"]},
        "loggers": {"gunicorn.error": gunicorn_logger, "gunicorn.access": gunicorn_logger},
    }


def _log_settings() -> dict[str, Any]:
    """The configuration's ``logging`` section; its defaults where the configuration does not load
    (the application says why when it loads)."""
    try:
        return load_config()["logging"]
    except ConfigError:
        return {"format": "json", "level": "info"}


logconfig_dict = log_config(_log_settings())

# gunicorn 25.1+ opens a control socket for ``gunicornc`` at one path per user: every gunicorn of
# that user on the machine (make run beside the tests, two deployments) would bind the same one.
# The gateway does not use it; older gunicorn versions ignore the setting.
control_socket_disable = True
