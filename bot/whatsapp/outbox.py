"""The transactional outbox: queue replies with the change that caused them.

Domain code calls `enqueue` inside its transaction; the sender claims due
rows (`claim`), sends them and records the outcome; status webhooks then move
a row forward (bot.whatsapp.delivery_status). A row is retried for as long
as it is worth sending (`give_up_at`), not a number of times; rows we gave
up on can be put back by staff (`requeue_dead`).
"""
from __future__ import annotations

import functools
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import (
    Connection,
    Integer,
    Table,
    and_,
    bindparam,
    exists,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.orm import Session, aliased

from bot.conversation.messages import Message, Spec, to_spec
from bot.db import is_postgres
from bot.models import UNFINISHED, Customer, OutboundMessage, OutboundStatus
from bot.whatsapp.message_types import fit

if TYPE_CHECKING:
    from bot.content.shop import Content

CHANNEL = "shopbot_outbox"  # PostgreSQL NOTIFY channel that wakes senders
TRACKER_PREFIX = "outbox:"
#: The unfinished statuses as a SQL list, for the statements written in SQL.
UNFINISHED_SQL = ", ".join(f"'{s.value}'" for s in UNFINISHED)
#: Meta's customer-service window: free-form messages only within 24 hours of the customer's last message.
WINDOW = timedelta(hours=24)


def wake_senders(session: Session) -> None:
    """Wake LISTENing senders in other processes when this transaction commits (PostgreSQL).

    New rows need no call: a trigger on `outbound_message` notifies on every
    insert (migration 0009). This is for rows made due again (retry, circuit closed).
    """
    if is_postgres(session):
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def enqueue(session: Session, customer: Customer, messages: Sequence[Message | Spec], now: datetime,
            cause: str | None = None, cause_received_at: datetime | None = None,
            status: OutboundStatus = OutboundStatus.QUEUED, staff_id: int | None = None,
            read_receipt: str | None = None, source: str | None = None) -> list[int]:
    """Queue `messages` for `customer`, fitted to WhatsApp's limits, in order; the new rows' ids.

    This is where typed messages become the JSON specs the outbox stores
    (`to_spec`); a spec given as a dict is stored as it is. One INSERT for all
    the parts (Core, no objects: this runs for every message a customer sends).
    On PostgreSQL the insert itself wakes the senders of other processes (a
    trigger, migration 0009). `status` HELD keeps the rows back for the
    customer's next message; `staff_id` names the person who wrote them. `read_receipt` (the
    customer's message id) rides on the last part: once that is sent, the sender marks the
    customer's message read (no row of its own: nothing to pace, retry or count). `source` tags a
    message sent first (`campaign:<id>`, `abandoned_cart`, `back_in_stock`) for its results.
    """
    rows = [
        {"customer_id": customer.id, "recipient": customer.recipient, "body": part, "status": status.value,
         "attempts": 0, "next_attempt_at": now, "created_at": now, "cause": cause,
         "cause_received_at": cause_received_at, "staff_id": staff_id,
         "source": source}
        for message in messages for part in fit(to_spec(message))
    ]
    if read_receipt and rows:
        rows[-1]["body"] = {**cast("dict[str, Any]", rows[-1]["body"]), "read": read_receipt}
    if not rows:
        return []
    table = cast(Table, OutboundMessage.__table__)
    return list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))


def tracker(row_id: int) -> str:
    """The value sent as pywa's `tracker` (biz_opaque_callback_data) to find a row again."""
    return f"{TRACKER_PREFIX}{row_id}"


@functools.cache
def _claim_statement() -> Any:
    """The claim's SELECT, built once (it runs on every dispatch round): due rows with no earlier
    unfinished row of their customer, oldest first, locked, skipping rows another sender holds."""
    earlier = aliased(OutboundMessage)
    blocked = exists().where(and_(
        earlier.customer_id == OutboundMessage.customer_id,
        earlier.id < OutboundMessage.id,
        earlier.sent_at.is_(None),  # the partial index of the queue (unfinished rows are all unsent)
        earlier.status.in_(UNFINISHED),
    ))
    return (select(OutboundMessage)
            .where(OutboundMessage.sent_at.is_(None), OutboundMessage.status.in_(UNFINISHED),
                   OutboundMessage.next_attempt_at <= bindparam("due"), ~blocked)
            .order_by(OutboundMessage.id)
            .limit(bindparam("claim_limit", type_=Integer))
            .with_for_update(skip_locked=True))


class Claimed(NamedTuple):
    """A row claimed for sending: what the sender needs, no ORM object."""

    id: int
    recipient: str
    body: dict[str, Any]


def claim(session: Session, limit: int, now: datetime, lease: timedelta,
          burst: int, interval: timedelta) -> list[Claimed]:
    """Take up to `limit` due rows, each the oldest unfinished row of its customer, oldest first.

    Rows are locked with FOR UPDATE SKIP LOCKED so several senders share the
    work. A customer's row waits while an earlier one is unfinished (order),
    and while the customer's pace is used up (GCRA: `burst` messages, then
    one per `interval`), so bursts never trip Meta's per-user limit.
    Claimed rows become SENDING with a lease; a sender that dies leaves them
    to be reclaimed when the lease ends. On PostgreSQL all of it is one
    statement (`_CLAIM_SQL`): it runs on every dispatch round.
    """
    tolerance = interval * (burst - 1)
    if is_postgres(session):
        found = session.execute(_claim_in_one_statement(), {
            "due": now, "claim_limit": limit, "tolerance": tolerance, "pace_interval": interval,
            "lease_end": now + lease})
        return sorted(Claimed(*row) for row in found)
    rows = session.scalars(_claim_statement(), {"due": now, "claim_limit": limit}).all()
    claimed = []
    customers = {c.id: c for c in session.scalars(
        select(Customer).where(Customer.id.in_({r.customer_id for r in rows})))} if rows else {}
    for row in rows:
        customer = customers[row.customer_id]
        tat = max(customer.pace_at or now, now)
        if tat - now > tolerance:
            row.next_attempt_at = tat - tolerance
            continue
        customer.pace_at = tat + interval
        row.status = OutboundStatus.SENDING
        row.attempts += 1
        row.next_attempt_at = now + lease
        claimed.append(Claimed(row.id, row.recipient, row.body))
    return claimed


#: `claim` on PostgreSQL: the candidates (each customer's oldest unfinished row, due, with the
#: customer's pace: tat, GCRA's theoretical arrival time; `sent_at IS NULL` lets both scans use
#: the partial indexes of the queue, migration 0013), then in the same statement the rows
#: whose customer is over the burst wait for their turn, the others are claimed and move their
#: customer's pace on. Each customer has at most one candidate, so no row is updated twice.
_CLAIM_SQL = f"""
WITH candidate AS (
    SELECT o.id, o.customer_id, GREATEST(COALESCE(c.pace_at, :due), :due) AS tat
    FROM outbound_message o JOIN customer c ON c.id = o.customer_id
    WHERE o.sent_at IS NULL AND o.status IN ({UNFINISHED_SQL}) AND o.next_attempt_at <= :due
      AND NOT EXISTS (SELECT 1 FROM outbound_message e WHERE e.customer_id = o.customer_id AND e.id < o.id
                      AND e.sent_at IS NULL AND e.status IN ({UNFINISHED_SQL}))
    ORDER BY o.id LIMIT :claim_limit
    FOR UPDATE OF o SKIP LOCKED
), waiting AS (
    UPDATE outbound_message o SET next_attempt_at = candidate.tat - :tolerance
    FROM candidate WHERE o.id = candidate.id AND candidate.tat > :due + :tolerance
), paced AS (
    UPDATE customer c SET pace_at = candidate.tat + :pace_interval
    FROM candidate WHERE c.id = candidate.customer_id AND candidate.tat <= :due + :tolerance
)
UPDATE outbound_message o SET status = '{OutboundStatus.SENDING.value}', attempts = o.attempts + 1,
    next_attempt_at = :lease_end
FROM candidate WHERE o.id = candidate.id AND candidate.tat <= :due + :tolerance
RETURNING o.id, o.recipient, o.body
"""


@functools.cache
def _claim_in_one_statement() -> Any:
    table = cast(Table, OutboundMessage.__table__)
    stamp = table.c.next_attempt_at.type
    return (text(_CLAIM_SQL)
            .bindparams(bindparam("due", type_=stamp), bindparam("lease_end", type_=stamp),
                        bindparam("claim_limit", type_=Integer))
            .columns(table.c.id, table.c.recipient, table.c.body))


def next_due(session: Session) -> datetime | None:
    """When the earliest waiting row becomes due, so the sender can sleep until then."""
    return session.scalar(select(func.min(OutboundMessage.next_attempt_at))
                          .where(OutboundMessage.sent_at.is_(None), OutboundMessage.status.in_(UNFINISHED)))


def mark_sent(row: OutboundMessage, wamid: str, now: datetime) -> None:
    """Meta accepted the send. A status webhook may have overtaken us: never go back."""
    row.wamid = row.wamid or wamid
    row.sent_at = row.sent_at or now
    row.error_code = row.error_title = None
    if row.status in UNFINISHED:
        row.status = OutboundStatus.SENT
        row.status_at = now


def mark_sent_many(where: Session | Connection, sent: Sequence[tuple[int, str]], now: datetime) -> None:
    """`mark_sent` for a batch of (row id, wamid) in one statement, for the sender's busy minutes.

    The same rules: a status webhook that overtook the answer keeps its status
    and wamid; the row's error is cleared. `where` may be an autocommit
    connection: on PostgreSQL the batch is one UPDATE over arrays (unnest), so it
    commits as one; SQLite runs it as an executemany in the caller's transaction.
    """
    if is_postgres(where):
        where.execute(_mark_sent_statement("unnest"), {"row_ids": [row_id for row_id, _ in sent],
                                                       "wamids": [wamid for _, wamid in sent], "sent_now": now})
    else:
        where.execute(_mark_sent_statement("executemany"),
                      [{"row_id": row_id, "wamid": wamid, "sent_now": now} for row_id, wamid in sent])


_MARK_SENT_SET = f"""
    wamid = COALESCE(o.wamid, v.wamid), sent_at = COALESCE(o.sent_at, :sent_now), error_code = NULL, error_title = NULL,
    status = CASE WHEN o.status IN ({UNFINISHED_SQL}) THEN '{OutboundStatus.SENT.value}' ELSE o.status END,
    status_at = CASE WHEN o.status IN ({UNFINISHED_SQL}) THEN :sent_now ELSE o.status_at END"""
_MARK_SENT_SQL = {
    "unnest": f"""UPDATE outbound_message o SET {_MARK_SENT_SET}
        FROM unnest(CAST(:row_ids AS integer[]), CAST(:wamids AS varchar[])) AS v(id, wamid) WHERE o.id = v.id""",
    "executemany": f"""UPDATE outbound_message AS o SET {_MARK_SENT_SET}
        FROM (SELECT :row_id AS id, :wamid AS wamid) AS v WHERE o.id = v.id""",
}


@functools.cache
def _mark_sent_statement(kind: str) -> Any:
    """`mark_sent_many`'s UPDATE, built once: the whole batch in one statement on PostgreSQL, one
    executemany elsewhere; no objects loaded."""
    table = cast(Table, OutboundMessage.__table__)
    return text(_MARK_SENT_SQL[kind]).bindparams(bindparam("sent_now", type_=table.c.sent_at.type))


def give_up_at(row: OutboundMessage, customer: Customer, hours: float) -> tuple[datetime, str]:
    """When retrying `row` stops being worth it, and why.

    Any message: `hours` after it was queued (or put back by staff, which
    sets `status_at`). A free-form message also stops when the customer's
    24-hour window closes, since Meta only accepts a template after that.
    """
    since = row.status_at or row.created_at
    deadline, why = since + timedelta(hours=hours), f"not sent within {hours:g} h"
    if row.body.get("type") != "template" and customer.last_inbound_at is not None:
        closes = customer.window_closed_at or customer.last_inbound_at + WINDOW
        if closes < deadline:
            deadline, why = closes, "the customer's 24-hour window closed"
    return deadline, why


def retry_later(row: OutboundMessage, customer: Customer, now: datetime, base: float, cap: float,
                give_up_hours: float, code: int | None, title: str) -> None:
    """Back off exponentially (at most `cap` seconds, with jitter) until the row's give-up time,
    then dead-letter it with the reason."""
    row.error_code, row.error_title = code, title
    deadline, why = give_up_at(row, customer, give_up_hours)
    if now >= deadline:
        dead_letter(row, now, code, f"gave up after {row.attempts} attempt(s), {why}: {title}")
        return
    delay = min(base * 2 ** min(max(row.attempts - 1, 0), 30) * random.uniform(0.5, 1.5), cap)
    row.status = OutboundStatus.QUEUED
    row.next_attempt_at = min(now + timedelta(seconds=delay), deadline)


def await_confirmation(row: OutboundMessage, now: datetime, wait: float, title: str) -> None:
    """The send timed out: Meta may have accepted it. Wait for its status webhook
    (matched by tracker) before resending, so a slow answer never doubles a message."""
    row.status = OutboundStatus.UNCONFIRMED
    row.error_title = title
    row.next_attempt_at = now + timedelta(seconds=wait)


def dead_letter(row: OutboundMessage, now: datetime, code: int | None, reason: str) -> None:
    """Stop trying; the reason stays on the row for staff to see."""
    row.status = OutboundStatus.DEAD
    row.error_code, row.error_title = code, reason
    row.status_at = now


def requeue(row: OutboundMessage, now: datetime) -> None:
    """Put a claimed row back without counting the attempt (sending is paused or the circuit is open)."""
    row.status = OutboundStatus.QUEUED
    row.attempts = max(row.attempts - 1, 0)
    row.next_attempt_at = now


@dataclass
class Requeued:
    """What `requeue_dead` did: the rows put back, and why others were refused."""

    ids: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def requeue_dead(session: Session, ids: list[int] | None, now: datetime) -> Requeued:
    """Put dead rows back in the queue (all of them when `ids` is None), for a fresh run of retries.

    A row that is not dead is refused with the reason: it is on its way, or
    was sent. The give-up time counts again from now (`status_at`), and the
    row keeps its place before the customer's later messages.
    """
    query = select(OutboundMessage).with_for_update().order_by(OutboundMessage.id)
    if ids is None:
        query = query.where(OutboundMessage.status == OutboundStatus.DEAD)
    else:
        query = query.where(OutboundMessage.id.in_(ids))
    result = Requeued()
    found = {row.id: row for row in session.scalars(query)}
    for row_id in (ids if ids is not None else list(found)):
        row = found.get(row_id)
        if row is None:
            result.refused[row_id] = "no such message"
        elif row.status != OutboundStatus.DEAD:
            result.refused[row_id] = f"it is {row.status}, not dead; only dead messages can be retried"
        else:
            row.status, row.status_at, row.next_attempt_at, row.attempts = OutboundStatus.QUEUED, now, now, 0
            result.ids.append(row_id)
    if result.ids:
        wake_senders(session)
    return result


def window_closed(session: Session, row: OutboundMessage, now: datetime, content: Content) -> int | None:
    """Meta refused `row` because the 24-hour window is closed (131047).

    The customer is marked outside the window. If the owner configured a
    fallback template, it is sent instead (in place of a row that failed at
    send time, or as a new row after an asynchronous failure); otherwise the
    row is dead-lettered with the reason. Other waiting free-form messages to
    the same customer would fail the same way and are dead-lettered with it.
    A message the shop sent first (a `source`: an abandoned-cart reminder, a back-in-stock
    alert, a campaign) is marketing: it is never replaced by the fallback, a utility template
    the customer did not opt in to for this; it is dead-lettered.
    Returns the template row's id, if any.
    """
    customer = session.get_one(Customer, row.customer_id)
    customer.window_closed_at = now
    reason = "the 24-hour window is closed"
    template = content.window_fallback
    for other in session.scalars(select(OutboundMessage).where(
            OutboundMessage.customer_id == row.customer_id, OutboundMessage.id != row.id,
            OutboundMessage.status == OutboundStatus.QUEUED)):
        if other.body.get("type") != "template":
            dead_letter(other, now, 131047, reason)
    if row.body.get("type") == "template" or not template or row.source:
        if row.status in UNFINISHED:
            dead_letter(row, now, 131047, reason + (" (a message sent first has no fallback)" if row.source
                                                    else " and no fallback template is configured"))
        return None
    params = [p.render(shop=content.shop, customer={"name": customer.name or ""}).strip() for p in template.params]
    body = {"type": "template", "name": template.name, "language": template.language,
            "params": params, "replaces": row.body}
    if row.status in UNFINISHED:
        row.body, row.status, row.next_attempt_at = body, OutboundStatus.QUEUED, now
        row.error_code, row.error_title = 131047, reason + "; sent as the fallback template"
        return row.id
    return enqueue(session, customer, [body], now, cause=row.cause)[0]
