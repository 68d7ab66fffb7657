"""Marketing consent: opting a customer in or out, and whether a marketing message may go to them.

Meta's rule, and ours: marketing messages (offers, abandoned carts, back in
stock, broadcasts) go only to customers who opted in; utility messages about
the customer's own order (confirmations, status updates, invoices) do not
need it. An opt-in comes from the chat's menu, the question after an order,
the website or an import; "stop" opts out at once and "start" opts back in.

Every change is a `ConsentEvent` row, the owner's proof of when and how
consent was given; the customer row keeps the current answer so campaigns
filter on it. Domain functions: they change objects and never commit.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import ConsentEvent, ConsentSource, Customer


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
    """Opt `customer` out of marketing from `source`, at once; False when they already were out."""
    return _set(session, customer, False, source, at, detail)


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
