"""Where dataset files live: one small interface so a deployment can move them to object storage.

Keys are relative POSIX paths ("res-42/v3/public.parquet"). ``LocalStorage`` keeps them under
``DATASTORE_DIR``; an object-storage backend implements the same methods (``path`` then returns a
URL DuckDB can read, e.g. ``s3://bucket/res-42/v3/public.parquet`` with the httpfs extension).
"""

from __future__ import annotations

import abc
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

_KEY_PART = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


def check_key(key: str) -> str:
    parts = key.split("/")
    if not parts or any(not _KEY_PART.match(p) or p in {".", ".."} for p in parts):
        raise ValueError(f"bad storage key {key!r}")
    return key


class Storage(abc.ABC):
    """Interface of a datastore file store."""

    @abc.abstractmethod
    def put(self, key: str, local_path: str | os.PathLike) -> None:
        """Move a finished local file to ``key`` atomically (readers never see half a file)."""
        raise NotImplementedError

    @abc.abstractmethod
    def open(self, key: str, mode: str = "rb") -> BinaryIO:
        raise NotImplementedError

    @abc.abstractmethod
    def exists(self, key: str) -> bool:
        raise NotImplementedError

    @abc.abstractmethod
    def delete(self, key: str) -> None:
        """Delete a key, or every key under a prefix ending in "/"."""
        raise NotImplementedError

    @abc.abstractmethod
    def path(self, key: str) -> str:
        """A location DuckDB can read (local path or URL)."""
        raise NotImplementedError

    def list(self, prefix: str) -> list[str]:
        """Keys directly under ``prefix`` (names only, one level)."""
        raise NotImplementedError

    def temp_file(self, suffix: str = "") -> str:
        """A local scratch path on the same file system, for writing before ``put``."""
        raise NotImplementedError

    def create_exclusive(self, key: str, data: bytes = b"") -> bool:
        """Create ``key`` only if it does not exist yet (False when it does); reserves names."""
        raise NotImplementedError


class LocalStorage(Storage):
    def create_exclusive(self, key: str, data: bytes = b"") -> bool:
        target = self._full(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(target, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        return True

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def _full(self, key: str) -> Path:
        return self.root / check_key(key.rstrip("/"))

    def put(self, key: str, local_path: str | os.PathLike) -> None:
        target = self._full(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(local_path, target)  # atomic on one file system

    def open(self, key: str, mode: str = "rb") -> BinaryIO:
        if "r" not in mode or "+" in mode:
            raise ValueError("storage files are read-only once put")
        return open(self._full(key), mode)  # noqa: SIM115

    def exists(self, key: str) -> bool:
        return self._full(key).exists()

    def delete(self, key: str) -> None:
        target = self._full(key)
        if target.is_dir():
            shutil.rmtree(target, ignore_errors=True)
        elif target.exists():
            target.unlink()

    def path(self, key: str) -> str:
        return str(self._full(key))

    def list(self, prefix: str) -> list[str]:
        folder = self._full(prefix) if prefix.strip("/") else self.root
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir())

    def temp_file(self, suffix: str = "") -> str:
        tmp = self.root / "_tmp"
        tmp.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=tmp, suffix=suffix)
        os.close(fd)
        return name


_storage: Storage | None = None


def get_storage() -> Storage:
    global _storage
    root = Path(settings.DATASTORE_DIR)
    if _storage is None or (isinstance(_storage, LocalStorage) and _storage.root != root):
        _storage = LocalStorage(root)
    return _storage


def set_storage(storage: Storage | None) -> None:
    """Install another backend (object storage), or None to go back to the default."""
    global _storage
    _storage = storage
