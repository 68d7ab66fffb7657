"""Reading a CSV file an owner edits in a spreadsheet, row by row with the line each row starts on.

UTF-8 (a BOM is fine), comma- or semicolon-separated (whichever the header
uses more), a header naming the columns. Problems with the file or its header
are collected as `path:line: message`; the rows' own checks belong to their
readers (the catalog, a consent import).
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from bot.content.problems import Problem, did_you_mean

#: What a yes/no cell may hold (an empty cell is a yes).
YES, NO = {"", "yes", "y", "true", "1", "x", "si", "sí"}, {"no", "n", "false", "0"}


def read_rows(path: Path, rel: str, problems: list[Problem], known: tuple[str, ...], required: tuple[str, ...] = ()):
    """Yield (line, {column: value}) for each data row; header problems are reported. A required
    column missing from the header is one error on line 1, and no row is read (every row would
    otherwise report it empty)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        problems.append(Problem(rel, 1, "file is missing"))
        return
    except UnicodeDecodeError:
        problems.append(Problem(rel, 1, "not UTF-8 text (save it as \"CSV UTF-8\")"))
        return
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        problems.append(Problem(rel, 1, "file is empty"))
        return
    for column in header:
        if column and column not in known:
            hint = (" (a translation column is the column's name, `_` and one of the languages in "
                    "flows/settings.yaml)" if re.fullmatch(r"[a-z]+_[a-z]{2,3}", column) else "")
            problems.append(Problem(rel, 1, f"unknown column `{column}`{did_you_mean(column, known)}{hint}",
                                    "warning"))
    missing = [column for column in required if column not in header]
    if missing:
        names = ", ".join(f"`{column}`" for column in missing)
        problems.append(Problem(rel, 1, f"the header has no {names} column{'s' if len(missing) > 1 else ''}"
                                        f" (it needs {', '.join(required)})"))
        return
    previous = reader.line_num
    for row in reader:
        line, previous = previous + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        yield line, {h: (row[i].strip() if i < len(row) else "") for i, h in enumerate(header) if h}
