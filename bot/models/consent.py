"""Marketing consent: each customer's answer, and the history that proves when and how it was given."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class ConsentSource(StrEnum):
    """Where a customer said yes or no to marketing messages."""

    CHAT = "chat"  # the "Get offers on WhatsApp" entry of the menu
    CHECKOUT = "checkout"  # the question after an order is placed
    WEBSITE = "website"  # POST /api/customers/optin
    IMPORT = "import"  # shopbot customers optin --csv FILE
    STOP = "stop"  # the customer typed "stop" (or its words), or tapped a marketing template's stop button
    START = "start"  # the customer typed "start"
    WHATSAPP = "whatsapp"  # the customer stopped or resumed marketing in WhatsApp itself (Meta's webhook)


class ConsentEvent(Base):
    """One change of a customer's marketing consent, kept for good: the owner's proof of opt-in.

    The customer row holds the current answer (`Customer.marketing_opt_in`),
    which campaigns filter on; these rows are never updated or deleted while
    the customer exists. `detail` says more about the source (the imported
    file and line).
    """

    __tablename__ = "consent_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    opted_in: Mapped[bool]
    source: Mapped[ConsentSource] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(String(256))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "customer_id", "at"),)
