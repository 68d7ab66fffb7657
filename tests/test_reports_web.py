"""/staff/reports over HTTP and in Chromium, the CSV exports, "add as FAQ", and the funnel events the
bot records while customers shop."""
from __future__ import annotations

import csv
import io

import time_machine
from ruamel.yaml import YAML
from sqlalchemy import select

from bot.db import transaction
from bot.models import ConversationEvent

from .chat import Chat
from .conftest import StaffClient, make_staff
from .helpers import page_errors, shot
from .report_history import NOW, seed

WEEK = "from=2026-11-16&to=2026-11-22"


def test_the_reports_page_shows_the_figures_with_charts(app, owner):
    seed(app)
    page = owner.get(f"/staff/reports?{WEEK}").text
    assert 'id="kpi-conversations">5<' in page and 'id="kpi-conversion">60.0%<' in page
    assert 'id="kpi-revenue">€50.00<' in page
    assert page.count('<svg class="chart"') == 2 and "Do you ship to Mars?" in page and "unicorn" in page
    assert "15.0 / 40.0 min, in opening hours" in page and "SHP-DDDDD" in page


def test_reports_are_for_owners_only(app, colleague):
    assert colleague.get("/staff/reports").status_code == 403
    assert colleague.get("/staff/reports/orders.csv").status_code == 403


def test_a_bad_date_range_is_explained(app, owner):
    page = owner.get("/staff/reports?from=2026-11-22&to=2026-11-16").text
    assert "the period ends before it starts; showing the last 30 days." in page


def test_the_csv_exports(app, owner):
    seed(app)
    r = owner.get(f"/staff/reports/orders.csv?{WEEK}")
    assert r.headers["Content-Disposition"] == 'attachment; filename="shopbot-orders-2026-11-16-2026-11-22.csv"'
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [(o["reference"], o["placed"], o["status"], o["total"]) for o in rows] == [
        ("SHP-AAAAA", "2026-11-16 23:45", "delivered", "50.00"),
        ("SHP-EEEEE", "2026-11-19 12:05", "cancelled", "18.00"),
        ("SHP-DDDDD", "2026-11-20 12:00", "pending", "25.00")]
    talks = list(csv.DictReader(io.StringIO(owner.get(f"/staff/reports/conversations.csv?{WEEK}").text)))
    assert [(t["customer"], t["first_message"], t["messages_in"], t["handoffs"], t["orders"]) for t in talks] == [
        ("Customer C", "2026-11-16 19:45", "1", "1", "0"), ("Customer A", "2026-11-16 23:30", "2", "0", "1"),
        ("Customer B", "2026-11-17 00:30", "1", "0", "0"), ("Customer D", "2026-11-18 10:55", "1", "1", "1"),
        ("Customer E", "2026-11-19 12:00", "1", "0", "1")]


def test_add_as_faq_writes_a_draft_for_the_owner(app, owner, shop_dir):
    seed(app)
    for _ in range(2):
        r = owner.post("/staff/reports/faq-draft", data={"question": "Do you ship to Mars?", "count": "2",
                                                         "from": "2026-11-16", "to": "2026-11-22"})
        assert r.status_code == 302 and "from=2026-11-16" in r.headers["Location"]
    drafts = YAML(typ="safe").load((shop_dir / "flows" / "faq.drafts.yaml").read_text())
    assert drafts["version"] == 1 and [d["question"] for d in drafts["drafts"]] == ["Do you ship to Mars?"]
    assert drafts["drafts"][0]["asked"] == 2 and drafts["drafts"][0]["answer"] == ""
    assert "already in flows/faq.drafts.yaml" in owner.get("/staff/reports").text
    assert (shop_dir / "flows" / "faq.drafts.yaml").read_text().startswith("# Questions customers asked")


def test_the_bot_records_each_funnel_step_as_customers_shop(app, post, sender, fake_graph):
    chat = Chat(post, sender, fake_graph)
    chat.say("linen shirt")
    chat.say("2 candles")
    chat.tap("checkout", "Checkout")
    with transaction(app.extensions["shopbot.sessions"]) as s:
        kinds = [k for k in s.scalars(select(ConversationEvent.kind).order_by(ConversationEvent.id))
                 if k in ("product_view", "cart_add", "checkout_start")]
    assert kinds == ["product_view", "cart_add", "checkout_start"]


def test_the_reports_page_in_chromium(app_config, browser):

    from bot.app import create_app
    from bot.sandbox.fake_graph import LocalServer

    app = create_app(app_config)
    seed(app)
    make_staff(app)
    server = LocalServer(app)
    try:
        with time_machine.travel(NOW, tick=True):
            StaffClient(app)  # the account works
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors = page_errors(page)
            page.goto(f"{server.url}/staff/login")
            page.fill("#email", "ana@shop.example")
            page.fill("#password", "correct horse battery")
            page.click("#login-button")
            page.click("text=Reports")
            page.fill("#report-from", "2026-11-16")
            page.fill("#report-to", "2026-11-22")
            page.click("text=Show")
            assert page.locator("#kpi-conversion").inner_text() == "60.0%"
            assert page.locator("svg.chart rect.bar").count() == 7  # one bar per day
            assert page.locator("svg.chart polyline").count() == 2
            box = page.locator("svg.chart").first.bounding_box()
            assert box["width"] > 300 and box["height"] > 80  # drawn at a readable size
            for chart in page.locator("svg.chart").all():  # every axis label whole and readable
                frame = chart.bounding_box()
                for label in chart.locator("text.axis").all():
                    text = label.bounding_box()
                    assert text["x"] >= frame["x"] and text["x"] + text["width"] <= frame["x"] + frame["width"]
                    assert text["height"] >= 11, label.text_content()
            assert "€50.00" in (page.locator("svg.chart").nth(1).text_content() or "")
            bars = page.locator(".funnel svg.hbar rect")
            first, last = bars.first.bounding_box()["width"], bars.last.bounding_box()["width"]
            assert first > 100 and 0 < last < first  # the funnel's bars, drawn without inline styles
            shot(page, "staff-reports")
            assert errors == []
    finally:
        server.close()
        app.extensions["shopbot.engine"].dispose()
