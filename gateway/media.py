"""Media intake: bring a job's video or audio to a local file for providers that need one.

Two sources: a ``media_url`` (downloaded with the SSRF guard on every redirect and a size cap,
streamed to disk, never held in memory) or a file the CMS uploaded to storage. Either way the
file lives in a fresh temporary directory that is removed when the provider is done with it.

A download is bounded in time as a whole (``download_timeout``, on top of the per-connect and
per-read timeouts, which a server sending one byte at a time never trips) and stops as soon as
the job is cancelled (``is_cancelled``, asked between reads at most every
:data:`CANCEL_CHECK_INTERVAL_S`). A read waits at most the read timeout, so either stop may come
that much late against a server that sends nothing at all.

Temporary directories live under one folder per process, ``<tmp>/caption-gateway-media/<pid>-<start>``
(``<start>`` is the process's start time, so a reused pid is not mistaken for the old process).
That folder is removed when its last media is closed; a process killed meanwhile leaves it
behind, and :func:`remove_stale_media` (run when a worker starts) deletes the folders of
processes that no longer exist. The folder must not be shared between pid namespaces (containers
with one ``/tmp``): give each its own ``TMPDIR``.

Errors are the media errors of :mod:`providers.errors`, so a provider and the gateway treat them
like any other provider error: ``MediaUnavailable`` (transient) when trying again later may help
(5xx, 408/429, timeouts, broken connections, storage outages, a source too slow to finish in time
the first time), ``MediaRefused`` when not (4xx, too large, refused URL, a source too slow again).
A download stopped because the job was cancelled raises :class:`MediaCancelled` (a refusal,
harmless for a job that is already over).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import mimetypes
import os
import posixpath
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

import requests
from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError, SSLError

from gateway.netguard import UnsafeURL, safe_session_get
from providers.errors import MediaCancelled, MediaError, media_error
from storage import ObjectNotFound, Storage, StorageError

__all__ = ["JobMedia", "MediaCancelled", "MediaError", "download_media", "remove_stale_media"]

log = logging.getLogger(__name__)

CHUNK_SIZE = 64 * 1024
DEFAULT_SUFFIX = ".bin"
#: Default for the ``media.download_timeout_s`` setting: a whole download, redirects included.
DEFAULT_DOWNLOAD_TIMEOUT_S = 600.0
#: How often a running download asks whether the job was cancelled (a store read each time).
CANCEL_CHECK_INTERVAL_S = 0.5
#: The parent of every process's media folder, under the system's temporary directory.
MEDIA_DIR_NAME = "caption-gateway-media"
_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
_TRANSIENT_STATUS = frozenset({408, 425, 429})
_PROCESS_DIR = re.compile(r"^(\d+)-([0-9a-z]+)$")
_PROCESS_DIR_LOCK = threading.Lock()


class _Limits:
    """The deadline and the cancel check of one media transfer, applied between reads."""

    def __init__(
        self,
        timeout_s: float | None,
        is_cancelled: Callable[[], bool] | None,
        what: str = "media download",
        slow_is_transient: bool = True,
    ) -> None:
        self.timeout_s = timeout_s
        self.deadline = None if timeout_s is None else time.monotonic() + timeout_s
        self.is_cancelled = is_cancelled
        self.what = what
        self.slow_is_transient = slow_is_transient
        self._next_cancel_check = 0.0

    def check(self) -> None:
        now = time.monotonic()
        if self.is_cancelled is not None and now >= self._next_cancel_check:
            self._next_cancel_check = now + CANCEL_CHECK_INTERVAL_S
            if self.is_cancelled():
                raise MediaCancelled(f"{self.what} stopped: the job was cancelled")
        if self.deadline is not None and now > self.deadline:
            again = "" if self.slow_is_transient else ", as on an earlier attempt"
            raise media_error(
                f"{self.what} did not finish within {self.timeout_s:g} s: the source sends too slowly{again}",
                transient=self.slow_is_transient,
            )


def download_media(
    url: str,
    dest_dir: Path,
    *,
    session: requests.Session,
    max_bytes: int,
    allow: Sequence[str] = (),
    timeout: float | tuple[float, float] = (5, 30),
    download_timeout: float | None = DEFAULT_DOWNLOAD_TIMEOUT_S,
    is_cancelled: Callable[[], bool] | None = None,
    slow_is_transient: bool = True,
) -> Path:
    """Download ``url`` into a new file in ``dest_dir`` and return its path.

    ``timeout`` bounds connecting and each read; ``download_timeout`` (seconds, ``None`` for no
    limit) the whole download, redirects included: past it the download stops with a
    :class:`MediaError`, transient unless ``slow_is_transient`` is false (a source that was too
    slow before is not waited for again and again). ``is_cancelled`` is asked between reads; once
    it is true the download stops with :class:`MediaCancelled`. The file keeps the extension of
    the URL path or the Content-Type where it is a plain one (decoders look at it), else ``.bin``.
    Nothing is left behind on failure.
    """
    limits = _Limits(download_timeout, is_cancelled, slow_is_transient=slow_is_transient)
    limits.check()
    try:
        response = safe_session_get(session, url, allow=allow, timeout=timeout)
    except UnsafeURL as exc:
        raise media_error(f"media URL refused: {exc}") from exc
    except requests.RequestException as exc:
        raise _request_error(exc) from exc
    with response:
        _check_response(response, max_bytes)
        limits.check()
        suffix = media_suffix(response.url or url, response.headers.get("Content-Type"))
        dest_dir.mkdir(parents=True, exist_ok=True)
        return _write_capped(_body(response), dest_dir, suffix, max_bytes, limits)


def _body(response: requests.Response) -> Iterator[bytes]:
    """The response body as it arrives: each piece is what one read of the socket gave.

    ``iter_content`` would block until a whole chunk has arrived, so a trickling server could
    keep a single read going for hours, out of reach of the deadline and the cancel check.
    """
    read1 = getattr(response.raw, "read1", None)
    try:
        if read1 is None:  # not urllib3 underneath (an adapter of its own): whole chunks then
            yield from response.iter_content(CHUNK_SIZE)
            return
        while True:
            chunk = read1(CHUNK_SIZE, decode_content=True)
            if not chunk:
                return
            yield chunk
    except requests.RequestException as exc:
        raise _request_error(exc) from exc
    except ReadTimeoutError as exc:
        raise media_error("media download timed out", transient=True) from exc
    except (ProtocolError, SSLError, OSError) as exc:
        raise media_error("media download failed: the connection was refused or broken", transient=True) from exc
    except DecodeError as exc:
        raise media_error(f"media download failed: the content could not be decoded ({exc})") from exc


def _request_error(exc: requests.RequestException) -> MediaError:
    if isinstance(exc, requests.Timeout):
        return media_error("media download timed out", transient=True)
    if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError):
        return media_error("media download failed: the connection was refused or broken", transient=True)
    return media_error(f"media download failed: {type(exc).__name__}")


def _check_response(response: requests.Response, max_bytes: int) -> None:
    status = response.status_code
    if not 200 <= status < 300:
        transient = status >= 500 or status in _TRANSIENT_STATUS
        raise media_error(f"media URL answered HTTP {status}", transient=transient)
    length = response.headers.get("Content-Length", "")
    if length.isdigit() and int(length) > max_bytes:
        raise media_error(f"media is too large ({int(length)} bytes; the limit is {max_bytes})")


def _write_capped(
    chunks: Iterable[bytes], dest_dir: Path, suffix: str, max_bytes: int, limits: _Limits | None = None
) -> Path:
    """Write ``chunks`` to a new file, refusing (and deleting it) past ``max_bytes`` or ``limits``."""
    fd, name = tempfile.mkstemp(dir=dest_dir, prefix="media-", suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            total = 0
            for chunk in chunks:
                total += len(chunk)
                if total > max_bytes:
                    raise media_error(f"media is too large (more than the limit of {max_bytes} bytes)")
                fh.write(chunk)
                if limits is not None:
                    limits.check()
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


def copy_from_storage(
    storage: Storage, key: str, dest_dir: Path, max_bytes: int, is_cancelled: Callable[[], bool] | None = None
) -> Path:
    """Stream the stored object ``key`` into a new file in ``dest_dir`` and return its path.

    ``is_cancelled`` is asked between chunks, as for a download.
    """
    limits = _Limits(None, is_cancelled, what="copying the uploaded media")
    limits.check()
    try:
        chunks = storage.open(key)
    except ObjectNotFound as exc:
        raise media_error(f"uploaded media {key!r} was not found") from exc
    except StorageError as exc:
        raise media_error(f"uploaded media {key!r} could not be read: {exc}", transient=True) from exc
    dest_dir.mkdir(parents=True, exist_ok=True)
    try:
        return _write_capped(chunks, dest_dir, media_suffix(key), max_bytes, limits)
    except StorageError as exc:
        raise media_error(f"uploaded media {key!r} could not be read: {exc}", transient=True) from exc
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


# -- where temporary media lives -------------------------------------------------------------


def media_root() -> Path:
    """The folder holding every process's media folder: ``<tmp>/caption-gateway-media``."""
    return Path(tempfile.gettempdir()) / MEDIA_DIR_NAME


def _start_mark(pid: int) -> str | None:
    """When process ``pid`` started, in clock ticks since boot (Linux); ``None`` if it does not exist.

    Where there is no ``/proc``, ``"0"`` for any live process: the pid alone identifies it.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return None
    except OSError:
        stat = ""
    if stat:
        # "pid (comm) state ppid ...": starttime is field 22; comm may hold spaces and parentheses.
        return stat.rsplit(")", 1)[1].split()[19]
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return "0"


def process_media_dir(root: Path | None = None) -> Path:
    """This process's media folder, ``<root>/<pid>-<start>`` (created, private to this user)."""
    root = media_root() if root is None else Path(root)
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    info = os.lstat(root)
    if not os.path.isdir(root) or os.path.islink(root) or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        raise RuntimeError(f"{root} must be a directory owned by this user; set TMPDIR to another place")
    pid = os.getpid()
    folder = root / f"{pid}-{_start_mark(pid) or '0'}"
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def remove_stale_media(root: Path | None = None) -> list[Path]:
    """Delete the media folders of processes that no longer exist; return what was deleted.

    A folder is stale when no process has its pid, or the process with that pid started at
    another time (the pid was reused). Folders of live processes and unknown names are kept.
    """
    root = media_root() if root is None else Path(root)
    try:
        entries = list(root.iterdir())
    except FileNotFoundError:
        return []
    removed = []
    for entry in entries:
        match = _PROCESS_DIR.match(entry.name)
        if match is None or not entry.is_dir() or entry.is_symlink():
            continue
        pid, mark = int(match[1]), match[2]
        current = _start_mark(pid)
        if current is not None and current in (mark, "0"):
            continue
        shutil.rmtree(entry, ignore_errors=True)
        removed.append(entry)
    if removed:
        log.info("removed the media left by %d stopped processes: %s", len(removed), [p.name for p in removed])
    return removed


@contextlib.contextmanager
def _job_dir(tmp_root: str | Path | None) -> Iterator[Path]:
    """A fresh private directory for one opening of a job's media, removed on exit.

    With ``tmp_root`` it is made right there; else in this process's media folder, which is
    removed again once no media of this process is open.
    """
    if tmp_root is not None:
        with tempfile.TemporaryDirectory(prefix="caption-media-", dir=tmp_root) as tmp:
            yield Path(tmp)
        return
    with _PROCESS_DIR_LOCK:
        parent = process_media_dir()
        tmp = Path(tempfile.mkdtemp(prefix="job-", dir=parent))
    try:
        yield tmp
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        with _PROCESS_DIR_LOCK, contextlib.suppress(OSError):
            parent.rmdir()  # fails while another thread of this process has media open


@dataclasses.dataclass(frozen=True)
class JobMedia:
    """Where a job's media is: an upload in ``storage`` under ``storage_key`` (it wins) or ``media_url``.

    ``open`` is the ``JobView.open_media`` factory: each call brings the media anew to a local
    file in a fresh temporary directory, removed on exit. ``timeout`` is (connect, read) seconds,
    ``download_timeout`` bounds a whole download (``None``: :data:`DEFAULT_DOWNLOAD_TIMEOUT_S`);
    a download past it is worth another try only with ``retry_slow_source`` (the job's first
    attempt). ``is_cancelled`` stops a download or copy of a job cancelled meanwhile
    (:class:`MediaCancelled`). ``tmp_root`` puts the temporary directories elsewhere than in the
    per-process folder under :func:`media_root`.
    """

    media_url: str | None
    storage: Storage | None
    storage_key: str | None
    session: requests.Session
    max_bytes: int
    allow: Sequence[str] = ()
    timeout: float | tuple[float, float] = (5, 30)
    tmp_root: str | Path | None = None
    download_timeout: float | None = None
    is_cancelled: Callable[[], bool] | None = None
    retry_slow_source: bool = True

    def __post_init__(self) -> None:
        if self.storage_key and self.storage is None:
            raise ValueError("a storage key needs the storage it is in")
        if not self.storage_key and not self.media_url:
            raise ValueError("the job has no media: give a media_url or the storage key of an upload")

    @contextlib.contextmanager
    def open(self) -> Iterator[Path]:
        """Yield a local copy of the media in a fresh temporary directory, removed on exit."""
        with _job_dir(self.tmp_root) as tmp:
            if self.storage is not None and self.storage_key:
                yield copy_from_storage(self.storage, self.storage_key, tmp, self.max_bytes, self.is_cancelled)
            else:
                assert self.media_url is not None
                yield download_media(
                    self.media_url,
                    tmp,
                    session=self.session,
                    max_bytes=self.max_bytes,
                    allow=self.allow,
                    timeout=self.timeout,
                    download_timeout=(
                        DEFAULT_DOWNLOAD_TIMEOUT_S if self.download_timeout is None else self.download_timeout
                    ),
                    is_cancelled=self.is_cancelled,
                    slow_is_transient=self.retry_slow_source,
                )
