"""What Meta says about the account, acted on: the messaging limit and the phone number's quality.

Most account webhooks (template reviews, calls) are only stored; a customer's marketing preference
is bot.whatsapp.user_preferences'.
Two change how broadcasts send:

- `business_capability_update`: Meta raised (or lowered) the business
  portfolio's messaging limit; the new tier is stored for every process
  (bot.whatsapp.messaging_limit), and recipients waiting for room go.
- `phone_number_quality_update`: with `FLAGGED` or `DOWNGRADE` the number's
  quality dropped and Meta may lower its limit next; every running campaign
  is paused with the reason, for the owner to look before resuming. It may
  carry the portfolio's limit too (`max_daily_conversations_per_business`).

Called by bot.whatsapp.inbound in the event's transaction; never commits.
"""
from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from bot.commerce import broadcasts
from bot.models import InboundEvent
from bot.whatsapp import messaging_limit

log = logging.getLogger(__name__)

#: Quality events that pause broadcasts (Meta flags a number before lowering its limit).
PAUSING_EVENTS = ("FLAGGED", "DOWNGRADE")


def handle(app, session: Session, event: InboundEvent, t: datetime) -> None:
    """Act on an account update stored as `event` (others are only kept)."""
    record = event.payload if isinstance(event.payload, dict) else {}
    field, value = record.get("field"), record.get("value")
    if field not in ("business_capability_update", "phone_number_quality_update") or not isinstance(value, dict):
        return
    found, tier = messaging_limit.from_webhook(field, value)
    if found:
        before = messaging_limit.current(session, app.config).value
        if messaging_limit.store(session, tier, "webhook", t, sent_at=_sent_at(record.get("time"))):
            log.warning("messaging limit now %s customers a day (was %s), from Meta's %s",
                        messaging_limit.describe(tier), messaging_limit.describe(before), field)
        else:
            log.info("messaging limit %s from Meta's %s ignored: Meta sent it before the one stored",
                     messaging_limit.describe(tier), field)
    quality = str(value.get("event") or "").upper()
    if field == "phone_number_quality_update" and quality in PAUSING_EVENTS:
        number = value.get("display_phone_number") or "the phone number"
        reason = (f"Meta sent {quality} for {number} at {t:%Y-%m-%d %H:%M} UTC: its quality dropped "
                  "(customers blocked or reported messages). Check the quality rating in WhatsApp Manager; "
                  "resume when it is green again.")
        paused = broadcasts.pause_all(session, reason, t)
        if paused:
            log.warning("campaigns %s paused: %s", ", ".join(map(str, paused)), reason)


def _sent_at(time) -> datetime | None:
    """When Meta sent the webhook (its entry's `time`, Unix seconds), None when it says nothing usable."""
    try:
        return datetime.fromtimestamp(int(time), UTC) if time is not None else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None
