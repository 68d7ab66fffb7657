"""Order summaries drawn as cards in the staff transcript: reference, items, total and status.

The bot's checkout summary, its "order placed" message and an order's details
(the bot's answer to "where is my order", or shared by staff) are long texts
in WhatsApp markup; staff read an order faster as a card. Which order a
message is about is read from what the bot itself put there, never from the
wording (texts differ by shop and language): the summary's Confirm button
(`confirm:<ref>`), the placed message's Cancel button (`cancel_order:<ref>`),
or, for the details with their one "talk" button, the reference on the first
line. Only this customer's orders are drawn, as they are now (today's
status); a summary whose order was never placed stays the text it was.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import order_view
from bot.content.shop import Content
from bot.models import Order, OrderLine
from bot.staff.desk import status_name
from bot.whatsapp.webhook_body import as_object, as_text


@dataclass(frozen=True)
class OrderCard:
    reference: str
    lines: tuple[tuple[int, str, str], ...]  # (quantity, name with its options, line total)
    total: str
    status: str  # "Shipped", as the order desk says it
    status_key: str  # "shipped", for its colour
    payment: str  # "Paid", "Cash on delivery"...
    with_text: bool = False  # the message says more than the order (the "placed" thanks): keep its text


def named_order(spec, references: Iterable[str]) -> tuple[str, bool] | None:
    """(reference, keep the text) when the stored outbound `spec` is one of the order messages above."""
    spec = as_object(spec)
    ids = [as_text(as_object(b).get("id")) for b in spec.get("buttons") or []]
    for id_ in ids:
        kind, _, reference = id_.partition(":")
        if kind in ("confirm", "cancel_order") and reference:
            return reference, kind == "cancel_order"
    if ids == ["talk"]:
        first = as_text(spec.get("text")).split("\n", 1)[0]
        return next(((r, False) for r in references if r in first), None)
    return None


def cards(session: Session, content: Content, customer_id: int, specs: dict[int, object]) -> dict[int, OrderCard]:
    """outbox id -> the card of the order its message is about, for this customer's orders only."""
    mine = {o.reference: o for o in session.scalars(select(Order).where(Order.customer_id == customer_id))}
    named = {row_id: found for row_id, spec in specs.items() if (found := named_order(spec, mine))}
    wanted = {mine[ref].id for ref, _keep in named.values() if ref in mine}
    lines: dict[int, list[OrderLine]] = {}
    for line in session.scalars(select(OrderLine).where(OrderLine.order_id.in_(wanted)).order_by(OrderLine.id)):
        lines.setdefault(line.order_id, []).append(line)

    def money(order: Order, minor: int) -> str:
        return order_view.money(content, minor, order.currency)

    drawn: dict[int, OrderCard] = {}
    for row_id, (ref, keep) in named.items():
        order = mine.get(ref)
        if order is None:
            continue
        items = tuple((x.quantity, f"{x.name} ({x.options})" if x.options else x.name, money(order, x.total))
                      for x in lines.get(order.id, []))
        drawn[row_id] = OrderCard(ref, items, money(order, order.total), status_name(order.status), order.status,
                                  status_name(order.payment_status), keep)
    return drawn
