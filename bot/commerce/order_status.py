"""Answering "where is my order?": one order in detail, or a choice between open ones.

A reference that is unknown, or belongs to someone else, gets the same
helpful answer, so a guessed reference reveals nothing.
"""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import order_view
from bot.content.shop import Content
from bot.conversation import effects
from bot.conversation.effects import Context, Outcome
from bot.conversation.messages import Button, Buttons, List, Row, Section, Text
from bot.models import Customer, Order, OrderStatus

HISTORY_STEPS = 4
CLOSED = (OrderStatus.DELIVERED, OrderStatus.CANCELLED)


def details(session: Session, content: Content, customer: Customer, order: Order) -> Buttons:
    lang = customer.language
    variables = order_view.variables(content, order, session, history_steps=HISTORY_STEPS, lang=lang)
    body = content.render("order_details", lang, customer={"name": customer.name}, order=variables)
    return Buttons(body, (Button("talk", content.render("talk_button", lang)),))


def answer(ctx: Context, effect: effects.OrderStatus) -> Outcome:
    """The `OrderStatus` effect: a reference, or all of this customer's orders."""
    session, content, customer = ctx.session, ctx.content, ctx.customer
    who, lang = {"name": customer.name}, customer.language
    reference = effect.reference
    if reference:
        order = session.scalars(select(Order).where(Order.reference == reference)).first()
        if order is None or order.customer_id != customer.id:
            return Outcome([Text(content.render("order_unknown", lang, customer=who, reference=reference))])
        return Outcome([details(session, content, customer, order)])
    mine = session.scalars(select(Order).where(Order.customer_id == customer.id)
                           .order_by(Order.created_at.desc()).limit(20)).all()
    open_orders = [o for o in mine if o.status not in CLOSED]
    shown = open_orders or mine[:1]
    # A number that is not one of our references: said so, then what the customer has (only theirs).
    unknown = [Text(content.render("order_number_unknown", lang, customer=who, reference=effect.typed))
               ] if effect.typed and shown else []
    if not shown:
        key = "order_number_none" if effect.typed else "no_orders"
        return Outcome([Text(content.render(key, lang, customer=who, reference=effect.typed))])
    if len(shown) == 1:
        return Outcome([*unknown, details(session, content, customer, shown[0])])
    rows = tuple(Row(f"track:{o.reference}", o.reference,
                     content.render("order_row", lang, status=order_view.status_label(content, o.status, lang),
                                    total=order_view.money(content, o.total, o.currency, lang)))
                 for o in shown[:10])
    title = content.render("choose_order_list", lang)
    return Outcome([*unknown, List(content.render("choose_order", lang, customer=who), title, (Section(title, rows),))])
