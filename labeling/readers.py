"""Read user files into import records, checking them before anything is saved.

Each reader raises InvalidImportError naming the file (and row) that is wrong.
"""

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from labeling.exceptions import InvalidImportError

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}


@dataclass(frozen=True)
class ImageRecord:
    path: Path
    class_name: str | None  # from the sub-folder name; None for a flat folder


@dataclass(frozen=True)
class TextRecord:
    text: str
    class_name: str | None
    source_name: str


def _is_image(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def read_image_folder(folder: Path) -> list[ImageRecord]:
    """Images from a flat folder, from one sub-folder per class (sub-folder name = class), or from a
    flat folder with a Label Studio export (.json) whose tasks name the images and their classes."""
    if not folder.is_dir():
        raise InvalidImportError(f"{folder} is not a folder.", {"path": str(folder)})
    tasks = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".json")
    if len(tasks) > 1:
        raise InvalidImportError(f"Upload one Label Studio .json file with its images, not {len(tasks)}.",
                                 {"files": [p.name for p in tasks]})  # fmt: skip
    if tasks:  # a Label Studio export with its images; imported here so its module can use ImageRecord
        from labeling.exports.label_studio import read_label_studio_images

        return read_label_studio_images(tasks[0], folder)
    top = sorted(p for p in folder.iterdir() if _is_image(p))
    subfolders = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if top and subfolders:
        raise InvalidImportError(
            f"{folder} mixes images and class sub-folders; use one layout.",
            {"path": str(folder), "subfolders": [p.name for p in subfolders]},
        )
    if top:
        return [ImageRecord(path=p, class_name=None) for p in top]
    records = [
        ImageRecord(path=p, class_name=sub.name) for sub in subfolders for p in sorted(sub.iterdir()) if _is_image(p)
    ]
    if not records:
        raise InvalidImportError(f"No images found in {folder}.", {"path": str(folder)})
    return records


def read_text_file(path: Path, *, text_column: str = "text", label_column: str = "label") -> list[TextRecord]:
    """Texts from a CSV (header row), JSONL or Label Studio JSON file; the label column is optional."""
    if not path.is_file():
        raise InvalidImportError(f"{path} does not exist.", {"path": str(path)})
    suffix = path.suffix.lower()
    if suffix == ".json":  # a Label Studio export; imported here so its module can use TextRecord
        from labeling.exports.label_studio import read_label_studio_tasks

        return read_label_studio_tasks(path, text_column=text_column)
    try:
        rows = _text_rows(path, suffix, text_column)
    except UnicodeDecodeError as exc:
        raise InvalidImportError(f"{path.name} is not UTF-8 text ({exc.reason} at byte {exc.start}); save it as "
                                 "UTF-8.", {"path": str(path)}) from exc  # fmt: skip
    except csv.Error as exc:
        raise InvalidImportError(f"{path.name} is not a readable CSV file ({exc}).", {"path": str(path)}) from exc
    records = []
    for number, row in enumerate(rows, start=1):
        text = str(row.get(text_column) or "").strip()
        if not text:
            raise InvalidImportError(f"{path.name} row {number} has an empty {text_column!r}.")
        label = str(row.get(label_column) or "").strip() or None
        source = str(row.get("id") or f"row {number}")
        records.append(TextRecord(text=text, class_name=label, source_name=source))
    if not records:
        raise InvalidImportError(f"{path.name} has no rows.", {"path": str(path)})
    return records


def _text_rows(path: Path, suffix: str, text_column: str) -> list[dict[str, Any]]:
    """The file's rows as dicts; UnicodeDecodeError and csv.Error go up to read_text_file."""
    if suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            if text_column not in columns:
                raise InvalidImportError(
                    f"CSV file {path.name} has no column {text_column!r}; its columns are {columns}.",
                    {"path": str(path), "columns": columns},
                )
            rows = list(reader)
    elif suffix in {".jsonl", ".ndjson"}:
        rows = []
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: nested past Python's limit
                    raise InvalidImportError(f"{path.name} line {number} is not JSON we read: {exc}.") from exc
                if not isinstance(row, dict) or text_column not in row:
                    raise InvalidImportError(f"{path.name} line {number} has no field {text_column!r}.")
                rows.append(row)
    else:
        raise InvalidImportError(f"{path.name}: expected a .csv, .jsonl or Label Studio .json file.",
                                 {"path": str(path)})  # fmt: skip
    return rows
