"""What the engine asks for but cannot do itself: it never touches the database.

The engine returns `{"type": "action", "action": NAME, ...}` among its
replies; inbound runs `ACTIONS[NAME]` in the same transaction as the
conversation step. Each returns the messages the customer gets.
"""
from __future__ import annotations

from datetime import datetime
from typing import Callable

from sqlalchemy.orm import Session

from flask import current_app, has_app_context

from bot.commerce import checkout, order_status
from bot.staff import handoffs
from bot.content.shop import Content
from bot.models import Conversation, ConversationEvent, Customer, HandoffReason


def record(session: Session, content: Content, customer: Customer, conversation: Conversation,
           action: dict, now: datetime, event) -> list[dict]:
    """Store a conversation event (a miss, an FAQ answer, a search without results) for the reports."""
    session.add(ConversationEvent(customer_id=customer.id, kind=action["kind"], detail=action.get("detail"),
                                  text=action.get("text"), at=now))
    return []


def opt_out(session: Session, content: Content, customer: Customer, conversation: Conversation,
            action: dict, now: datetime, event) -> list[dict]:
    """"stop" and "start": no reminders or updates the customer did not ask for."""
    customer.opted_out_at = now if action["out"] else None
    return []


def handoff(session: Session, content: Content, customer: Customer, conversation: Conversation,
            action: dict, now: datetime, event) -> list[dict]:
    """Hand the chat to a person (or repeat what happens next if it already is)."""
    link = None
    if has_app_context() and current_app.config.get("PUBLIC_URL"):
        link = f"{current_app.config['PUBLIC_URL'].rstrip('/')}/staff/chats/{customer.id}"
    handoffs.start(session, content, customer, conversation, HandoffReason(action["reason"]), now,
                   detail=action.get("detail"), link=link)
    return [handoffs.expectation(content, customer, now)]


def handoff_end(session: Session, content: Content, customer: Customer, conversation: Conversation,
                action: dict, now: datetime, event) -> list[dict]:
    """The customer typed "menu" while waiting for a person: the bot has the chat again."""
    current = handoffs.open_handoff_of(session, customer.id, lock=True)
    if current is not None:
        handoffs.finish(session, content, current, "customer", now)
    return []


ACTIONS: dict[str, Callable[..., list[dict]]] = {
    "place_order": checkout.place_order,
    "find_order": checkout.find_order,
    "cancel_order": checkout.cancel_order,
    "order_status": order_status.answer,
    "record": record,
    "opt_out": opt_out,
    "handoff": handoff,
    "handoff_end": handoff_end,
}
