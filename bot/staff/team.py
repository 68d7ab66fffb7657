"""Owners only: the team's accounts and the handoff settings in force."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.db import transaction
from bot.errors import InvalidInput
from bot.models import Role, StaffMember
from bot.models import utcnow as now
from bot.staff import bp, owner_only, sessions
from bot.staff.accounts import add


def _page(error: str | None = None, form: dict | None = None, code: int = 200):
    content = current_app.extensions["shopbot.content"].current()
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        team = s.scalars(select(StaffMember).order_by(StaffMember.active.desc(), StaffMember.name)).all()
        return render_template("staff/settings.html", team=team, handoff=content.handoff, hours=content.settings.get(
            "opening_hours") or {}, keywords=(content.settings.get("handoff") or {}).get("keywords") or [],
            timezone=content.hours.timezone, roles=tuple(Role), error=error,
            form=form or {}), code


@bp.get("/settings")
@owner_only
def settings():
    return _page()


@bp.post("/settings/staff")
@owner_only
def add_staff():
    form = request.form
    try:
        with transaction(current_app.extensions["shopbot.sessions"]) as s:
            member = add(s, form.get("email", ""), form.get("name", ""), form.get("role", "staff"),
                         form.get("password", ""), now())
            email = member.email
    except InvalidInput as exc:
        kept = {k: v for k, v in form.items() if k != "password"}
        return _page(f"{exc.field.capitalize()} {exc.message}.", kept, 400)
    flash(f"{email} can log in now.")
    return redirect(url_for("staff.settings"))


@bp.post("/settings/staff/<id:staff_id>/active")
@owner_only
def set_active(staff_id: int):
    from flask import g

    active = request.form.get("active") == "1"
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        member = s.get(StaffMember, staff_id)
        if member is None:
            flash("No such account.", "error")
        elif member.id == g.staff.id and not active:
            flash("You can't switch off your own account.", "error")
        else:
            member.active = active
            if not active:
                sessions.end_all(s, member.id, now())
            flash(f"{member.email} is {'active' if active else 'switched off'}.")
    return redirect(url_for("staff.settings"))
