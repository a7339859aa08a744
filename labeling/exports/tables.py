"""Rows as JSON, JSON Lines or CSV text, yielded row by row."""

import json
from collections.abc import Iterable, Iterator
from typing import Any

from labeling.exports.csv_safe import csv_lines
from labeling.exports.rows import flat


def json_array(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    yield "["
    for i, row in enumerate(rows):
        yield ("," if i else "") + json.dumps(row)
    yield "]\n"


def json_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    for row in rows:
        yield json.dumps(row) + "\n"


def csv_table(rows: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[str]:
    """Guarded CSV (labeling.exports.csv_safe); nested values as JSON text."""
    return csv_lines(rows, columns, cell=flat)
