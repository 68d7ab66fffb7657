"""Carrying out what the engine asks for but cannot do itself: it never touches the database.

The engine returns typed effects (`bot.conversation.effects`) among its
replies; inbound runs each through `perform` in the same transaction as the
conversation step. A handler gets one `Context` and the effect, and returns
an `Outcome`: the messages the customer gets and, when the domain's answer
changes where the conversation is (an order placed, a website order taken
over), the state inbound applies.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from sqlalchemy import Table, insert

from bot.commerce import checkout, consent, order_status, stock_alerts
from bot.conversation import effects
from bot.conversation.effects import Context, Effect, Outcome
from bot.models import ConsentSource, ConversationEvent, HandoffReason
from bot.staff import handoffs

#: Most customer messages record an event: a Core INSERT on the session's connection, built once, with
#: no object, no autoflush and no id read back (nothing reads it) saved about 0.6 ms of the step's 6
#: in process (issue 14).
_RECORD = insert(cast(Table, ConversationEvent.__table__))


def record(ctx: Context, effect: effects.Record) -> Outcome:
    """Store a conversation event (a miss, an FAQ answer, a search without results) for the reports."""
    ctx.session.connection().execute(_RECORD, {"customer_id": ctx.customer.id, "kind": effect.kind,
                                               "detail": effect.detail, "text": effect.text, "at": ctx.now})
    return Outcome()


def opt_out(ctx: Context, effect: effects.OptOut) -> Outcome:
    """"stop" and "start": no reminders or updates the customer did not ask for."""
    ctx.customer.opted_out_at = ctx.now if effect.out else None
    return Outcome()


def set_marketing_consent(ctx: Context, effect: effects.SetMarketingConsent) -> Outcome:
    """Record the customer's yes or no to marketing, with its time and source (the owner's proof)."""
    change = consent.opt_in if effect.opted_in else consent.opt_out
    change(ctx.session, ctx.customer, ConsentSource(effect.source), ctx.now)
    return Outcome()


def handoff(ctx: Context, effect: effects.Handoff) -> Outcome:
    """Hand the chat to a person (or repeat what happens next if it already is)."""
    link = f"{ctx.public_url.rstrip('/')}/staff/chats/{ctx.customer.id}" if ctx.public_url else None
    handoffs.start(ctx.session, ctx.content, ctx.customer, HandoffReason(effect.reason), ctx.now,
                   detail=effect.detail, link=link)
    return Outcome([handoffs.expectation(ctx.content, ctx.customer, ctx.now)])


def handoff_end(ctx: Context, effect: effects.HandoffEnd) -> Outcome:
    """The customer typed "menu" while waiting for a person: the bot has the chat again."""
    current = handoffs.open_handoff_of(ctx.session, ctx.customer.id, lock=True)
    if current is not None:
        handoffs.finish(ctx.session, ctx.content, current, "customer", ctx.now)
    return Outcome()


#: Each effect's handler, by the effect's type.
HANDLERS: dict[type, Callable[[Context, Any], Outcome]] = {
    effects.PlaceOrder: checkout.place_order,
    effects.FindOrder: checkout.find_order,
    effects.CancelOrder: checkout.cancel_order,
    effects.OrderStatus: order_status.answer,
    effects.Record: record,
    effects.OptOut: opt_out,
    effects.SetMarketingConsent: set_marketing_consent,
    effects.Handoff: handoff,
    effects.HandoffEnd: handoff_end,
    effects.AlertWhenBack: stock_alerts.subscribe,
}
assert set(HANDLERS) == set(effects.EFFECTS), "an effect nobody carries out"


def perform(ctx: Context, effect: Effect) -> Outcome:
    """Carry out `effect` with the handler for its type."""
    return HANDLERS[type(effect)](ctx, effect)
