"""Figures about orders: revenue and counts, where orders come from, best sellers, operations."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from bot.models import Order, OrderHistory, OrderLine, OrderStatus, OutboundMessage, OutboundStatus, PaymentStatus
from bot.reports.period import Period, by_bucket
from bot.reports.sql import percentiles, seconds_between

#: Orders that are money in (or coming): confirmed or later, not cancelled or refunded.
SOLD_STATUSES = (OrderStatus.CONFIRMED, OrderStatus.PREPARED, OrderStatus.SHIPPED, OrderStatus.OUT_FOR_DELIVERY,
                 OrderStatus.DELIVERED)
SOLD = and_(Order.status.in_(SOLD_STATUSES), Order.payment_status != PaymentStatus.REFUNDED)


def _in(period: Period, column):
    return and_(column >= period.start, column < period.end)


def totals(session: Session, period: Period) -> dict:
    placed = session.scalar(select(func.count()).where(_in(period, Order.created_at))) or 0
    sold, revenue = session.execute(select(func.count(), func.coalesce(func.sum(Order.total), 0)).where(
        _in(period, Order.created_at), SOLD)).one()
    return {"orders_placed": placed, "orders_sold": sold, "revenue": int(revenue),
            "average_order_value": round(revenue / sold) if sold else None}


def per_bucket(session: Session, period: Period, size: str) -> dict[str, tuple[int, int]]:
    """label -> (orders placed, revenue of the sold ones), per local day or week."""
    sold = func.coalesce(func.sum(case((SOLD, Order.total), else_=0)), 0)
    return {label: (count, int(revenue)) for label, (count, revenue) in
            by_bucket(session, period, size, Order.created_at, func.count(Order.id), sold).items()}


def sources(session: Session, period: Period) -> list[dict]:
    """Orders by where they came from (chat, WhatsApp's cart, website, a link) and the link's tag."""
    rows = session.execute(select(Order.source, Order.source_tag, func.count(),
                                  func.coalesce(func.sum(Order.total), 0))
                           .where(_in(period, Order.created_at))
                           .group_by(Order.source, Order.source_tag)
                           .order_by(func.count().desc(), Order.source, Order.source_tag)).all()
    return [{"source": s, "tag": t, "orders": n, "value": int(v)} for s, t, n, v in rows]


def best_sellers(session: Session, period: Period, limit: int = 10) -> list[dict]:
    rows = session.execute(select(OrderLine.sku, func.max(OrderLine.name), func.sum(OrderLine.quantity),
                                  func.sum(OrderLine.total))
                           .join(Order, Order.id == OrderLine.order_id)
                           .where(_in(period, Order.created_at), SOLD)
                           .group_by(OrderLine.sku)
                           .order_by(func.sum(OrderLine.quantity).desc(), OrderLine.sku).limit(limit)).all()
    return [{"sku": sku, "name": name, "units": int(units), "revenue": int(revenue)}
            for sku, name, units, revenue in rows]


def forgotten(session: Session, now: datetime, hours: int) -> list[dict]:
    """Pending orders older than the owner's limit, right now (not only in the period)."""
    rows = session.execute(select(Order.reference, Order.customer_name, Order.created_at, Order.total).where(
        Order.status == OrderStatus.PENDING, Order.created_at < now - timedelta(hours=hours))
        .order_by(Order.created_at)).all()
    return [{"reference": r, "name": n, "created_at": c.isoformat(), "total": t} for r, n, c, t in rows]


def failed_messages(session: Session, period: Period) -> list[dict]:
    rows = session.execute(select(OutboundMessage.error_code, OutboundMessage.error_title, func.count())
                           .where(_in(period, OutboundMessage.created_at),
                                  OutboundMessage.status.in_((OutboundStatus.FAILED, OutboundStatus.DEAD)))
                           .group_by(OutboundMessage.error_code, OutboundMessage.error_title)
                           .order_by(func.count().desc(), OutboundMessage.error_code)).all()
    return [{"code": code, "reason": title or "unknown", "count": n} for code, title, n in rows]


def order_to_delivery(session: Session, period: Period) -> dict:
    """Hours from placing an order to its delivery, for orders delivered in the period."""
    delivered = (select(seconds_between(session, OrderHistory.at, Order.created_at).label("v"))
                 .join(Order, Order.id == OrderHistory.order_id)
                 .where(OrderHistory.to_status == OrderStatus.DELIVERED, _in(period, OrderHistory.at)).subquery())
    p = percentiles(session, delivered)
    count = session.scalar(select(func.count()).select_from(delivered)) or 0
    hours = {k: round(v / 3600, 1) if v is not None else None for k, v in p.items()}
    return {"orders": count, "median_hours": hours[0.5], "p90_hours": hours[0.9]}
