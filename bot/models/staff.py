"""Staff accounts, their sessions, login throttling, and handoffs (a conversation handed to a person)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, utcnow


class Role(StrEnum):
    OWNER = "owner"  # everything, plus settings and reports
    STAFF = "staff"  # the inbox and the order desk


class StaffMember(Base):
    """A person who logs in to /staff. Passwords are stored as werkzeug hashes only."""

    __tablename__ = "staff_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case
    name: Mapped[str] = mapped_column(String(128))
    role: Mapped[Role] = mapped_column(String(16), default=Role.STAFF)
    password_hash: Mapped[str] = mapped_column(String(256))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]


class ThrottleScope(StrEnum):
    EMAIL = "email"  # failed logins for one address, from anywhere
    CLIENT = "client"  # failed logins from one client (remote address), for any address


class LoginThrottle(Base):
    """Failed logins per e-mail address and per client, kept in the database so every web process sees them.

    Rows exist for unknown addresses too, so the answer never tells whether
    an account exists. `failures` decays by one per hour counted from
    `counted_at` (see bot/staff/accounts.py); the rows hold nothing worth
    keeping beyond that.
    """

    __tablename__ = "login_throttle"

    scope: Mapped[ThrottleScope] = mapped_column(String(8), primary_key=True)
    key: Mapped[str] = mapped_column(String(254), primary_key=True)  # the address (lower-case) or the client's IP
    failures: Mapped[int] = mapped_column(Integer, default=0)
    counted_at: Mapped[datetime | None]  # when `failures` was last brought up to date (decay runs from here)
    blocked_until: Mapped[datetime | None]


class StaffSession(Base):
    """One login: ended on the server at logout, when the account is switched off, or after its lifetime.

    The session cookie carries a random token; this row is keyed by the
    token's SHA-256, so a copy of the database holds nothing that logs in.
    A cookie whose row is missing, ended or too old opens nothing, even if
    it is still validly signed.
    """

    __tablename__ = "staff_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 hex of the cookie's token
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]

    __table_args__ = (Index(None, "staff_id"),)


class HandoffReason(StrEnum):
    PERSON = "person"  # the customer asked for a person
    MISSES = "misses"  # the bot did not understand several times in a row
    KEYWORD = "keyword"  # an owner-configured word: complaint, refund, broken...
    PAYMENT_FAILED = "payment_failed"
    PROBLEM_ORDER = "problem_order"  # a payment that does not match the order, ...
    STAFF = "staff"  # a staff member took over on their own


#: What people read for each reason: the inbox, the reports, the staff alert.
REASON_LABELS = {
    HandoffReason.PERSON: "asked for a person",
    HandoffReason.MISSES: "the bot did not understand",
    HandoffReason.KEYWORD: "said a watched word",
    HandoffReason.PAYMENT_FAILED: "a payment failed",
    HandoffReason.PROBLEM_ORDER: "a problem with an order",
    HandoffReason.STAFF: "taken over by staff",
}


class Handoff(Base):
    """A conversation handed to a person, from the trigger until it returns to the bot.

    While it is open the bot stays quiet. `waiting_since` is set while the
    customer waits for a staff reply; `return_at` is when the chat goes back
    to the bot if no staff member replies. At most one is open per customer.
    """

    __tablename__ = "handoff"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"))
    reason: Mapped[HandoffReason] = mapped_column(String(24))
    detail: Mapped[str | None] = mapped_column(String(128))
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_to: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    assigned_at: Mapped[datetime | None]
    waiting_since: Mapped[datetime | None]
    first_response_at: Mapped[datetime | None]
    first_response_by: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))
    last_staff_reply_at: Mapped[datetime | None]
    return_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_reason: Mapped[str | None] = mapped_column(String(24))  # handed_back, timed_out, customer
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id"))

    __table_args__ = (
        Index("uq_handoff_open_customer", "customer_id", unique=True,
              sqlite_where=text("closed_at IS NULL"), postgresql_where=text("closed_at IS NULL")),
        Index(None, "customer_id", "opened_at"),
        Index(None, "return_at"),
        Index(None, "opened_at"),
    )


class ChatNote(Base):
    """A private note staff write in a customer's chat: shown in the transcript, never sent."""

    __tablename__ = "chat_note"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ChatLabel(Base):
    """A label on a customer's conversation (the owner's labels in flows/labels.yaml: vip, wholesale)."""

    __tablename__ = "chat_label"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    label: Mapped[str] = mapped_column(String(64), primary_key=True)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("staff_member.id", ondelete="SET NULL"))
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index(None, "label"),)


class ChatViewer(Base):
    """Who has a chat open, and when their page last said so (presence for colleagues)."""

    __tablename__ = "chat_viewer"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id", ondelete="CASCADE"), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_member.id", ondelete="CASCADE"), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
