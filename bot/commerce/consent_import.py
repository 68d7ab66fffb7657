"""Importing marketing consent from a CSV file: `shopbot customers optin --csv FILE`.

Columns: `phone` (the WhatsApp number with its country code) and `source`
(where the shop got the consent: "newsletter form", "shop counter"), both
required, and `opted_in` (yes or no, yes when left out). The file is checked
whole first, every bad row reported as `FILE:LINE: message`; a file with any
error imports nothing, so fixing it and running the command again never
leaves half a list behind.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from bot.commerce import consent, customers
from bot.content.csv_rows import NO, YES, read_rows
from bot.content.problems import Problem
from bot.models import ConsentEvent, ConsentSource

COLUMNS = ("phone", "source", "opted_in")
REQUIRED = ("phone", "source")
SOURCE_LENGTH = ConsentEvent.detail.type.length - 64  # room left in `detail` for the file name and line


@dataclass(frozen=True)
class Row:
    line: int
    phone: str  # digits only
    source: str
    opted_in: bool


def read(path: Path, rel: str) -> tuple[list[Row], list[Problem]]:
    """Every row of the file, checked; the problems say `rel:line: message` (none: it can be imported)."""
    problems: list[Problem] = []
    rows: list[Row] = []
    first_line: dict[str, int] = {}
    for line, cells in read_rows(path, rel, problems, COLUMNS, REQUIRED):
        phone, source, answer = cells.get("phone", ""), cells.get("source", ""), cells.get("opted_in", "").lower()
        digits = customers.phone_digits(phone)
        if digits is None:
            said = f"phone `{phone}` {customers.PHONE_RULE}" if phone else "phone is empty"
            problems.append(Problem(rel, line, said))
            continue
        phone = digits
        if phone in first_line:
            problems.append(Problem(rel, line, f"phone {phone} is already on line {first_line[phone]}"))
            continue
        first_line[phone] = line
        if not source:
            problems.append(Problem(rel, line, "source is empty: say where the customer gave consent "
                                               "(like \"newsletter form\"), the proof you may be asked for"))
            continue
        if len(source) > SOURCE_LENGTH:
            problems.append(Problem(rel, line, f"source is {len(source)} characters; at most {SOURCE_LENGTH}"))
            continue
        if answer not in YES | NO:
            problems.append(Problem(rel, line, f"opted_in `{cells['opted_in']}` must be yes or no"))
            continue
        rows.append(Row(line, phone, source, answer in YES))
    if not rows and not any(p.severity == "error" for p in problems):
        problems.append(Problem(rel, 1, "no rows to import"))
    return rows, problems


def apply(session: Session, rows: list[Row], name: str, now: datetime) -> Counter[str]:
    """Record each row's answer (source `import`; the row's source, file and line in `detail`),
    creating customers not known yet by their phone number. Returns how many were opted "in",
    "out" or left "unchanged". The caller commits, once, for the whole file."""
    counts: Counter[str] = Counter()
    for row in rows:
        customer = customers.find_or_create(session, None, row.phone, None, now)
        change = consent.opt_in if row.opted_in else consent.opt_out
        changed = change(session, customer, ConsentSource.IMPORT, now, detail=f"{row.source} ({name}:{row.line})")
        counts[("in" if row.opted_in else "out") if changed else "unchanged"] += 1
    return counts
