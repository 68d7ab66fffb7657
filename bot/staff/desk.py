"""The order desk: orders filtered by status and date, searched by reference, name or phone,
and each order's page with its history and a button for every change the status table allows.
Below the orders, the carrier events held until an order has their tracking number.

A change goes through `orders.apply`, the same path as the API and the CLI,
so the customer's update, the invoice and the history row come with it.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, flash, g, redirect, render_template, request, url_for
from sqlalchemy import func, or_, select

from bot.commerce import order_view, orders, tracking
from bot.db import transaction
from bot.errors import InvalidInput
from bot.models import Customer, Order, OrderHistory, OrderLine, OrderStatus, PaymentStatus, StaffMember
from bot.models import utcnow as now
from bot.staff import bp
from bot.web_input import MAX_ID

PAGE = 50
MAX_PAGE = MAX_ID // PAGE
HELD_SHOWN = 20
#: The order desk's button for each event, in the order they are offered.
EVENT_LABELS = {
    "confirm": "Confirm", "pay": "Mark paid", "cash_on_delivery": "Cash on delivery", "prepare": "Mark prepared",
    "ship": "Mark shipped", "out_for_delivery": "Out for delivery", "deliver": "Mark delivered",
    "cancel": "Cancel order", "refund": "Refund",
}


def status_name(status: str) -> str:
    """The status as staff say it ("Out for delivery"); customers read the owner's texts instead."""
    return str(status).replace("_", " ").capitalize()


def allowed_events(order: Order, skip_steps: bool = False) -> list[str]:
    """Exactly the events the two status tables allow now (with `skip_steps`, the later statuses
    too), in the desk's order."""
    possible = set(orders.next_statuses(order, skip_steps))
    return [event for event in EVENT_LABELS if orders.TARGETS_BY_EVENT[event] in possible]


def actor_names(session, content, actors: set[str]):
    """Who made a change, as staff say it: "Ana" for staff:ana@shop, "SEUR" for carrier:seur."""
    emails = {a.removeprefix("staff:") for a in actors if a.startswith("staff:")}
    staff = dict(session.execute(select(StaffMember.email, StaffMember.name).where(StaffMember.email.in_(emails)))
                 .all()) if emails else {}
    fixed = {"customer": "the customer", "api": "the shop's system", "api:website": "the website",
             "payment provider": "the payment provider", "system": "shopbot"}

    def name(actor: str) -> str:
        kind, _, who = actor.partition(":")
        if kind == "staff":
            return staff.get(who) or who
        if kind == "carrier":
            carrier = content.carriers.get(who)
            return carrier.name if carrier else who
        return fixed.get(actor, actor)
    return name


def forgotten(order: Order, t: datetime, hours: int) -> bool:
    """A pending order nobody has moved for too long: someone must call or cancel."""
    return order.status == OrderStatus.PENDING and t - order.created_at > timedelta(hours=hours)


def _day(field: str, zone: ZoneInfo, end: bool = False) -> datetime | None:
    """The filter's date `field` as the start (or end) of that day in the shop's timezone; None when empty.

    Raises InvalidInput for text that is not a date and for days at the ends of
    the calendar, whose neighbouring day or UTC time does not exist (9999-12-31).
    """
    raw = request.args.get(field, "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
        if end:
            day += timedelta(days=1)
        start = datetime.combine(day, time(0), zone)
        start.astimezone(UTC)  # the database compares in UTC
    except ValueError:
        raise InvalidInput(field, "must be a date like 2026-11-24") from None
    except OverflowError:
        raise InvalidInput(field, "must be a date between the years 1 and 9998") from None
    return start


def _page() -> int:
    """The page asked for, 1 when none; raises InvalidInput beyond the last page any table could fill."""
    raw = request.args.get("page", "").strip()
    if not raw:
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput("page", f"must be a whole number from 1 to {MAX_PAGE}")
    return int(raw)


@bp.get("/orders")
def desk():
    content, t = current_app.extensions["shopbot.content"].current(), now()
    zone = ZoneInfo(content.hours.timezone)
    status, query = request.args.get("status", ""), request.args.get("q", "").strip()
    since, until, page = _day("from", zone), _day("to", zone, end=True), _page()
    stmt = select(Order)
    if status == "forgotten":
        cutoff = t - timedelta(hours=content.handoff.forgotten_after_hours)
        stmt = stmt.where(Order.status == OrderStatus.PENDING, Order.created_at < cutoff)
    elif status in tuple(OrderStatus):
        stmt = stmt.where(Order.status == status)
    elif status in tuple(PaymentStatus):
        stmt = stmt.where(Order.payment_status == status)
    if since:
        stmt = stmt.where(Order.created_at >= since)
    if until:
        stmt = stmt.where(Order.created_at < until)
    if query:
        digits = "".join(ch for ch in query if ch.isdigit())
        clauses = [Order.reference == query.upper(), func.lower(Order.customer_name).like(f"%{query.lower()}%")]
        if len(digits) >= 3:
            clauses.append(Order.phone.like(f"%{digits}%"))
        stmt = stmt.where(or_(*clauses))
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        found = s.scalars(stmt.order_by(Order.created_at.desc(), Order.id.desc())
                          .offset((page - 1) * PAGE).limit(PAGE + 1)).all()
        forgotten_count = s.scalar(select(func.count()).where(
            Order.status == OrderStatus.PENDING,
            Order.created_at < t - timedelta(hours=content.handoff.forgotten_after_hours))) or 0
        held_events, held_count = tracking.held(s, limit=HELD_SHOWN)
    return render_template(
        "staff/orders.html", orders=found[:PAGE], more=len(found) > PAGE, page=page, status=status, q=query,
        since=request.args.get("from", ""), until=request.args.get("to", ""), statuses=tuple(OrderStatus),
        payments=tuple(PaymentStatus),
        forgotten_count=forgotten_count, is_forgotten=lambda o: forgotten(o, t, content.handoff.forgotten_after_hours),
        money=lambda o: order_view.money(content, o.total, o.currency), when=lambda m: order_view.when(content, m),
        status_label=status_name, held_events=held_events, held_count=held_count, carriers=content.carriers)


def _order_page(reference: str, error: str | None = None, code: int = 200, form: dict | None = None):
    content, t = current_app.extensions["shopbot.content"].current(), now()
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        order = orders.by_reference(s, reference)
        if order is None:
            return render_template("staff/error.html", title="No such order",
                                   message=f"There is no order {reference}."), 404
        lines = s.scalars(select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.id)).all()
        history = s.scalars(select(OrderHistory).where(OrderHistory.order_id == order.id)
                            .order_by(OrderHistory.at, OrderHistory.id)).all()
        customer = s.get(Customer, order.customer_id) if order.customer_id else None
        return render_template(
            "staff/order.html", order=order, lines=lines, history=history, customer=customer,
            events=allowed_events(order, content.handoff.skip_steps), labels=EVENT_LABELS, carriers=content.carriers,
            error=error, form=form or {},
            forgotten=forgotten(order, t, content.handoff.forgotten_after_hours),
            money=lambda minor: order_view.money(content, minor, order.currency),
            when=lambda m: order_view.when(content, m),
            status_label=status_name, payment=content.checkout.payment_option(order.payment_method),
            actor=actor_names(s, content, {h.actor for h in history}),
            carrier=content.carriers.get(order.carrier or ""),
            tracking_url=order_view.tracking_url(content, order) if order.tracking_number else None), code


@bp.get("/orders/<reference>")
def order_page(reference: str):
    return _order_page(reference)


@bp.post("/orders/<reference>/transition")
def change_status(reference: str):
    content = current_app.extensions["shopbot.content"].current()
    event = request.form.get("event", "")
    carrier = request.form.get("carrier") or None
    tracking_number = (request.form.get("tracking_number") or "").strip() or None
    note = (request.form.get("note") or "").strip()[:500] or None
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        order = orders.by_reference(s, reference, lock=True)
        if order is None:
            return render_template("staff/error.html", title="No such order",
                                   message=f"There is no order {reference}."), 404
        if event not in EVENT_LABELS:
            failure = f"Unknown action “{event}”."
        else:
            try:
                new_status = orders.apply(s, content, order, event, f"staff:{g.staff.email}", now(),
                                          carrier=carrier, tracking_number=tracking_number, note=note)
                failure = None
            except orders.IllegalTransition:
                failure = (f"The order is {status_name(order.status).lower()} and "
                           f"{status_name(order.payment_status).lower()} now (someone may have changed it), so "
                           f"“{EVENT_LABELS[event]}” does not apply.")
            except InvalidInput as exc:
                missing = exc.field == "tracking_number" and len(tracking_number or "") <= orders.TRACKING_LENGTH
                failure = ("Shipping needs the carrier and the tracking number." if missing
                           else f"{exc.field}: {exc.message}")
    if failure:
        return _order_page(reference, error=failure, code=409, form=request.form)
    current_app.extensions["shopbot.wakeup"].set()
    flash(f"{reference.upper()} is now {status_name(new_status)}; the customer's update is on its way.")
    return redirect(url_for("staff.order_page", reference=reference.upper()))
