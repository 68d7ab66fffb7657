"""Meta's `user_preferences` webhook: a customer stopped (or resumed) marketing messages in WhatsApp itself.

WhatsApp lets a user stop a business's marketing messages from the chat's
menu, without writing to it; Meta then refuses marketing templates to them
(error 131050) and tells the business in this webhook. Recording it as an
opt-out (source `whatsapp`) keeps the customer's consent true everywhere the
shop looks (the staff pane, campaigns' audiences, the automations), and a
"resume" or a "signup" from Meta opts them back in the same way. Only
`category: marketing_messages` is read; a number the shop never talked to is
kept in the stored event and nothing else.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from bot.commerce import consent
from bot.models import ConsentSource, Customer, InboundEvent

log = logging.getLogger(__name__)

FIELD = "user_preferences"
#: Meta's `value` for each preference change, and whether it means opted in.
VALUES = {"stop": False, "resume": True, "signup": True}


def handle(session: Session, event: InboundEvent, now: datetime) -> int:
    """Record every marketing preference of a stored `user_preferences` change; the number recorded."""
    record = event.payload or {}
    if record.get("field") != FIELD:
        return 0
    value = record.get("value")
    if not isinstance(value, dict):
        return 0
    changed = 0
    for preference in value.get("user_preferences") or []:
        if not isinstance(preference, dict) or preference.get("category") != "marketing_messages":
            continue
        opted_in = VALUES.get(str(preference.get("value") or "").lower())
        customer = _customer(session, preference)
        if opted_in is None or customer is None:
            continue
        event.customer_id = event.customer_id or customer.id
        change = consent.opt_in if opted_in else consent.opt_out
        detail = str(preference.get("detail") or preference.get("value"))[:256]
        if change(session, customer, ConsentSource.WHATSAPP, now, detail=detail):
            changed += 1
            log.info("customer %s %s marketing in WhatsApp", customer.id, "resumed" if opted_in else "stopped")
    return changed


def _customer(session: Session, preference: dict) -> Customer | None:
    """The customer a preference names, by phone (`wa_id`) or business-scoped user id (`user_id`)."""
    wa_id, bsuid = preference.get("wa_id"), preference.get("user_id")
    ids = [Customer.wa_id == str(wa_id)] if wa_id else []
    ids += [Customer.bsuid == str(bsuid)] if bsuid else []
    if not ids:
        return None
    return session.scalars(select(Customer).where(or_(*ids)).with_for_update()).first()
