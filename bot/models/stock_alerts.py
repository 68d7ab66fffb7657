"""Back-in-stock alerts: a customer asked to hear when a sold-out product or option returns."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class StockAlert(Base):
    """One "Tell me when it's back" tap: waiting while `sent_at` is None, done once the alert went out.

    `sku` names the option the customer met sold out; "" means any option of
    the product. A customer has at most one waiting alert per product and
    option (a partial unique index), so tapping twice subscribes once; after
    the alert they may subscribe again.
    """

    __tablename__ = "stock_alert"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    product_id: Mapped[str] = mapped_column(String(64))
    sku: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("uq_stock_alert_waiting", "customer_id", "product_id", "sku", unique=True,
              postgresql_where=text("sent_at IS NULL"), sqlite_where=text("sent_at IS NULL")),
        Index("ix_stock_alert_waiting", "product_id",
              postgresql_where=text("sent_at IS NULL"), sqlite_where=text("sent_at IS NULL")),
    )
