"""The WSGI entry point: ``gunicorn wsgi:app``."""

from gateway import create_app
from gateway.logs import configure_logging

app = create_app()
configure_logging(app.config["GATEWAY"]["logging"])
