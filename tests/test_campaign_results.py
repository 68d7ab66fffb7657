"""Campaign and automation results over a hand-made history with known answers (issue 17, item 6).

The week of Mon 2026-11-16 in Madrid (UTC+1). Who got what:

- A: abandoned cart on the 16th (read), then campaign 12 on the 18th (delivered), a plain order update
  (no source) on the 19th, and orders on the 20th: the order is campaign 12's (last touch).
- B: back in stock on the 16th at 12:00; orders on the 22nd at 11:00 (6 days later: counts) and on the
  24th at 13:00 (8 days later: does not).
- C: back in stock on the 17th (sent); a cancelled order on the 18th (left out), a USD order on the 19th.
- D: campaign 12 still queued (never sent): D's reply and order count for nobody.
- E: campaign 12 twice (both read), writes three times: one customer replied.
- F: campaign 12 reached Meta, then failed; F opts out an hour later.
- G: abandoned cart on the 16th at 10:00; writes on the 23rd at 09:00 (within 7 days), opts out on the
  24th (after 7 days: not counted).
- H: campaign 12 on the 10th (before the week) and an order on the 16th: all-time figures only.
"""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta

import pytest
from sqlalchemy import inspect

from bot import reports, schema
from bot.db import make_engine, transaction
from bot.models import ConsentEvent, Customer, EventKind, EventStatus, InboundEvent, Order, OutboundMessage
from bot.reports import campaigns

from .report_history import at

WEEK = ("2026-11-16", "2026-11-22")
CART, STOCK, C12 = "abandoned_cart", "back_in_stock", "campaign:12"


def seed(app) -> None:
    with transaction(app.extensions["shopbot.sessions"]) as s:
        people = {k: Customer(wa_id=f"3470000000{i}", name=f"Customer {k}", created_at=at(1, 9))
                  for i, k in enumerate("ABCDEFGH")}
        s.add_all(people.values())
        s.flush()
        seq = iter(range(10_000))

        def message(who: str, source: str | None, when: datetime, status: str, sent: bool = True):
            s.add(OutboundMessage(customer_id=people[who].id, recipient=people[who].wa_id,
                                  body={"type": "template", "name": "offer"}, status=status, source=source,
                                  created_at=when, sent_at=when + timedelta(seconds=1) if sent else None,
                                  status_at=when + timedelta(minutes=5)))

        def says(who: str, when: datetime):
            s.add(InboundEvent(external_id=f"wamid.c{next(seq)}", kind=EventKind.MESSAGE, field="messages",
                               payload={"message": {"type": "text", "text": {"body": "hi"}}},
                               status=EventStatus.PROCESSED, customer_id=people[who].id, received_at=when))

        def consent(who: str, when: datetime, opted_in: bool):
            s.add(ConsentEvent(customer_id=people[who].id, opted_in=opted_in,
                               source="chat" if opted_in else "stop", at=when))

        def order(who: str, when: datetime, total: int, status: str = "confirmed", currency: str = "EUR"):
            s.add(Order(reference=f"SHP-C{next(seq):04d}", customer_id=people[who].id, status=status,
                        customer_name=people[who].name, phone=people[who].wa_id, currency=currency,
                        subtotal=total, shipping_fee=0, total=total, created_at=when, updated_at=when))

        message("A", CART, at(16, 10), "read")
        message("A", C12, at(18, 10), "delivered")
        message("A", None, at(19, 10), "read")  # an order update: not marketing, never a touch
        order("A", at(20, 10), 5000)

        message("B", STOCK, at(16, 12), "delivered")
        order("B", at(22, 11), 3000, status="pending")  # 6 days less an hour: counts (placed, not cancelled)
        order("B", at(24, 13), 7700)  # 8 days and an hour: too late

        message("C", STOCK, at(17, 9), "sent")
        order("C", at(18, 9), 9900, status="cancelled")
        order("C", at(19, 9), 2000, currency="USD")

        message("D", C12, at(17, 10), "queued", sent=False)
        says("D", at(17, 11))
        order("D", at(18, 10), 1234)

        message("E", C12, at(17, 10), "read")
        message("E", C12, at(19, 10), "read")
        for when in (at(17, 11), at(18, 9), at(19, 11)):
            says("E", when)

        consent("F", at(1, 9), True)
        message("F", C12, at(17, 10), "failed")
        consent("F", at(17, 11), False)

        message("G", CART, at(16, 10), "delivered")
        says("G", at(23, 9))
        consent("G", at(24, 10, 30), False)

        message("H", C12, at(10, 10), "read")
        order("H", at(16, 9), 4000)


def expected(source, name, sent, delivered, read, replied, opted_out, orders, revenue) -> dict:
    return {"source": source, "name": name, "sent": sent, "delivered": delivered, "read": read, "replied": replied,
            "opted_out": opted_out, "orders": orders, "revenue": revenue}


WEEK_RESULTS = [
    expected(CART, "Abandoned cart", 2, 2, 1, 1, 0, 0, {}),
    expected(STOCK, "Back in stock", 2, 1, 0, 0, 0, 2, {"EUR": 3000, "USD": 2000}),
    expected(C12, "Campaign 12", 4, 3, 2, 1, 1, 1, {"EUR": 5000}),
]


@pytest.fixture
def week(app):
    seed(app)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        return campaigns.results(s, reports.between(*WEEK, "Europe/Madrid"))


def by_source(found) -> dict[str, dict]:
    return {r.source: r.as_dict() for r in found}


def test_the_weeks_figures_per_campaign_and_automation(week):
    assert [r.as_dict() for r in week] == WEEK_RESULTS


def test_an_order_six_days_after_counts_and_eight_days_after_does_not(week):
    stock = by_source(week)[STOCK]
    assert stock["orders"] == 2 and stock["revenue"]["EUR"] == 3000  # B's 7700 on the 24th is not there


def test_an_order_goes_to_the_latest_message_only(week):
    results = by_source(week)
    assert results[CART]["orders"] == 0 and results[CART]["revenue"] == {}  # A's cart reminder was not the last
    assert results[C12]["orders"] == 1 and results[C12]["revenue"] == {"EUR": 5000}


def test_cancelled_orders_and_unsent_messages_earn_nothing(week):
    results = by_source(week)
    assert 9900 not in results[STOCK]["revenue"].values()  # C's cancelled order
    assert results[C12]["revenue"] == {"EUR": 5000}  # not D's 1234: D's message never left


def test_replies_count_customers_once_and_only_after_a_sent_message(week):
    results = by_source(week)
    assert results[C12]["replied"] == 1  # E wrote three times after two messages; D's message was never sent
    assert results[CART]["replied"] == 1  # G, 6 days 23 hours after


def test_opt_outs_within_seven_days(week):
    results = by_source(week)
    assert results[C12]["opted_out"] == 1  # F, after a message that reached Meta and failed
    assert results[CART]["opted_out"] == 0  # G opted out 8 days after


def test_revenue_is_kept_per_currency(week):
    assert by_source(week)[STOCK]["revenue"] == {"EUR": 3000, "USD": 2000}


def test_a_message_sent_late_is_credited_from_when_it_was_sent(app):
    """Created on the period's last evening, sent three days later (a long queue): an order 4 days after
    sending is its, though it comes more than 7 days after the period."""
    with transaction(app.extensions["shopbot.sessions"]) as s:
        late = Customer(wa_id="34700000099", name="Late", created_at=at(1, 9))
        s.add(late)
        s.flush()
        s.add(OutboundMessage(customer_id=late.id, recipient=late.wa_id, body={"type": "template"},
                              status="delivered", source="campaign:13", created_at=at(22, 20), sent_at=at(26, 10)))
        s.add(Order(reference="SHP-LATE1", customer_id=late.id, status="confirmed", currency="EUR", subtotal=900,
                    shipping_fee=0, total=900, created_at=at(30, 9), updated_at=at(30, 9)))
    with transaction(app.extensions["shopbot.sessions"]) as s:
        found = campaigns.results(s, reports.between(*WEEK, "Europe/Madrid"))
    assert [r.as_dict() for r in found] == [expected("campaign:13", "Campaign 13", 1, 1, 0, 0, 0, 1, {"EUR": 900})]


def test_campaign_names_and_one_campaigns_figures_over_all_time(app):
    seed(app)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        named = campaigns.results(s, reports.between(*WEEK, "Europe/Madrid"), {C12: "Black Friday"})
        one = campaigns.result_for(s, C12, "Black Friday")
        none = campaigns.result_for(s, "campaign:99")
    assert [r.name for r in named] == ["Abandoned cart", "Back in stock", "Black Friday"]
    # H's message of the 10th and H's order on the 16th count too
    assert one.as_dict() == expected(C12, "Black Friday", 5, 4, 3, 1, 1, 2, {"EUR": 9000})
    assert none.as_dict() == expected("campaign:99", "Campaign 99", 0, 0, 0, 0, 0, 0, {})


def test_the_reports_page_shows_the_campaigns_table(app, owner):
    seed(app)
    page = owner.get(f"/staff/reports?from={WEEK[0]}&to={WEEK[1]}").text
    assert "<h2>Campaigns and automations</h2>" in page
    row = page.split('id="campaign-back_in_stock">', 1)[1].split("</tr>", 1)[0]
    cells = [c.split("</td>")[0] for c in row.split('<td class="num">')[1:]]
    assert cells[:6] == ["2", "1", "0", "0", "0", "2"] and cells[6].startswith("€30.00 + ") and "20.00" in cells[6]
    row = page.split('id="campaign-campaign-12">', 1)[1].split("</tr>", 1)[0]
    assert "<td>Campaign 12</td>" in row and '<td class="num">€50.00</td>' in row


def test_an_empty_period_says_so_on_the_page(app, owner):
    page = owner.get(f"/staff/reports?from={WEEK[0]}&to={WEEK[1]}").text
    assert "No campaign or automation messages in this period." in page


def test_the_command_prints_the_figures_as_json_csv_and_text(app, runner):
    seed(app)
    args = ["report", "--from", WEEK[0], "--to", WEEK[1]]
    out = runner.invoke(args=[*args, "--format", "json"])
    assert out.exit_code == 0 and json.loads(out.output)["campaigns"] == WEEK_RESULTS
    rows = list(csv.reader(io.StringIO(runner.invoke(args=[*args, "--format", "csv"]).output)))
    assert ["campaigns", "Campaign 12: sent", "4"] in rows and ["campaigns", "Campaign 12: opted out", "1"] in rows
    assert ["campaigns", "Back in stock: orders", "2"] in rows
    assert ["campaigns", "Campaign 12: revenue", "€50.00"] in rows
    assert ["campaigns", "Abandoned cart: revenue", "€0.00"] in rows
    text = runner.invoke(args=args).output
    assert "CAMPAIGNS" in text and "Abandoned cart: replied" in text


def test_migration_0015_goes_down_to_0014_and_up_again(app, database_url):
    engine = make_engine(database_url)
    try:
        schema.downgrade(engine, "0014")
        assert "source" not in {c["name"] for c in inspect(engine).get_columns("outbound_message")}
        assert "ix_outbound_message_source" not in {i["name"] for i in inspect(engine).get_indexes("outbound_message")}
        schema.upgrade(engine)
        assert "source" in {c["name"] for c in inspect(engine).get_columns("outbound_message")}
        assert "ix_outbound_message_source" in {i["name"] for i in inspect(engine).get_indexes("outbound_message")}
    finally:
        engine.dispose()
