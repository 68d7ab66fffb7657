"""CSV exports for the owner's spreadsheet: one row per order, one row per conversation."""
from __future__ import annotations

import io
from collections.abc import Iterator
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.models import Customer, EventKind, Handoff, InboundEvent, Order, OutboundMessage
from bot.reports import spreadsheet
from bot.reports.period import Period

ORDER_COLUMNS = ("reference", "placed", "status", "source", "source_tag", "customer", "phone", "delivery", "address",
                 "payment", "subtotal", "shipping", "total", "currency", "paid_at", "carrier", "tracking_number")
CONVERSATION_COLUMNS = ("customer", "phone", "language", "first_message", "last_message", "messages_in",
                        "messages_out", "handoffs", "orders", "order_value")


def _money(minor: int | None) -> str:
    return "" if minor is None else f"{minor / 100:.2f}"


def _local(moment, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def _csv(header, rows) -> Iterator[str]:
    buffer = io.StringIO()
    writer = spreadsheet.writer(buffer)
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(row)
        yield buffer.getvalue()


def orders_csv(session: Session, period: Period) -> Iterator[str]:
    zone = ZoneInfo(period.zone)
    orders = session.scalars(select(Order).where(Order.created_at >= period.start, Order.created_at < period.end)
                             .order_by(Order.created_at)).all()
    return _csv(ORDER_COLUMNS, ([o.reference, _local(o.created_at, zone), o.status, o.source, o.source_tag or "",
                                 o.customer_name or "", o.phone or "", o.delivery_title or "", o.address or "",
                                 o.payment_method or "", _money(o.subtotal), _money(o.shipping_fee), _money(o.total),
                                 o.currency, _local(o.paid_at, zone), o.carrier or "", o.tracking_number or ""]
                                for o in orders))


def conversations_csv(session: Session, period: Period) -> Iterator[str]:
    """One row per customer who wrote in the period, with what came of it."""
    zone = ZoneInfo(period.zone)
    inbound = (select(InboundEvent.customer_id.label("cid"), func.min(InboundEvent.received_at).label("first"),
                      func.max(InboundEvent.received_at).label("last"), func.count().label("n"))
               .where(InboundEvent.kind == EventKind.MESSAGE, InboundEvent.received_at >= period.start,
                      InboundEvent.received_at < period.end, InboundEvent.customer_id.is_not(None))
               .group_by(InboundEvent.customer_id).subquery())

    def per_customer(model, column, *extra):
        return (select(model.customer_id.label("cid"), *extra)
                .where(column >= period.start, column < period.end).group_by(model.customer_id).subquery())

    out = per_customer(OutboundMessage, OutboundMessage.created_at, func.count().label("n"))
    handed = per_customer(Handoff, Handoff.opened_at, func.count().label("n"))
    bought = per_customer(Order, Order.created_at, func.count().label("n"), func.sum(Order.total).label("value"))
    rows = session.execute(
        select(Customer, inbound.c.first, inbound.c.last, inbound.c.n, out.c.n, handed.c.n, bought.c.n, bought.c.value)
        .join(inbound, inbound.c.cid == Customer.id).outerjoin(out, out.c.cid == Customer.id)
        .outerjoin(handed, handed.c.cid == Customer.id).outerjoin(bought, bought.c.cid == Customer.id)
        .order_by(inbound.c.first)).all()
    return _csv(CONVERSATION_COLUMNS, ([c.name or "", c.wa_id or "", c.language or "", _local(first, zone),
                                        _local(last, zone), n_in, n_out or 0, n_handoffs or 0, n_orders or 0,
                                        _money(value) if value is not None else "0.00"]
                                       for c, first, last, n_in, n_out, n_handoffs, n_orders, value in rows))
