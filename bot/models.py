"""Typed SQLAlchemy models: customers, conversations, inbound events, the outbox.

Statuses are StrEnums stored as strings, timestamps are UTC-aware, and the
naming convention on MetaData keeps Alembic migrations stable.
"""
from __future__ import annotations

from datetime import datetime, timezone
from enum import StrEnum

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Stores UTC, always returns aware datetimes (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict: JSONType}


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

    __table_args__ = (Index(None, "status", "received_at"),)


class OutboundStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"
    UNCONFIRMED = "unconfirmed"  # timed out; waiting for a status webhook before resending
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"  # Meta reported a failure in a status webhook
    DEAD = "dead"  # we gave up: permanent error or too many attempts

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
}

#: Rows that still hold the line for their customer: later rows wait behind them.
UNFINISHED = (OutboundStatus.QUEUED, OutboundStatus.SENDING, OutboundStatus.UNCONFIRMED)


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
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    status_at: Mapped[datetime | None]

    __table_args__ = (
        Index(None, "status", "next_attempt_at"),
        Index(None, "customer_id", "id"),
    )


class Setting(Base):
    """Small shared state for all processes, such as a sending pause after an account error."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
