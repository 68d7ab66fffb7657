"""A customer's conversation as staff read it: both directions, in order, with delivery ticks.

Built from the rows the bot already keeps (inbound events and the outbox),
so there is no second copy of any message; each message becomes one line of
text through `message_types`. Texts are returned raw; the templates escape them.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import ChatNote, EventKind, InboundEvent, OutboundMessage, OutboundStatus, StaffMember
from bot.staff import bubbles
from bot.whatsapp.message_types import in_transcript, inbound_line, outbound_line
from bot.whatsapp.webhook_body import as_object

#: How each outbound status is shown: a tick mark and a word for screen readers and tooltips.
TICKS = {
    OutboundStatus.QUEUED: ("🕓", "queued"), OutboundStatus.SENDING: ("🕓", "sending"),
    OutboundStatus.UNCONFIRMED: ("🕓", "waiting for WhatsApp"),
    OutboundStatus.HELD: ("⏸", "held until the customer writes"),
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
    message_id: int | None = None  # the outbox row, for outbound messages (or the note's id)
    can_retry: bool = False  # we gave up on it (dead): staff may queue it again
    bubble: bubbles.Bubble = field(default_factory=bubbles.Bubble)  # drawn: WhatsApp marks, chips, media
    wamid: str = ""  # WhatsApp's id, for the replies that quote it
    quote: str = ""  # the text of the message this one replies to
    note: bool = False  # a private note from the team: shown here, never sent


def entries(session: Session, customer_id: int, customer_name: str, limit: int = 200) -> list[Entry]:
    """The last `limit` messages each way, merged by time (oldest first)."""
    inbound = session.scalars(select(InboundEvent).where(
        InboundEvent.customer_id == customer_id, InboundEvent.kind == EventKind.MESSAGE)
        .order_by(InboundEvent.id.desc()).limit(limit)).all()
    outbound = session.execute(select(OutboundMessage, StaffMember.name)
                               .outerjoin(StaffMember, StaffMember.id == OutboundMessage.staff_id)
                               .where(OutboundMessage.customer_id == customer_id)
                               .order_by(OutboundMessage.id.desc()).limit(limit)).all()
    merged = [Entry(e.received_at, True, inbound_line(as_object(e.payload).get("message")), customer_name,
                    bubble=bubbles.inbound(as_object(e.payload).get("message"), f"/staff/media/{e.id}"),
                    wamid=e.external_id)
              for e in inbound if in_transcript(as_object(e.payload).get("message"))]
    for row, staff_name in outbound:
        status = OutboundStatus(row.status)
        tick, word = TICKS[status]
        error = None
        if status in (OutboundStatus.FAILED, OutboundStatus.DEAD):
            error = f"{row.error_title or 'unknown error'}" + (f" ({row.error_code})" if row.error_code else "")
        merged.append(Entry(row.created_at, False, outbound_line(row.body), staff_name or "Bot", word, tick, error,
                            row.id, status is OutboundStatus.DEAD, bubbles.outbound(row.body), row.wamid or ""))
    notes = session.execute(select(ChatNote, StaffMember.name)
                            .outerjoin(StaffMember, StaffMember.id == ChatNote.staff_id)
                            .where(ChatNote.customer_id == customer_id)
                            .order_by(ChatNote.id.desc()).limit(limit)).all()
    merged += [Entry(n.created_at, False, n.text, name or "A colleague", message_id=n.id, note=True,
                     bubble=bubbles.Bubble(n.text, note="private note")) for n, name in notes]
    merged.sort(key=lambda e: (e.at, not e.incoming))
    texts = {e.wamid: e.bubble.text or e.bubble.tapped or e.text for e in merged if e.wamid}
    merged = [replace(e, quote=texts.get(e.bubble.replies_to, "")) if e.bubble.replies_to else e for e in merged]
    return merged[-limit:]
