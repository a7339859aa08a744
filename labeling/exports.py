"""Export labeled items as JSON, JSON Lines or CSV, streamed row by row."""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import Any

from django.urls import reverse

from labeling.models import Label, Project

FORMATS = {"json": "application/json", "jsonl": "application/x-ndjson", "csv": "text/csv"}
COLUMNS = ["item_id", "source_name", "split", "text", "image_url", "label", "annotator", "labeled_at", "duration_ms"]


def export_rows(*, project: Project) -> Iterator[dict[str, Any]]:
    """Every label of the project, oldest first, one row per (item, annotator)."""
    labels = (
        Label.objects.filter(item__project=project)
        .order_by("created_at", "id")
        .values_list(
            "item_id",
            "item__source_name",
            "item__split",
            "item__text",
            "item__image",
            "label_class__name",
            "annotator__username",
            "created_at",
            "duration_ms",
        )
    )
    for item_id, source_name, split, text, image, label, annotator, created_at, duration_ms in labels.iterator(
        chunk_size=2000
    ):
        yield {
            "item_id": item_id,
            "source_name": source_name,
            "split": split,
            "text": text,
            "image_url": reverse("labeling:item-image", args=[item_id]) if image else "",
            "label": label,
            "annotator": annotator,
            "labeled_at": created_at.isoformat(),
            "duration_ms": duration_ms,
        }


def render(rows: Iterable[dict[str, Any]], fmt: str) -> Iterator[str]:
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(row) + "\n"
    elif fmt == "json":
        yield "["
        for i, row in enumerate(rows):
            yield ("," if i else "") + json.dumps(row)
        yield "]\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()
