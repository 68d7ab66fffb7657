"""The owner's reports over a seeded history with known answers, on SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import json

import pytest
import time_machine

from bot import reports
from bot.db import transaction

from .report_history import NOW, seed

WEEK = ("2026-11-16", "2026-11-22")


@pytest.fixture
def report(app):
    seed(app)
    content = app.extensions["shopbot.content"].current()
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return reports.build(s, content, reports.between(*WEEK, "Europe/Madrid"), NOW)


def test_the_funnel_and_enquiry_to_order_conversion(report):
    assert [(s["step"], s["customers"], s["conversion"]) for s in report["funnel"]] == [
        ("conversations", 5, None),  # A B C D E; F wrote after midnight in Madrid
        ("product_viewed", 5, 1.0),  # D and E ordered, so they chose products
        ("cart", 5, 1.0),
        ("checkout_started", 4, 0.8),  # B stopped at the cart
        ("order_placed", 3, 0.75),  # A, D (website), E (WhatsApp cart)
        ("paid", 1, 0.3333),
        ("delivered", 1, 1.0),
    ]
    assert report["enquiry_to_order"] == 0.6


def test_days_follow_the_shops_timezone(report):
    assert [(d["period"], d["conversations"], d["orders"], d["revenue"]) for d in report["by_day"]] == [
        ("2026-11-16", 2, 1, 5000),  # A at 23:30 and its order at 23:45 local (22:45 UTC), C
        ("2026-11-17", 1, 0, 0),  # B at 00:30 local: still the 16th in UTC
        ("2026-11-18", 2, 0, 0),
        ("2026-11-19", 1, 1, 0),  # E's order was cancelled: placed, no revenue
        ("2026-11-20", 0, 1, 0),
        ("2026-11-21", 0, 0, 0),
        ("2026-11-22", 0, 0, 0),  # F's 23:30 UTC message is the 23rd in Madrid
    ]
    assert report["by_week"] == [{"period": "2026-11-16", "conversations": 5, "orders": 3, "revenue": 5000}]


def test_response_times_count_opening_hours(report):
    assert report["response"]["bot"] == {"p50_seconds": 0.3, "p90_seconds": 1.0}  # staff replies left out
    assert report["response"]["staff"] == {
        "handoffs": 2, "answered": 2, "answered_outside_hours": 0,
        "median_minutes": 15.0,  # Monday 19:50 -> Tuesday 10:05 is 10 + 5 open minutes
        "p90_minutes": 40.0, "promise_minutes": 15, "share_within_promise": 0.5}


def test_a_handoff_answered_outside_opening_hours_is_counted_apart(app):
    """Sunday is closed: a chat handed over and answered on Sunday waited "0 open minutes", which
    must not read as a perfect answer inside the promise (issue 16, item 7)."""
    from bot.models import Customer, Handoff

    from .report_history import at

    seed(app)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        customer = s.query(Customer).first()
        s.add(Handoff(customer_id=customer.id, reason="person", opened_at=at(22, 12), first_response_at=at(22, 12, 5),
                      closed_at=at(22, 13)))
    content = app.extensions["shopbot.content"].current()
    with transaction(app.extensions["shopbot.sessions"]) as s:
        staff = reports.build(s, content, reports.between(*WEEK, "Europe/Madrid"), NOW)["response"]["staff"]
    assert (staff["handoffs"], staff["answered"], staff["answered_outside_hours"]) == (3, 3, 1)
    assert (staff["median_minutes"], staff["share_within_promise"]) == (15.0, 0.5)  # as without it


def test_bot_resolution_and_handoff_reasons(report):
    assert report["resolution"] == {"conversations": 5, "without_a_person": 3, "share_without_a_person": 0.6,
                                    "handoff_reasons": [
                                        {"reason": "keyword", "label": "said a watched word", "count": 1},
                                        {"reason": "person", "label": "asked for a person", "count": 1}]}


def test_common_questions(report):
    q = report["questions"]
    assert q["top_faq"] == [{"entry": "opening_hours", "question": "What are your opening hours?", "count": 3},
                            {"entry": "delivery_time", "question": q["top_faq"][1]["question"], "count": 1}]
    assert [(u["text"], u["count"]) for u in q["unanswered"]] == [("Do you ship to Mars?", 2), ("wat", 1)]
    assert q["unanswered"][0]["examples"] == ["Do you ship to Mars?", "do you ship to mars"]
    assert q["searches_without_results"] == [{"text": "unicorn", "count": 2}, {"text": "pegasus", "count": 1}]


def test_commerce(report):
    c = report["commerce"]
    assert (c["orders_placed"], c["orders_sold"], c["revenue"], c["average_order_value"]) == (3, 1, 5000, 5000)
    assert c["best_sellers"] == [{"sku": "TEE-M", "name": "Tee", "units": 2, "revenue": 3000},
                                 {"sku": "MUG", "name": "Mug", "units": 1, "revenue": 2000}]
    assert c["abandoned"] == {"carts": 1, "checkouts": 1}  # B's cart, C's checkout
    assert report["sources"] == [{"source": "chat", "tag": None, "orders": 1, "value": 5000},
                                 {"source": "website", "tag": "instagram", "orders": 1, "value": 2500},
                                 {"source": "whatsapp_cart", "tag": None, "orders": 1, "value": 1800}]


def test_operations(report):
    o = report["operations"]
    assert [f["reference"] for f in o["forgotten_orders"]] == ["SHP-DDDDD"]
    assert o["failed_messages"] == [{"code": 131026, "reason": "Message undeliverable", "count": 2},
                                    {"code": 131047, "reason": "Re-engagement message", "count": 1}]
    assert o["order_to_delivery"] == {"orders": 1, "median_hours": 48.0, "p90_hours": 48.0}


def test_an_empty_period_has_no_figures_not_errors(app):
    seed(app)
    content = app.extensions["shopbot.content"].current()
    with transaction(app.extensions["shopbot.sessions"]) as s:
        empty = reports.build(s, content, reports.between("2026-10-01", "2026-10-07", "Europe/Madrid"), NOW)
    assert empty["enquiry_to_order"] is None and empty["commerce"]["average_order_value"] is None
    assert empty["response"]["bot"] == {"p50_seconds": None, "p90_seconds": None}


def test_the_command_prints_the_same_figures(app, runner, report):
    out = runner.invoke(args=["report", "--from", WEEK[0], "--to", WEEK[1], "--format", "json"])
    assert out.exit_code == 0
    printed = json.loads(out.output)
    assert printed["funnel"] == report["funnel"] and printed["commerce"]["revenue"] == 5000
    text = runner.invoke(args=["report", "--from", WEEK[0], "--to", WEEK[1]]).output
    assert "enquiry_to_order" in text and "60.0%" in text and "€50.00" in text and "15.0 min (opening hours)" in text
    rows = list(csv.reader(io.StringIO(runner.invoke(args=["report", "--from", WEEK[0], "--to", WEEK[1],
                                                          "--format", "csv"]).output)))
    assert rows[0] == ["section", "figure", "value"] and ["commerce", "revenue", "€50.00"] in rows
    headers = [line for line in text.splitlines() if line and not line.startswith(" ")][1:]
    assert len(headers) == len(set(headers)) and "COMMERCE" in headers  # each section once
    assert "asked for a person" in text and "person 1" not in text


def test_report_since_counts_back_from_today_in_the_shops_timezone(app, runner):
    seed(app)
    with time_machine.travel(NOW, tick=False):
        out = json.loads(runner.invoke(args=["report", "--since", "2w", "--format", "json"]).output)
    assert out["period"] == {"from": "2026-11-11", "to": "2026-11-24", "timezone": "Europe/Madrid", "currency": "EUR"}
    assert out["funnel"][0]["customers"] == 6  # F too, now


def test_a_bad_period_is_explained(app, runner):
    r = runner.invoke(args=["report", "--since", "a month"])
    assert r.exit_code == 2 and "write it like 30d (days) or 8w (weeks)" in r.output
    r = runner.invoke(args=["report", "--from", "2026-11-22"])
    assert r.exit_code == 2 and "--from and --to go together" in r.output
