"""Carrier tracking events: mapped to order statuses by `flows/carriers.yaml`, applied once,
and never moving an order backwards ("in transit" after "delivered" changes nothing).
A code mapped to `problem` (damaged, lost, returned) hands the customer's chat to a person."""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.staff import handoffs
from bot.commerce import orders
from bot.content.aftercare_files import PROBLEM
from bot.content.shop import Content
from bot.db import insert_ignore
from bot.models import CarrierEvent, HandoffReason, Order
from bot.models import OrderStatus as S

log = logging.getLogger(__name__)

#: How far along delivery a status is; an event may only move an order forward on this path.
PROGRESS = {S.PENDING: 0, S.CONFIRMED: 1, S.PAID: 2, S.CASH_ON_DELIVERY: 2, S.PREPARED: 3, S.SHIPPED: 4,
            S.OUT_FOR_DELIVERY: 5, S.DELIVERED: 6}
#: Events to walk from the order's status to the carrier's (a "delivered" straight after "prepared" ships first).
PATH = [("ship", S.SHIPPED), ("out_for_delivery", S.OUT_FOR_DELIVERY), ("deliver", S.DELIVERED)]


def apply(session: Session, content: Content, event: dict, now: datetime) -> tuple[int, dict]:
    """Record one carrier event and move its order; returns (HTTP status, JSON answer)."""
    carrier = content.carriers.get(event["carrier"])
    inserted = session.execute(insert_ignore(session, CarrierEvent).values(
        event_id=event["event_id"], carrier=event["carrier"], tracking_number=event["tracking_number"],
        code=event["code"], occurred_at=event["time"], outcome="pending", received_at=now,
    ).returning(CarrierEvent.id)).scalar()
    if inserted is None:
        return 200, {"result": "duplicate", "event_id": event["event_id"]}
    record = session.get(CarrierEvent, inserted)

    def done(http_status: int, outcome: str, **extra) -> tuple[int, dict]:
        record.outcome = outcome
        return http_status, {"result": outcome, "event_id": event["event_id"], **extra}

    if carrier is None:
        log.warning("carrier event %s from unknown carrier %r kept, not applied", event["event_id"], event["carrier"])
        return done(422, "unknown carrier", known=sorted(content.carriers))
    target = carrier.codes.get(event["code"].upper())
    if target is None:
        log.warning("carrier %s event code %r is not in flows/carriers.yaml; kept, not applied", carrier.id, event["code"])
        return done(422, "unknown code", known=sorted(carrier.codes))
    order = session.scalars(select(Order).where(Order.tracking_number == event["tracking_number"],
                                                Order.carrier == carrier.id).with_for_update()).first()
    if order is None:
        return done(404, "no order with this tracking number")
    record.order_id = order.id
    if target == PROBLEM:  # an incident: the order stays where it is and a person takes the chat
        handoffs.for_order_problem(session, content, order.customer_id, HandoffReason.PROBLEM_ORDER, order.reference, now)
        log.warning("carrier %s reports %s for %s; handed to staff", carrier.id, event["code"], order.reference)
        return done(200, "handed to staff", status=order.status)
    current, wanted = S(order.status), S(target)
    if current not in PROGRESS or PROGRESS[current] >= PROGRESS[wanted]:
        return done(200, "stale", status=order.status)  # out of order, or already there
    actor = f"carrier:{carrier.id}"
    for event_name, step in PATH:
        if PROGRESS[step] <= PROGRESS[current] or PROGRESS[step] > PROGRESS[wanted]:
            continue
        if (S(order.status), event_name) not in orders.TRANSITIONS:
            if event_name == "out_for_delivery":
                continue  # straight from shipped to delivered
            return done(409, "not shippable", status=order.status)
        orders.transition(session, order, event_name, actor, now, note=f"{event['code']} at {event['time']:%Y-%m-%d %H:%M}",
                          content=content)
    return done(200, "applied", status=order.status)
