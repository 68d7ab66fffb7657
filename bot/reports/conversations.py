"""Figures about conversations: how many, how far down the funnel, who needed a person, what people ask."""
from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Date, Select, and_, case, cast, distinct, func, literal, select, union_all
from sqlalchemy.orm import Session

from bot.db import is_postgres
from bot.models import ChatLabel, ConversationEvent, EventKind, Handoff, InboundEvent, Order, OrderHistory
from bot.models.staff import REASON_LABELS
from bot.reports.period import Period, by_bucket

#: The funnel, in order. A customer counts at a step if they reached it or any later one
#: (a WhatsApp-cart order skips the product card, but that customer did choose products).
FUNNEL = ("conversations", "product_viewed", "cart", "checkout_started", "order_placed", "paid", "delivered")
EVENT_STEPS = {"product_viewed": "product_view", "cart": "cart_add", "checkout_started": "checkout_start"}


def _in(period: Period, column):
    return and_(column >= period.start, column < period.end)


def cohort(period: Period):
    """Customers who wrote to the shop in the period: each is one conversation."""
    return select(InboundEvent.customer_id).where(
        InboundEvent.kind == EventKind.MESSAGE, _in(period, InboundEvent.received_at),
        InboundEvent.customer_id.is_not(None)).distinct()


def _reached(period: Period):
    """(customer_id, rank) for every funnel step a customer reached in the period; rank = index in FUNNEL."""
    parts: list[Select[Any, Any]] = [
        select(ConversationEvent.customer_id, literal(FUNNEL.index(step)).label("rank")).where(
            ConversationEvent.kind == kind, _in(period, ConversationEvent.at)).distinct()
        for step, kind in EVENT_STEPS.items()]
    placed = and_(_in(period, Order.created_at), Order.customer_id.is_not(None))
    reached = func.max(case((OrderHistory.to_status == "delivered", FUNNEL.index("delivered")),
                            (OrderHistory.to_status == "paid", FUNNEL.index("paid")),
                            else_=FUNNEL.index("order_placed")))
    parts.append(select(Order.customer_id, reached.label("rank")).outerjoin(
        OrderHistory, and_(OrderHistory.order_id == Order.id, OrderHistory.to_status.in_(("paid", "delivered"))))
        .where(placed).group_by(Order.id, Order.customer_id))
    return union_all(*parts).subquery("reached")


def funnel(session: Session, period: Period) -> list[dict]:
    """Customers at each step, and the conversion from the step before.

    One query finds the furthest step each customer of the period reached;
    a customer counts at every step up to it.
    """
    who = cohort(period).subquery()
    reached = _reached(period)
    furthest = (select(reached.c.customer_id, func.max(reached.c.rank).label("top"))
                .where(reached.c.customer_id.in_(select(who.c.customer_id)))
                .group_by(reached.c.customer_id).subquery())
    tops: dict[int, int] = dict(session.execute(select(furthest.c.top, func.count()).group_by(furthest.c.top)).all())
    total = session.scalar(select(func.count()).select_from(who)) or 0
    steps, previous = [], None
    for index, step in enumerate(FUNNEL):
        count = total if index == 0 else sum(n for top, n in tops.items() if top >= index)
        steps.append({"step": step, "customers": count,
                      "conversion": round(count / previous, 4) if previous else None})
        previous = count
    return steps


def per_day_and_week(session: Session, period: Period) -> tuple[dict[str, int], dict[str, int]]:
    """Conversations (distinct customers writing) per local day and per local week.

    On PostgreSQL one pass finds each (customer, local day) once and both
    groupings read that; SQLite groups against the period's day boundaries.
    """
    if not is_postgres(session):
        count = func.count(distinct(InboundEvent.customer_id))
        where = (InboundEvent.kind == EventKind.MESSAGE,)
        return (by_bucket(session, period, "day", InboundEvent.received_at, count, where=where),
                by_bucket(session, period, "week", InboundEvent.received_at, count, where=where))
    local_day = cast(func.timezone(period.zone, InboundEvent.received_at), Date)
    pairs = (select(InboundEvent.customer_id, local_day.label("d"))
             .where(InboundEvent.kind == EventKind.MESSAGE, _in(period, InboundEvent.received_at))
             .distinct().cte("pairs"))
    weekly = (select(cast(func.date_trunc("week", pairs.c.d), Date).label("w"), pairs.c.customer_id)
              .distinct().subquery())  # DISTINCT hashes; count(DISTINCT) would sort
    rows = session.execute(union_all(
        select(literal("day").label("size"), pairs.c.d.label("label"), func.count().label("n")).group_by(pairs.c.d),
        select(literal("week"), weekly.c.w, func.count()).group_by(weekly.c.w))).all()
    days = {label.isoformat(): n for size, label, n in rows if size == "day"}
    weeks = {label.isoformat(): n for size, label, n in rows if size == "week"}
    return days, weeks


def resolution(session: Session, period: Period, conversations: int) -> dict:
    """The share of the period's conversations the bot finished alone, and why the others went to a person."""
    wrote = (select(InboundEvent.id).where(InboundEvent.customer_id == Handoff.customer_id,
                                           InboundEvent.kind == EventKind.MESSAGE,
                                           _in(period, InboundEvent.received_at)).exists())
    helped = session.scalar(select(func.count(distinct(Handoff.customer_id))).where(
        _in(period, Handoff.opened_at), wrote)) or 0
    reasons = session.execute(select(Handoff.reason, func.count()).where(_in(period, Handoff.opened_at))
                              .group_by(Handoff.reason).order_by(func.count().desc(), Handoff.reason)).all()
    total = conversations
    return {"conversations": total, "without_a_person": total - helped,
            "share_without_a_person": round((total - helped) / total, 4) if total else None,
            "handoff_reasons": [{"reason": r, "label": REASON_LABELS.get(r, str(r).replace("_", " ")), "count": c}
                                for r, c in reasons]}


def top_faq(session: Session, period: Period, content, limit: int = 10) -> list[dict]:
    rows = session.execute(select(ConversationEvent.detail, func.count()).where(
        ConversationEvent.kind == "faq", _in(period, ConversationEvent.at))
        .group_by(ConversationEvent.detail).order_by(func.count().desc(), ConversationEvent.detail).limit(limit)).all()
    faq = content.faq.by_id if content.faq else {}
    return [{"entry": entry, "question": faq[entry].question(content.default_language, content.default_language)
             if entry in faq else entry, "count": count} for entry, count in rows]


def unanswered(session: Session, period: Period, limit: int = 10, sample: int = 5000) -> list[dict]:
    """The messages the bot did not understand, near-duplicates grouped ("delivery to canary islands?" ~
    "do you deliver to the canary islands"), most frequent first. Reads the latest `sample` misses."""
    texts = session.scalars(select(ConversationEvent.text).where(
        ConversationEvent.kind == "miss", _in(period, ConversationEvent.at), ConversationEvent.text.is_not(None))
        .order_by(ConversationEvent.id.desc()).limit(sample)).all()
    groups: list[dict] = []
    for text in texts:
        key = " ".join((text or "").lower().split())  # never None: the query leaves NULLs out
        for group in groups:
            if fuzz.token_set_ratio(key, group["key"]) >= 85:
                group["count"] += 1
                if len(group["examples"]) < 3 and text not in group["examples"]:
                    group["examples"].append(text)
                break
        else:
            groups.append({"key": key, "text": text, "count": 1, "examples": [text]})
    groups.sort(key=lambda g: (-g["count"], g["key"]))
    return [{"text": g["text"], "count": g["count"], "examples": g["examples"]} for g in groups[:limit]]


def searches_without_results(session: Session, period: Period, limit: int = 10) -> list[dict]:
    wanted = func.lower(func.trim(ConversationEvent.text))
    rows = session.execute(select(wanted, func.count()).where(
        ConversationEvent.kind == "search_none", _in(period, ConversationEvent.at))
        .group_by(wanted).order_by(func.count().desc(), wanted).limit(limit)).all()
    return [{"text": text, "count": count} for text, count in rows]


def abandoned(session: Session, period: Period) -> dict:
    """Customers who filled a cart, or began a checkout, and placed no order in the period."""
    ordered = select(Order.customer_id).where(_in(period, Order.created_at), Order.customer_id.is_not(None))

    def count(kind: str, also_not=None) -> int:
        query = select(func.count(distinct(ConversationEvent.customer_id))).where(
            ConversationEvent.kind == kind, _in(period, ConversationEvent.at),
            ConversationEvent.customer_id.not_in(ordered))
        if also_not:
            query = query.where(ConversationEvent.customer_id.not_in(
                select(ConversationEvent.customer_id).where(ConversationEvent.kind == also_not,
                                                            _in(period, ConversationEvent.at))))
        return session.scalar(query) or 0

    return {"carts": count("cart_add", also_not="checkout_start"), "checkouts": count("checkout_start")}


def labels(session: Session, period: Period, owner_labels) -> list[dict]:
    """For each of the owner's labels, the period's conversations that carry it (customers who wrote)."""
    wrote = (select(InboundEvent.id).where(InboundEvent.customer_id == ChatLabel.customer_id,
                                           InboundEvent.kind == EventKind.MESSAGE,
                                           _in(period, InboundEvent.received_at)).exists())
    counts = dict(session.execute(select(ChatLabel.label, func.count()).where(wrote).group_by(ChatLabel.label)).all())
    return [{"label": x.id, "title": x.title, "conversations": counts.get(x.id, 0)} for x in owner_labels]
