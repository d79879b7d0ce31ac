"""The local-filesystem backend: objects are files under one root directory.

Writes are atomic: the bytes go to a temporary file in the target's directory, are flushed to
disk, and the file is renamed over the target, so a reader sees the old object or the new one,
never half of either. The gateway streams these files itself, so :meth:`LocalStorage.url`
returns ``None``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from storage.base import ObjectNotFound, Storage, StorageError, clean_key

CHUNK_SIZE = 64 * 1024


class LocalStorage(Storage):
    """Objects as files under ``root``; the directory is created on first use."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def __repr__(self) -> str:
        return f"LocalStorage({str(self.root)!r})"

    def _path(self, key: str) -> Path:
        """The file of ``key``; refused if it would resolve outside the root (symlinks included)."""
        path = self.root / clean_key(key)
        root = self.root.resolve()
        if not path.resolve().is_relative_to(root):
            raise StorageError(f"invalid storage key: {key!r}")
        return path

    def put(self, key: str, data: bytes | BinaryIO, content_type: str | None = None) -> None:
        """Write ``data`` atomically. ``content_type`` is not stored: it follows from the key."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        except OSError as exc:
            raise StorageError(f"cannot write {key!r}: {exc.strerror}") from exc
        try:
            with os.fdopen(fd, "wb") as fh:
                if isinstance(data, bytes | bytearray | memoryview):
                    fh.write(data)
                else:
                    shutil.copyfileobj(data, fh, CHUNK_SIZE)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            if isinstance(exc, OSError):
                raise StorageError(f"cannot write {key!r}: {exc.strerror}") from exc
            raise
        _fsync_dir(path.parent)

    def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"no object {key!r}") from exc
        except OSError as exc:
            raise StorageError(f"cannot read {key!r}: {exc.strerror}") from exc

    def open(self, key: str) -> Iterator[bytes]:
        """Open the file now (so a missing object raises here) and yield it in 64 KiB chunks."""
        path = self._path(key)
        try:
            fh = path.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ObjectNotFound(f"no object {key!r}") from exc
        except OSError as exc:
            raise StorageError(f"cannot read {key!r}: {exc.strerror}") from exc
        return _chunks(fh)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except (IsADirectoryError, NotADirectoryError):
            return
        except OSError as exc:
            raise StorageError(f"cannot delete {key!r}: {exc.strerror}") from exc
        self._prune(path.parent)

    def _prune(self, folder: Path) -> None:
        """Remove folders left empty by a delete, up to (not including) the root."""
        root = self.root.resolve()
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()
            except OSError:  # not empty (or already gone): stop there
                return
            folder = folder.parent

    def check(self) -> None:
        """Create the root if needed and prove it is writable by writing a probe file."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryFile(dir=self.root):
                pass
        except OSError as exc:
            raise StorageError(f"storage root {str(self.root)!r} is not a writable directory: {exc.strerror}") from exc


def _chunks(fh: BinaryIO) -> Iterator[bytes]:
    with fh:
        while chunk := fh.read(CHUNK_SIZE):
            yield chunk


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable; some platforms cannot open a directory, which is fine."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
