"""One stored inbound event -> one engine step, in one transaction.

The webhook stores every update first (so nothing is lost), then calls
`process` for each new one. A bug while handling marks the event failed with
its error instead of losing it; `retry_failed` (`shopbot events retry`) runs it
again, and `sweep` picks up events a killed process left pending.
"""
from __future__ import annotations

import functools
import logging
import traceback
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text, update
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from bot import logs, metrics
from bot.commerce import checkout, customers, inventory, notifications
from bot.conversation import actions, engine
from bot.conversation.effects import EFFECTS, Context
from bot.conversation.events import Event, EventType, State
from bot.conversation.messages import Message
from bot.conversation.states import StateName
from bot.db import autocommit, insert_ignore, is_postgres, transaction
from bot.models import EventKind, EventStatus, InboundEvent, OutboundMessage, utcnow
from bot.staff import handoffs
from bot.whatsapp import account_updates, delivery_status, message_types, outbox, user_preferences
from bot.whatsapp.updates import Update, message_id
from bot.whatsapp.webhook_body import as_object, as_text

log = logging.getLogger(__name__)

now = utcnow  # one clock for the whole app (models.utcnow)


class _Duplicate(Exception):
    """The update was stored before (a redelivery): its handling is rolled back."""


def receive(app, updates: list[Update], received_at: datetime) -> int:
    """Store and handle the updates of one webhook body in one transaction; the number handled now.

    The common body holds one update: its event row, the customer's step and
    the replies are written together, so a message costs one commit. The row
    is inserted last, `ON CONFLICT DO NOTHING`: a redelivery finds it there and
    its step is rolled back. Several updates get a savepoint each, so one that
    fails is rolled back alone and stored as failed while the others go on.
    A handling error never loses the update: it is stored failed (or, for a
    database hiccup such as a deadlock, pending for the sweep). Raises when the
    connection to the database was lost or nothing can be written: Meta then
    gets a 5xx and delivers the body again.
    """
    sessions = app.extensions["shopbot.sessions"]
    content = app.extensions["shopbot.content"].current()
    ensure_stock_synced(app, content)
    handled = 0
    if len(updates) == 1 and _status_in_one_statement(app, updates[0], received_at):
        handled = 1
    elif len(updates) == 1 and not updates[0].problem:
        try:
            with transaction(sessions) as session:
                _store_and_handle(app, session, updates[0], received_at)
            handled = 1
        except _Duplicate:
            pass
        except Exception as exc:
            with transaction(sessions) as session:
                _store_unhandled(session, updates[0], received_at, exc)
    else:
        with transaction(sessions) as session:
            for u in updates:
                if u.problem:
                    _insert(session, u, received_at, EventStatus.FAILED, error=u.problem)
                    continue
                try:
                    with session.begin_nested():
                        _store_and_handle(app, session, u, received_at)
                    handled += 1
                except _Duplicate:
                    pass
                except Exception as exc:
                    _store_unhandled(session, u, received_at, exc)
    if handled:
        app.extensions["shopbot.wakeup"].set()
    return handled


_EVENT_COLUMNS = ("external_id", "kind", "field", "subtype", "payload", "received_at", "status", "attempts", "error",
                  "customer_id", "processed_at")


@functools.cache
def _insert_event(dialect: str):
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id, built once per dialect: a webhook's hottest
    statement, its SQL and cache key made once instead of from literal values on every update."""
    table = cast(Table, InboundEvent.__table__)  # the table, not the entity: no ORM bulk-insert machinery
    return (insert_ignore(dialect, table)
            .values({name: bindparam(name) for name in _EVENT_COLUMNS}).returning(table.c.id))


@functools.cache
def _advance_and_store() -> Any:
    """PostgreSQL: a status webhook for a message we sent, its step forward and its event row in one
    statement.

    `WITH moved AS (UPDATE outbound_message ... step forward) INSERT INTO inbound_event SELECT ...
    FROM moved, or outbound_message WHERE wamid = ...`: the event is stored when the status moved
    a row of ours (found by wamid or, before the sender wrote the wamid down, by tracker) or the
    wamid is ours and the status is no step forward (a step back, or the same status again: the
    sender marks a row sent when Meta accepts it), which is what `apply_status` would decide too.
    The UPDATE's change is not visible to the statement's own SELECT, hence `moved` first.
    In autocommit that is one round trip instead of four (BEGIN, UPDATE, INSERT, COMMIT) for the
    most common webhook of all: every reply brings a sent, a delivered and a read."""
    table = cast(Table, InboundEvent.__table__)
    columns = [name for name in _EVENT_COLUMNS if name != "customer_id"]
    sql = (f"WITH moved AS ({delivery_status.ADVANCE_SQL})"
           f" INSERT INTO inbound_event ({', '.join(columns)}, customer_id)"
           f" SELECT {', '.join(':' + name for name in columns)}, customer_id FROM"
           " (SELECT customer_id FROM moved UNION ALL SELECT customer_id FROM outbound_message"
           " WHERE wamid = :by_wamid) AS ours LIMIT 1 ON CONFLICT DO NOTHING RETURNING id")
    return text(sql).bindparams(bindparam("now", type_=table.c.processed_at.type),
                                bindparam("by_tracker", type_=cast(Table, OutboundMessage.__table__).c.id.type),
                                *(bindparam(name, type_=table.c[name].type) for name in columns))


@logs.scoped
def _status_in_one_statement(app, u: Update, received_at: datetime) -> bool:
    """Store and apply a sent, delivered or read webhook for one of our messages in one autocommit
    statement on PostgreSQL; False when the transactional path must look closer (SQLite, a failure,
    a wamid we do not know, perhaps found by its tracker, or a redelivery)."""
    if u.kind is not EventKind.STATUS or u.problem:
        return False
    engine = app.extensions["shopbot.engine"]
    if not is_postgres(engine):
        return False
    logs.note(wamid=message_id(u.external_id))
    t = now()
    params = delivery_status.advance_params(u.payload["status"], t)
    if params is None:
        return False
    params.update(external_id=u.external_id, kind=u.kind.value, field=u.field, subtype=u.subtype, payload=u.payload,
                  received_at=received_at, status=EventStatus.PROCESSED.value, attempts=1, error=None,
                  processed_at=t)
    with autocommit(engine) as conn:
        return conn.execute(_advance_and_store(), params).first() is not None


def _insert(session: Session, u: Update, received_at: datetime, status: EventStatus, **values) -> int | None:
    """INSERT the update's event row unless its WhatsApp id is stored already; the new row's id."""
    row = {"external_id": u.external_id, "kind": u.kind.value, "field": u.field, "subtype": u.subtype,
           "payload": u.payload, "received_at": received_at, "status": status.value, "attempts": 0, "error": None,
           "customer_id": None, "processed_at": None, **values}
    return session.execute(_insert_event(session.get_bind().dialect.name), row).scalar()


@logs.scoped
def _store_and_handle(app, session: Session, u: Update, received_at: datetime) -> None:
    """Handle a new update, then store it as processed; _Duplicate when it was stored before."""
    logs.note(wamid=message_id(u.external_id))
    event = InboundEvent(external_id=u.external_id, kind=u.kind, field=u.field, subtype=u.subtype,
                         payload=u.payload, received_at=received_at)
    t = now()
    handler = HANDLERS.get(EventKind(u.kind))
    if handler is not None:
        handler(app, session, event, t)
    if _insert(session, u, received_at, EventStatus.PROCESSED, attempts=1, processed_at=t,
               customer_id=event.customer_id) is None:
        raise _Duplicate(u.external_id)


@logs.scoped
def _store_unhandled(session: Session, u: Update, received_at: datetime, exc: Exception) -> None:
    """Keep an update whose handling raised: failed with its error, or pending for the sweep when the
    database itself hiccuped (a deadlock, a lost connection), since the same step will likely work."""
    logs.note(wamid=message_id(u.external_id))
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        raise exc  # the database went away: a 5xx, and Meta delivers the body again in a moment
    if isinstance(exc, OperationalError):
        log.warning("[%s] database error while handling; left pending for the sweep: %s", u.external_id,
                    str(exc).splitlines()[0])
        _insert(session, u, received_at, EventStatus.PENDING)
        return
    log.error("[%s] handling failed; stored as failed for `shopbot events retry`", u.external_id, exc_info=exc)
    _insert(session, u, received_at, EventStatus.FAILED, attempts=1, error=_describe(exc))


def _describe(exc: BaseException) -> str:
    """The error kept on a failed event: its message and the innermost frames."""
    text = "".join(traceback.format_exception_only(exc)).strip() + "\n" + "".join(
        traceback.format_list(traceback.extract_tb(exc.__traceback__)[-3:]))
    return text[:4000]


def store(session: Session, updates: list[Update], received_at: datetime) -> list[int]:
    """Insert updates not seen before; return the ids of the new rows.

    The unique constraint on `external_id` is what stops duplicates, across
    requests, processes and restarts.
    """
    new_ids = []
    for u in updates:
        # An update that cannot be handled (a body that is not JSON, a NUL, an over-long id...)
        # is kept, failed, for a person to look at; the others in its body go on.
        row_id = session.execute(
            insert_ignore(session, InboundEvent)
            .values(external_id=u.external_id, kind=u.kind, field=u.field, subtype=u.subtype,
                    payload=u.payload, attempts=0, received_at=received_at,
                    status=EventStatus.FAILED if u.problem else EventStatus.PENDING, error=u.problem)
            .returning(InboundEvent.id)
        ).scalar()
        if row_id is not None and not u.problem:
            new_ids.append(row_id)
    return new_ids


def to_event(message: dict, contact: dict | None, **known) -> Event:
    """What the engine needs from a Meta message, whatever its type (read by `message_types`)."""
    event = message_types.read(message, contact)
    card = known.pop("card_redacted", False)
    return replace(event, data=dict(event.data, card_redacted=True) if card else event.data, **known)


def ensure_stock_synced(app, content) -> None:
    """Apply the catalog's stock counts to the database once per loaded catalog."""
    if app.extensions.get("shopbot.stock_synced") is content.catalog:
        return
    with transaction(app.extensions["shopbot.sessions"]) as session:
        changed = inventory.sync(session, content.catalog, now())
    app.extensions["shopbot.stock_synced"] = content.catalog
    if changed:
        log.info("stock levels updated from the catalog for %d SKUs", changed)


def _handle_message(app, session: Session, event: InboundEvent, t: datetime) -> None:
    message, contact = event.payload["message"], event.payload.get("contact")
    bsuid, wa_id = customers.identity(message, contact)
    if not bsuid and not wa_id:
        log.warning("[%s] message without a sender id; stored, not answered", event.external_id)
        return
    parsed = to_event(message, contact, phone=wa_id, event_id=event.external_id,
                      card_redacted=bool(event.payload.get("card_redacted")))
    customer, conversation = customers.with_conversation(session, bsuid, wa_id, parsed.profile_name, t,
                                                         StateName.NEW)
    event.customer_id = customer.id
    # Updates are held only while the window is closed, and the customer's last message released
    # those held before it: with the window open, or for a customer made just now, nothing is held.
    may_hold = customer.created_at != t and not notifications.window_open(customer, t)
    if parsed.type is not EventType.SILENT:
        customer.last_inbound_at = t
        customer.window_closed_at = None
    content = app.extensions["shopbot.content"].current()
    cart_before = (conversation.data or {}).get("cart") or []
    with session.no_autoflush:  # the customer's changes go out with the step's, in one UPDATE
        stock = inventory.LiveLevels(session) if parsed.type not in (EventType.SILENT, EventType.REACTION) else {}
    with metrics.engine_step():
        state, replies = engine.step(content, State(conversation.state, conversation.data), parsed, stock=stock)
    conversation.state, conversation.data = state.name, state.data
    customer.language = state.data.get("language") or customer.language
    messages: list[Message] = []
    if parsed.type is not EventType.SILENT and may_hold and notifications.release_held(session, customer, t):
        log.info("[%s] held order updates released", event.external_id)
    ctx = Context(session, content, customer, conversation, t, parsed, public_url=app.config.get("PUBLIC_URL"))
    for reply in replies:
        if isinstance(reply, EFFECTS):  # what the engine asked the domain to do
            outcome = actions.perform(ctx, reply)
            messages += outcome.messages
            if outcome.state is not None:  # the domain's answer moved the conversation (an order placed...)
                conversation.state = outcome.state
            if outcome.data is not None:
                conversation.data = outcome.data
        else:
            messages.append(reply)
    flag_modified(conversation, "data")
    cart = conversation.data.get("cart") or []
    if cart != cart_before:  # a changed cart waits for its one abandoned-cart reminder (bot.commerce.abandoned_carts)
        conversation.cart_idle_since = t if cart else None
    if conversation.state == StateName.HANDOFF and parsed.type is not EventType.SILENT:
        handoffs.customer_wrote(session, customer, t)
    if conversation.state == StateName.CHECKOUT:
        conversation.remind_at, conversation.expires_at = checkout.checkout_deadlines(content, t)
    else:
        conversation.remind_at = conversation.expires_at = None
    # The bot has read it (their ticks turn blue), unless a person from the team is to read it.
    read = as_text(as_object(message).get("id")) if parsed.type is not EventType.SILENT \
        and conversation.state != StateName.HANDOFF else ""
    outbox.enqueue(session, customer, messages, t, cause=event.external_id, cause_received_at=event.received_at,
                   read_receipt=read or None)


def _handle_status(app, session: Session, event: InboundEvent, t: datetime) -> None:
    status = event.payload["status"]
    customer_id = delivery_status.advance(session, status, t)
    if customer_id is not None:  # the usual case: a step forward, one statement
        event.customer_id = customer_id
        return
    row = delivery_status.apply_status(session, status, t)
    if row is None:
        return
    event.customer_id = row.customer_id
    if row.status == "failed" and row.error_code == 131047:
        outbox.window_closed(session, row, t, app.extensions["shopbot.content"].current())


def _handle_update(app, session: Session, event: InboundEvent, t: datetime) -> None:
    """Other changes Meta sends: a customer's marketing preference (bot.whatsapp.user_preferences), the
    messaging limit and the number's quality (bot.whatsapp.account_updates, for broadcasts); the rest
    (template reviews, calls...) is kept as it came."""
    user_preferences.handle(session, event, t)
    account_updates.handle(app, session, event, t)


HANDLERS = {EventKind.MESSAGE: _handle_message, EventKind.STATUS: _handle_status, EventKind.UPDATE: _handle_update}


@logs.scoped
def process(app, event_id: int) -> bool:
    """Handle one stored event in its own transaction; True when it was handled now.

    An exception rolls the step back and marks the event failed with its
    error, so the message is kept for `shopbot events retry`.
    """
    sessions = app.extensions["shopbot.sessions"]
    external_id = None
    try:
        ensure_stock_synced(app, app.extensions["shopbot.content"].current())
        with transaction(sessions) as session:
            event = session.get(InboundEvent, event_id, with_for_update=True)
            if event is None or event.status != EventStatus.PENDING:
                return False
            t, external_id = now(), event.external_id
            logs.note(wamid=message_id(external_id))
            event.attempts += 1
            handler = HANDLERS.get(EventKind(event.kind))
            if handler is not None:
                handler(app, session, event, t)
            event.status, event.processed_at, event.error = EventStatus.PROCESSED, t, None
        app.extensions["shopbot.wakeup"].set()
        return True
    except Exception as exc:
        log.exception("[%s] handling failed; stored as failed for `shopbot events retry`", external_id or event_id)
        with transaction(sessions) as session:
            session.execute(update(InboundEvent).where(InboundEvent.id == event_id).values(
                status=EventStatus.FAILED, error=_describe(exc), attempts=InboundEvent.attempts + 1))
        return False


def sweep(app) -> int:
    """Process events left pending by a process that died after storing them."""
    cutoff = now() - timedelta(seconds=app.config["EVENT_SWEEP_AFTER_SECONDS"])
    with transaction(app.extensions["shopbot.sessions"]) as session:
        ids = session.scalars(select(InboundEvent.id).where(
            InboundEvent.status == EventStatus.PENDING, InboundEvent.received_at < cutoff,
        ).order_by(InboundEvent.id).limit(500)).all()
    handled = sum(process(app, i) for i in ids)
    if ids:
        log.warning("sweep: handled %d of %d events left pending", handled, len(ids))
    return handled


def retry_failed(app, event_ids: list[int] | None = None) -> tuple[int, int]:
    """Set failed events back to pending and process them again; (handled, still failing)."""
    with transaction(app.extensions["shopbot.sessions"]) as session:
        query = select(InboundEvent.id).where(InboundEvent.status == EventStatus.FAILED)
        if event_ids:
            query = query.where(InboundEvent.id.in_(event_ids))
        ids = session.scalars(query.order_by(InboundEvent.id)).all()
        if ids:
            session.execute(update(InboundEvent).where(InboundEvent.id.in_(ids))
                            .values(status=EventStatus.PENDING))
    handled = sum(process(app, i) for i in ids)
    return handled, len(ids) - handled
