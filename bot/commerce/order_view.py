"""An order as the customer sees it: the variables owner texts and templates get."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce.money import format_money
from bot.content.shop import Content
from bot.models import Order, OrderHistory


def money(content: Content, minor: int, currency: str) -> str:
    return format_money(minor, currency, content.shop.get("price_format"), content.shop.get("decimal_separator", "."))


def when(content: Content, moment: datetime) -> str:
    """'24 Nov, 10:32' in the shop's timezone."""
    zone = ZoneInfo(content.shop.get("timezone") or "UTC")
    return moment.astimezone(zone).strftime("%-d %b, %H:%M")


def status_label(content: Content, status: str, lang: str | None = None) -> str:
    key = f"status_label_{status}"
    return content.render(key, lang) if content.has_text(key) else status.replace("_", " ")


def tracking_url(content: Content, order: Order) -> str:
    carrier = content.carriers.get(order.carrier or "")
    return carrier.url_for(order.tracking_number) if carrier and order.tracking_number else ""


def variables(content: Content, order: Order, session: Session | None = None, history_steps: int = 0,
              lang: str | None = None) -> dict:
    carrier = content.carriers.get(order.carrier or "")
    result: dict[str, Any] = {
        "reference": order.reference, "name": order.customer_name or "",
        "status": status_label(content, order.status, lang),
        "total": money(content, order.total, order.currency),
        "carrier": carrier.name if carrier else (order.carrier or ""),
        "tracking_number": order.tracking_number or "", "tracking_url": tracking_url(content, order),
        "eta": order.expected_delivery or "", "changed": when(content, order.updated_at), "history": [],
    }
    if session is not None and history_steps:
        steps = session.scalars(select(OrderHistory).where(OrderHistory.order_id == order.id)
                                .order_by(OrderHistory.at.desc(), OrderHistory.id.desc()).limit(history_steps)).all()
        result["history"] = [{"when": when(content, h.at), "status": status_label(content, h.to_status, lang)}
                             for h in reversed(steps)]
    return result
