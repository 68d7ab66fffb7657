"""The campaign runner: moves due broadcast recipients into the outbox, a batch at a time.

The sender's loop calls `run_due` about once a second (bot.whatsapp.sender).
Each call is one transaction: a recipient becomes `queued` with its outbox row,
or stays `pending`; a worker killed mid-run loses nothing and doubles nothing,
and the next run goes on from the first pending recipient (transactional
outbox). The messaging limit's row is locked for the run (PostgreSQL: SKIP
LOCKED), so two workers never run campaigns at once, nor spend the same room.

What keeps it within Meta's rules:

- the send rate: it only writes outbox rows, which the sender sends at the
  shared per-number pace; at most `BROADCAST_BATCH` of a campaign's rows wait
  in the outbox at once, so customers' replies never queue behind thousands;
- the messaging limit (bot.whatsapp.messaging_limit): a recipient outside
  their 24-hour window goes only while there is room in the moving 24 hours;
  the others wait, recipients inside their window go at once;
- consent: every broadcast, utility template or not, skips a customer who
  opted out of marketing or said "stop" since (bot.commerce.broadcasts says why);
- the template: one no longer in flows/templates.yaml pauses the campaign;
- quality: a run of `BROADCAST_PAUSE_AFTER` refusals in a row (131049, Meta's
  per-customer marketing limit, or throttling) pauses the campaign with the
  reason, as the `phone_number_quality_update` webhook does (bot.whatsapp.account_updates).
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from bot.commerce import broadcasts, consent
from bot.commerce.notifications import window_open
from bot.models import (
    UNFINISHED,
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    Customer,
    OutboundMessage,
    OutboundStatus,
    RecipientStatus,
)
from bot.whatsapp import messaging_limit, outbox

log = logging.getLogger(__name__)

#: Meta's answers that say "slow down" about the number's quality, when they come in a row:
#: 131049 (marketing message not delivered, to keep engagement healthy), 131048 (spam rate
#: limit), 130429 and 80007 (throughput and rate limits), 131056 (too many to one customer).
SIGNAL_CODES = (131049, 131048, 130429, 80007, 131056)
#: How often a campaign waiting for room in the messaging limit looks for customers who wrote since.
RECHECK = timedelta(minutes=1)


@dataclass
class Run:
    """What one run did: rows queued, recipients skipped, campaigns paused or finished, and whether
    any campaign still has recipients waiting (the sender then runs again soon)."""

    queued: int = 0
    skipped: int = 0
    paused: int = 0
    finished: int = 0
    active: bool = False
    waiting_for_limit: bool = False


def run_due(session: Session, content, config: dict, now: datetime) -> Run:
    """Move the due recipients of every running campaign into the outbox (see the module's doc)."""
    run = Run()
    campaigns = session.scalars(select(Campaign).where(
        Campaign.status.in_((CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)), Campaign.start_at <= now)
        .order_by(Campaign.id).with_for_update(skip_locked=True)).all()
    if not campaigns:
        return run
    if not messaging_limit.take_turn(session):  # another worker is running campaigns this moment
        run.active = True
        return run
    room = messaging_limit.room(session, config, now)
    for campaign in campaigns:
        if campaign.status == CampaignStatus.SCHEDULED:
            campaign.status, campaign.signals_since = CampaignStatus.RUNNING, campaign.signals_since or now
            log.info("campaign %s: started", campaign.id)
        reason = (_unlisted(content, campaign)
                  or refusal_run(session, campaign, int(config.get("BROADCAST_PAUSE_AFTER", 20))))
        if reason:
            broadcasts.pause(session, campaign, reason, now)
            log.warning("campaign %s: paused: %s", campaign.id, reason)
            run.paused += 1
            continue
        room = _step(session, content, config, campaign, now, room, run)
    return run


def _step(session: Session, content, config: dict, campaign: Campaign, now: datetime, room: int | None,
          run: Run) -> int | None:
    """Queue the next batch of one campaign; the messaging limit's room left after it.

    With no room, only recipients inside their window may go; when none is found the campaign is
    looked at again only at `waiting_until` (room freed, or a minute later for customers who wrote
    since), not every second: that scan joins every pending recipient to its customer."""
    if room == 0 and campaign.waiting_until is not None and campaign.waiting_until > now:
        run.active = run.waiting_for_limit = True
        return room
    campaign.waiting_until = None
    queued_before = run.queued + run.skipped
    waiting = session.scalar(select(func.count()).select_from(OutboundMessage).where(
        OutboundMessage.source == campaign.source, OutboundMessage.sent_at.is_(None),
        OutboundMessage.status.in_(UNFINISHED))) or 0
    batch = int(config.get("BROADCAST_BATCH", 200)) - waiting
    if batch > 0:
        query = (select(CampaignRecipient, Customer).join(Customer, Customer.id == CampaignRecipient.customer_id)
                 .where(CampaignRecipient.campaign_id == campaign.id,
                        CampaignRecipient.status == RecipientStatus.PENDING)
                 .order_by(CampaignRecipient.id).limit(batch).with_for_update(of=CampaignRecipient))
        if room == 0:  # only customers inside their window can go now
            query = query.where(Customer.last_inbound_at > now - outbox.WINDOW, Customer.window_closed_at.is_(None))
        for recipient, customer in session.execute(query):
            if customer.opted_out_at is not None or not consent.may_send_marketing(customer):
                recipient.status, recipient.skip_reason = RecipientStatus.SKIPPED, broadcasts.OPTED_OUT_SINCE
                run.skipped += 1
                continue
            outside = not window_open(customer, now)
            if outside and room is not None:
                if room <= 0:
                    continue
                room -= 1
            language = broadcasts.language_for(content, campaign, customer)  # theirs when listed
            [row_id] = outbox.enqueue(session, customer, [broadcasts.spec(content, campaign.template,
                                                                          language, customer)],
                                      now, source=campaign.source)[:1]
            recipient.status, recipient.outbox_id = RecipientStatus.QUEUED, row_id
            recipient.queued_at, recipient.outside_window = now, outside
            run.queued += 1
    pending = session.scalar(select(exists().where(
        CampaignRecipient.campaign_id == campaign.id, CampaignRecipient.status == RecipientStatus.PENDING)))
    if not pending:
        campaign.status, campaign.finished_at = CampaignStatus.DONE, now
        log.info("campaign %s: every recipient queued or skipped", campaign.id)
        run.finished += 1
    else:
        run.active = True
        run.waiting_for_limit = run.waiting_for_limit or room == 0
        if room == 0 and batch > 0 and run.queued + run.skipped == queued_before:
            frees = messaging_limit.frees_at(session, now)
            campaign.waiting_until = min(now + RECHECK, frees) if frees is not None and frees > now else now + RECHECK
    return room


def _unlisted(content, campaign: Campaign) -> str | None:
    """Why to pause a campaign whose template was taken out of flows/templates.yaml since it was created."""
    if content.templates.get(campaign.template, campaign.language) is not None:
        return None
    return (f"template `{campaign.template}` ({campaign.language}) is no longer in flows/templates.yaml: "
            "put it back (as approved in WhatsApp Manager) before you resume")


def refusal_run(session: Session, campaign: Campaign, length: int) -> str | None:
    """Why to pause `campaign` when Meta refused its last `length` attempted messages in a row
    with quality or rate codes (counted since its start or last resume); None otherwise."""
    if length <= 0:
        return None
    query = (select(OutboundMessage.error_code).where(
        OutboundMessage.source == campaign.source, OutboundMessage.attempts > 0,
        OutboundMessage.status.not_in((OutboundStatus.SENDING, OutboundStatus.UNCONFIRMED)))
        .order_by(OutboundMessage.created_at.desc(), OutboundMessage.id.desc()).limit(length))
    if campaign.signals_since is not None:
        query = query.where(OutboundMessage.created_at >= campaign.signals_since)
    codes = session.scalars(query).all()
    if len(codes) < length or any(code not in SIGNAL_CODES for code in codes):
        return None
    counts = ", ".join(f"{code} ×{n}" for code, n in Counter(codes).most_common())
    return (f"Meta refused the last {length} messages in a row ({counts}): WhatsApp is limiting this number's "
            "marketing messages. Check its quality rating in WhatsApp Manager before you resume.")
