"""Where caption outputs and uploaded media live: the interface and its two backends.

``make_storage`` builds the configured backend. This package knows nothing of the gateway,
the providers or the caption formats.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage.base import CONTENT_TYPES, ObjectNotFound, Storage, StorageError, clean_key, content_type_for
from storage.local import LocalStorage
from storage.s3 import S3Storage

__all__ = [
    "CONTENT_TYPES",
    "LocalStorage",
    "ObjectNotFound",
    "S3Storage",
    "Storage",
    "StorageError",
    "clean_key",
    "content_type_for",
    "make_storage",
]

BACKENDS = ("local", "s3")
DEFAULT_LOCAL_ROOT = "var/storage"


def make_storage(config: Mapping[str, Any]) -> Storage:
    """Build the backend named by ``config["backend"]`` (``local`` when absent).

    ``config`` is the ``storage`` section of the configuration::

        {"backend": "s3",
         "local": {"root": "var/storage"},
         "s3": {"bucket": "captions", "prefix": "prod", "region": "eu-west-1",
                "endpoint_url": None, "presign_expiry": 3600, "addressing_style": None}}

    Empty strings count as unset, so environment overrides can clear a value. Raises
    ``ValueError`` for an unknown backend or an S3 configuration without a bucket.
    """
    backend = str(config.get("backend") or "local").strip().lower()
    if backend == "local":
        local = config.get("local") or {}
        return LocalStorage(local.get("root") or DEFAULT_LOCAL_ROOT)
    if backend == "s3":
        return _make_s3(config.get("s3") or {})
    raise ValueError(f"unknown storage backend {backend!r}; choose one of: {', '.join(BACKENDS)}")


def _make_s3(s3: Mapping[str, Any]) -> S3Storage:
    bucket = s3.get("bucket")
    if not bucket:
        raise ValueError("storage backend 's3' needs storage.s3.bucket (the bucket name)")
    expiry = s3.get("presign_expiry") or 3600
    try:
        expiry = int(expiry)
    except (TypeError, ValueError):
        raise ValueError(f"storage.s3.presign_expiry must be a number of seconds, not {expiry!r}") from None
    return S3Storage(
        str(bucket),
        prefix=str(s3.get("prefix") or ""),
        region=s3.get("region") or None,
        endpoint_url=s3.get("endpoint_url") or None,
        presign_expiry=expiry,
        addressing_style=s3.get("addressing_style") or None,
    )
