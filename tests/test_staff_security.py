"""The staff dashboard under attack: login throttling under concurrency and spraying, sessions that really end,
security headers, and CSV cells that cannot run as spreadsheet formulas."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import time_machine
from sqlalchemy.exc import SQLAlchemyError

from bot.app import create_app
from bot.reports.spreadsheet import safe_cell

from . import payloads as p
from .conftest import STAFF_PASSWORD, StaffClient, csrf_of, make_staff, sandbox_config
from .helpers import at_once

T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
EVIL = '=HYPERLINK("http://evil","x")'


def attempt(app, password, email="ana@shop.example", client_ip="198.51.100.1"):
    """One login from a fresh browser at `client_ip`."""
    http = app.test_client()
    http.environ_base["REMOTE_ADDR"] = client_ip
    token = csrf_of(http.get("/staff/login").text)
    return http.post("/staff/login", data={"email": email, "password": password, "csrf_token": token})


def retry_after(response) -> int:
    return int(re.search(r"Try again in (\d+) seconds", response.text).group(1))


# -- login throttling ----------------------------------------------------------------------------------------------

def test_concurrent_wrong_passwords_for_a_new_address_are_all_counted(app):
    """Eight wrong passwords at the same instant for an address with no throttle row yet: no 500, every one
    counted (three free, the fourth locks, the rest wait), and then even the right password waits."""
    make_staff(app)
    with time_machine.travel(T0, tick=False):
        def wrong():
            try:
                return attempt(app, "wrong password").status_code
            except SQLAlchemyError as exc:  # the test client re-raises what would be a 500
                return f"500 {type(exc).__name__}"

        codes = at_once([wrong] * 8)
        assert sorted(codes, key=str) == [401] * 4 + [429] * 4
        r = attempt(app, STAFF_PASSWORD)
        assert r.status_code == 429 and retry_after(r) == 2


def test_failures_are_not_forgiven_when_a_lock_ends(app):
    """Guessing as fast as the locks allow reaches the 15-minute lock; when it ends, one more wrong password
    locks the address again for 15 minutes instead of starting over with free attempts. Each guess comes from
    another client, as from a botnet: the limit is the address's."""
    make_staff(app)
    with time_machine.travel(T0, tick=False) as traveller:
        lock = 0
        for n in range(1, 14):
            assert attempt(app, "wrong password", client_ip=f"203.0.113.{n}").status_code == 401
            if n > 3:
                locked = attempt(app, STAFF_PASSWORD, client_ip="192.0.2.1")
                assert locked.status_code == 429
                lock = retry_after(locked)
                traveller.shift(lock + 1)
        assert lock == 15 * 60  # the longest lock, now over
        assert attempt(app, "wrong again", client_ip="203.0.113.99").status_code == 401
        r = attempt(app, STAFF_PASSWORD, client_ip="192.0.2.1")
        assert r.status_code == 429 and retry_after(r) == 15 * 60
        traveller.shift(15 * 60 + 1)
        assert attempt(app, STAFF_PASSWORD, client_ip="192.0.2.1").status_code == 302


def test_spraying_many_addresses_from_one_client_is_slowed(app):
    make_staff(app)
    with time_machine.travel(T0, tick=False):
        codes = [attempt(app, "Summer2026!", email=f"person{i}@shop.example", client_ip="203.0.113.7").status_code
                 for i in range(40)]
        assert codes[:11] == [401] * 11 and set(codes[11:]) == {429}
        # other clients are not slowed by it, and the sprayer's client is
        assert attempt(app, STAFF_PASSWORD, client_ip="192.0.2.1").status_code == 302
        assert attempt(app, STAFF_PASSWORD, client_ip="203.0.113.7").status_code == 429


# -- sessions ------------------------------------------------------------------------------------------------------

def replay(app, cookie: str):
    """A new browser that presents a saved session cookie."""
    http = app.test_client()
    http.set_cookie("session", cookie)
    return http.get("/staff/inbox")


def test_a_cookie_saved_before_logout_opens_nothing_afterwards(app, owner):
    saved = owner.http.get_cookie("session").value
    assert replay(app, saved).status_code == 200
    assert owner.post("/staff/logout").status_code == 302
    r = replay(app, saved)
    assert r.status_code == 302 and "/staff/login" in r.headers["Location"]


def test_switching_an_account_off_ends_its_sessions_for_good(app, owner, colleague):
    saved = colleague.http.get_cookie("session").value
    luis = re.search(r'action="/staff/settings/staff/(\d+)/active"', owner.get("/staff/settings").text.split(
        "luis@shop.example", 1)[1]).group(1)
    owner.post(f"/staff/settings/staff/{luis}/active", data={"active": "0"})
    assert colleague.get("/staff/inbox").status_code == 302
    owner.post(f"/staff/settings/staff/{luis}/active", data={"active": "1"})  # back on: he logs in again
    assert replay(app, saved).status_code == 302
    assert StaffClient(app, email="luis@shop.example").get("/staff/inbox").status_code == 200


def test_a_session_ends_after_its_absolute_lifetime_even_with_activity(app):
    make_staff(app)
    with time_machine.travel(T0, tick=False) as traveller:
        staff = StaffClient(app)
        for _ in range(5):
            traveller.shift(timedelta(hours=2, minutes=20))
            assert staff.get("/staff/inbox").status_code == 200  # active every 2 h 20 min: 11 h 40 min
        traveller.shift(timedelta(minutes=21))
        r = staff.get("/staff/inbox")
        assert r.status_code == 302 and "expired=1" in r.headers["Location"]


# -- headers -------------------------------------------------------------------------------------------------------

STAFF_PAGES = ("/staff/login", "/staff/inbox", "/staff/inbox?view=all", "/staff/orders", "/staff/reports",
               "/staff/settings")


def test_staff_pages_cannot_be_framed_and_run_only_our_own_scripts(app, owner, post, fake_graph):
    post(p.text("34600111222", "I want to talk to a person", name="Sam"))
    for path in STAFF_PAGES:
        r = owner.get(path)
        assert r.status_code == 200, path
        csp = r.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in csp and "script-src 'self';" in csp and "style-src 'self';" in csp
        assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "same-origin" and r.headers["Cache-Control"] == "no-store"
        assert r.headers["Strict-Transport-Security"] == "max-age=31536000"  # the suite's app is live
        # nothing the policy would block: no inline script, event handler or style attribute
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=|\sstyle=|<style", r.text), path
    api = app.test_client().get("/healthz")
    assert api.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert api.headers["X-Content-Type-Options"] == "nosniff" and api.headers["X-Frame-Options"] == "DENY"


def test_hsts_is_sent_when_live_behind_https_and_never_by_the_sandbox(app_config):
    app = create_app(dict(app_config, WHATSAPP_TOKEN="real-token", WHATSAPP_PHONE_ID="1"))
    r = app.test_client().get("/staff/login", base_url="https://shop.example")
    assert r.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    app.extensions["shopbot.engine"].dispose()
    sandbox = create_app(sandbox_config(app_config, "http://127.0.0.1:5000"))
    r = sandbox.test_client().get("/staff/login")
    assert "Strict-Transport-Security" not in r.headers  # the sandbox serves plain http
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    sandbox.extensions["shopbot.engine"].dispose()


# -- CSV -----------------------------------------------------------------------------------------------------------

def test_csv_exports_never_hand_a_formula_to_the_spreadsheet(app, owner, runner, post, fake_graph):
    """A customer named like a formula, who writes a formula the bot does not understand, reaches the owner's
    CSV files as plain text: in the conversations export and in `shopbot report --format csv`."""
    assert post(p.text("34600999888", '=HYPERLINK("http://evil","y")', name=EVIL)).status_code == 200
    rows = list(csv.DictReader(io.StringIO(owner.get("/staff/reports/conversations.csv").text)))
    assert [r["customer"] for r in rows] == ["'" + EVIL]
    out = runner.invoke(args=["report", "--since", "7d", "--format", "csv"])
    assert out.exit_code == 0
    cells = [cell for row in csv.reader(io.StringIO(out.output)) for cell in row]
    assert "'" + '=HYPERLINK("http://evil","y")' in cells
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "@", "\t", "\r")]


def test_numbers_stay_numbers_and_everything_else_that_could_run_is_quoted():
    assert [safe_cell(v) for v in (-12.5, 3, "-12.50", "+3", "12.50", "Ana", "", None)] == [
        -12.5, 3, "-12.50", "+3", "12.50", "Ana", "", None]
    assert [safe_cell(v) for v in ("=1+1", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "-")] == [
        "'=1+1", "'+1+cmd|' /C calc'!A0", "'-2+3", "'@SUM(A1)", "'\t=1", "'\r=1", "'-"]
