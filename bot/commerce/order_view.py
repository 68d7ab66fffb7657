"""An order as the customer sees it: the variables owner texts and templates get."""
from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import formats
from bot.content.shop import Content
from bot.models import Order, OrderHistory


def money(content: Content, minor: int, currency: str, lang: str | None = None) -> str:
    """'€16.50' for English, '16,50 €' for Spanish: as `lang`'s locale writes prices."""
    return formats.money(minor, currency, content.locale(lang))


def when(content: Content, moment: datetime, lang: str | None = None) -> str:
    """'24 Nov, 10:32' in the shop's timezone, as `lang`'s locale writes it."""
    zone = ZoneInfo(content.shop.get("timezone") or "UTC")
    return formats.moment(moment.astimezone(zone), content.locale(lang))


def status_label(content: Content, status: str, lang: str | None = None) -> str:
    key = f"status_label_{status}"
    return content.render(key, lang) if content.has_text(key) else status.replace("_", " ")


def eta(content: Content, order: Order, lang: str | None) -> str:
    """The expected delivery in `lang`: the delivery option's own eta translated, or what staff wrote."""
    option = content.checkout.delivery_option(order.delivery_method)
    if option is not None and order.expected_delivery == option.eta:
        return option.eta_in(lang)
    return order.expected_delivery or ""


def tracking_url(content: Content, order: Order) -> str:
    carrier = content.carriers.get(order.carrier or "")
    return carrier.url_for(order.tracking_number) if carrier and order.tracking_number else ""


def variables(content: Content, order: Order, session: Session | None = None, history_steps: int = 0,
              lang: str | None = None) -> dict:
    carrier = content.carriers.get(order.carrier or "")
    result: dict[str, Any] = {
        "reference": order.reference, "name": order.customer_name or "",
        "status": status_label(content, order.status, lang),
        "total": money(content, order.total, order.currency, lang),
        "carrier": carrier.name if carrier else (order.carrier or ""),
        "tracking_number": order.tracking_number or "", "tracking_url": tracking_url(content, order),
        "eta": eta(content, order, lang), "changed": when(content, order.updated_at, lang), "history": [],
    }
    if session is not None and history_steps:
        steps = session.scalars(select(OrderHistory).where(OrderHistory.order_id == order.id)
                                .order_by(OrderHistory.at.desc(), OrderHistory.id.desc()).limit(history_steps)).all()
        result["history"] = [{"when": when(content, h.at, lang), "status": status_label(content, h.to_status, lang)}
                             for h in reversed(steps)]
    return result
