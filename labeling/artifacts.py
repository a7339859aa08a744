"""The artifact store: arrays and model files that are too big for database rows.

Local disk under ARTIFACT_ROOT by default: writes go to a temporary file renamed into place,
so a reader never sees half a file, and arrays are memory-mapped on read. When
settings.STORAGES has an "artifacts" entry (an S3-compatible bucket through django-storages,
see config/settings.py) everything goes there instead, through Django's storage API, so
workers on several machines share one store. Names are relative ("project-3/model-v2-<uuid>.pt")
and written once: callers pass fresh, unique names, and reusing one raises FileExistsError on
either backend, so no write ever replaces a file that a reader may hold.
"""

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import numpy as np
from django.conf import settings
from django.core.files.base import File
from django.core.files.storage import Storage, storages


def _remote() -> Storage | None:
    return storages["artifacts"] if "artifacts" in settings.STORAGES else None


def _local_path(name: str) -> Path:
    return Path(settings.ARTIFACT_ROOT) / name


def _exists_error(name: str) -> FileExistsError:
    return FileExistsError(f"Artifact {name!r} exists already; artifact names must be unique.")


def _write(name: str, write: Callable[[BinaryIO], object]) -> None:
    """Store what `write` puts into a binary handle under `name`, all or nothing."""
    remote = _remote()
    if remote is not None:
        buffer = io.BytesIO()
        write(buffer)
        saved = remote.save(name, File(buffer, name=name))
        if saved != name:  # the backend (file_overwrite=False) renamed it: a caller reused a name
            remote.delete(saved)
            raise _exists_error(name)
        return
    path = _local_path(name)
    if path.exists():
        raise _exists_error(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)  # mkstemp makes 0600; the web process may read artifacts too
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def array_save(name: str, array: np.ndarray) -> None:
    """Store `array` as .npy under `name`, all or nothing."""
    _write(name, lambda handle: np.save(handle, array, allow_pickle=False))


def array_load(name: str) -> np.ndarray:
    """The array stored under `name`; memory-mapped (read-only) on local disk.

    From a bucket the object is downloaded once (spooled to a temporary file past the
    storage's max_memory_size) and read straight into the array, never held twice in memory.
    """
    remote = _remote()
    if remote is not None:
        with remote.open(name, "rb") as handle:
            return np.load(handle, allow_pickle=False)
    return np.load(_local_path(name), mmap_mode="r", allow_pickle=False)


def bytes_save(name: str, data: bytes) -> None:
    """Store `data` (a model file) under `name`, all or nothing."""
    _write(name, lambda handle: handle.write(data))


def bytes_load(name: str) -> bytes:
    """The bytes stored under `name`."""
    remote = _remote()
    if remote is not None:
        with remote.open(name, "rb") as handle:
            return handle.read()
    return _local_path(name).read_bytes()


def artifact_delete(name: str) -> None:
    """Remove `name` if it exists (a missing file is not an error: deletion is cleanup)."""
    remote = _remote()
    if remote is not None:
        remote.delete(name)
    else:
        _local_path(name).unlink(missing_ok=True)


def artifact_list(prefix: str = "") -> list[tuple[str, float]]:
    """Every stored name under `prefix` (a folder such as "project-3", or "" for all) with its last
    modification time (epoch seconds), on either backend; for the orphan sweep."""
    remote = _remote()
    if remote is None:
        root = Path(settings.ARTIFACT_ROOT)
        base = root / prefix if prefix else root
        if not base.exists():
            return []
        return [(str(p.relative_to(root)), p.stat().st_mtime) for p in base.rglob("*") if p.is_file()]
    found = []
    folders = [prefix]
    while folders:
        folder = folders.pop()
        subfolders, files = remote.listdir(folder)
        folders.extend(_join(folder, sub) for sub in subfolders)
        found.extend((_join(folder, n), remote.get_modified_time(_join(folder, n)).timestamp()) for n in files)
    return found


def _join(folder: str, name: str) -> str:
    return f"{folder}/{name}" if folder else name
