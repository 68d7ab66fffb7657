"""CSV that is safe to open in a spreadsheet: no cell from a customer can run as a formula.

Excel, LibreOffice and Google Sheets treat a cell that starts with `=`, `+`,
`-` or `@` (and, after trimming, tab or carriage return) as a formula, so a
customer named `=HYPERLINK("http://evil","x")` would become a live link in
the owner's spreadsheet (CSV/formula injection). Every cell written through
`writer` that starts with one of those characters gets a leading `'`, which
spreadsheets show as plain text. A cell that is only a decimal number
(`-12.50`, `+3`) is left alone: spreadsheets read it as that number and it
cannot run anything, so negative amounts stay numbers.
"""
from __future__ import annotations

import csv
import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")


def safe_cell(value) -> object:
    """`value` as a spreadsheet will read it as data, never as a formula."""
    if not isinstance(value, str) or not value.startswith(FORMULA_STARTS) or _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


class SafeWriter:
    """A `csv.writer` whose every cell passes through `safe_cell`."""

    def __init__(self, buffer):
        self._writer = csv.writer(buffer)

    def writerow(self, row) -> None:
        self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows) -> None:
        for row in rows:
            self.writerow(row)


def writer(buffer) -> SafeWriter:
    return SafeWriter(buffer)
