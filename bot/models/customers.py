"""Customers, their conversation state, and the events the reports count."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow
from bot.models.consent import ConsentSource


class Customer(Base):
    """A WhatsApp user, known by BSUID (`user_id`) and/or phone (`wa_id`)."""

    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    bsuid: Mapped[str | None] = mapped_column(String(64), unique=True)
    wa_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str | None] = mapped_column(String(256))
    language: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_inbound_at: Mapped[datetime | None]
    #: Set when Meta says the 24-hour window is closed (131047); cleared on the next inbound message.
    window_closed_at: Mapped[datetime | None]
    #: Per-customer pacing (GCRA theoretical arrival time), so bursts never trip 131056.
    pace_at: Mapped[datetime | None]
    #: The customer said "stop": no reminders or updates they did not ask for.
    opted_out_at: Mapped[datetime | None]
    #: Marketing messages: True opted in, False opted out, None never asked (no marketing either).
    #: Since when and from where; the history is in `consent_event` (bot.models.consent).
    marketing_opt_in: Mapped[bool | None]
    marketing_consent_at: Mapped[datetime | None]
    marketing_consent_source: Mapped[ConsentSource | None] = mapped_column(String(16))

    @property
    def recipient(self) -> str:
        """The address replies go to: the BSUID when known, since phones can be hidden."""
        return self.bsuid or self.wa_id  # type: ignore[return-value]


class Conversation(Base):
    """The engine's state for one customer; locked while a message is handled."""

    __tablename__ = "conversation"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    #: An unconfirmed checkout: when to remind the customer, and when it expires.
    remind_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    #: Since when the cart has stood untouched, waiting for its one abandoned-cart reminder: set by
    #: every change of a non-empty cart, cleared when the cart empties (an order) or is reminded.
    cart_idle_since: Mapped[datetime | None]

    __table_args__ = (Index(None, "expires_at"), Index(None, "remind_at"), Index(None, "cart_idle_since"))




class ConversationEvent(Base):
    """Something worth counting in a conversation: a miss, an FAQ answer, a search without results...

    The owner's reports are SQL over these rows and the orders; message
    texts are stored already redacted.
    """

    __tablename__ = "conversation_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    detail: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    #: (kind, at, customer_id) lets the reports count customers per kind from the index alone.
    __table_args__ = (Index(None, "kind", "at", "customer_id"), Index(None, "customer_id", "at"))
