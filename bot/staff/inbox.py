"""The inbox: chats waiting for a person, mine, unassigned, all, and search; polled for live updates.

Every view can be narrowed by a label and by a status, and searched: the
filters combine, so "all chats, VIP, latest order shipped, 'parcel'" works.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app, g, redirect, render_template, request, url_for
from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from bot.commerce.notifications import window_open
from bot.db import transaction
from bot.models import (
    ChatLabel,
    Customer,
    EventKind,
    Handoff,
    HandoffReason,
    InboundEvent,
    Order,
    OrderStatus,
    StaffMember,
)
from bot.models import utcnow as now
from bot.models.staff import REASON_LABELS
from bot.staff import bp
from bot.staff.teamwork import labels_of
from bot.whatsapp.message_types import inbound_line
from bot.whatsapp.webhook_body import as_object

VIEWS = {"waiting": "Waiting", "mine": "Mine", "unassigned": "Unassigned", "all": "All chats"}

#: Where a conversation is, as the team says it (the status filter's first group).
CHAT_STATUSES = {"waiting": "Waiting for a reply", "answered": "With the team, answered", "bot": "With the bot"}
#: The customer's latest order, by its fulfilment status (the second group): "order:shipped".
ORDER_STATUSES = {f"order:{s}": label for s, label in (
    (OrderStatus.PENDING, "Order to confirm"), (OrderStatus.CONFIRMED, "Order confirmed"),
    (OrderStatus.PREPARED, "Order packed"), (OrderStatus.SHIPPED, "Order shipped"),
    (OrderStatus.OUT_FOR_DELIVERY, "Order out for delivery"), (OrderStatus.DELIVERED, "Order delivered"),
    (OrderStatus.CANCELLED, "Order cancelled"))}


@dataclass(frozen=True)
class InboxRow:
    customer_id: int
    name: str
    phone: str
    reason: str | None
    assignee: str | None
    waiting_since: datetime | None
    handed_over: bool
    window_open: bool
    last_message: str
    last_at: datetime | None
    labels: tuple[str, ...] = ()  # the team's labels on the conversation
    unread: int = 0  # the customer's messages since they began waiting for a reply


def waited(since: datetime | None, t: datetime) -> str:
    """"under a minute", "7 minutes", "2 hours 5 minutes", "3 days": how long someone has waited,
    written as people say it."""
    if since is None:
        return ""
    minutes = max(0, int((t - since).total_seconds() // 60))
    if minutes < 1:
        return "under a minute"
    if minutes < 60:
        return _count(minutes, "minute")
    if minutes < 24 * 60:
        hours, rest = divmod(minutes, 60)
        return _count(hours, "hour") + (f" {_count(rest, 'minute')}" if rest else "")
    return _count(minutes // (24 * 60), "day")


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def counts(session: Session, me: StaffMember) -> dict[str, int]:
    open_ = Handoff.closed_at.is_(None)
    return {
        "waiting": session.scalar(select(func.count()).where(open_, Handoff.waiting_since.is_not(None))) or 0,
        "mine": session.scalar(select(func.count()).where(open_, Handoff.assigned_to == me.id)) or 0,
        # my chats whose customer wrote since a person last replied: a reply to notify me of
        "mine_waiting": session.scalar(select(func.count()).where(
            open_, Handoff.assigned_to == me.id, Handoff.waiting_since.is_not(None))) or 0,
        "unassigned": session.scalar(select(func.count()).where(open_, Handoff.assigned_to.is_(None))) or 0,
    }


def rows(session: Session, view: str, me: StaffMember, query: str, t: datetime, limit: int = 100,
         label: str = "", status: str = "") -> list[InboxRow]:
    """The inbox for `view`, longest-waiting first (all chats: most recent first); with `label`, only
    the conversations that carry it; with `status` (CHAT_STATUSES, ORDER_STATUSES), only those there."""
    assignee = aliased(StaffMember)
    handoff_join = and_(Handoff.customer_id == Customer.id, Handoff.closed_at.is_(None))
    stmt = (select(Customer, Handoff, assignee.name)
            .outerjoin(Handoff, handoff_join).outerjoin(assignee, assignee.id == Handoff.assigned_to))
    if view == "waiting":
        stmt = stmt.where(Handoff.waiting_since.is_not(None)).order_by(Handoff.waiting_since)
    elif view == "mine":
        stmt = stmt.where(Handoff.assigned_to == me.id).order_by(Handoff.waiting_since.is_(None), Handoff.waiting_since)
    elif view == "unassigned":
        stmt = stmt.where(Handoff.id.is_not(None), Handoff.assigned_to.is_(None)).order_by(
            Handoff.waiting_since.is_(None), Handoff.waiting_since)
    else:
        stmt = stmt.where(Customer.last_inbound_at.is_not(None)).order_by(Customer.last_inbound_at.desc())
    if label:
        stmt = stmt.where(Customer.id.in_(select(ChatLabel.customer_id).where(ChatLabel.label == label)))
    if status:
        stmt = stmt.where(_in_status(status))
    query = query.strip()
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        like = f"%{query.lower()}%"
        clauses = [func.lower(Customer.name).like(like)]
        if len(digits) >= 3:
            clauses.append(Customer.wa_id.like(f"%{digits}%"))
        if len(query) >= 3:  # what customers wrote: "parcel" finds the chat that asked about one
            said = func.lower(InboundEvent.payload["message"]["text"]["body"].as_string())
            clauses.append(Customer.id.in_(select(InboundEvent.customer_id).where(
                InboundEvent.kind == EventKind.MESSAGE, said.like(like))))
        stmt = stmt.where(or_(*clauses))
    found = session.execute(stmt.limit(limit)).all()
    last = _last_messages(session, [c.id for c, _h, _n in found])
    labels = labels_of(session, [c.id for c, _h, _n in found])
    unread = _unread(session, {c.id: h.waiting_since for c, h, _n in found if h is not None and h.waiting_since})
    return [InboxRow(customer_id=c.id, name=c.name or "(no name)", phone=c.wa_id or "",
                     reason=reason_label(h), assignee=name, waiting_since=h.waiting_since if h else None,
                     handed_over=h is not None, window_open=window_open(c, t),
                     last_message=last.get(c.id, ("", None))[0], last_at=last.get(c.id, ("", None))[1],
                     labels=tuple(labels.get(c.id, ())), unread=unread.get(c.id, 0))
            for c, h, name in found]


def _in_status(status: str):
    """The condition for one status of the filter (the handoff is the open one, joined in `rows`)."""
    if status == "waiting":
        return Handoff.waiting_since.is_not(None)
    if status == "answered":
        return and_(Handoff.id.is_not(None), Handoff.waiting_since.is_(None))
    if status == "bot":
        return Handoff.id.is_(None)
    latest = select(func.max(Order.id)).where(Order.customer_id.is_not(None)).group_by(Order.customer_id)
    return Customer.id.in_(select(Order.customer_id).where(
        Order.id.in_(latest), Order.status == status.removeprefix("order:")))


def reason_label(handoff: Handoff | None) -> str | None:
    if handoff is None:
        return None
    label = REASON_LABELS[HandoffReason(handoff.reason)]
    return f"{label}: “{handoff.detail}”" if handoff.reason == HandoffReason.KEYWORD and handoff.detail else label


def _unread(session: Session, waiting: dict[int, datetime]) -> dict[int, int]:
    """customer id -> their messages since they started waiting for a reply (nobody answered them yet)."""
    if not waiting:
        return {}
    since = case(*((InboundEvent.customer_id == cid, at) for cid, at in waiting.items()))
    found = session.execute(select(InboundEvent.customer_id, func.count()).where(
        InboundEvent.customer_id.in_(list(waiting)), InboundEvent.kind == EventKind.MESSAGE,
        InboundEvent.received_at >= since).group_by(InboundEvent.customer_id)).all()
    return {cid: n for cid, n in found if cid is not None}


def _last_messages(session: Session, customer_ids: list[int]) -> dict[int, tuple[str, datetime]]:
    if not customer_ids:
        return {}
    latest = (select(func.max(InboundEvent.id)).where(InboundEvent.customer_id.in_(customer_ids),
                                                      InboundEvent.kind == EventKind.MESSAGE)
              .group_by(InboundEvent.customer_id))
    events = session.scalars(select(InboundEvent).where(InboundEvent.id.in_(latest))).all()
    return {e.customer_id: (inbound_line(as_object(e.payload).get("message"))[:140], e.received_at)
            for e in events if e.customer_id is not None}


def _view() -> str:
    view = request.args.get("view", "waiting")
    return view if view in VIEWS else "waiting"


@bp.get("/")
def home():
    return redirect(url_for("staff.inbox"))


def _label() -> str:
    """The label filter asked for, when it is one of the owner's."""
    wanted = request.args.get("label", "")
    return wanted if any(x.id == wanted for x in current_app.extensions["shopbot.content"].current().labels) else ""


def _status() -> str:
    """The status filter asked for, when it is one the inbox knows."""
    wanted = request.args.get("status", "")
    return wanted if wanted in CHAT_STATUSES or wanted in ORDER_STATUSES else ""


@bp.get("/inbox")
def inbox():
    view, query, t, label, status = _view(), request.args.get("q", ""), now(), _label(), _status()
    labels = current_app.extensions["shopbot.content"].current().labels
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        found, numbers = rows(s, view, g.staff, query, t, label=label, status=status), counts(s, g.staff)
    return render_template("staff/inbox.html", rows=found, view=view, views=VIEWS, q=query, counts=numbers,
                           t=t, waited=waited, labels=labels, label=label, titles={x.id: x.title for x in labels},
                           status=status, filtered=bool(label or status or query.strip()),
                           chat_statuses=CHAT_STATUSES, order_statuses=ORDER_STATUSES)


@bp.get("/inbox/rows")
def inbox_rows():
    """The inbox table's body, for the page's live refresh."""
    view, query, t, label, status = _view(), request.args.get("q", ""), now(), _label(), _status()
    labels = current_app.extensions["shopbot.content"].current().labels
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        found = rows(s, view, g.staff, query, t, label=label, status=status)
    return render_template("staff/_inbox_rows.html", rows=found, view=view, t=t, waited=waited,
                           titles={x.id: x.title for x in labels}, filtered=bool(label or status or query.strip()))


@bp.get("/poll.json")
def poll():
    """Counts for the badge on every page; the page plays a sound and shows a notification when
    `waiting` grows, and a notification when `mine_waiting` does (a customer answered me)."""
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        return counts(s, g.staff)
