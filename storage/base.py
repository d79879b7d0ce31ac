"""The storage interface the gateway writes caption outputs and uploaded media through."""

from __future__ import annotations

import posixpath
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import BinaryIO

CONTENT_TYPES: dict[str, str] = {
    "vtt": "text/vtt; charset=utf-8",
    "srt": "application/x-subrip; charset=utf-8",
    "txt": "text/plain; charset=utf-8",
    "json": "application/json",
    "dfxp": "application/ttml+xml",
    "ttml": "application/ttml+xml",
    "scc": "text/x-scc",
    "sbv": "text/plain; charset=utf-8",
}

_SAFE_PART = re.compile(r"^[A-Za-z0-9._-]+$")


class StorageError(Exception):
    """Storage failed or a key was refused; the message is safe to show."""


class ObjectNotFound(StorageError):
    """No object under that key."""


def content_type_for(key: str) -> str:
    """The Content-Type for a stored object, from its extension."""
    ext = key.rsplit(".", 1)[-1].lower() if "." in key else ""
    return CONTENT_TYPES.get(ext, "application/octet-stream")


def clean_key(key: str) -> str:
    """Return ``key`` normalised, or raise ``StorageError`` if it could escape its prefix.

    Keys are relative, ``/``-separated, and every part is made of safe characters only;
    ``..``, absolute paths, backslashes and empty parts are refused.
    """
    if not key or key.startswith("/") or "\\" in key:
        raise StorageError(f"invalid storage key: {key!r}")
    parts = key.split("/")
    if any(p in ("", ".", "..") or not _SAFE_PART.match(p) for p in parts):
        raise StorageError(f"invalid storage key: {key!r}")
    return posixpath.join(*parts)


class Storage(ABC):
    """Where outputs live. Implementations: ``LocalStorage`` (default) and ``S3Storage``."""

    @abstractmethod
    def put(self, key: str, data: bytes | BinaryIO, content_type: str | None = None) -> None:
        """Store ``data`` under ``key`` atomically (readers never see half an object)."""

    @abstractmethod
    def get(self, key: str) -> bytes:
        """Return the object's bytes, or raise ``ObjectNotFound``."""

    @abstractmethod
    def open(self, key: str) -> Iterator[bytes]:
        """Yield the object in chunks (for streaming downloads)."""

    @abstractmethod
    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; a missing one is not an error."""

    def url(self, key: str, expires: int = 3600) -> str | None:
        """A time-limited URL a client can fetch directly, or ``None`` (serve through the gateway)."""
        return None

    @abstractmethod
    def check(self) -> None:
        """Raise ``StorageError`` when the backend cannot be used (for ``/health``)."""
