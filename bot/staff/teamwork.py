"""What the team keeps about a chat for itself: private notes, labels, and who is looking at it.

A note is written in the transcript for colleagues and is never sent: it has
no outbox row, so nothing can deliver it. Labels are the owner's
(`flows/labels.yaml`): staff put them on a conversation, the inbox filters by
them and the reports count the conversations that carry each. An open chat
page says every few seconds that its reader is there (`viewing`), so a
colleague sees "Luis is viewing" before both start typing.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, current_app, flash, g, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.db import transaction
from bot.models import ChatLabel, ChatNote, ChatViewer, Customer, StaffMember
from bot.models import utcnow as now
from bot.staff import bp

NOTE_LENGTH = ChatNote.text.type.length
VIEWING_SECONDS = 10  # the page polls every 3 s: unseen for longer means the colleague left


def viewing(session: Session, customer_id: int, me: int, t: datetime) -> list[str]:
    """Record that staff member `me` has this chat open now; the names of the others who have."""
    row = session.get(ChatViewer, (customer_id, me))
    if row is None:
        session.add(ChatViewer(customer_id=customer_id, staff_id=me, seen_at=t))
    else:
        row.seen_at = t
    return list(session.scalars(select(StaffMember.name).join(ChatViewer, ChatViewer.staff_id == StaffMember.id)
                                .where(ChatViewer.customer_id == customer_id, ChatViewer.staff_id != me,
                                       ChatViewer.seen_at > t - timedelta(seconds=VIEWING_SECONDS))
                                .order_by(StaffMember.name)))


def labels_of(session: Session, customer_ids: list[int]) -> dict[int, list[str]]:
    """customer id -> the label ids on their conversation, in the owner's order."""
    if not customer_ids:
        return {}
    found: dict[int, list[str]] = {}
    for customer_id, label in session.execute(select(ChatLabel.customer_id, ChatLabel.label)
                                              .where(ChatLabel.customer_id.in_(customer_ids))):
        found.setdefault(customer_id, []).append(label)
    order = {label.id: i for i, label in enumerate(current_app.extensions["shopbot.content"].current().labels)}
    return {c: sorted(ls, key=lambda label: order.get(label, len(order))) for c, ls in found.items()}


def _back(customer_id: int):
    return redirect(url_for("staff.chat", customer_id=customer_id))


@bp.post("/chats/<id:customer_id>/notes")
def add_note(customer_id: int):
    text = (request.form.get("note") or "").strip()
    if not text or len(text) > NOTE_LENGTH:
        flash(f"A note is 1 to {NOTE_LENGTH} characters.", "error")
        return _back(customer_id)
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        if s.get(Customer, customer_id) is None:
            flash("This customer does not exist.", "error")
            return _back(customer_id)
        s.add(ChatNote(customer_id=customer_id, staff_id=g.staff.id, text=text, created_at=now()))
    flash("Note added: only the team sees it.")
    return _back(customer_id)


@bp.post("/chats/<id:customer_id>/labels")
def set_label(customer_id: int):
    """Put a label on the conversation (`on=1`) or take it off."""
    content = current_app.extensions["shopbot.content"].current()
    label = next((x for x in content.labels if x.id == request.form.get("label")), None)
    if label is None:
        flash("Choose one of the labels in flows/labels.yaml.", "error")
        return _back(customer_id)
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        if s.get(Customer, customer_id) is None:
            flash("This customer does not exist.", "error")
            return _back(customer_id)
        current = s.get(ChatLabel, (customer_id, label.id))
        if request.form.get("on") == "1" and current is None:
            s.add(ChatLabel(customer_id=customer_id, label=label.id, added_by=g.staff.id, added_at=now()))
        elif request.form.get("on") != "1" and current is not None:
            s.delete(current)
    return _back(customer_id)


@bp.get("/labels.css")
def labels_css():
    """Each label's colour as a class (`.label-vip`): the pages' policy allows no inline styles.
    Ids and colours are checked when flows/labels.yaml loads (slugs, #rrggbb)."""
    content = current_app.extensions["shopbot.content"].current()
    css = "".join(f".label-{label.id} {{ --label: {label.colour}; }}\n" for label in content.labels)
    return Response(css, mimetype="text/css", headers={"Cache-Control": "no-cache"})
