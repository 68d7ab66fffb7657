"""Broadcasts: one approved template to an audience, with consent, a schedule, pauses and progress.

`create` checks the template (listed in flows/templates.yaml, every parameter
something a broadcast knows), applies the consent filter and writes one
recipient row per customer. The filter is the marketing opt-in whatever the
template's category: a broadcast fills only customer.name and shop.name, so it
is never about the customer's own order, the only case that needs no opt-in
(Meta's rule and ours: anything else goes only to customers who opted in). The runner (bot.commerce.campaign_runner)
moves due recipients into the outbox; `summary` tells how far it got from the
recipients and their outbox rows. `pause` pulls the rows not claimed by a sender
back out of the outbox, so a paused campaign sends nothing more. Domain
functions: they change objects and never commit.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from bot.commerce.audiences import Audience
from bot.commerce.template_messages import NO_NAME, STOP_PAYLOAD, is_stop
from bot.content.problems import did_you_mean
from bot.content.templates_file import REL, ApprovedTemplate
from bot.conversation.messages import Template
from bot.errors import BroadcastError
from bot.models import (
    Campaign,
    CampaignRecipient,
    CampaignStatus,
    Customer,
    OutboundMessage,
    OutboundStatus,
    RecipientStatus,
)

#: What a broadcast can fill a template's parameters from: nothing about an order, a cart or a product.
SOURCES = ("customer.name", "shop.name")
NO_CONSENT = "no marketing opt-in"
SAID_STOP = "said stop: nothing they did not ask for"
OPTED_OUT_SINCE = "opted out before it was sent"
#: Why a recipient was skipped when the campaign was created: the consent filter.
AT_START = (NO_CONSENT, SAID_STOP)
_CHUNK = 1000  # ids per IN (...) list


def find_template(content, name: str, language: str | None) -> ApprovedTemplate:
    """The template of flows/templates.yaml a broadcast may send. Raises BroadcastError saying why not."""
    entries = content.templates.entries
    named = [t for t in entries if t.name == name]
    if not named:
        raise BroadcastError(f"template `{name}` is not in {REL}{did_you_mean(name, {t.name for t in entries})}; "
                             "list it there exactly as WhatsApp Manager approved it")
    if language is None and len(named) > 1:
        raise BroadcastError(f"template `{name}` is listed in {', '.join(t.language for t in named)}: "
                             "choose one with --language")
    template = named[0] if language is None else next((t for t in named if t.language == language), None)
    if template is None:
        raise BroadcastError(f"template `{name}` is not in {REL} for {language} (it is there for "
                             f"{', '.join(t.language for t in named)})")
    unknown = [s for s in template.body if s not in SOURCES]
    unknown += [b.fill for b in template.buttons if b.fill is not None]
    if unknown:
        raise BroadcastError(f"template `{name}` ({REL}:{template.line}) is filled from {', '.join(unknown)}, "
                             f"which a broadcast does not know; a broadcast fills only {' and '.join(SOURCES)}")
    return template


def create(session: Session, content, template: ApprovedTemplate, audience: Audience, start_at: datetime,
           now: datetime) -> Campaign:
    """A campaign of `template` to `audience` from `start_at`, with a recipient row per customer;
    customers without a marketing opt-in are skipped, utility template or not (see the module's doc),
    and so are customers who said "stop". Raises BroadcastError for an empty audience."""
    if not audience.customer_ids:
        raise BroadcastError(f"the audience ({audience.description}) has no customers")
    if len(set(audience.customer_ids)) != len(audience.customer_ids):  # one recipient row per customer (unique)
        audience = replace(audience, customer_ids=tuple(dict.fromkeys(audience.customer_ids)))
    campaign = Campaign(template=template.name, language=template.language, category=template.category,
                        audience=audience.description[:256], audience_total=len(audience.customer_ids),
                        status=CampaignStatus.SCHEDULED, start_at=start_at, created_at=now)
    session.add(campaign)
    session.flush()
    for start in range(0, len(audience.customer_ids), _CHUNK):
        ids = audience.customer_ids[start:start + _CHUNK]
        found = session.execute(select(Customer.id, Customer.marketing_opt_in, Customer.opted_out_at)
                                .where(Customer.id.in_(ids))).all()
        why = {i: SAID_STOP if stopped else NO_CONSENT if opted is not True else None
               for i, opted, stopped in found}
        rows = [{"campaign_id": campaign.id, "customer_id": i, "skip_reason": why[i],
                 "status": (RecipientStatus.SKIPPED if why[i] else RecipientStatus.PENDING).value}
                for i in ids if i in why]
        if rows:
            session.execute(insert(CampaignRecipient), rows)
    return campaign


def language_for(content, campaign: Campaign, customer: Customer) -> str:
    """The language of the campaign's template `customer` gets: their own when flows/templates.yaml lists
    a version of it in that language (`es`, or a regional `es_MX`), of the campaign's category and filled
    only from what a broadcast knows; else the campaign's."""
    lang = customer.language
    if not lang or campaign.language.split("_")[0] == lang:
        return campaign.language
    versions = [t for t in content.templates.entries if t.name == campaign.template
                and t.category == campaign.category and set(t.body) <= set(SOURCES)
                and t.language.split("_")[0] == lang]
    versions.sort(key=lambda t: t.language != lang)  # the exact code first
    return versions[0].language if versions else campaign.language


def message(content, template_name: str, language: str, customer: Customer) -> Template:
    """The template as `customer` gets it, its parameters filled in (the runner and the preview)."""
    entry = content.templates.get(template_name, language)
    values = {"customer.name": customer.name or NO_NAME, "shop.name": str(content.shop.get("name") or "")}
    return Template(template_name, language, tuple(values.get(s, "") for s in (entry.body if entry else ())))


def spec(content, template_name: str, language: str, customer: Customer) -> dict[str, Any]:
    """The outbox spec the runner queues: `message` with a payload on each quick reply, so a tap is
    understood: the stop button's `offers:stop` (bot.commerce.template_messages.is_stop), "menu" for
    any other. Without it Meta sends back the button's text, which the bot cannot tell from chat."""
    filled = message(content, template_name, language, customer).to_spec()
    entry = content.templates.get(template_name, language)
    buttons = [{"index": i, "payload": STOP_PAYLOAD if is_stop(entry, b) else "menu"}
               for i, b in enumerate(entry.buttons if entry else ()) if b.type == "quick_reply"]
    return {**filled, "buttons": buttons} if buttons else dict(filled)


@dataclass(frozen=True)
class Preview:
    """The first recipient's message: each parameter with its source and value, and the buttons."""

    customer: str
    language: str  # the version of the template they get (their language when listed)
    parameters: list[tuple[str, str, str]]  # ("{{1}}", "customer.name", "Ana")
    buttons: list[str]


def preview(session: Session, content, campaign: Campaign) -> Preview | None:
    """The message of the campaign's first recipient that will get one (None: nobody will)."""
    customer = session.scalars(select(Customer).join(CampaignRecipient, CampaignRecipient.customer_id == Customer.id)
                               .where(CampaignRecipient.campaign_id == campaign.id,
                                      CampaignRecipient.status != RecipientStatus.SKIPPED)
                               .order_by(CampaignRecipient.id).limit(1)).first()
    if customer is None:
        return None
    language = language_for(content, campaign, customer)
    entry = content.templates.get(campaign.template, language)
    filled = message(content, campaign.template, language, customer)
    sources = entry.body if entry else ()
    label = customer.name or (f"+{customer.wa_id}" if customer.wa_id else "a customer")
    return Preview(label, language,
                   [(f"{{{{{n}}}}}", s, v) for n, (s, v) in enumerate(zip(sources, filled.params, strict=True), 1)],
                   [b.text for b in entry.buttons] if entry else [])


@dataclass
class Summary:
    """How far a campaign got: the audience before and after consent, and each recipient's fate."""

    campaign: Campaign
    sent: int = 0  # Meta accepted it (sent, delivered or read)
    delivered: int = 0  # of which delivered or read
    failed: int = 0  # refused or given up: never retried (131049 is one)
    skipped: int = 0
    sending: int = 0  # in the outbox, not sent yet
    remaining: int = 0  # not in the outbox yet
    skipped_at_start: int = 0  # of the skipped: filtered out when the campaign was created
    errors: dict[str, int] = field(default_factory=dict)  # why they failed: "131049 ..." -> count

    @property
    def audience_after_consent(self) -> int:
        return self.campaign.audience_total - self.skipped_at_start

    @property
    def progress(self) -> int:
        """Percent of the recipients to send to that are done (sent or failed)."""
        total = self.sent + self.failed + self.sending + self.remaining
        return 100 if total == 0 else round(100 * (self.sent + self.failed) / total)


_SENT = (OutboundStatus.SENT, OutboundStatus.DELIVERED, OutboundStatus.READ)
_FAILED = (OutboundStatus.FAILED, OutboundStatus.DEAD)


def summary(session: Session, campaign: Campaign) -> Summary:
    """The campaign's counts, from its recipients and their outbox rows (one grouped query)."""
    result = Summary(campaign)
    rows = session.execute(
        select(CampaignRecipient.status, CampaignRecipient.skip_reason, OutboundMessage.status,
               OutboundMessage.error_code, OutboundMessage.error_title, func.count())
        .outerjoin(OutboundMessage, OutboundMessage.id == CampaignRecipient.outbox_id)
        .where(CampaignRecipient.campaign_id == campaign.id)
        .group_by(CampaignRecipient.status, CampaignRecipient.skip_reason, OutboundMessage.status,
                  OutboundMessage.error_code, OutboundMessage.error_title))
    for status, reason, sent_status, code, title, count in rows:
        if status == RecipientStatus.SKIPPED:
            result.skipped += count
            result.skipped_at_start += count if reason in AT_START else 0
        elif status == RecipientStatus.PENDING:
            result.remaining += count
        elif sent_status in _SENT:
            result.sent += count
            result.delivered += count if sent_status != OutboundStatus.SENT else 0
        elif sent_status in _FAILED:
            result.failed += count
            why = f"{code} {title or ''}".strip() if code else (title or "failed")
            result.errors[why[:120]] = result.errors.get(why[:120], 0) + count
        else:
            result.sending += count
    return result


def get(session: Session, campaign_id: int, lock: bool = False) -> Campaign:
    """The campaign, or BroadcastError naming the id."""
    campaign = session.get(Campaign, campaign_id, with_for_update=lock)
    if campaign is None:
        raise BroadcastError(f"no campaign {campaign_id} (`shopbot broadcast list` shows them)")
    return campaign


def pause(session: Session, campaign: Campaign, reason: str, now: datetime) -> int:
    """Pause `campaign` with `reason`, pulling its rows no sender has claimed yet back out of the
    outbox (their recipients wait again). How many were pulled back.

    Raises BroadcastError unless it is scheduled or running: a done campaign has nothing left to
    pause, and a paused one is paused already (the dashboard and `shopbot broadcast pause` alike)."""
    if campaign.status not in (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING):
        raise BroadcastError(f"campaign {campaign.id} is {campaign.status}: only a scheduled or running "
                             "campaign can be paused")
    campaign.status, campaign.paused_reason = CampaignStatus.PAUSED, reason
    queued = session.scalars(select(OutboundMessage.id).where(
        OutboundMessage.source == campaign.source, OutboundMessage.status == OutboundStatus.QUEUED,
        OutboundMessage.sent_at.is_(None)).with_for_update(skip_locked=True)).all()
    for start in range(0, len(queued), _CHUNK):
        ids = queued[start:start + _CHUNK]
        session.execute(update(CampaignRecipient).where(CampaignRecipient.outbox_id.in_(ids)).values(
            status=RecipientStatus.PENDING, outbox_id=None, queued_at=None, outside_window=None))
        session.execute(delete(OutboundMessage).where(OutboundMessage.id.in_(ids)))
    return len(queued)


def pause_all(session: Session, reason: str, now: datetime) -> list[int]:
    """Pause every scheduled or running campaign (a quality signal about the phone number); their ids."""
    campaigns = session.scalars(select(Campaign).where(
        Campaign.status.in_((CampaignStatus.SCHEDULED, CampaignStatus.RUNNING))).with_for_update()).all()
    for campaign in campaigns:
        pause(session, campaign, reason, now)
    return [c.id for c in campaigns]


def resume(session: Session, campaign: Campaign, now: datetime) -> None:
    """Go on with a paused campaign; refusals count again from now. Raises BroadcastError when it is
    not paused."""
    if campaign.status != CampaignStatus.PAUSED:
        raise BroadcastError(f"campaign {campaign.id} is {campaign.status}, not paused")
    campaign.status = CampaignStatus.RUNNING if campaign.start_at <= now else CampaignStatus.SCHEDULED
    campaign.paused_reason, campaign.signals_since = None, now


def listing(session: Session) -> list[Summary]:
    """Every campaign with its counts, newest first."""
    return [summary(session, c) for c in session.scalars(select(Campaign).order_by(Campaign.id.desc()))]
