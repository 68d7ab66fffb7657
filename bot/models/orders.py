"""Orders, their lines and history, stock, payments, carrier events and invoices."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class OrderStatus(StrEnum):
    """Where the order is: the fulfilment axis, one step after another."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    PREPARED = "prepared"
    SHIPPED = "shipped"
    OUT_FOR_DELIVERY = "out_for_delivery"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class PaymentStatus(StrEnum):
    """Whether it is paid: the payment axis, beside the fulfilment one (as Shopify keeps them)."""

    UNPAID = "unpaid"  # a bank transfer or a payment link not paid yet
    CASH_ON_DELIVERY = "cash_on_delivery"  # paid when it arrives (or is picked up)
    PAID = "paid"
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
    payment_status: Mapped[PaymentStatus] = mapped_column(String(24), default=PaymentStatus.UNPAID,
                                                          server_default=PaymentStatus.UNPAID.value)
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
    #: The customer's update for the latest change (a status, or a payment status) waits until then,
    #: so changes made within the shop's window reach the customer as one message.
    update_due_at: Mapped[datetime | None]
    pending_update: Mapped[str | None] = mapped_column(String(24))

    __table_args__ = (Index(None, "status", "created_at"), Index(None, "customer_id"), Index(None, "expires_at"),
                      Index(None, "created_at"), Index(None, "update_due_at"))


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
    """One change of an order, on either axis: from, to, when and by whom. A payment change's
    statuses are payment statuses (events pay, cash_on_delivery, collect, refund)."""

    __tablename__ = "order_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("shop_order.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    event: Mapped[str] = mapped_column(String(32))
    # "customer", "staff:ana@shop", "api:website", "carrier:seur", "system"
    actor: Mapped[str] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "to_status", "at"),)  # reports: orders paid or delivered in a period


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
    """A carrier's tracking event, stored once per carrier and event id (carriers resend).

    One for a tracking number no order has yet is `held` and applied when an
    order gets that number (bot/commerce/tracking.py).
    """

    __tablename__ = "carrier_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(128))
    carrier: Mapped[str] = mapped_column(String(64))
    tracking_number: Mapped[str] = mapped_column(String(128), index=True)
    code: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("shop_order.id"))
    outcome: Mapped[str] = mapped_column(String(64))  # tracking.Result: applied, stale, held, unknown code...
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("carrier", "event_id"), Index(None, "outcome", "received_at"))


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
