"""Carrier tracking events: mapped to order statuses by `flows/carriers.yaml`, applied once,
and never moving an order backwards ("in transit" after "delivered" changes nothing).
A code mapped to `problem` (damaged, lost, returned) hands the customer's chat to a person.

Carriers often report a parcel before the shop has typed its tracking number in. Such an
event is kept as `held` and applied, with any others held for that number in the order
they happened, when an order gets the number (`apply_held`, called by `orders.apply`:
the API, the order desk and `shopbot order set` all come through there).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bot.commerce import orders
from bot.content.aftercare_files import PROBLEM
from bot.content.shop import Content
from bot.db import insert_ignore
from bot.models import CarrierEvent, HandoffReason, Order
from bot.models import OrderStatus as S
from bot.staff import handoffs

log = logging.getLogger(__name__)

#: How far along delivery a status is; an event may only move an order forward on this path.
PROGRESS = {status: rank for rank, status in enumerate(orders.CHAIN)}
#: Events to walk from the order's status to the carrier's (a "delivered" straight after "prepared" ships first).
PATH = [("ship", S.SHIPPED), ("out_for_delivery", S.OUT_FOR_DELIVERY), ("deliver", S.DELIVERED)]


class Result(StrEnum):
    """What became of a carrier event; stored as the event's `outcome`."""

    APPLIED = "applied"
    STALE = "stale"  # out of order, or the order is already there
    HANDED_TO_STAFF = "handed to staff"
    HELD = "held"  # no order has this tracking number yet
    DUPLICATE = "duplicate"  # a redelivery (never stored)
    UNKNOWN_CARRIER = "unknown carrier"
    UNKNOWN_CODE = "unknown code"
    NOT_SHIPPABLE = "not shippable"


@dataclass(frozen=True)
class Outcome:
    """One event's result: the order's status after it, and for unknown carriers or codes the known ones."""

    result: Result
    event_id: str
    status: str | None = None
    known: tuple[str, ...] = ()


def apply(session: Session, content: Content, event: dict, now: datetime) -> Outcome:
    """Record one carrier event (once per carrier and event id) and move its order, or hold it.

    `event` has carrier, tracking_number, code, event_id and time (aware). A
    redelivery changes nothing: it answers `duplicate`, or `held` while the
    event still waits for its order.
    """
    inserted = session.execute(insert_ignore(session, CarrierEvent).values(
        event_id=event["event_id"], carrier=event["carrier"], tracking_number=event["tracking_number"],
        code=event["code"], occurred_at=event["time"], outcome=Result.HELD, received_at=now,
    ).returning(CarrierEvent.id)).scalar()
    if inserted is None:
        stored = session.scalars(select(CarrierEvent.outcome).where(
            CarrierEvent.carrier == event["carrier"], CarrierEvent.event_id == event["event_id"])).first()
        return Outcome(Result.HELD if stored == Result.HELD else Result.DUPLICATE, event["event_id"])
    record = session.get_one(CarrierEvent, inserted)
    carrier = content.carriers.get(event["carrier"])
    if carrier is None:
        log.warning("carrier event %s from unknown carrier %r kept, not applied", event["event_id"], event["carrier"])
        record.outcome = Result.UNKNOWN_CARRIER
        return Outcome(Result.UNKNOWN_CARRIER, record.event_id, known=tuple(sorted(content.carriers)))
    if carrier.codes.get(event["code"].upper()) is None:
        log.warning("carrier %s event code %r is not in flows/carriers.yaml; kept, not applied",
                    carrier.id, event["code"])
        record.outcome = Result.UNKNOWN_CODE
        return Outcome(Result.UNKNOWN_CODE, record.event_id, known=tuple(sorted(carrier.codes)))
    _serialise(session, carrier.id, record.tracking_number)
    order = session.scalars(select(Order).where(Order.tracking_number == record.tracking_number,
                                                Order.carrier == carrier.id).with_for_update()).first()
    if order is None:
        log.info("carrier %s event %s held until an order has its tracking number", carrier.id, record.event_id)
        return Outcome(Result.HELD, record.event_id)
    return _apply_to(session, content, record, order, now)


def apply_held(session: Session, content: Content, order: Order, now: datetime) -> list[Outcome]:
    """Apply the events held for `order`'s carrier and tracking number, in the order they happened."""
    if order.carrier is None or order.carrier not in content.carriers or not order.tracking_number:
        return []  # (a carrier taken out of flows/carriers.yaml has no codes to apply)
    _serialise(session, order.carrier, order.tracking_number)
    held = session.scalars(select(CarrierEvent).where(
        CarrierEvent.outcome == Result.HELD, CarrierEvent.carrier == order.carrier,
        CarrierEvent.tracking_number == order.tracking_number,
    ).order_by(CarrierEvent.occurred_at, CarrierEvent.id).with_for_update()).all()
    outcomes = [_apply_to(session, content, record, order, now) for record in held]
    if outcomes:
        log.info("%s: %d held carrier event(s) applied", order.reference, len(outcomes))
    return outcomes


def held(session: Session, limit: int = 50) -> tuple[list[CarrierEvent], int]:
    """The newest events waiting for an order with their tracking number, and how many wait in all."""
    rows = session.scalars(select(CarrierEvent).where(CarrierEvent.outcome == Result.HELD)
                           .order_by(CarrierEvent.received_at.desc(), CarrierEvent.id.desc()).limit(limit)).all()
    return list(rows), session.scalar(select(func.count()).where(CarrierEvent.outcome == Result.HELD)) or 0


def _serialise(session: Session, carrier: str, tracking_number: str) -> None:
    """On PostgreSQL, one transaction at a time per tracking number, until commit.

    Without it an event could be held while, concurrently, the order gets the
    number and finds nothing held: each would miss the other for ever. SQLite
    writers are serialised already (BEGIN IMMEDIATE).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
                        {"key": f"carrier-event:{carrier}:{tracking_number}"})


def _apply_to(session: Session, content: Content, record: CarrierEvent, order: Order, now: datetime) -> Outcome:
    """Move `order` as the stored event `record` says, and store the outcome on the event."""
    carrier = content.carriers[record.carrier]
    target = carrier.codes.get(record.code.upper())
    record.order_id = order.id

    def done(result: Result) -> Outcome:
        record.outcome = result
        return Outcome(result, record.event_id, status=order.status)

    if target is None:  # the code left flows/carriers.yaml while the event was held
        record.outcome = Result.UNKNOWN_CODE
        return Outcome(Result.UNKNOWN_CODE, record.event_id, known=tuple(sorted(carrier.codes)))
    if target == PROBLEM:  # an incident: the order stays where it is and a person takes the chat
        handoffs.for_order_problem(session, content, order.customer_id, HandoffReason.PROBLEM_ORDER,
                                   order.reference, now)
        log.warning("carrier %s reports %s for %s; handed to staff", carrier.id, record.code, order.reference)
        return done(Result.HANDED_TO_STAFF)
    current, wanted = S(order.status), S(target)
    if current not in PROGRESS or PROGRESS[current] >= PROGRESS[wanted]:
        return done(Result.STALE)
    actor = f"carrier:{carrier.id}"
    for event_name, step in PATH:
        if PROGRESS[step] <= PROGRESS[current] or PROGRESS[step] > PROGRESS[wanted]:
            continue
        if orders.refusal(order, event_name) is not None:
            if event_name == "out_for_delivery":
                continue  # straight from shipped to delivered
            return done(Result.NOT_SHIPPABLE)
        orders.transition(session, order, event_name, actor, now,
                          note=f"{record.code} at {record.occurred_at:%Y-%m-%d %H:%M}", content=content)
    return done(Result.APPLIED)
