"""A customer's conversation as staff read it: both directions, in order, with delivery ticks.

Built from the rows the bot already keeps (inbound events and the outbox),
so there is no second copy of any message. Texts are returned raw; the
templates escape them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import EventKind, InboundEvent, OutboundMessage, OutboundStatus, StaffMember
from bot.whatsapp.webhook_body import as_object, as_text

#: How each outbound status is shown: a tick mark and a word for screen readers and tooltips.
TICKS = {
    OutboundStatus.QUEUED: ("🕓", "queued"), OutboundStatus.SENDING: ("🕓", "sending"),
    OutboundStatus.UNCONFIRMED: ("🕓", "waiting for WhatsApp"), OutboundStatus.HELD: ("⏸", "held until the customer writes"),
    OutboundStatus.SENT: ("✓", "sent"), OutboundStatus.DELIVERED: ("✓✓", "delivered"),
    OutboundStatus.READ: ("✓✓", "read"), OutboundStatus.FAILED: ("⚠", "failed"), OutboundStatus.DEAD: ("⚠", "not sent"),
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    incoming: bool
    text: str
    author: str  # the customer's name, "Bot", or the staff member's name
    status: str | None = None  # outbound only
    tick: str = ""
    error: str | None = None  # why a send failed, in Meta's words
    message_id: int | None = None  # the outbox row, for outbound messages
    can_retry: bool = False  # we gave up on it (dead): staff may queue it again


def inbound_text(message) -> str:
    """What the customer sent, as one line of text, whatever its type.

    Never raises: a malformed stored message (a `location` that is a string,
    say) is shown as best it can be, so one bad row cannot break a staff page.
    """
    message = as_object(message)
    kind = as_text(message.get("type"))
    if kind == "text":
        return as_text(as_object(message.get("text")).get("body"))
    if kind == "interactive":
        inter = as_object(message.get("interactive"))
        reply = as_object(inter.get("button_reply")) or as_object(inter.get("list_reply"))
        return f"[tapped] {as_text(reply.get('title'))}".strip()
    if kind == "button":
        return f"[tapped] {as_text(as_object(message.get('button')).get('text'))}".strip()
    if kind in ("image", "video", "audio", "voice", "document", "sticker"):
        media = as_object(message.get(kind))
        return f"[{kind}] {as_text(media.get('caption')) or as_text(media.get('filename'))}".strip()
    if kind == "location":
        loc = as_object(message.get("location"))
        place = ", ".join(str(loc[k]) for k in ("name", "address") if loc.get(k))
        return f"[location] {place} ({loc.get('latitude')}, {loc.get('longitude')})".replace("[location]  ", "[location] ")
    if kind == "order":
        items = as_object(message.get("order")).get("product_items")
        quantities = [str(as_object(i).get("quantity")) for i in items] if isinstance(items, list) else []
        return f"[WhatsApp cart] {sum(int(q) for q in quantities if q.isdecimal() and len(q) < 6)} item(s)"
    if kind == "reaction":
        return f"[reaction] {as_text(as_object(message.get('reaction')).get('emoji'))}".strip()
    if kind == "contacts":
        return "[contact card]"
    return f"[{kind or 'message'}]"


def outbound_text(spec: dict) -> str:
    """What the bot or staff sent, as text: body, then the buttons or rows offered."""
    kind = spec.get("type")
    if kind == "template":
        return f"[template {spec.get('name')}] " + " · ".join(str(p) for p in spec.get("params") or [])
    if kind == "document":
        return f"[document {spec.get('filename') or ''}] {spec.get('caption') or ''}".strip()
    body = spec.get("text") or spec.get("caption") or ""
    options = [b.get("title", "") for b in spec.get("buttons") or []]
    for section in spec.get("sections") or []:
        options += [r.get("title", "") for r in section.get("rows") or []]
    if options:
        body += "\n" + " ".join(f"[{o}]" for o in options)
    return body


def entries(session: Session, customer_id: int, customer_name: str, limit: int = 200) -> list[Entry]:
    """The last `limit` messages each way, merged by time (oldest first)."""
    inbound = session.scalars(select(InboundEvent).where(
        InboundEvent.customer_id == customer_id, InboundEvent.kind == EventKind.MESSAGE)
        .order_by(InboundEvent.id.desc()).limit(limit)).all()
    outbound = session.execute(select(OutboundMessage, StaffMember.name)
                               .outerjoin(StaffMember, StaffMember.id == OutboundMessage.staff_id)
                               .where(OutboundMessage.customer_id == customer_id)
                               .order_by(OutboundMessage.id.desc()).limit(limit)).all()
    merged = [Entry(e.received_at, True, inbound_text(as_object(e.payload).get("message")), customer_name)
              for e in inbound if as_object(as_object(e.payload).get("message")).get("type") not in ("system", "revoke", "edit")]
    for row, staff_name in outbound:
        status = OutboundStatus(row.status)
        tick, word = TICKS[status]
        error = None
        if status in (OutboundStatus.FAILED, OutboundStatus.DEAD):
            error = f"{row.error_title or 'unknown error'}" + (f" ({row.error_code})" if row.error_code else "")
        merged.append(Entry(row.created_at, False, outbound_text(row.body), staff_name or "Bot", word, tick, error,
                            row.id, status is OutboundStatus.DEAD))
    merged.sort(key=lambda e: (e.at, not e.incoming))
    return merged[-limit:]
