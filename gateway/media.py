"""Media intake: bring a job's video or audio to a local file for providers that need one.

Two sources: a ``media_url`` (downloaded with the SSRF guard on every redirect and a size cap,
streamed to disk, never held in memory) or a file the CMS uploaded to storage. Either way the
file lives in a fresh temporary directory that is removed when the provider is done with it.

Errors are :class:`MediaError`; ``transient`` says whether trying again later may help (5xx,
408/429, timeouts, broken connections, storage outages) or not (4xx, too large, refused URL).
"""

from __future__ import annotations

import contextlib
import dataclasses
import mimetypes
import os
import posixpath
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests

from gateway.netguard import UnsafeURL, safe_session_get
from storage import ObjectNotFound, Storage, StorageError

CHUNK_SIZE = 64 * 1024
DEFAULT_SUFFIX = ".bin"
_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
_TRANSIENT_STATUS = frozenset({408, 425, 429})


class MediaError(ValueError):
    """The media could not be obtained; the message is safe to show."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def download_media(
    url: str,
    dest_dir: Path,
    *,
    session: requests.Session,
    max_bytes: int,
    allow: Sequence[str] = (),
    timeout: float | tuple[float, float] = (5, 30),
) -> Path:
    """Download ``url`` into a new file in ``dest_dir`` and return its path.

    The file keeps the extension of the URL path or the Content-Type where it is a plain
    one (decoders look at it), else ``.bin``. Nothing is left behind on failure.
    """
    try:
        response = safe_session_get(session, url, allow=allow, timeout=timeout)
    except UnsafeURL as exc:
        raise MediaError(f"media URL refused: {exc}") from exc
    except requests.RequestException as exc:
        raise _request_error(exc) from exc
    with response:
        _check_response(response, max_bytes)
        suffix = media_suffix(response.url or url, response.headers.get("Content-Type"))
        dest_dir.mkdir(parents=True, exist_ok=True)
        try:
            return _write_capped(response.iter_content(CHUNK_SIZE), dest_dir, suffix, max_bytes)
        except requests.RequestException as exc:
            raise _request_error(exc) from exc


def _request_error(exc: requests.RequestException) -> MediaError:
    if isinstance(exc, requests.Timeout):
        return MediaError("media download timed out", transient=True)
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return MediaError("media download failed: the connection was refused or broken", transient=True)
    return MediaError(f"media download failed: {type(exc).__name__}")


def _check_response(response: requests.Response, max_bytes: int) -> None:
    status = response.status_code
    if not 200 <= status < 300:
        transient = status >= 500 or status in _TRANSIENT_STATUS
        raise MediaError(f"media URL answered HTTP {status}", transient=transient)
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise MediaError(f"media is too large ({int(length)} bytes; the limit is {max_bytes})")


def _write_capped(chunks: Iterable[bytes], dest_dir: Path, suffix: str, max_bytes: int) -> Path:
    """Write ``chunks`` to a new file, refusing (and deleting it) past ``max_bytes``."""
    fd, name = tempfile.mkstemp(dir=dest_dir, prefix="media-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            total = 0
            for chunk in chunks:
                total += len(chunk)
                if total > max_bytes:
                    raise MediaError(f"media is too large (more than the limit of {max_bytes} bytes)")
                fh.write(chunk)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name)
        raise
    return Path(name)


def media_suffix(url_or_key: str, content_type: str | None = None) -> str:
    """The file extension to keep: the path's if plain, else one for the Content-Type, else ``.bin``."""
    path = unquote(urlsplit(url_or_key).path)
    suffix = posixpath.splitext(posixpath.basename(path))[1].lower()
    if _SAFE_SUFFIX.match(suffix):
        return suffix
    if content_type:
        guessed = mimetypes.guess_extension(content_type.split(";", 1)[0].strip().lower()) or ""
        if _SAFE_SUFFIX.match(guessed):
            return guessed
    return DEFAULT_SUFFIX


def copy_from_storage(storage: Storage, key: str, dest_dir: Path, max_bytes: int) -> Path:
    """Stream the stored object ``key`` into a new file in ``dest_dir`` and return its path."""
    try:
        chunks = storage.open(key)
    except ObjectNotFound as exc:
        raise MediaError(f"uploaded media {key!r} was not found") from exc
    except StorageError as exc:
        raise MediaError(f"uploaded media {key!r} could not be read: {exc}", transient=True) from exc
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _write_capped(chunks, dest_dir, media_suffix(key), max_bytes)
    except StorageError as exc:
        raise MediaError(f"uploaded media {key!r} could not be read: {exc}", transient=True) from exc
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


@dataclasses.dataclass(frozen=True)
class JobMedia:
    """Where a job's media is: an upload in ``storage`` under ``storage_key`` (it wins) or ``media_url``.

    ``open`` is the ``JobView.open_media`` factory: each call brings the media anew to a local
    file in a fresh temporary directory, removed on exit.
    """

    media_url: str | None
    storage: Storage | None
    storage_key: str | None
    session: requests.Session
    max_bytes: int
    allow: Sequence[str] = ()
    timeout: float | tuple[float, float] = (5, 30)
    tmp_root: str | Path | None = None

    def __post_init__(self) -> None:
        if self.storage_key and self.storage is None:
            raise ValueError("a storage key needs the storage it is in")
        if not self.storage_key and not self.media_url:
            raise ValueError("the job has no media: give a media_url or the storage key of an upload")

    @contextlib.contextmanager
    def open(self) -> Iterator[Path]:
        """Yield a local copy of the media in a fresh temporary directory, removed on exit."""
        with tempfile.TemporaryDirectory(prefix="caption-media-", dir=self.tmp_root) as tmp:
            if self.storage is not None and self.storage_key:
                yield copy_from_storage(self.storage, self.storage_key, Path(tmp), self.max_bytes)
            else:
                assert self.media_url is not None
                yield download_media(
                    self.media_url,
                    Path(tmp),
                    session=self.session,
                    max_bytes=self.max_bytes,
                    allow=self.allow,
                    timeout=self.timeout,
                )
