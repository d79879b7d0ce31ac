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
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import requests

from tests.support.services import free_port, stop_process, wait_for

REGION = "us-east-1"
DUMMY_CREDENTIALS: dict[str, str] = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
DUMMY_ENV: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def start_s3_server() -> tuple[subprocess.Popen, str]:
    """Start moto's server in its own process on 127.0.0.1 and a free port; return ``(process, endpoint_url)``."""
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: _answers(endpoint) or proc.poll() is not None, 30, 0.1, what="the S3 server")
    except AssertionError:
        proc.kill()
        raise
    if proc.poll() is not None:
        raise RuntimeError(f"the S3 server exited with {proc.returncode}")
    return proc, endpoint


def _answers(endpoint: str) -> bool:
    try:
        return requests.get(f"{endpoint}/moto-api/data.json", timeout=2).ok
    except requests.RequestException:
        return False


def stop_s3_server(server: subprocess.Popen) -> None:
    stop_process(server)


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
