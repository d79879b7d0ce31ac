"""The S3 backend (AWS S3 or any S3 API: MinIO, Ceph, R2...), through boto3.

Objects are private: no ACL is ever set, so they inherit the bucket's (private) default, and
clients fetch them through presigned GET URLs that also fix the Content-Type and make the
browser save the file under its own name. boto3 is imported on first use, so a gateway that
stores locally never loads it.

Credentials come from boto3's usual chain (environment, shared config, instance role), never
from the storage configuration. Error messages name the operation, the key and S3's error code,
never a credential or a signed URL.
"""

from __future__ import annotations

import contextlib
import posixpath
from collections.abc import Iterator
from typing import Any, BinaryIO

from storage.base import ObjectNotFound, Storage, StorageError, clean_key, content_type_for

CHUNK_SIZE = 64 * 1024
MAX_PRESIGN_EXPIRY = 7 * 24 * 3600  # the longest a SigV4 presigned URL may live
_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}


class S3Storage(Storage):
    """Objects under ``s3://bucket/prefix/``.

    ``endpoint_url`` points at another S3 API (MinIO: ``http://minio:9000``); set
    ``addressing_style="path"`` where the server has no virtual-host buckets. ``client`` injects
    a ready boto3 S3 client; ``client_kwargs`` go to ``boto3.client`` (``config`` is merged
    over the defaults: short timeouts, standard retries, SigV4).
    """

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        region: str | None = None,
        endpoint_url: str | None = None,
        presign_expiry: int = 3600,
        client: Any = None,
        *,
        addressing_style: str | None = None,
        **client_kwargs: Any,
    ) -> None:
        if not bucket:
            raise ValueError("S3 storage needs a bucket name")
        self.bucket = bucket
        prefix = prefix.strip("/")
        try:
            self.prefix = clean_key(prefix) if prefix else ""
        except StorageError:
            raise ValueError(f"invalid S3 prefix {prefix!r}: use letters, digits, '.', '_', '-' and '/'") from None
        self.region = region or None
        self.endpoint_url = endpoint_url or None
        self.presign_expiry = _check_expiry(presign_expiry)
        self.addressing_style = addressing_style or None
        self._client = client
        self._client_kwargs = client_kwargs

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r})"

    @property
    def client(self) -> Any:
        """The boto3 S3 client, made on first use."""
        if self._client is None:
            self._client = self._make_client()
        return self._client

    def _make_client(self) -> Any:
        import boto3
        from botocore.config import Config

        kwargs = dict(self._client_kwargs)
        s3_options = {"addressing_style": self.addressing_style} if self.addressing_style else None
        config = Config(
            signature_version="s3v4",
            connect_timeout=5,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
            s3=s3_options,
        )
        if kwargs.get("config") is not None:
            config = config.merge(kwargs.pop("config"))
        kwargs.pop("config", None)
        return boto3.client("s3", region_name=self.region, endpoint_url=self.endpoint_url, config=config, **kwargs)

    def object_key(self, key: str) -> str:
        """The S3 key of ``key``: ``prefix/key``; ``clean_key`` makes the prefix inescapable."""
        key = clean_key(key)
        return f"{self.prefix}/{key}" if self.prefix else key

    def put(self, key: str, data: bytes | BinaryIO, content_type: str | None = None) -> None:
        """Upload ``data``; S3 makes an object visible only once it is complete."""
        s3_key = self.object_key(key)
        content_type = content_type or content_type_for(key)
        with _errors("upload", key):
            if isinstance(data, bytes | bytearray | memoryview):
                self.client.put_object(Bucket=self.bucket, Key=s3_key, Body=bytes(data), ContentType=content_type)
            else:
                self.client.upload_fileobj(data, self.bucket, s3_key, ExtraArgs={"ContentType": content_type})

    def get(self, key: str) -> bytes:
        body = self._get_body(key)
        with _errors("download", key), body:
            return body.read()

    def open(self, key: str) -> Iterator[bytes]:
        """Request the object now (so a missing one raises here) and yield its body in chunks."""
        return self._chunks(key, self._get_body(key))

    def _get_body(self, key: str) -> Any:
        s3_key = self.object_key(key)
        with _errors("download", key):
            return self.client.get_object(Bucket=self.bucket, Key=s3_key)["Body"]

    @staticmethod
    def _chunks(key: str, body: Any) -> Iterator[bytes]:
        with _errors("download", key), body:
            yield from body.iter_chunks(CHUNK_SIZE)

    def exists(self, key: str) -> bool:
        s3_key = self.object_key(key)
        try:
            with _errors("look up", key):
                self.client.head_object(Bucket=self.bucket, Key=s3_key)
        except ObjectNotFound:
            return False
        return True

    def delete(self, key: str) -> None:
        s3_key = self.object_key(key)
        with _errors("delete", key):
            self.client.delete_object(Bucket=self.bucket, Key=s3_key)

    def url(self, key: str, expires: int | None = None) -> str | None:
        """A presigned GET URL, valid ``expires`` seconds (default ``presign_expiry``).

        The response carries the object's Content-Type and ``Content-Disposition: attachment``
        with the key's file name.
        """
        expires = self.presign_expiry if expires is None else _check_expiry(expires)
        s3_key = self.object_key(key)
        filename = posixpath.basename(s3_key)
        params = {
            "Bucket": self.bucket,
            "Key": s3_key,
            "ResponseContentType": content_type_for(key),
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
        }
        with _errors("sign a URL for", key):
            return self.client.generate_presigned_url("get_object", Params=params, ExpiresIn=expires)

    def check(self) -> None:
        """Raise ``StorageError`` unless the bucket exists and these credentials can reach it."""
        with _errors("reach", self.bucket, bucket_level=True):
            self.client.head_bucket(Bucket=self.bucket)


def _check_expiry(seconds: int) -> int:
    seconds = int(seconds)
    if not 1 <= seconds <= MAX_PRESIGN_EXPIRY:
        raise ValueError(f"presigned URL expiry must be 1 to {MAX_PRESIGN_EXPIRY} seconds, not {seconds}")
    return seconds


@contextlib.contextmanager
def _errors(action: str, name: str, bucket_level: bool = False) -> Iterator[None]:
    """Turn boto3/botocore errors into ``StorageError``/``ObjectNotFound`` with a safe message."""
    try:
        yield
    except Exception as exc:
        if isinstance(exc, StorageError) or not _is_boto_error(exc):
            raise
        code, message = _describe(exc)
        what = "S3 bucket" if bucket_level else "S3 object"
        if code == "NoSuchBucket" or (bucket_level and code in _NOT_FOUND):
            raise StorageError(f"cannot {action} {what} {name!r}: the bucket does not exist") from exc
        if code in _NOT_FOUND:
            raise ObjectNotFound(f"no object {name!r}") from exc
        raise StorageError(f"cannot {action} {what} {name!r}: {message}") from exc


def _is_boto_error(exc: BaseException) -> bool:
    module = type(exc).__module__ or ""
    return module.startswith(("botocore", "boto3", "s3transfer"))


def _describe(exc: BaseException) -> tuple[str, str]:
    """S3's error code and a message without request details (signatures, credentials)."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        error = response.get("Error", {})
        code = str(error.get("Code") or response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
        detail = error.get("Message") or ""
        return code, f"{code} {detail}".strip() or type(exc).__name__
    cause = exc.__cause__ or exc.__context__
    if type(exc).__name__ == "S3UploadFailedError" and cause is not None and _is_boto_error(cause):
        return _describe(cause)
    return type(exc).__name__, f"{type(exc).__name__}: {exc}"
