"""Messages in both directions: inbound events stored before the 200, and the outbox."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class EventKind(StrEnum):
    MESSAGE = "message"
    STATUS = "status"
    UPDATE = "update"  # any other change: account, template, calls, preferences...
    INVALID = "invalid"  # a signed body that was not JSON


class EventStatus(StrEnum):
    PENDING = "pending"
    PROCESSED = "processed"
    FAILED = "failed"


class InboundEvent(Base):
    """One update from Meta, stored before the webhook answers 200.

    `external_id` is unique: the WhatsApp message id, `<wamid>:<status>` for
    statuses, or a content hash for other changes, so a redelivered update is
    never handled twice.
    """

    __tablename__ = "inbound_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[EventKind] = mapped_column(String(16))
    field: Mapped[str | None] = mapped_column(String(64))
    subtype: Mapped[str | None] = mapped_column(String(64))
    payload: Mapped[dict] = mapped_column()
    status: Mapped[EventStatus] = mapped_column(String(16), default=EventStatus.PENDING)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]

    __table_args__ = (
        Index(None, "status", "received_at"),
        Index(None, "kind", "received_at", "customer_id"),  # reports: who wrote, per day, from the index
        Index(None, "customer_id", "received_at"),  # a customer's transcript; did they write in a period
    )


class OutboundStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    UNCONFIRMED = "unconfirmed"  # timed out; waiting for a status webhook before resending
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"  # Meta reported a failure in a status webhook
    DEAD = "dead"  # we gave up: permanent error or too many attempts
    HELD = "held"  # waits for the customer's next message (window closed, no template)

    @property
    def rank(self) -> int:
        """Position on the forward-only path queued < sending < sent < delivered < read."""
        return _RANK[self]


_RANK = {
    OutboundStatus.QUEUED: 0,
    OutboundStatus.SENDING: 1,
    OutboundStatus.UNCONFIRMED: 1,
    OutboundStatus.SENT: 2,
    OutboundStatus.FAILED: 2,
    OutboundStatus.DELIVERED: 3,
    OutboundStatus.READ: 4,
    OutboundStatus.DEAD: 5,
    OutboundStatus.HELD: 0,
}

#: Rows that still hold the line for their customer: later rows wait behind them.
UNFINISHED = (OutboundStatus.QUEUED, OutboundStatus.SENDING, OutboundStatus.UNCONFIRMED)


#: The templates that count against Meta's messaging limit besides broadcasts' (bot.whatsapp.messaging_limit),
#: per dialect: the predicate of `ix_outbound_message_counted`, which the count's query repeats word for word.
COUNTED_TEMPLATES = {
    "postgresql": "(body ->> 'type') = 'template' AND (source IS NULL OR source NOT LIKE 'campaign:%')",
    "sqlite": "json_extract(body, '$.type') = 'template' AND (source IS NULL OR source NOT LIKE 'campaign:%')",
}


class OutboundMessage(Base):
    """The transactional outbox: one row per message to send, written with its cause."""

    __tablename__ = "outbound_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    recipient: Mapped[str] = mapped_column(String(64))
    body: Mapped[dict] = mapped_column()
    status: Mapped[OutboundStatus] = mapped_column(String(16), default=OutboundStatus.QUEUED)
    wamid: Mapped[str | None] = mapped_column(String(255), unique=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    error_code: Mapped[int | None]
    error_title: Mapped[str | None] = mapped_column(Text)
    #: The inbound event that caused this reply, for latency figures and logs.
    cause: Mapped[str | None] = mapped_column(String(255))
    #: When the cause reached us (webhook received), to measure reply latency.
    cause_received_at: Mapped[datetime | None]
    #: The staff member who wrote it (None: the bot).
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    #: What a message sent first belongs to, for its results: `campaign:<id>`, `abandoned_cart`,
    #: `back_in_stock` (None: a reply, an order update, staff).
    source: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    status_at: Mapped[datetime | None]

    #: The queue is the rows not sent yet (every queued, sending or unconfirmed row has no
    #: `sent_at`), in two small partial indexes: the sender's claim in id order, and a customer's
    #: earlier unsent row. `status` is in no index, so claiming a row and the delivered and read
    #: webhooks update it in place (HOT, with room left in each page), migration 0013.
    __table_args__ = (
        Index(None, "customer_id", "id"),
        Index("ix_outbound_message_source", "source", "created_at", postgresql_where=text("source IS NOT NULL"),
              sqlite_where=text("source IS NOT NULL")),
        Index("ix_outbound_message_counted", "created_at", "customer_id",
              postgresql_where=text(COUNTED_TEMPLATES["postgresql"]), sqlite_where=text(COUNTED_TEMPLATES["sqlite"])),
        Index("ix_outbound_message_queue", "id", postgresql_where=text("sent_at IS NULL"),
              sqlite_where=text("sent_at IS NULL")),
        Index("ix_outbound_message_unsent", "customer_id", "id", postgresql_where=text("sent_at IS NULL"),
              sqlite_where=text("sent_at IS NULL")),
        {"postgresql_with": {"fillfactor": 70}},
    )


class SandboxMessage(Base):
    """A message the sandbox's fake Graph API accepted: the sandbox page's feed, kept across restarts.

    Only the sandbox writes it. `id` is the feed's sequence number, so a page
    left open through a `shopbot run` restart goes on from where it was.
    """

    __tablename__ = "sandbox_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    wamid: Mapped[str] = mapped_column(String(255), unique=True)
    recipient: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[dict] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SendPace(Base):
    """When the next send to Meta may leave for one business phone number, shared by every sender.

    A GCRA over all processes: each claim reserves its slots by moving
    `next_at` (seconds since the epoch) forward by 1/SEND_RATE per message,
    under this row's lock, so N senders together never exceed the rate.
    """

    __tablename__ = "send_pace"

    phone_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class Setting(Base):
    """Small shared state for all processes, such as a sending pause after an account error."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
