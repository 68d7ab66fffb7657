"""Small SQL helpers that give the same answer on SQLite and PostgreSQL."""
from __future__ import annotations

import math

from sqlalchemy import func, literal_column, select
from sqlalchemy.orm import Session

from bot.db import is_postgres


def seconds_between(session: Session, later, earlier):
    """`later - earlier` in seconds, as a SQL expression for this session's database."""
    if is_postgres(session):
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * literal_column("86400.0")


def percentiles(session: Session, values, wanted=(0.5, 0.9)) -> dict[float, float | None]:
    """Nearest-rank percentiles (the ceil(p·n)-th smallest value) of a one-column subquery `values` (column `v`).

    PostgreSQL's percentile_disc is exactly nearest rank, in one pass;
    SQLite reads the ranked value with ORDER BY … OFFSET. Same answers.
    """
    if is_postgres(session):
        found = session.execute(select(*[func.percentile_disc(p).within_group(values.c.v) for p in wanted])
                                .select_from(values)).one()
        return {p: (float(v) if v is not None else None) for p, v in zip(wanted, found, strict=True)}
    n = session.scalar(select(func.count()).select_from(values)) or 0
    result: dict[float, float | None] = {}
    for p in wanted:
        if not n:
            result[p] = None
            continue
        rank = max(1, math.ceil(p * n))
        value = session.scalar(select(values.c.v).order_by(values.c.v).offset(rank - 1).limit(1))
        result[p] = float(value) if value is not None else None
    return result


def nearest_rank(values: list[float], p: float) -> float | None:
    """The same percentile for values already fetched (opening-hours times are computed in Python)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered))) - 1]
