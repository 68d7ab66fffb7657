"""Handing a conversation to a person, and giving it back to the bot.

A handoff opens when the customer asks for a person, the bot misses too
often, an owner's keyword appears, a payment fails, or a staff member takes
over. While it is open the bot stays quiet (the engine's HANDOFF state) and
the chat waits in the staff inbox. It closes when staff hand it back, when
the customer types "menu" (if the owner allows it), or when nobody on the
team replied within `return_to_bot_after_minutes` of opening hours.
Domain functions: they change rows and return the customer's messages;
the caller's transaction commits them. They never set the conversation's
state: the engine does on a customer's message, and staff or the clock go
through `bot.conversation.states` (`hand_over`, `give_back`).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import customers
from bot.commerce.notifications import window_open
from bot.content.shop import Content
from bot.conversation import states
from bot.conversation.messages import Text
from bot.conversation.turn import buttons, text
from bot.models import Conversation, Customer, Handoff, HandoffReason, StaffMember
from bot.models.staff import REASON_LABELS
from bot.whatsapp import outbox

log = logging.getLogger(__name__)

def open_handoff_of(session: Session, customer_id: int, lock: bool = False) -> Handoff | None:
    query = select(Handoff).where(Handoff.customer_id == customer_id, Handoff.closed_at.is_(None))
    return session.scalars(query.with_for_update() if lock else query).first()


def _lang(content: Content, customer: Customer) -> str:
    return customer.language if customer.language in content.languages else content.default_language


def opens_text(content: Content, lang: str, now: datetime) -> str:
    """When the shop next opens, as the customer reads it: "tomorrow at 10:00"."""
    opening = content.hours.next_opening(now)
    if opening is None:
        return ""
    zone = ZoneInfo(content.hours.timezone)
    local, today = opening.astimezone(zone), now.astimezone(zone).date()
    time = local.strftime("%H:%M")
    if local.date() == today:
        return content.render("opens_today", lang, time=time)
    if local.date() == today + timedelta(days=1):
        return content.render("opens_tomorrow", lang, time=time)
    day = content.pack(lang).days[local.weekday()]  # the customer's language pack
    return content.render("opens_on", lang, day=day, time=time)


def expectation(content: Content, customer: Customer, now: datetime) -> Text:
    """What happens next: a reply in about X minutes, or when the shop opens."""
    lang = _lang(content, customer)
    who = {"name": customer.name}
    if content.hours.is_open(now):
        body = content.render("handoff_soon", lang, customer=who, minutes=content.handoff.reply_within_minutes)
    else:
        body = content.render("handoff_later", lang, customer=who, opens=opens_text(content, lang, now))
    if content.handoff.menu_returns_to_bot:
        body += "\n\n" + content.render("handoff_menu_hint", lang)
    return text(body)


def _return_at(content: Content, since: datetime) -> datetime | None:
    return content.hours.add_open_time(since, content.handoff.return_to_bot_after_minutes * 60)


def start(session: Session, content: Content, customer: Customer,
          reason: HandoffReason, now: datetime, detail: str | None = None,
          staff: StaffMember | None = None, link: str | None = None) -> tuple[Handoff, bool]:
    """Open a handoff for `customer` (or return the open one); (handoff, opened now).

    The caller moves the conversation to HANDOFF so the bot stays quiet (the
    engine on a customer's message, `states.hand_over` otherwise). A staff
    member taking over is assigned at once; any other reason waits in the
    inbox, and the staff phones in `handoff.alert_numbers` get a WhatsApp alert.
    """
    current = open_handoff_of(session, customer.id, lock=True)
    if current is not None:
        if staff is not None and current.assigned_to is None:
            assign(current, staff, now)
        return current, False
    handoff = Handoff(customer_id=customer.id, reason=reason, detail=detail, opened_at=now,
                      waiting_since=None if staff else now, return_at=None if staff else _return_at(content, now))
    if staff is not None:
        assign(handoff, staff, now)
    session.add(handoff)
    session.flush()
    if staff is None:
        _alert_staff(session, content, customer, handoff, now, link)
    log.info("customer %s handed to a person (%s)", customer.id, reason)
    return handoff, True


def _alert_staff(session: Session, content: Content, customer: Customer, handoff: Handoff,
                 now: datetime, link: str | None) -> None:
    for number in content.handoff.alert_numbers:
        if number == customer.wa_id:
            continue
        phone = customers.find_or_create(session, None, number, None, now)
        body = content.render("staff_alert", content.default_language,
                              name=customer.name or customer.wa_id or "A customer",
                              reason=REASON_LABELS[HandoffReason(handoff.reason)], link=link or "/staff")
        outbox.enqueue(session, phone, [text(body)], now, cause=f"handoff:{handoff.id}")


def assign(handoff: Handoff, staff: StaffMember | None, now: datetime) -> None:
    handoff.assigned_to, handoff.assigned_at = (staff.id, now) if staff else (None, None)


def customer_wrote(session: Session, customer: Customer, now: datetime) -> None:
    """A message while handed over: the chat waits for staff (again) from now."""
    handoff = open_handoff_of(session, customer.id)
    if handoff is not None and handoff.waiting_since is None:
        handoff.waiting_since = now


def staff_replied(content: Content, handoff: Handoff, staff: StaffMember, now: datetime) -> None:
    """Record the reply: the first response time, and a fresh deadline before the bot takes back the chat."""
    if handoff.first_response_at is None:
        handoff.first_response_at, handoff.first_response_by = now, staff.id
    handoff.last_staff_reply_at, handoff.waiting_since = now, None
    handoff.return_at = _return_at(content, now)


def finish(session: Session, content: Content, handoff: Handoff, how: str, now: datetime,
           staff: StaffMember | None = None) -> None:
    """Close the handoff and queue the customer's note for `how`.

    `how` is handed_back (staff) or timed_out (nobody replied): the customer
    is told, inside the 24-hour window and unless they said "stop". For
    customer (they typed "menu") the menu itself is the answer. The caller
    gives the chat back to the bot (the engine did for "menu";
    `states.give_back` for staff and the clock).
    """
    handoff.closed_at, handoff.close_reason = now, how
    handoff.closed_by = staff.id if staff else None
    handoff.waiting_since = handoff.return_at = None
    customer = session.get_one(Customer, handoff.customer_id)
    if how == "customer" or not window_open(customer, now) or customer.opted_out_at:
        return
    lang = _lang(content, customer)
    key = "handoff_back" if how == "handed_back" else "handoff_timeout"
    note = buttons(content.render(key, lang), [("menu", content.render("menu_button_short", lang))])
    outbox.enqueue(session, customer, [note], now, cause=f"handoff:{handoff.id}:{how}")


def sweep(session: Session, content: Content, now: datetime) -> int:
    """Give back to the bot the chats nobody on the team answered in time."""
    due = session.scalars(select(Handoff).where(Handoff.closed_at.is_(None), Handoff.return_at <= now)
                          .with_for_update(skip_locked=True)).all()
    for handoff in due:
        conversation = session.get(Conversation, handoff.customer_id, with_for_update=True)
        if conversation is not None:
            states.give_back(conversation)
        finish(session, content, handoff, "timed_out", now)
    if due:
        log.info("%d unanswered chat(s) returned to the bot", len(due))
    return len(due)


def for_order_problem(session: Session, content: Content, customer_id: int | None, reason: HandoffReason,
                      reference: str, now: datetime) -> None:
    """A payment failed or did not match: a person takes the chat, and the customer hears why."""
    if customer_id is None:
        return
    customer = session.get_one(Customer, customer_id)
    conversation = customers.lock_conversation(session, customer, states.StateName.MENU)
    states.hand_over(conversation)
    handoff, opened = start(session, content, customer, reason, now, detail=reference)
    if not opened or not window_open(customer, now):
        return  # staff see it in the inbox; a free-form message would be refused outside the window
    lang = _lang(content, customer)
    key = "handoff_payment_failed" if reason is HandoffReason.PAYMENT_FAILED else "handoff_problem_order"
    intro = content.render(key, lang, reference=reference)
    note = expectation(content, customer, now)
    outbox.enqueue(session, customer, [text(intro + "\n\n" + note.text)], now, cause=f"handoff:{handoff.id}")
