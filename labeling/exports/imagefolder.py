"""Images as a Hugging Face ImageFolder zip: <split>/<class>/<item id>-<file name>, with
<split>/metadata.jsonl giving each file's row (file_name, item_id, label and any extra columns).

Unzipped, it loads with datasets.load_dataset("imagefolder", data_dir="<folder>"), and with
torchvision.datasets.ImageFolder("<folder>/train"). Images stream from storage one at a time;
the metadata is spooled to a temporary file (disk past 1 MB) and written after the images.
Only items with a class are written.
"""

import json
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from pathlib import PurePosixPath
from typing import IO, BinaryIO

from labeling.exports.rows import ExportRecord
from labeling.exports.splits import SPLITS, encoded, spooled_files
from labeling.exports.zipstream import zip_stream
from labeling.models import Item


def _folder_name(name: str) -> str:
    """A class name usable as one folder: no separators, never "." or ".."."""
    cleaned = name.replace("/", "_").replace("\\", "_").strip()
    return cleaned if cleaned not in {"", ".", ".."} else f"_{cleaned}"


def imagefolder_zip(records: Iterable[ExportRecord]) -> Iterator[bytes]:
    with ExitStack() as stack:
        yield from zip_stream(_entries(records, spooled_files(stack)))


Entry = tuple[str, BinaryIO | Iterable[bytes]]


def _entries(records: Iterable[ExportRecord], metadata: dict[str, IO[str]]) -> Iterator[Entry]:
    storage = Item._meta.get_field("image").storage  # type: ignore[attr-defined]
    for record in records:
        row = record.row
        if not row["label"] or not record.image:
            continue
        file_name = f"{_folder_name(row['label'])}/{row['item_id']}-{PurePosixPath(record.image).name}"
        metadata[row["split"]].write(json.dumps({"file_name": file_name, **_metadata(row)}) + "\n")
        with storage.open(record.image, "rb") as image:
            yield f"{row['split']}/{file_name}", image
    for split in SPLITS:
        if metadata[split].tell():
            yield f"{split}/metadata.jsonl", encoded(metadata[split])


def _metadata(row: dict[str, object]) -> dict[str, object]:
    return {k: v for k, v in row.items() if k not in {"text", "image_url", "split"}}
