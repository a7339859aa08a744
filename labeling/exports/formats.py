"""Export format name -> media type, file name suffix and the function that writes it."""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from labeling.exports.imagefolder import imagefolder_zip
from labeling.exports.label_studio import label_studio_tasks
from labeling.exports.rows import ExportRecord
from labeling.exports.splits import text_splits_zip
from labeling.exports.tables import csv_table, json_array, json_lines

Writer = Callable[[Iterable[ExportRecord], list[str], str], Iterator[str] | Iterator[bytes]]


@dataclass(frozen=True)
class Format:
    media_type: str
    suffix: str
    write: Writer  # (records, columns, base URL of the site) -> text or bytes chunks
    modality: str = ""  # "image" or "text" when the format holds only that kind of item
    description: str = ""


FORMATS: dict[str, Format] = {
    "json": Format("application/json", "json", lambda r, c, b: json_array(x.row for x in r),
                   description="one JSON array of rows"),
    "jsonl": Format("application/x-ndjson", "jsonl", lambda r, c, b: json_lines(x.row for x in r),
                    description="one JSON object per line"),
    "csv": Format("text/csv", "csv", lambda r, c, b: csv_table((x.row for x in r), c),
                  description="CSV, formula cells neutralised"),
    "texts-jsonl": Format("application/zip", "zip", lambda r, c, b: text_splits_zip(r, c, "jsonl"), "text",
                          "zip of train.jsonl and test.jsonl"),
    "texts-csv": Format("application/zip", "zip", lambda r, c, b: text_splits_zip(r, c, "csv"), "text",
                        "zip of train.csv and test.csv"),
    "imagefolder": Format("application/zip", "zip", lambda r, c, b: imagefolder_zip(r), "image",
                          "Hugging Face ImageFolder zip: <split>/<class>/<file> and <split>/metadata.jsonl"),
    "label-studio": Format("application/json", "json", lambda r, c, b: label_studio_tasks(r, base_url=b),
                           description="Label Studio tasks JSON"),
}  # fmt: skip
