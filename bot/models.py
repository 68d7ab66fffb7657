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
    LargeBinary,
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
    #: The customer said "stop": no reminders or updates they did not ask for.
    opted_out_at: Mapped[datetime | None]

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

    __table_args__ = (Index(None, "expires_at"), Index(None, "remind_at"))


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


class OrderStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    PAID = "paid"
    CASH_ON_DELIVERY = "cash_on_delivery"
    PREPARED = "prepared"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class OrderSource(StrEnum):
    CHAT = "chat"
    WHATSAPP_CART = "whatsapp_cart"
    WEBSITE = "website"
    LINK = "link"


class Order(Base):
    """An order with its reference, the customer's choices and the amounts, in minor units."""

    __tablename__ = "shop_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customer.id"))
    status: Mapped[OrderStatus] = mapped_column(String(24), default=OrderStatus.PENDING)
    source: Mapped[OrderSource] = mapped_column(String(24), default=OrderSource.CHAT)
    source_tag: Mapped[str | None] = mapped_column(String(64))
    customer_name: Mapped[str | None] = mapped_column(String(256))
    phone: Mapped[str | None] = mapped_column(String(32))
    delivery_method: Mapped[str | None] = mapped_column(String(64))
    delivery_title: Mapped[str | None] = mapped_column(String(256))
    expected_delivery: Mapped[str | None] = mapped_column(String(256))
    address: Mapped[str | None] = mapped_column(Text)
    location: Mapped[dict | None] = mapped_column()
    payment_method: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int] = mapped_column(Integer)
    shipping_fee: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer)
    stock_reserved: Mapped[bool] = mapped_column(default=False)
    #: When the customer tapped Confirm in chat (website orders start unconfirmed).
    customer_confirmed_at: Mapped[datetime | None]
    #: An order the customer has not confirmed is released after this.
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    paid_at: Mapped[datetime | None]
    paid_amount: Mapped[int | None] = mapped_column(Integer)
    carrier: Mapped[str | None] = mapped_column(String(64))
    tracking_number: Mapped[str | None] = mapped_column(String(128))
    #: Customer updates waiting for the customer's next message (window closed, no template).
    held_updates: Mapped[int] = mapped_column(Integer, default=0)

    __table_args__ = (Index(None, "status", "created_at"), Index(None, "customer_id"), Index(None, "expires_at"))


class OrderLine(Base):
    __tablename__ = "order_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"), index=True)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(256))
    options: Mapped[str] = mapped_column(String(256), default="")
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[int] = mapped_column(Integer)
    total: Mapped[int] = mapped_column(Integer)


class OrderHistory(Base):
    """One status change of an order: from, to, when and by whom."""

    __tablename__ = "order_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    event: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(128))  # "customer", "staff:ana@shop", "api:website", "carrier:seur", "system"
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class StockLevel(Base):
    """Units on hand per SKU; `counted` is the catalog's stock value last applied.

    The catalog's `stock` column is a count: when the owner changes it, it
    becomes the new level. Orders take units off atomically in between.
    """

    __tablename__ = "stock_level"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    on_hand: Mapped[int | None] = mapped_column(Integer)  # None: unlimited
    counted: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Payment(Base):
    """A payment confirmation; unique per provider id so a replayed callback changes nothing."""

    __tablename__ = "payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(String(128), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id"), index=True)
    amount: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    source: Mapped[str] = mapped_column(String(32))  # provider, or staff
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class CarrierEvent(Base):
    """A carrier's tracking event, stored once per event id (carriers resend)."""

    __tablename__ = "carrier_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128), unique=True)
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(128), index=True)
    code: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"))
    outcome: Mapped[str] = mapped_column(String(64))  # applied, stale, unknown code, no order...
    received_at: Mapped[datetime] = mapped_column(default=utcnow)


class Invoice(Base):
    """An order's invoice: a number from the gap-free sequence, and a PDF or the shop's own link."""

    __tablename__ = "invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id"), unique=True)
    number: Mapped[str | None] = mapped_column(String(32), unique=True)
    source: Mapped[str] = mapped_column(String(16))  # builtin or external
    url: Mapped[str | None] = mapped_column(Text)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    filename: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class Sequence(Base):
    """Gap-free counters (invoice numbers): incremented under a row lock, in the same transaction."""

    __tablename__ = "number_sequence"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


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

    __table_args__ = (Index(None, "kind", "at"), Index(None, "customer_id", "at"))
