"""What each campaign and automation earned: sent, delivered, read, replied, opted out, orders, revenue.

A message belongs to a campaign or an automation when its outbox row has a
`source` (`campaign:<id>`, `abandoned_cart`, `back_in_stock`; migration 0015).
The rules, for the messages *created* in the report's period:

- **sent**: the message reached Meta (`sent_at` set, or status sent, delivered
  or read). Its moment is `sent_at` (the row's `created_at` when a status
  webhook came without one).
- **delivered**: status delivered or read. **read**: status read.
- **replied**: customers (not messages) who wrote to us (an inbound event of
  kind "message") after a sent message and at most 7 days after it.
- **opted out**: customers with an opt-out (`consent_event.opted_in` false)
  after a sent message and at most 7 days after it.
- **orders / revenue**: an order is attributed to the *latest* sent marketing
  message of any source that its customer got in the 7 days before placing it
  (last touch), so no order counts for two campaigns. Cancelled orders and
  refunded ones are left out; pending orders count (they were placed, and drop
  out if they are cancelled). Revenue is the sum of the attributed orders'
  totals per currency, in integer minor units.

Windows are `message < event <= message + 7 days`. A reply or an opt-out
counts for every source that messaged the customer in the 7 days before it
(each source asks "did my message get an answer"); orders alone are last touch
because revenue must add up across campaigns. Three queries per call: the
latest moment a message was sent (which bounds the orders to look at), the
messages' figures (with EXISTS probes for replies and opt-outs on the
per-customer indexes), and the orders that could be attributed (each finds its
last touch through the outbox's per-customer index). Messages are found
through the partial index on (source, created_at).
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta

from sqlalchemy import Interval, and_, case, distinct, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from bot.db import is_postgres
from bot.models import (
    Campaign,
    ConsentEvent,
    EventKind,
    InboundEvent,
    Order,
    OrderStatus,
    OutboundMessage,
    OutboundStatus,
    PaymentStatus,
)
from bot.reports.period import Period
from bot.reports.sql import seconds_between

#: How long after a message a reply, an opt-out or an order is credited to it.
WINDOW = timedelta(days=7)
AUTOMATIONS = {"abandoned_cart": "Abandoned cart", "back_in_stock": "Back in stock"}
_CAMPAIGN = re.compile(r"^campaign:(\d+)$")

_out = OutboundMessage.__table__
_inbound = InboundEvent.__table__
_consent = ConsentEvent.__table__
_order = Order.__table__


@dataclass(frozen=True)
class SourceResult:
    """The figures of one campaign or automation (revenue: currency -> minor units)."""

    source: str
    name: str
    sent: int = 0
    delivered: int = 0
    read: int = 0
    replied: int = 0
    opted_out: int = 0
    orders: int = 0
    revenue: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def display_name(source: str, names: Mapping[str, str] | None = None) -> str:
    """"Abandoned cart", "Back in stock", "Campaign 12", or the name the caller gives for `source`."""
    if names and source in names:
        return names[source]
    if source in AUTOMATIONS:
        return AUTOMATIONS[source]
    match = _CAMPAIGN.match(source)
    return f"Campaign {match.group(1)}" if match else source


def _order_key(source: str) -> tuple:
    """Automations first, then campaigns by number, then anything else by name."""
    if source in AUTOMATIONS:
        return (0, list(AUTOMATIONS).index(source), "")
    match = _CAMPAIGN.match(source)
    return (1, int(match.group(1)), "") if match else (2, 0, source)


def _sent(table):
    return or_(table.c.sent_at.is_not(None),
               table.c.status.in_((OutboundStatus.SENT, OutboundStatus.DELIVERED, OutboundStatus.READ)))


def _moment(table):
    return func.coalesce(table.c.sent_at, table.c.created_at)


def _within(session: Session, later, earlier):
    """`earlier < later <= earlier + 7 days`: on PostgreSQL a range the per-customer indexes answer."""
    if is_postgres(session):
        return and_(later > earlier, later <= earlier + literal(WINDOW, Interval()))
    return and_(later > earlier, seconds_between(session, later, earlier) <= WINDOW.total_seconds())


def _messages(session: Session, where) -> dict[str, dict]:
    """source -> sent, delivered, read, replied, opted_out for the messages matching `where`."""
    m = _out
    at = _moment(m)
    replied = exists().where(_inbound.c.customer_id == m.c.customer_id, _inbound.c.kind == EventKind.MESSAGE,
                             _within(session, _inbound.c.received_at, at))
    opted_out = exists().where(_consent.c.customer_id == m.c.customer_id, _consent.c.opted_in.is_(False),
                               _within(session, _consent.c.at, at))
    sent = _sent(m)

    def count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    def customers(condition):
        return func.count(distinct(case((and_(sent, condition), m.c.customer_id))))

    stmt = (select(m.c.source, count(sent),
                   count(m.c.status.in_((OutboundStatus.DELIVERED, OutboundStatus.READ))),
                   count(m.c.status == OutboundStatus.READ), customers(replied), customers(opted_out))
            .where(m.c.source.is_not(None), *where).group_by(m.c.source))
    return {source: {"sent": int(s), "delivered": int(d), "read": int(r), "replied": r2, "opted_out": o}
            for source, s, d, r, r2, o in session.execute(stmt)}


def _orders(session: Session, where, placed) -> dict[str, tuple[int, dict[str, int]]]:
    """source -> (orders, {currency: revenue}) by last touch, for orders placed per `placed`, credited
    to messages matching `where`."""
    touch = _out.alias("touch")
    at = _moment(touch)
    last = (select(touch.c.id)
            .where(touch.c.customer_id == _order.c.customer_id, touch.c.source.is_not(None), _sent(touch),
                   _within(session, _order.c.created_at, at))
            .order_by(at.desc(), touch.c.id.desc()).limit(1)
            .correlate(_order).scalar_subquery())
    attributed = (select(_order.c.currency, _order.c.total, last.label("message_id"))
                  .where(_order.c.customer_id.is_not(None), _order.c.status != OrderStatus.CANCELLED,
                         _order.c.payment_status != PaymentStatus.REFUNDED, *placed).subquery())
    m = _out
    stmt = (select(m.c.source, attributed.c.currency, func.count(), func.sum(attributed.c.total))
            .join(m, m.c.id == attributed.c.message_id)
            .where(m.c.source.is_not(None), *where).group_by(m.c.source, attributed.c.currency))
    result: dict[str, tuple[int, dict[str, int]]] = {}
    for source, currency, n, total in session.execute(stmt):
        orders, revenue = result.get(source, (0, {}))
        result[source] = (orders + n, {**revenue, currency: int(total)})
    return result


def campaign_names(session: Session, sources) -> dict[str, str]:
    """"Campaign 12: weekly_offers to label vip" for each `campaign:<id>` source of a campaign still stored."""
    ids = {int(m.group(1)) for m in map(_CAMPAIGN.match, sources) if m}
    if not ids:
        return {}
    rows = session.execute(select(Campaign.id, Campaign.template, Campaign.audience).where(Campaign.id.in_(ids)))
    return {f"campaign:{i}": f"Campaign {i}: {template} to {audience}" for i, template, audience in rows}


def _combine(session: Session, messages: dict[str, dict], orders: dict[str, tuple[int, dict[str, int]]],
             names: Mapping[str, str] | None) -> list[SourceResult]:
    sources = set(messages) | set(orders)
    names = {**campaign_names(session, sources), **(names or {})}
    out = []
    for source in sorted(sources, key=_order_key):
        n, revenue = orders.get(source, (0, {}))
        out.append(SourceResult(source, display_name(source, names), **messages.get(source, {}), orders=n,
                                revenue=dict(sorted(revenue.items()))))
    return out


def results(session: Session, period: Period, names: Mapping[str, str] | None = None) -> list[SourceResult]:
    """Every campaign's and automation's figures for the messages created in `period`.

    Orders placed up to 7 days after the period's last message was sent still count for it.
    `names` maps a source (`campaign:12`) to the name to show.
    """
    created = (_out.c.created_at >= period.start, _out.c.created_at < period.end)
    last = session.scalar(select(func.max(_moment(_out))).where(_out.c.source.is_not(None), *created))
    if last is None:
        return []
    placed = (_order.c.created_at > period.start, _order.c.created_at <= last + WINDOW)
    return _combine(session, _messages(session, created), _orders(session, created, placed), names)


def result_for(session: Session, source: str, name: str | None = None) -> SourceResult:
    """One campaign's or automation's figures over all its messages (the campaign page).

    `source` is the outbox tag (`campaign:12`); `name` is shown instead of "Campaign 12".
    """
    mine = (_out.c.source == literal(source),)
    first = session.scalar(select(func.min(_out.c.created_at)).where(*mine))
    if first is None:
        return SourceResult(source, name or display_name(source, campaign_names(session, [source])))
    found = _combine(session, _messages(session, mine), _orders(session, mine, (_order.c.created_at > first,)),
                     {source: name} if name else None)
    return found[0] if found else SourceResult(source, name or display_name(source, campaign_names(session, [source])))
