"""Marketing consent: opting a customer in or out, and whether a marketing message may go to them.

Meta's rule, and ours: marketing messages (offers, abandoned carts, back in
stock, broadcasts) go only to customers who opted in; utility messages about
the customer's own order (confirmations, status updates, invoices) do not
need it. An opt-in comes from the chat's menu, the question after an order,
the website or an import; "stop" opts out at once and "start" opts back in.

An opt-out also takes back the marketing already waiting in the outbox
(`withdraw_queued`): a broadcast or a reminder queued a moment before "stop"
is never sent after it.

Every change is a `ConsentEvent` row, the owner's proof of when and how
consent was given; the customer row keeps the current answer so campaigns
filter on it. Domain functions: they change objects and never commit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.commerce.broadcasts import OPTED_OUT_SINCE
from bot.models import (
    CampaignRecipient,
    ConsentEvent,
    ConsentSource,
    Customer,
    OutboundMessage,
    OutboundStatus,
    RecipientStatus,
)

#: The error title of a message sent first that an opt-out took back from the outbox.
WITHDRAWN = "not sent: the customer opted out of marketing first"


def may_send_marketing(customer: Customer) -> bool:
    """Whether a marketing message may go to `customer`: only after an opt-in not withdrawn since."""
    return customer.marketing_opt_in is True


def answered(customer: Customer) -> bool:
    """Whether the customer ever said yes or no to marketing (the checkout asks only those who did not)."""
    return customer.marketing_opt_in is not None


def opt_in(session: Session, customer: Customer, source: ConsentSource, at: datetime,
           detail: str | None = None) -> bool:
    """Opt `customer` in to marketing from `source`; False when they already were (nothing is written).

    A repeated opt-in keeps the first one's time and source: that is the
    consent the owner relies on.
    """
    return _set(session, customer, True, source, at, detail)


def opt_out(session: Session, customer: Customer, source: ConsentSource, at: datetime,
            detail: str | None = None) -> bool:
    """Opt `customer` out of marketing from `source`, at once; False when they already were out.

    Either way their marketing still in the outbox is taken back (`withdraw_queued`): a typed
    "stop" from a customer who never opted in still ends an abandoned-cart reminder queued for them.
    """
    changed = _set(session, customer, False, source, at, detail)
    withdraw_queued(session, customer, at)
    return changed


def withdraw_queued(session: Session, customer: Customer, at: datetime) -> int:
    """Dead-letter the customer's messages sent first (outbox rows with a `source`: broadcasts,
    abandoned carts, back in stock) that no sender has claimed yet, and mark their campaign
    recipients skipped; how many.

    Done here, in the opt-out's own transaction, rather than by the sender re-checking consent
    when it claims a row: it is one UPDATE of the unclaimed rows (queued or held) and it is
    correct across processes. A sender claims rows with `FOR UPDATE SKIP LOCKED` and marks them
    `sending` in the same statement, so each row is either claimed first (already on its way to
    Meta: nothing can recall it) or dead once this commits, and never both; the claim, which runs
    for every reply, stays one statement without a join on customers.
    """
    ids = session.scalars(update(OutboundMessage).where(
        OutboundMessage.customer_id == customer.id, OutboundMessage.source.is_not(None),
        OutboundMessage.status.in_((OutboundStatus.QUEUED, OutboundStatus.HELD)), OutboundMessage.sent_at.is_(None))
        .values(status=OutboundStatus.DEAD, error_code=None, error_title=WITHDRAWN, status_at=at)
        .returning(OutboundMessage.id).execution_options(synchronize_session="fetch")).all()
    if ids:
        session.execute(update(CampaignRecipient).where(CampaignRecipient.outbox_id.in_(ids))
                        .values(status=RecipientStatus.SKIPPED, skip_reason=OPTED_OUT_SINCE)
                        .execution_options(synchronize_session="fetch"))
    return len(ids)


def _set(session: Session, customer: Customer, opted_in: bool, source: ConsentSource, at: datetime,
         detail: str | None) -> bool:
    if customer.marketing_opt_in is opted_in:
        return False
    customer.marketing_opt_in, customer.marketing_consent_at = opted_in, at
    customer.marketing_consent_source = source
    if customer.id is None:
        session.flush()  # a customer created in this transaction needs its id for the history row
    session.add(ConsentEvent(customer_id=customer.id, opted_in=opted_in, source=source, detail=detail, at=at))
    return True


def history(session: Session, customer: Customer) -> list[ConsentEvent]:
    """Every consent change of `customer`, oldest first."""
    return list(session.scalars(select(ConsentEvent).where(ConsentEvent.customer_id == customer.id)
                                .order_by(ConsentEvent.at, ConsentEvent.id)))
