"""The staff dashboard at /staff: the inbox, conversations, the order desk and (owners) settings.

Server-rendered with Jinja2 (autoescaped: customer text is always shown as
text), a little plain JavaScript for live updates, no build step. Every
request needs a logged-in, active account with a live server-side session
(bot/staff/sessions.py: ended at logout, when the account is switched off,
after STAFF_SESSION_MINUTES without activity and STAFF_SESSION_MAX_HOURS
after logging in); every POST carries the session's CSRF token; cookies are
HttpOnly, SameSite=Lax and (outside the sandbox) Secure.
"""
from __future__ import annotations

import hmac
import secrets
import time
from datetime import timedelta
from functools import wraps

from flask import Blueprint, current_app, g, redirect, render_template, request, session, url_for
from flask.sessions import SecureCookieSessionInterface
from flask.typing import ResponseReturnValue

from bot.db import transaction
from bot.models import Role, StaffMember
from bot.models import utcnow as now
from bot.staff import sessions

bp = Blueprint("staff", __name__, url_prefix="/staff", template_folder="templates", static_folder="static")
PUBLIC_ENDPOINTS = {"staff.login", "staff.static"}


def csrf_token() -> str:
    """This session's CSRF token (made on first use); every form posts it back."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


@bp.before_request
def check_request() -> ResponseReturnValue | None:
    """CSRF on every POST, then a live server-side session of an active account."""
    if request.method == "POST":
        sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
        # As bytes: compare_digest raises on a str that is not ASCII, and `sent` is whatever was posted.
        expected = str(session.get("csrf", "")).encode()
        if not sent or not hmac.compare_digest(sent.encode("utf-8", "replace"), expected):
            return render_template("staff/error.html", title="This form has expired",
                                   message="The form was not sent from this dashboard, or your session ended. "
                                           "Go back, reload the page and try again; nothing was changed."), 400
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    token, seen = session.get("sid"), session.get("seen", 0)
    config = current_app.config
    outcome: StaffMember | sessions.Refusal = sessions.Refusal.ENDED
    if token is not None and time.time() - seen > config["STAFF_SESSION_MINUTES"] * 60:
        outcome = sessions.Refusal.EXPIRED
    elif token is not None:
        with transaction(current_app.extensions["shopbot.sessions"]) as s:
            outcome = sessions.check(s, token, now(), timedelta(minutes=config["STAFF_SESSION_MINUTES"]),
                                     timedelta(hours=config["STAFF_SESSION_MAX_HOURS"]))
            if isinstance(outcome, StaffMember):
                s.expunge(outcome)
    if isinstance(outcome, sessions.Refusal):
        session.clear()
        if request.accept_mimetypes.best == "application/json" or request.path.endswith(".json"):
            return {"error": "logged out", "login": url_for("staff.login")}, 401
        return redirect(url_for("staff.login", next=request.full_path if request.method == "GET" else None,
                                expired=1 if outcome == sessions.Refusal.EXPIRED else None))
    g.staff = outcome
    session["seen"] = int(time.time())
    return None


@bp.after_request
def no_store(response):
    """Dashboard pages hold customers' words: browsers must not keep them (the back button after logout)."""
    if request.endpoint != "staff.static":
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def owner_only(view):
    """Settings and reports are for the shop's owners."""
    @wraps(view)
    def wrapper(*args, **kwargs):
        if g.staff.role != Role.OWNER:
            return render_template("staff/error.html", title="Owners only",
                                   message="This page is for the shop's owners. Ask an owner if you need it."), 403
        return view(*args, **kwargs)
    return wrapper


@bp.app_template_global()
def staff_csrf() -> str:
    return csrf_token()


@bp.app_template_filter("whatsapp")
def whatsapp_filter(text: str | None):
    """A message's text with WhatsApp's formatting drawn (bot.staff.bubbles.whatsapp)."""
    from bot.staff.bubbles import whatsapp

    return whatsapp(text)


def register(app) -> None:
    """Mount the dashboard and set the session cookie's safety flags."""
    from bot.staff import (  # noqa: F401  (routes register on import)
        campaigns,
        chats,
        desk,
        inbox,
        login,
        media,
        refusals,
        reports,
        share,
        team,
        teamwork,
    )
    from bot.web_input import IdConverter

    app.url_map.converters["id"] = IdConverter  # <id:...>: a row id in range, or 404

    app.config["SESSION_COOKIE_HTTPONLY"] = True
    app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_SECURE"] = app.config["STAFF_COOKIE_SECURE"]
    app.session_interface = WebhookWithoutCookies()
    app.register_blueprint(bp)


class WebhookWithoutCookies(SecureCookieSessionInterface):
    """The signed session cookie, except on `/webhook`: Meta sends no cookie and the view keeps
    nothing in a session, yet opening one builds its signer on every request, the most frequent
    request of all (a few percent of a web worker's CPU under load, issue 14). There it is
    Flask's null session, which refuses to be written."""

    def open_session(self, app, request):
        if request.path == "/webhook":
            return self.null_session_class()
        return super().open_session(app, request)
