"""A real S3 API over HTTP for tests: moto's standalone server on loopback.

boto3 talks to it exactly as to AWS (signed HTTP requests), so the S3 backend is tested end to
end. Typical use in a fixture::

    server, endpoint = start_s3_server()
    create_bucket(endpoint, "captions")
    yield S3Storage("captions", endpoint_url=endpoint, region=REGION, **DUMMY_CREDENTIALS)
    stop_s3_server(server)
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

import requests

REGION = "us-east-1"
DUMMY_CREDENTIALS: dict[str, str] = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
DUMMY_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def start_s3_server() -> tuple[Any, str]:
    """Start moto's S3 server on 127.0.0.1 and a free port; return ``(server, endpoint_url)``."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request in test output
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    return server, f"http://{host}:{port}"


def stop_s3_server(server: Any) -> None:
    server.stop()


@contextlib.contextmanager
def dummy_aws_env() -> Iterator[None]:
    """Set dummy AWS credentials in the environment (for clients that read it), then restore."""
    saved = {name: os.environ.get(name) for name in DUMMY_ENV}
    os.environ.update(DUMMY_ENV)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def s3_server() -> Iterator[str]:
    """A running S3 server with dummy credentials in the environment; yields its endpoint URL."""
    with dummy_aws_env():
        server, endpoint = start_s3_server()
        try:
            yield endpoint
        finally:
            stop_s3_server(server)


def s3_client(endpoint: str) -> Any:
    """A boto3 S3 client for the test server, with dummy credentials."""
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **DUMMY_CREDENTIALS)


def create_bucket(endpoint: str, bucket: str) -> None:
    s3_client(endpoint).create_bucket(Bucket=bucket)


def reset_s3(endpoint: str) -> None:
    """Forget every bucket and object (moto's reset API), for isolation between tests."""
    requests.post(f"{endpoint}/moto-api/reset", timeout=10).raise_for_status()
