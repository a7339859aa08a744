"""CSV that a spreadsheet opens as text: every cell it would read as a formula is neutralised.

Excel, LibreOffice and Google Sheets evaluate a cell that begins with =, +, -, @, a tab or a
carriage return (`=HYPERLINK(...)`, `=cmd|' /C calc'!A0`), so a class named "=bad" or an
uploaded file name could run on the machine of whoever opens the export. As OWASP's "CSV
Injection" page recommends, such a cell gets a leading single quote (shown as text, kept as
data) and the csv module quotes every field that holds a quote, comma or newline. Every CSV the
product writes goes through `csv_lines`.
"""

import csv
import io
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def guard(value: Any) -> Any:
    """The cell as written: a string a spreadsheet would evaluate gets a leading "'"; numbers pass."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def csv_line(values: Iterable[Any]) -> str:
    """One guarded CSV line (with its line end)."""
    buffer = io.StringIO()
    csv.writer(buffer).writerow([guard(v) for v in values])
    return buffer.getvalue()


def csv_lines(
    rows: Iterable[dict[str, Any]], columns: Sequence[str], cell: Callable[[Any], Any] = lambda v: v
) -> Iterator[str]:
    """The header, then one guarded CSV line per row (`cell` applied first), yielded as each row is read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    yield csv_line(columns)
    for row in rows:
        writer.writerow([guard(cell(row.get(c))) for c in columns])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
