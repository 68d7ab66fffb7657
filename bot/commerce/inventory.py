"""Stock levels in the database: synced from the catalog's counts, taken off atomically.

The catalog file says how many units the owner counted; orders reserve units
with a single conditional UPDATE, so two customers can never both buy the
last one, on any number of workers.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, select, update
from sqlalchemy.orm import Session

from bot.commerce.catalog import Catalog
from bot.db import insert_ignore
from bot.models import StockLevel


class OutOfStock(Exception):
    """Not enough units for `sku`; `available` is what is left (None: unknown SKU)."""

    def __init__(self, sku: str, available: int | None):
        super().__init__(f"{sku}: only {available} left")
        self.sku, self.available = sku, available


def sync(session: Session, catalog: Catalog, now: datetime) -> int:
    """Apply the catalog's stock counts that changed since last time; return how many."""
    levels = {row.sku: row for row in session.scalars(select(StockLevel))}
    changed = 0
    for product in catalog.products:
        for variant in product.variants:
            row = levels.get(variant.sku)
            if row is None:
                session.execute(insert_ignore(session, StockLevel).values(
                    sku=variant.sku, on_hand=variant.stock, counted=variant.stock, updated_at=now))
                changed += 1
            elif row.counted != variant.stock:
                row.on_hand, row.counted, row.updated_at = variant.stock, variant.stock, now
                changed += 1
    return changed


def reserve(session: Session, sku: str, quantity: int, now: datetime) -> None:
    """Take `quantity` units of `sku`, or raise OutOfStock. Atomic across processes."""
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # an UPDATE gives a CursorResult
        update(StockLevel)
        .where(StockLevel.sku == sku, (StockLevel.on_hand.is_(None)) | (StockLevel.on_hand >= quantity))
        .values(on_hand=StockLevel.on_hand - quantity, updated_at=now)
    )
    if result.rowcount != 1:
        raise OutOfStock(sku, available(session, sku))


def release(session: Session, sku: str, quantity: int, now: datetime) -> None:
    """Give units back (a cancelled or expired order)."""
    session.execute(update(StockLevel).where(StockLevel.sku == sku, StockLevel.on_hand.is_not(None))
                    .values(on_hand=StockLevel.on_hand + quantity, updated_at=now))


def available(session: Session, sku: str) -> int | None:
    return session.scalar(select(StockLevel.on_hand).where(StockLevel.sku == sku))


# Built once and on the table, not the entity: read on every customer message, as plain rows.
_LEVELS = select(cast(Table, StockLevel.__table__).c.sku, cast(Table, StockLevel.__table__).c.on_hand)


class LiveLevels(Mapping[str, int | None]):
    """`levels`, read from the database the first time a step asks for one: most messages (a
    greeting, a menu tap, a checkout answer, an FAQ) never look at stock, and skip the query."""

    def __init__(self, session: Session):
        self._session = session
        self._levels: dict[str, int | None] | None = None

    def _read(self) -> dict[str, int | None]:
        if self._levels is None:
            self._levels = levels(self._session)
        return self._levels

    def __getitem__(self, sku: str) -> int | None:
        return self._read()[sku]

    def __iter__(self) -> Iterator[str]:
        return iter(self._read())

    def __len__(self) -> int:
        return len(self._read())


def levels(session: Session) -> dict[str, int | None]:
    """Units available now for every SKU (None: unlimited), in one query.

    Read before a conversation step, so the engine is told what the database
    says is in stock without reading it itself.
    """
    return {sku: on_hand for sku, on_hand in session.execute(_LEVELS)}
