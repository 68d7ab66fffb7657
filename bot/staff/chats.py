"""One conversation for staff: transcript, customer, cart and orders; take over, reply, hand back, assign.

Two people never answer the same chat unknowingly: the assignee is shown
and refreshed live, and a reply is refused while someone else has the chat
(the draft is kept on the page). Replies and templates go through the outbox
like every other message; the first one after a handoff is its first
response time.
"""
from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.commerce import cart as carts
from bot.commerce import customers, order_view
from bot.commerce.notifications import WINDOW, window_open
from bot.conversation import states
from bot.conversation.messages import Message, Template
from bot.conversation.turn import text
from bot.db import transaction
from bot.models import ChatNote, Conversation, Customer, Handoff, HandoffReason, Order, OutboundMessage, StaffMember
from bot.models import utcnow as now
from bot.staff import bp, handoffs, share, teamwork
from bot.staff.desk import status_name
from bot.staff.inbox import reason_label, waited
from bot.staff.transcript import entries
from bot.web_input import as_id
from bot.whatsapp import media_store, outbox
from bot.whatsapp.messages import LIMITS

MAX_REPLY = LIMITS["text"] * 2  # longer replies are split by the outbox; beyond this it is surely a mistake


def _content():
    return current_app.extensions["shopbot.content"].current()


def _context(s: Session, customer: Customer, page: bool = True) -> dict:
    """Everything the chat page shows, read in one transaction; the live refresh (`page=False`)
    redraws only the header and the transcript, so it skips the chat list and the share menu.
    Either way it records that this staff member has the chat open (`teamwork.viewing`)."""
    content, t = _content(), now()
    handoff = handoffs.open_handoff_of(s, customer.id)
    team = s.scalars(select(StaffMember).where(StaffMember.active).order_by(StaffMember.name)).all()
    assignee = next((m for m in team if handoff and m.id == handoff.assigned_to), None)
    conversation = s.get(Conversation, customer.id)
    data = conversation.data if conversation else {}
    cart = carts.view(list(data.get("cart") or []), content.catalog)
    orders = s.scalars(select(Order).where(Order.customer_id == customer.id).order_by(Order.id.desc()).limit(10)).all()
    lang = customer.language if customer.language in content.languages else content.default_language
    who = {"customer": {"name": customer.name or ""}, "staff": {"name": g.staff.name, "email": g.staff.email}}
    canned = [(r.title, r.render(lang, content.default_language, shop=content.shop, **who))
              for r in content.replies.canned]
    templates = [(tpl.name, tpl.title, [p.render(shop=content.shop, **who).strip() for p in tpl.params])
                 for tpl in content.replies.templates]
    is_open = window_open(customer, t)
    listed = _chat_list(s, t) if page else []
    return {
        "customer": customer, "handoff": handoff, "assignee": assignee, "team": team, "t": t,
        "reason": reason_label(handoff), "waited": waited,
        "entries": entries(s, customer.id, customer.name or customer.wa_id or "Customer", content=content,
                           folder=media_store.folder(current_app.config, current_app.instance_path)),
        "cart": cart, "money": lambda minor: order_view.money(content, minor, content.catalog.currency),
        "orders": orders, "when": lambda moment: order_view.when(content, moment),
        "status_label": status_name,
        "window_open": is_open,
        "window_closes": customer.last_inbound_at + WINDOW if is_open and customer.last_inbound_at else None,
        "canned": canned, "templates": templates, "chat_list": listed, "neighbours": _neighbours(listed, customer.id),
        "labels": content.labels, "chat_labels": teamwork.labels_of(s, [customer.id]).get(customer.id, []),
        "share": share.choices(s, content, customer, len(cart.lines)) if page else {},
        "viewers": teamwork.viewing(s, customer.id, g.staff.id, t),
        "state": STATE_WORDS.get(str(conversation.state) if conversation else "new", "talking to the bot"),
        "language": content.pack(lang).name if customer.language else "not known yet",
    }


def _chat_list(s: Session, t) -> list:
    """The chats beside the open one (the first pane): those waiting first, then the others."""
    from bot.staff.inbox import rows

    listed: dict[int, Any] = {}
    for row in [*rows(s, "waiting", g.staff, "", t), *rows(s, "all", g.staff, "", t, limit=50)]:
        listed.setdefault(row.customer_id, row)
    return list(listed.values())


def _neighbours(listed: list, customer_id: int) -> tuple[int | None, int | None]:
    """The chats before and after this one in that list: `j`/`k`."""
    ids = [row.customer_id for row in listed]
    if customer_id not in ids:
        return None, ids[0] if ids else None
    i = ids.index(customer_id)
    return (ids[i - 1] if i else None), (ids[i + 1] if i + 1 < len(ids) else None)


#: Where the customer is with the bot, as staff say it.
STATE_WORDS: dict[str, str] = {
    states.StateName.NEW: "has not written yet", states.StateName.MENU: "talking to the bot",
    states.StateName.HANDOFF: "with a person from the team", states.StateName.BROWSING: "browsing the catalog",
    states.StateName.PRODUCT: "looking at a product", states.StateName.SEARCHING: "searching the catalog",
    states.StateName.CART: "at the cart", states.StateName.CART_ITEM: "changing the cart",
    states.StateName.CHECKOUT: "checking out",
}


def no_chat():
    return render_template("staff/error.html", title="No such chat", message="This customer does not exist."), 404


def _load(s: Session, customer_id: int) -> Customer | None:
    return s.get(Customer, customer_id)


@bp.get("/chats/<id:customer_id>")
def chat(customer_id: int):
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        customer = _load(s, customer_id)
        if customer is None:
            return no_chat()
        return render_template("staff/chat.html", draft="", **_context(s, customer))


@bp.get("/chats/<id:customer_id>/live.json")
def chat_live(customer_id: int):
    """The header (who has the chat) and the transcript, for the page's live refresh."""
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        customer = _load(s, customer_id)
        if customer is None:
            return {"error": "no such chat"}, 404
        context = _context(s, customer, page=False)
        header = render_template("staff/_chat_header.html", **context)
        transcript = render_template("staff/_transcript.html", **context)
    version = hashlib.sha256((header + transcript).encode()).hexdigest()[:16]
    return {"version": version, "header": header, "transcript": transcript,
            "mine": bool(context["handoff"] and context["handoff"].assigned_to == g.staff.id)}


def _locked(s: Session, customer_id: int):
    """The customer, their conversation row locked (inbound waits for us), and the open handoff."""
    customer = s.get(Customer, customer_id)
    if customer is None:
        return None, None, None
    conversation = customers.lock_conversation(s, customer, states.StateName.NEW)
    return customer, conversation, handoffs.open_handoff_of(s, customer.id, lock=True)


def _member(s: Session, staff_id) -> StaffMember | None:
    """The active colleague a form names by id; None for anything else (ids out of range included)."""
    number = as_id(staff_id)
    member = s.get(StaffMember, number) if number is not None else None
    return member if member is not None and member.active else None


def _give_to(s: Session, customer: Customer, conversation, handoff: Handoff | None, member: StaffMember) -> Handoff:
    """`member` has the chat now: a staff handoff opens if the bot had it, else the open one is reassigned."""
    if handoff is None:
        states.hand_over(conversation)
        handoff, _ = handoffs.start(s, _content(), customer, HandoffReason.STAFF, now(), staff=member)
    else:
        handoffs.assign(handoff, member, now())
    return handoff


def _back(customer_id: int):
    return redirect(url_for("staff.chat", customer_id=customer_id) + "#composer")


@bp.post("/chats/<id:customer_id>/takeover")
def take_over(customer_id: int):
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        customer, conversation, handoff = _locked(s, customer_id)
        if customer is None:
            return no_chat()
        _give_to(s, customer, conversation, handoff, s.get_one(StaffMember, g.staff.id))
    flash("You have this chat now; the bot stays quiet until you hand it back.")
    return _back(customer_id)


@bp.post("/chats/<id:customer_id>/handback")
def hand_back(customer_id: int):
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        _customer, conversation, handoff = _locked(s, customer_id)
        if handoff is None:
            flash("This chat is already with the bot.")
            return _back(customer_id)
        states.give_back(conversation)
        handoffs.finish(s, _content(), handoff, "handed_back", now(), staff=s.get(StaffMember, g.staff.id))
    current_app.extensions["shopbot.wakeup"].set()
    flash("Handed back to the bot. The customer was told they can type *person* to reach you again.")
    return _back(customer_id)


@bp.post("/chats/<id:customer_id>/assign")
def assign(customer_id: int):
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        customer, conversation, handoff = _locked(s, customer_id)
        member = _member(s, request.form.get("staff_id"))
        if customer is None or member is None:
            flash("Choose a colleague from the list.", "error")
            return _back(customer_id)
        _give_to(s, customer, conversation, handoff, member)
        name = member.name
        note = (request.form.get("note") or "").strip()[:teamwork.NOTE_LENGTH - 40]
        if note:  # why it is theirs now, for them to read in the chat
            s.add(ChatNote(customer_id=customer.id, staff_id=g.staff.id, text=f"Assigned to {name}: {note}",
                           created_at=now()))
    flash(f"Assigned to {name}.")
    return _back(customer_id)


def refuse(customer_id: int, message: str, draft: str):
    """Show the chat again with the reason and the staff member's draft kept in the box."""
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        customer = _load(s, customer_id)
        if customer is None:
            return no_chat()
        return render_template("staff/chat.html", draft=draft, refusal=message, **_context(s, customer)), 409


def _staff_send(s: Session, customer: Customer, conversation, handoff: Handoff | None,
                message: Message | dict[str, Any]):
    """Queue a staff message; the chat is theirs from now on (the bot stays quiet)."""
    t, me = now(), s.get_one(StaffMember, g.staff.id)
    if handoff is None or handoff.assigned_to is None:
        handoff = _give_to(s, customer, conversation, handoff, me)
    outbox.enqueue(s, customer, [message], t, cause=f"staff:{me.email}", staff_id=me.id)  # every part is theirs
    handoffs.staff_replied(_content(), handoff, me, t)


def _someone_else(s: Session, handoff: Handoff | None) -> str | None:
    if handoff is not None and handoff.assigned_to not in (None, g.staff.id):
        other = s.get(StaffMember, handoff.assigned_to)
        return other.name if other else "A colleague"
    return None


def send_from_staff(customer_id: int, message, draft: str = ""):
    """Queue what staff send (a reply, a file) under the chat's rules: not while a colleague has the
    chat, and only inside WhatsApp's 24-hour window."""
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        customer, conversation, handoff = _locked(s, customer_id)
        if customer is None:
            return no_chat()
        other = _someone_else(s, handoff)
        closed = not window_open(customer, now())
        if not other and not closed:
            _staff_send(s, customer, conversation, handoff, message)
    if other:
        return refuse(customer_id, f"{other} has this chat, so your reply was not sent. Take over first if you "
                                    "should answer.", draft)
    if closed:
        return refuse(customer_id, "The 24-hour window is closed, so WhatsApp only accepts an approved template. "
                                    "Your reply was not sent; pick a template below.", draft)
    current_app.extensions["shopbot.wakeup"].set()
    return _back(customer_id)


@bp.post("/chats/<id:customer_id>/reply")
def reply(customer_id: int):
    draft = (request.form.get("text") or "").replace("\r\n", "\n").strip()
    if not draft:
        return refuse(customer_id, "Write a reply first.", draft)
    if len(draft) > MAX_REPLY:
        return refuse(customer_id, f"That reply is {len(draft)} characters; WhatsApp takes up to {MAX_REPLY} "
                                    "here. Shorten it or send it in parts.", draft)
    return send_from_staff(customer_id, text(draft), draft)


@bp.post("/chats/<id:customer_id>/messages/<id:message_id>/retry")
def retry_message(customer_id: int, message_id: int):
    """Queue a message we gave up on (dead) again; it keeps its place before the customer's later ones."""
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        row = s.get(OutboundMessage, message_id)
        if row is None or row.customer_id != customer_id:
            return render_template("staff/error.html", title="No such message",
                                   message="This message is not in this chat."), 404
        result = outbox.requeue_dead(s, [message_id], now())
    if result.refused:  # a colleague retried it first, say
        flash(f"Not queued again: {result.refused[message_id]}.", "error")
        return _back(customer_id)
    current_app.extensions["shopbot.wakeup"].set()
    flash("Queued again; it goes out as soon as WhatsApp takes it.")
    return _back(customer_id)


@bp.post("/chats/<id:customer_id>/template")
def send_template(customer_id: int):
    content = _content()
    chosen = next((tpl for tpl in content.replies.templates if tpl.name == request.form.get("name")), None)
    if chosen is None:
        return refuse(customer_id, "Choose one of the templates in the list.", "")
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        customer, conversation, handoff = _locked(s, customer_id)
        if customer is None:
            return no_chat()
        other = _someone_else(s, handoff)
        if not other:
            who = {"customer": {"name": customer.name or ""}, "staff": {"name": g.staff.name, "email": g.staff.email}}
            params = tuple(p.render(shop=content.shop, **who).strip() for p in chosen.params)
            _staff_send(s, customer, conversation, handoff, Template(chosen.name, chosen.language, params))
    if other:
        return refuse(customer_id, f"{other} has this chat, so the template was not sent. Take over first.", "")
    current_app.extensions["shopbot.wakeup"].set()
    flash(f"Template “{chosen.title}” queued.")
    return _back(customer_id)

