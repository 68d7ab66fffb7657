"""Status webhooks for our messages: a row moves forward only, sent < delivered < read.

Meta sends a `sent`, a `delivered` and a `read` for every reply, in any order
and sometimes twice, and a `failed` when a message could not be delivered.
The usual webhook (a step forward for a wamid we know) is one statement,
`advance` (on PostgreSQL a CTE of the event's INSERT, bot.whatsapp.inbound);
anything else goes through `apply_status`, which reads the row and decides.
"""
from __future__ import annotations

import functools
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text
from sqlalchemy.orm import Session

from bot.models import UNFINISHED, OutboundMessage, OutboundStatus
from bot.whatsapp.outbox import TRACKER_PREFIX, UNFINISHED_SQL

STATUS_MAP = {
    "sent": OutboundStatus.SENT,
    "delivered": OutboundStatus.DELIVERED,
    "read": OutboundStatus.READ,
    "played": OutboundStatus.READ,
    "failed": OutboundStatus.FAILED,
}


def _named(status: dict[str, Any]) -> OutboundStatus | None:
    """The status a webhook names (Meta's `played`, for a voice message, counts as read); None if unknown."""
    return STATUS_MAP.get(str(status.get("status", "")).lower())


def _forward_sql() -> str:
    """SQL for "a step forward" (the rule of `apply_status`): out of an unfinished state, or up in
    rank, never out of a failure."""
    ranks = " ".join(f"WHEN '{s.value}' THEN {s.rank}" for s in OutboundStatus)
    failed, dead = OutboundStatus.FAILED.value, OutboundStatus.DEAD.value
    return (f"(status IN ({UNFINISHED_SQL}) OR (status NOT IN ('{failed}', '{dead}')"
            f" AND CASE status {ranks} ELSE 0 END < :rank))")


#: UPDATE a row to a later delivery status, only forwards; it runs for every sent, delivered and
#: read webhook. The row is found by wamid, or by our tracker while it has none yet: Meta's `sent`
#: often arrives before the sender has written down the wamid Meta answered, and the row then
#: learns it here (as `apply_status` would). Plain SQL, because PostgreSQL also runs it as a CTE of
#: the event's INSERT (inbound.py), which SQLAlchemy's compiler cannot nest.
ADVANCE_SQL = ("UPDATE outbound_message SET status = :new_status, status_at = :now,"
               " wamid = COALESCE(wamid, :by_wamid), sent_at = COALESCE(sent_at, :now)"
               " WHERE (wamid = :by_wamid OR (id = :by_tracker AND wamid IS NULL))"
               f" AND {_forward_sql()} RETURNING id, customer_id")


@functools.cache
def advance_statement() -> Any:
    """`ADVANCE_SQL` as a statement, its time converted as the column converts it."""
    table = cast(Table, OutboundMessage.__table__)
    return text(ADVANCE_SQL).bindparams(bindparam("now", type_=table.c.status_at.type),
                                        bindparam("by_tracker", type_=table.c.id.type))


def advance(session: Session, status: dict[str, Any], now: datetime) -> int | None:
    """The usual status webhook (sent, delivered or read, for a wamid we know, a step forward) in one
    statement; the customer's id, or None when `apply_status` must look closer (a failure, an
    unknown wamid, a tracker, a status that is not a step forward)."""
    params = advance_params(status, now)
    if params is None:
        return None
    row = session.execute(advance_statement(), params).first()
    return None if row is None else row.customer_id


def advance_params(status: dict[str, Any], now: datetime) -> dict[str, Any] | None:
    """The parameters of `advance_statement` for a status webhook, or None when it is not the usual
    step forward (a failure, a status we do not know, no wamid): `apply_status` must look closer."""
    new = _named(status)
    wamid = status.get("id")
    if new is None or new is OutboundStatus.FAILED or not isinstance(wamid, str):
        return None
    return {"by_wamid": wamid, "by_tracker": tracked_row(status), "rank": new.rank, "new_status": new.value,
            "now": now}


def tracked_row(status: dict[str, Any]) -> int | None:
    """The outbox row a status webhook names by our tracker (`biz_opaque_callback_data`), if any."""
    opaque = status.get("biz_opaque_callback_data")
    if not isinstance(opaque, str) or not opaque.startswith(TRACKER_PREFIX):
        return None
    number = opaque[len(TRACKER_PREFIX):]
    return int(number) if number.isdigit() and len(number) < 10 else None


def apply_status(session: Session, status: dict[str, Any], now: datetime) -> OutboundMessage | None:
    """Move the row a status webhook speaks of forward; None if it is not ours.

    Found by wamid, or by our tracker when the send timed out before we
    learned the wamid. Statuses may arrive in any order: only a step forward
    is taken, and `failed` only before delivery. A failure keeps Meta's error
    code and title.
    """
    new = _named(status)
    if new is None:
        return None
    wamid = status.get("id")
    row = session.scalars(select(OutboundMessage).where(OutboundMessage.wamid == wamid)
                          .with_for_update()).first() if wamid else None
    tracked = tracked_row(status)
    if row is None and tracked is not None:
        row = session.get(OutboundMessage, tracked, with_for_update=True)
        if row is not None and row.wamid is None:
            row.wamid = wamid
            row.sent_at = row.sent_at or now
    if row is None:
        return None
    current = OutboundStatus(row.status)
    if new is OutboundStatus.FAILED:
        if current.rank >= OutboundStatus.DELIVERED.rank:
            return row
        error = (status.get("errors") or [{}])[0]
        row.error_code = error.get("code")
        row.error_title = error.get("title") or error.get("message") or "failed"
    elif current not in UNFINISHED and (current in (OutboundStatus.FAILED, OutboundStatus.DEAD)
                                        or new.rank <= current.rank):
        return row  # never backwards, and never out of a failure
    row.status = new
    row.status_at = now
    return row
