"""Logging in and out of the dashboard."""
from __future__ import annotations

import time
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for

from bot.db import transaction
from bot.models import utcnow as now
from bot.staff import bp, csrf_token, sessions
from bot.staff.accounts import LoginThrottled, authenticate


def _safe_next(target: str | None) -> str:
    """Only paths on this site: a login link must not send staff elsewhere."""
    if target and target.startswith("/staff") and not urlsplit(target).netloc and "\\" not in target:
        return target
    return url_for("staff.inbox")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        csrf_token()
        notice = "Your session timed out; please log in again." if request.args.get("expired") else None
        return render_template("staff/login.html", notice=notice, next=request.args.get("next", ""))
    email, password = request.form.get("email", ""), request.form.get("password", "")
    lifetime = timedelta(hours=current_app.config["STAFF_SESSION_MAX_HOURS"])
    try:
        with transaction(current_app.extensions["shopbot.sessions"]) as s:
            member = authenticate(s, email, password, request.remote_addr or "", now())
            token = sessions.start(s, member.id, now(), lifetime) if member else None
    except LoginThrottled as exc:
        return render_template("staff/login.html", error=f"Too many failed attempts. Try again in {exc.retry_after} "
                               "seconds.", email=email, next=request.form.get("next", "")), 429
    if token is None:
        return render_template("staff/login.html", error="That e-mail and password don't match an account.",
                               email=email, next=request.form.get("next", "")), 401
    session.clear()  # a fresh session (and CSRF token) on login: no fixation
    session.permanent = True
    session["sid"], session["seen"] = token, int(time.time())
    csrf_token()
    return redirect(_safe_next(request.form.get("next")))


@bp.post("/logout")
def logout():
    """End the session on the server too: a copy of the cookie opens nothing afterwards."""
    with transaction(current_app.extensions["shopbot.sessions"]) as s:
        sessions.end(s, session["sid"], now())
    session.clear()
    flash("You're logged out.")
    return redirect(url_for("staff.login"))
