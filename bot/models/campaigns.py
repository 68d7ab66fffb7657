"""Broadcasts: a campaign (one approved template to an audience) and its recipients, one row each.

The recipient row is what makes a broadcast exactly once: it is unique per
(campaign, customer), and it moves from `pending` to `queued` in the same
transaction that writes its outbox row, so a worker killed at any moment
leaves each recipient either untouched or queued, never both, never twice.
"""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class CampaignStatus(StrEnum):
    SCHEDULED = "scheduled"  # waits for `start_at`
    RUNNING = "running"  # the runner moves recipients into the outbox
    PAUSED = "paused"  # by a quality signal or the owner; `paused_reason` says why
    DONE = "done"  # every recipient is queued or skipped


class RecipientStatus(StrEnum):
    PENDING = "pending"  # not in the outbox yet (not due, over the messaging limit, or paused)
    QUEUED = "queued"  # its outbox row exists: the outbox tells sent, delivered, read or failed
    SKIPPED = "skipped"  # never sent: no marketing opt-in (then or since); `skip_reason` says why


class Campaign(Base):
    """One broadcast of one approved template (flows/templates.yaml) to an audience."""

    __tablename__ = "campaign"

    id: Mapped[int] = mapped_column(primary_key=True)
    template: Mapped[str] = mapped_column(String(512))
    language: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))  # marketing or utility, as listed when created
    audience: Mapped[str] = mapped_column(String(256))  # what the owner chose: "label vip", "file offers.csv"
    audience_total: Mapped[int] = mapped_column(Integer)  # before the consent filter
    status: Mapped[CampaignStatus] = mapped_column(String(16), default=CampaignStatus.SCHEDULED)
    paused_reason: Mapped[str | None] = mapped_column(Text)
    start_at: Mapped[datetime]
    #: Quality signals (a run of refusals) count from here: the start, or the last resume.
    signals_since: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    #: With no room in the messaging limit and no recipient inside their window found, the runner
    #: looks again only from here (room freed, or a minute for customers who wrote since), 0018.
    waiting_until: Mapped[datetime | None]

    __table_args__ = (Index(None, "status", "start_at"),)

    @property
    def source(self) -> str:
        """The tag on each of its outbox rows (`outbound_message.source`), which its results count."""
        return f"campaign:{self.id}"


class CampaignRecipient(Base):
    """One customer of a campaign: sent at most once (unique), moved to the outbox in one transaction."""

    __tablename__ = "campaign_recipient"

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaign.id", ondelete="CASCADE"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    status: Mapped[RecipientStatus] = mapped_column(String(16), default=RecipientStatus.PENDING)
    skip_reason: Mapped[str | None] = mapped_column(String(128))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbound_message.id", ondelete="SET NULL"))
    queued_at: Mapped[datetime | None]
    #: Queued while the customer's 24-hour window was closed: it counts against Meta's messaging limit.
    outside_window: Mapped[bool | None]

    __table_args__ = (
        UniqueConstraint("campaign_id", "customer_id"),
        Index(None, "campaign_id", "status", "id"),  # the runner's next pending recipients, the counts
        Index("ix_campaign_recipient_counted", "queued_at"),  # the messaging limit's moving 24 hours
        # pause() takes queued rows back by outbox id; deleting outbox rows sets theirs to NULL (0018)
        Index("ix_campaign_recipient_outbox", "outbox_id", postgresql_where=text("outbox_id IS NOT NULL"),
              sqlite_where=text("outbox_id IS NOT NULL")),
    )
