"""Texts as one file per split in a zip (train.jsonl / test.jsonl, or .csv), the layout Hugging
Face `datasets` reads by file name: load_dataset("json", data_dir="<unzipped folder>").

Only items with a class are written; items waiting for labels or in review are left out.
Each split is spooled to a temporary file (disk past 1 MB) while the rows stream, then zipped.
"""

import json
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import ExitStack
from typing import IO

from labeling.exports.csv_safe import csv_line
from labeling.exports.rows import ExportRecord, flat
from labeling.exports.zipstream import zip_stream

SPLITS = ("train", "test")
SPOOL_BYTES = 1 << 20


def text_splits_zip(records: Iterable[ExportRecord], columns: list[str], fmt: str) -> Iterator[bytes]:
    """fmt "jsonl" or "csv"; `columns` are the CSV header."""
    with ExitStack() as stack:
        files = spooled_files(stack)
        for split in SPLITS:
            if fmt == "csv":
                files[split].write(csv_line(columns))
        for record in records:
            if record.row["label"]:
                row = record.row
                line = csv_line(flat(row.get(c, "")) for c in columns) if fmt == "csv" else json.dumps(row) + "\n"
                files[row["split"]].write(line)
        yield from zip_stream((f"{split}.{fmt}", encoded(files[split])) for split in SPLITS)


def spooled_files(stack: ExitStack) -> dict[str, IO[str]]:
    """One temporary text file per split, closed (and removed) with `stack`."""
    return {s: stack.enter_context(tempfile.SpooledTemporaryFile(SPOOL_BYTES, mode="w+", encoding="utf-8"))
            for s in SPLITS}  # fmt: skip


def encoded(handle: IO[str]) -> Iterator[bytes]:
    """The file's text from its start, as UTF-8 blocks."""
    handle.seek(0)
    for block in iter(lambda: handle.read(1 << 16), ""):
        yield block.encode("utf-8")
