"""Meta's messaging limit: how many customers the business may reach outside their 24-hour window.

Meta counts the unique customers a business portfolio reached with a message
they did not answer to (a template outside the customer's 24-hour window) in
a moving 24 hours, shared by every phone number of the portfolio: 250 for a
new business, then 2,000, 10,000, 100,000 or unlimited as it grows. Going
over it makes Meta refuse the sends, so a broadcast keeps under it itself:
recipients over the limit wait for the moving window, they are not dropped.

The tier starts at the `MESSAGING_LIMIT` setting and follows Meta: the
`business_capability_update` webhook (and `phone_number_quality_update`, which
carries it too) store the new value in the `setting` table, read by every
sender process; `shopbot broadcast limit` sets it by hand. Functions take a
session and never commit.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import distinct, func, select, text, union_all
from sqlalchemy.orm import Session

from bot.db import insert_ignore
from bot.models import COUNTED_TEMPLATES, CampaignRecipient, OutboundMessage, Setting

KEY = "messaging_limit"
WINDOW = timedelta(hours=24)
#: Meta's tiers, as its webhooks and the Graph API name them; None is unlimited.
TIERS: dict[str, int | None] = {"TIER_250": 250, "TIER_2K": 2000, "TIER_10K": 10_000, "TIER_100K": 100_000,
                                "TIER_UNLIMITED": None}
#: Older names Meta still sends for the same tiers (TIER_1K was renamed TIER_2K in 2025).
_OLD_NAMES = {"TIER_50": 50, "TIER_1K": 2000}
RULE = "must be 250, 2000, 10000, 100000 or unlimited (Meta's tiers)"


def parse(value: Any) -> int | None:
    """A tier from a setting, a command or a webhook: 2000, "2000", "2k", "TIER_2K", -1 or
    "unlimited" (None). Raises ValueError with the rule for anything else."""
    if isinstance(value, bool):
        raise ValueError(f"messaging limit {value!r} {RULE}")
    if isinstance(value, int):
        if value == -1:
            return None
        if value in TIERS.values() or value in _OLD_NAMES.values():
            return value
        raise ValueError(f"messaging limit {value} {RULE}")
    text = str(value).strip().upper().replace(",", "").replace("_", "") if value is not None else ""
    if text in ("UNLIMITED", "TIERUNLIMITED", "-1"):
        return None
    named = {k.replace("_", ""): v for k, v in (TIERS | _OLD_NAMES).items()}
    if text in named:
        return named[text]
    number = text.removeprefix("TIER")
    if number.endswith("K") and number[:-1].isdigit():
        number = str(int(number[:-1]) * 1000)
    if number.isdigit():
        return parse(int(number))
    raise ValueError(f"messaging limit {value!r} {RULE}")


def describe(limit: int | None) -> str:
    return "unlimited" if limit is None else f"{limit:,}"


@dataclass(frozen=True)
class Limit:
    value: int | None  # None: unlimited
    source: str  # "setting" (MESSAGING_LIMIT), "webhook" or "command"
    at: datetime | None = None


def current(session: Session, config: Mapping[str, Any]) -> Limit:
    """The tier in force: the last one Meta (or the owner) gave, else the MESSAGING_LIMIT setting."""
    stored = session.scalar(select(Setting.value).where(Setting.key == KEY))
    if stored and "limit" in stored:
        at = datetime.fromisoformat(stored["at"]) if stored.get("at") else None
        return Limit(stored["limit"], stored.get("source", "webhook"), at)
    return Limit(parse(config.get("MESSAGING_LIMIT", "250")), "setting")


def store(session: Session, limit: int | None, source: str, at: datetime, sent_at: datetime | None = None) -> bool:
    """Record a new tier for every process (a webhook, `shopbot broadcast limit`); False (nothing
    stored) for a webhook Meta sent (`sent_at`, its entry's time) before the one stored: Meta retries
    late deliveries, and an old 250 must not undo a newer 2000."""
    _ensure_row(session)
    setting = session.get_one(Setting, KEY, with_for_update=True, populate_existing=True)
    stored = (setting.value or {}).get("sent_at")
    if sent_at is not None and stored and sent_at < datetime.fromisoformat(stored):
        return False
    value = {"limit": limit, "source": source, "at": at.isoformat()}
    if sent_at is not None or stored:
        value["sent_at"] = sent_at.isoformat() if sent_at is not None else stored
    setting.value = value
    return True


def take_turn(session: Session) -> bool:
    """Lock the limit's row for this transaction, so one runner at a time spends the room (two workers
    counting the same room would go over it together); False when another runner holds it now."""
    _ensure_row(session)
    return session.scalar(select(Setting.key).where(Setting.key == KEY).with_for_update(skip_locked=True)) is not None


def _ensure_row(session: Session) -> None:
    """The limit's `Setting` row exists (empty until a tier is stored), so it can be locked."""
    session.execute(insert_ignore(session, Setting).values(key=KEY, value={}))


class Allowance:
    """The room an automation's sweep (abandoned carts, back in stock) may spend on templates outside the
    window, in its transaction: the limit's turn is taken (`take_turn`) and the room counted (`room`) on
    the first template only, as the campaign runner does, then spent one customer at a time."""

    def __init__(self, session: Session, config: Mapping[str, Any], now: datetime) -> None:
        self.session, self.config, self.now = session, config, now
        self.left: int | None = 0
        self.counted = False

    def spend(self) -> bool:
        """True when one more customer may be reached outside their window now (and count them);
        False when the limit is spent or a campaign runner holds its turn this moment."""
        if not self.counted:
            self.counted = True
            if take_turn(self.session):
                self.left = room(self.session, self.config, self.now)
        if self.left is None:
            return True
        if self.left <= 0:
            return False
        self.left -= 1
        return True


def _counted(session: Session, now: datetime):
    """The customers reached outside their window in the last 24 hours, with when: broadcast recipients
    queued outside it, and every template not sent by a campaign.

    A campaign's recipient inside their window gets the template too but is not counted
    (`campaign_recipient.outside_window` says which are). Other templates are only sent when the
    customer's window is closed or as its fallback (an order update by template, the
    `reopen_conversation` fallback, a staff follow-up, an abandoned-cart or back-in-stock template),
    so every such row counts: Meta counts them all, not only broadcasts. The filter is the predicate
    of the partial index `ix_outbound_message_counted` word for word (migration 0018), so the count
    reads that small index alone."""
    since = now - WINDOW
    campaigns = select(CampaignRecipient.customer_id, CampaignRecipient.queued_at.label("at")).where(
        CampaignRecipient.queued_at > since, CampaignRecipient.outside_window.is_(True))
    templates = select(OutboundMessage.customer_id, OutboundMessage.created_at.label("at")).where(
        OutboundMessage.created_at > since, text(COUNTED_TEMPLATES[session.get_bind().dialect.name]))
    return union_all(campaigns, templates).subquery()


def used(session: Session, now: datetime) -> int:
    """How many unique customers count against the limit now."""
    counted = _counted(session, now)
    return session.scalar(select(func.count(distinct(counted.c.customer_id)))) or 0


def frees_at(session: Session, now: datetime) -> datetime | None:
    """When the oldest message counted now leaves the moving 24 hours (room for one more)."""
    oldest = session.scalar(select(func.min(_counted(session, now).c.at)))
    return oldest + WINDOW if oldest is not None else None


def room(session: Session, config: Mapping[str, Any], now: datetime) -> int | None:
    """How many more customers may be reached outside their window now (None: no limit)."""
    limit = current(session, config).value
    return None if limit is None else max(limit - used(session, now), 0)


def from_webhook(field: str | None, value: dict) -> tuple[bool, int | None]:
    """(True, the portfolio's tier) a `business_capability_update` or `phone_number_quality_update`
    value gives, or (False, None) when it names none (a phone number limit, a throughput change: the quality
    update's `current_limit` is the number's throughput, not the portfolio's limit)."""
    keys = ["max_daily_conversations_per_business"]
    if field == "business_capability_update":
        keys.append("max_daily_conversation_per_phone")  # the older name, until Meta drops it
    for key in keys:
        if key in value and str(value[key]).upper() != "TIER_NOT_SET":
            try:
                return True, parse(value[key])
            except ValueError:
                continue
    return False, None
