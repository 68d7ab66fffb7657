"""Who a message is from: customers keyed by BSUID and/or phone number.

Meta may send a business-scoped user id (`user_id`, the BSUID) with or
without the phone number (`wa_id`), so either can identify a customer and the
first message that carries both links them.
"""
from __future__ import annotations

import functools
import re
from datetime import datetime

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from bot.db import insert_ignore
from bot.models import Conversation, Customer


def identity(message: dict, contact: dict | None) -> tuple[str | None, str | None]:
    """(bsuid, wa_id) of a message's sender; phone numbers must be digits."""
    contact = contact or {}
    bsuid = message.get("from_user_id") or contact.get("user_id") or None
    wa_id = message.get("from")
    if not (isinstance(wa_id, str) and wa_id.isdigit()):
        wa_id = contact.get("wa_id") if str(contact.get("wa_id") or "").isdigit() else None
    return bsuid, wa_id


#: A phone number a website or an import may give: the country code and number, 8 to 15 digits, with an
#: optional + and spaces, dots, dashes or brackets between them (JSON Schema and Python read it alike).
PHONE_PATTERN = r"^\+?[ ().-]*(?:[0-9][ ().-]*){8,15}$"
PHONE_RULE = ("must be a WhatsApp number with its country code, 8 to 15 digits (spaces, dashes and a leading + "
              "are fine), like +34 600 111 222")


def phone_digits(text: str) -> str | None:
    """The digits of a phone number as WhatsApp names the customer (`wa_id`), or None when it is not one."""
    return re.sub(r"[^0-9]", "", text) if re.fullmatch(PHONE_PATTERN[1:-1], text) else None


def find_or_create(session: Session, bsuid: str | None, wa_id: str | None,
                   name: str | None, now: datetime) -> Customer:
    """The customer for these ids, created if new; fills in ids and name learned now.

    Safe under concurrency: creation is an INSERT that ignores conflicts,
    followed by a read, so two first messages at once make one customer.
    """
    if not bsuid and not wa_id:
        raise ValueError("a customer needs a BSUID or a phone number")
    customer, others = _lookup(session, bsuid, wa_id)
    if customer is None:  # a first message: the INSERT returns the new row (none when a concurrent one won)
        customer = _insert(session, bsuid, wa_id, name, now)
        if customer is None:
            customer, others = _lookup(session, bsuid, wa_id)
        assert customer is not None, "the insert or a concurrent one made the row"
    if bsuid and not customer.bsuid:
        customer.bsuid = bsuid
    if wa_id and not customer.wa_id and not others:
        customer.wa_id = wa_id
    if name:
        customer.name = name
    return customer


def _insert(session: Session, bsuid: str | None, wa_id: str | None, name: str | None,
            now: datetime) -> Customer | None:
    """A new customer row; None when a customer holds one of the ids already (or a concurrent first
    message just made it)."""
    return session.scalars(insert_ignore(session, Customer).values(
        bsuid=bsuid, wa_id=wa_id, name=name, created_at=now).returning(Customer)).first()


@functools.cache
def _by_ids(bsuid: bool, wa_id: bool):
    """The customers holding a BSUID and/or phone number (bound at execution), built once per shape."""
    clauses = ([Customer.bsuid == bindparam("bsuid")] if bsuid else []) + (
        [Customer.wa_id == bindparam("wa_id")] if wa_id else [])
    return select(Customer).where(or_(*clauses))


def _lookup(session: Session, bsuid: str | None, wa_id: str | None) -> tuple[Customer | None, list[Customer]]:
    """The best match and any other customer holding one of the ids."""
    found = session.scalars(_by_ids(bool(bsuid), bool(wa_id)), {"bsuid": bsuid, "wa_id": wa_id}).all()
    # Prefer the BSUID match: it is the stable id when a phone number changes hands.
    best = next((c for c in found if bsuid and c.bsuid == bsuid), found[0] if found else None)
    return best, [c for c in found if c is not best]


@functools.cache
def _known_with_conversation(bsuid: bool, wa_id: bool):
    """The customers holding these ids joined with their conversations, locked (built once per shape)."""
    return (_by_ids(bsuid, wa_id).add_columns(Conversation).join(Conversation, Conversation.customer_id == Customer.id)
            .with_for_update(of=Conversation).execution_options(populate_existing=True))


def with_conversation(session: Session, bsuid: str | None, wa_id: str | None, name: str | None, now: datetime,
                      initial_state: str) -> tuple[Customer, Conversation]:
    """The customer a message is from and their conversation, locked for this transaction; both made
    when new (see `find_or_create`, `lock_conversation`).

    A returning customer who already holds every id the message carries, the usual case, costs one
    statement: customer and conversation read together. A new customer costs three: that read, then
    the customer's and the conversation's INSERTs. Anything else (ids to link, a customer with no
    conversation yet, a concurrent first message) takes the general path.
    """
    rows = session.execute(_known_with_conversation(bool(bsuid), bool(wa_id)), {"bsuid": bsuid, "wa_id": wa_id}).all()
    if len(rows) == 1:
        customer, conversation = rows[0]
        if (not bsuid or customer.bsuid == bsuid) and (not wa_id or customer.wa_id == wa_id):
            if name:
                customer.name = name
            return customer, conversation
    if not rows and (new := _insert(session, bsuid, wa_id, name, now)) is not None:
        return new, lock_conversation(session, new, initial_state, new=True)
    customer = find_or_create(session, bsuid, wa_id, name, now)
    return customer, lock_conversation(session, customer, initial_state)


@functools.cache
def _conversation_locked():
    return (select(Conversation).where(Conversation.customer_id == bindparam("customer_id"))
            .with_for_update().execution_options(populate_existing=True))


def lock_conversation(session: Session, customer: Customer, initial_state: str, new: bool = False) -> Conversation:
    """The customer's conversation row, locked for this transaction (created if new; `new`: the customer
    was made in this transaction, so there is none to read yet)."""
    query, params = _conversation_locked(), {"customer_id": customer.id}
    conversation = None if new else session.scalars(query, params).first()
    if conversation is None:  # the first message: create it (or find the one a concurrent first message made)
        conversation = session.scalars(insert_ignore(session, Conversation).values(
            customer_id=customer.id, state=initial_state, data={}).returning(Conversation)).first()
        if conversation is None:
            conversation = session.scalars(query, params).one()
    return conversation
