"""The artifact store: arrays and model files that are too big for database rows.

Local disk under ARTIFACT_ROOT by default: writes go to a temporary file renamed into place,
so a reader never sees half a file, and reads are memory-mapped. When settings.STORAGES has an
"artifacts" entry (an S3-compatible bucket through django-storages, see config/settings.py)
arrays go there instead, through Django's storage API. Callers pass fresh, unique names, so no
write ever replaces a file that a reader may hold.
"""

import io
import os
import tempfile
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage, storages


def _remote() -> Storage | None:
    return storages["artifacts"] if "artifacts" in settings.STORAGES else None


def _local_path(name: str) -> Path:
    return Path(settings.ARTIFACT_ROOT) / name


def array_save(name: str, array: np.ndarray) -> None:
    """Store `array` as .npy under `name`, all or nothing."""
    remote = _remote()
    if remote is not None:
        buffer = io.BytesIO()
        np.save(buffer, array, allow_pickle=False)
        saved = remote.save(name, ContentFile(buffer.getvalue()))
        if saved != name:  # the backend renamed it: a caller reused a name
            remote.delete(saved)
            raise FileExistsError(f"Artifact {name!r} exists already; artifact names must be unique.")
        return
    path = _local_path(name)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, array, allow_pickle=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def array_load(name: str) -> np.ndarray:
    """The array stored under `name`; memory-mapped (read-only) on local disk."""
    remote = _remote()
    if remote is not None:
        with remote.open(name, "rb") as handle:
            return np.load(io.BytesIO(handle.read()), allow_pickle=False)
    return np.load(_local_path(name), mmap_mode="r", allow_pickle=False)


def artifact_delete(name: str) -> None:
    """Remove `name` if it exists (a missing file is not an error: deletion is cleanup)."""
    remote = _remote()
    if remote is not None:
        remote.delete(name)
    else:
        _local_path(name).unlink(missing_ok=True)
