"""A customer's conversation as staff read it: both directions, in order, with delivery ticks.

Built from the rows the bot already keeps (inbound events and the outbox),
so there is no second copy of any message; each message becomes one line of
text through `message_types`. Texts are returned raw; the templates escape them.
A customer's reaction is not a message of its own but a badge on the message
it reacts to, as WhatsApp shows it.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.content.shop import Content
from bot.models import ChatNote, EventKind, InboundEvent, OutboundMessage, OutboundStatus, StaffMember
from bot.staff import bubbles, order_cards
from bot.whatsapp import media_store
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
    reaction: str = ""  # the customer's emoji on this message


def entries(session: Session, customer_id: int, customer_name: str, limit: int = 200,
            content: Content | None = None, folder: Path | None = None) -> list[Entry]:
    """The last `limit` messages each way, merged by time (oldest first); with `content`, order
    summaries are drawn as cards; with `folder` (MEDIA_DIR), documents show their size."""
    inbound = session.scalars(select(InboundEvent).where(
        InboundEvent.customer_id == customer_id, InboundEvent.kind == EventKind.MESSAGE)
        .order_by(InboundEvent.id.desc()).limit(limit)).all()
    outbound = session.execute(select(OutboundMessage, StaffMember.name)
                               .outerjoin(StaffMember, StaffMember.id == OutboundMessage.staff_id)
                               .where(OutboundMessage.customer_id == customer_id)
                               .order_by(OutboundMessage.id.desc()).limit(limit)).all()
    merged = [Entry(e.received_at, True, inbound_line(as_object(e.payload).get("message")), customer_name,
                    bubble=bubbles.inbound(as_object(e.payload).get("message"), f"/staff/media/{e.id}",
                                           _inbound_size(folder, e)),
                    wamid=e.external_id)
              for e in inbound if in_transcript(as_object(e.payload).get("message"))]
    cards = order_cards.cards(session, content, customer_id, {row.id: row.body for row, _n in outbound}) \
        if content is not None else {}
    for row, staff_name in outbound:
        status = OutboundStatus(row.status)
        tick, word = TICKS[status]
        error = None
        if status in (OutboundStatus.FAILED, OutboundStatus.DEAD):
            error = f"{row.error_title or 'unknown error'}" + (f" ({row.error_code})" if row.error_code else "")
        merged.append(Entry(row.created_at, False, outbound_line(row.body), staff_name or "Bot", word, tick, error,
                            row.id, status is OutboundStatus.DEAD,
                            bubbles.outbound(row.body, cards.get(row.id), _sent_size(folder, row.body)),
                            row.wamid or ""))
    notes = session.execute(select(ChatNote, StaffMember.name)
                            .outerjoin(StaffMember, StaffMember.id == ChatNote.staff_id)
                            .where(ChatNote.customer_id == customer_id)
                            .order_by(ChatNote.id.desc()).limit(limit)).all()
    merged += [Entry(n.created_at, False, n.text, name or "A colleague", message_id=n.id, note=True,
                     bubble=bubbles.Bubble(n.text, note="private note")) for n, name in notes]
    merged.sort(key=lambda e: (e.at, not e.incoming))
    merged = _react(merged)
    texts = {e.wamid: e.bubble.text or e.bubble.tapped or e.text for e in merged if e.wamid}
    merged = [replace(e, quote=texts.get(e.bubble.replies_to, "")) if e.bubble.replies_to else e for e in merged]
    return merged[-limit:]


def _react(merged: list[Entry]) -> list[Entry]:
    """Each reaction as a badge on the message it reacts to: the customer's latest one counts, and an
    empty emoji takes it back. A reaction to a message further back than the transcript stays a small
    line of its own ("reacted 👍 to an earlier message")."""
    latest: dict[str, Entry] = {}
    for e in merged:  # oldest first: a later reaction replaces an earlier one
        if e.incoming and e.bubble.note == "reaction":
            latest[e.bubble.replies_to] = e
    shown = {e.wamid for e in merged if e.wamid and e.bubble.note != "reaction"}
    drawn = []
    for e in merged:
        if e.incoming and e.bubble.note == "reaction":
            if latest.get(e.bubble.replies_to) is e and e.bubble.text and e.bubble.replies_to not in shown:
                drawn.append(replace(e, bubble=replace(e.bubble, replies_to="")))  # an earlier message's
            continue
        emoji = latest[e.wamid].bubble.text if e.wamid in latest else ""
        drawn.append(replace(e, reaction=emoji) if emoji else e)
    return drawn


def _inbound_size(folder: Path | None, event: InboundEvent) -> int | None:
    """The size of a customer's document once it is here (fetched on first view)."""
    if folder is None or as_object(as_object(event.payload).get("message")).get("type") != "document":
        return None
    kept = media_store.kept_inbound(folder, event.id)
    return kept.stat().st_size if kept else None


def _sent_size(folder: Path | None, spec) -> int | None:
    """The size of a document staff sent (kept in MEDIA_DIR)."""
    spec = as_object(spec)
    if folder is None or spec.get("type") != "document" or not spec.get("upload"):
        return None
    try:
        return media_store.outbound_path(folder, str(spec["upload"])).stat().st_size
    except (OSError, ValueError):
        return None
