"""Broadcasts (issue 17, item 5) through the `shopbot broadcast` commands, signed Meta webhooks and the
fake Graph API: the audience (CSV, label, segment) and its consent filter, the messaging limit and
Meta raising it, 131049 never retried, and the pauses on quality signals."""
from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import IntegrityError

from bot import schema
from bot.db import make_engine, transaction
from bot.models import CampaignRecipient, ChatLabel, Customer, OutboundMessage, utcnow

from . import payloads as p

ACCOUNT_SAMPLES = Path(__file__).parent / "data" / "meta_account"
def sample(kind: str, case: str) -> dict:
    return json.loads((ACCOUNT_SAMPLES / f"{kind}.json").read_text())[case]


def opt_in(runner, tmp_path, phones, opted_in="yes") -> None:
    """Customers with a marketing answer, imported as an owner would (`shopbot customers optin`)."""
    path = tmp_path / "consent.csv"
    path.write_text("phone,source,opted_in\n" + "".join(f"+{ph},newsletter,{opted_in}\n" for ph in phones))
    result = runner.invoke(args=["customers", "optin", "--csv", str(path)])
    assert result.exit_code == 0, result.output


def phones(n: int, start: int = 0) -> list[str]:
    return [f"3461{i:07d}" for i in range(start, start + n)]


def create(runner, *args) -> int:
    result = runner.invoke(args=["broadcast", "create", "--template", "weekly_offers", *args])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("campaign "))
    return int(line.split()[1].rstrip(":"))


def status(runner, campaign_id: int) -> str:
    result = runner.invoke(args=["broadcast", "status", str(campaign_id)])
    assert result.exit_code == 0, result.output
    return result.output


def drain(sender, rounds: int = 100) -> int:
    """Run the campaigns and send what they queued until a round moves nothing; the sends."""
    total = 0
    for _ in range(rounds):
        run = sender.run_campaigns()
        sent = sender.pump()
        total += sent
        if not run.queued and not sent:
            break
    return total


def templates_sent(fake_graph) -> list[dict]:
    return [m["payload"] for m in fake_graph.accepted if m["payload"].get("type") == "template"]


# -- creating ----------------------------------------------------------------------------------------------

def test_a_csv_with_bad_rows_is_reported_by_line_and_creates_nothing(runner, app, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("phone,name\n+34 600 111 222,Ana\n12ab,Bo\n\n+34600111222,Ana again\n")
    result = runner.invoke(args=["broadcast", "create", "--template", "weekly_offers", "--audience", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        f"{path}:3: phone `12ab` must be a WhatsApp number with its country code, 8 to 15 digits (spaces, "
        "dashes and a leading + are fine), like +34 600 111 222",
        f"{path}:5: warning: phone 34600111222 is already on line 2: merged, the customer gets one message",
        f"Error: 1 problem(s) in {path}; no broadcast created"]
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert s.scalars(select(Customer)).all() == []  # not even the good row's customer
    assert runner.invoke(args=["broadcast", "list"]).output.startswith("no broadcasts yet")


def test_a_csv_naming_a_customer_twice_is_merged_and_says_so(runner, app, tmp_path):
    first, second = phones(2)
    opt_in(runner, tmp_path, [first, second])
    path = tmp_path / "list.csv"
    path.write_text(f"phone,name\n+{first},Ana\n{second},Bo\n+{first[:2]} {first[2:]},Ana again\n")
    result = runner.invoke(args=["broadcast", "create", "--template", "weekly_offers", "--audience", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"{path}:4: warning: phone {first} is already on line 2: merged, the customer gets one message",
        "campaign 1: weekly_offers (en, marketing) to file list.csv: 2 customer(s), 2 after the consent filter; "
        "starts now (1 duplicate merged)"]
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert len(s.scalars(select(CampaignRecipient)).all()) == 2


def test_the_template_must_be_listed_and_fillable_by_a_broadcast(runner, app):
    result = runner.invoke(args=["broadcast", "create", "--template", "weekly_offer", "--segment", "all opted in"])
    assert result.output == ('Error: template `weekly_offer` is not in flows/templates.yaml (did you mean '
                             '"weekly_offers"?); list it there exactly as WhatsApp Manager approved it\n')
    result = runner.invoke(args=["broadcast", "create", "--template", "abandoned_cart", "--segment", "all opted in"])
    assert result.output == ("Error: template `abandoned_cart` (flows/templates.yaml:49) is filled from cart.total, "
                             "cart.code, which a broadcast does not know; a broadcast fills only customer.name "
                             "and shop.name\n")
    result = runner.invoke(args=["broadcast", "create", "--template", "weekly_offers", "--segment", "bought twice"])
    assert result.output == ('Error: unknown segment `bought twice`; use one of: "ordered in last N days"; '
                             '"all opted in"\n')
    result = runner.invoke(args=["broadcast", "create", "--template", "weekly_offers", "--label", "vips"])
    assert "no label `vips` in flows/labels.yaml (did you mean \"vip\"?)" in result.output


def test_a_label_audience_is_filtered_by_consent_and_the_status_says_so(runner, app, tmp_path, sender, fake_graph):
    opt_in(runner, tmp_path, phones(3))
    opt_in(runner, tmp_path, phones(2, start=3), opted_in="no")
    with transaction(app.extensions["shopbot.sessions"]) as s:
        for c in s.scalars(select(Customer)):
            s.add(ChatLabel(customer_id=c.id, label="vip", added_at=utcnow()))
    campaign = create(runner, "--label", "vip")
    assert "audience: label vip: 5 before the consent filter, 3 after" in status(runner, campaign)
    assert drain(sender) == 3
    assert sorted(m["to"] for m in templates_sent(fake_graph)) == phones(3)
    sent = templates_sent(fake_graph)[0]
    assert sent["template"]["name"] == "weekly_offers"
    assert [prm["text"] for prm in sent["template"]["components"][0]["parameters"]] == ["there", "Lumen & Loom"]
    report = status(runner, campaign)
    assert f"campaign {campaign}: weekly_offers (en, marketing), done" in report
    assert "sent 3 (delivered 0), failed 0, skipped 2, remaining 0 (0 in the outbox)" in report
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert {r.source for r in s.scalars(select(OutboundMessage))} == {f"campaign:{campaign}"}


def test_a_scheduled_broadcast_waits_for_its_time_and_a_segment_of_buyers(runner, app, tmp_path, sender,
                                                                           fake_graph):
    opt_in(runner, tmp_path, phones(2))
    at = (utcnow() + timedelta(hours=2)).isoformat()
    campaign = create(runner, "--segment", "all opted in", "--at", at)
    assert drain(sender) == 0
    assert f"campaign {campaign}: weekly_offers (en, marketing), scheduled" in status(runner, campaign)
    sender.clock = lambda: utcnow() + timedelta(hours=2, minutes=1)
    assert drain(sender) == 2
    result = runner.invoke(args=["broadcast", "create", "--template", "weekly_offers", "--segment",
                                 "ordered in last 90 days"])
    assert result.output == "Error: the audience (segment ordered in last 90 days) has no customers\n"


def test_a_utility_broadcast_needs_the_opt_in_too_and_skips_who_said_stop(runner, app, sender, fake_graph, post):
    """A broadcast fills only customer.name and shop.name: it is never about the customer's own order, so
    whatever its template's category it goes only to customers who opted in (Meta's rule for marketing)."""
    ana, bo, cy = phones(3)
    for phone in (ana, cy):
        post(p.button_reply(phone, "menu:offers", "Get offers"))
    for phone, name in ((ana, "Ana"), (bo, "Bo"), (cy, "Cy")):
        post(p.text(phone, "hi", name=name))
    sender.pump()
    with transaction(app.extensions["shopbot.sessions"]) as s:
        for c in s.scalars(select(Customer)):
            s.add(ChatLabel(customer_id=c.id, label="wholesale", added_at=utcnow()))
    result = runner.invoke(args=["broadcast", "create", "--template", "reopen_conversation", "--label", "wholesale"])
    assert "3 customer(s), 2 after the consent filter" in result.output  # Bo never opted in
    campaign = int(result.output.split()[1].rstrip(":"))
    post(p.text(cy, "stop"))  # after it was created, before it was sent
    sender.pump()
    fake_graph.reset()
    assert drain(sender) == 1
    [sent] = templates_sent(fake_graph)
    assert (sent["to"], sent["template"]["name"]) == (ana, "reopen_conversation")
    assert [prm["text"] for prm in sent["template"]["components"][0]["parameters"]] == ["Ana", "Lumen & Loom"]
    assert "sent 1 (delivered 0), failed 0, skipped 2, remaining 0" in status(runner, campaign)


@pytest.mark.parametrize("how", ["typed stop", "stop button", "stopped in WhatsApp"])
def test_an_opt_out_takes_back_the_marketing_already_queued(runner, app, tmp_path, sender, fake_graph, post, how):
    from .test_marketing_preferences import preference

    first, second = phones(2)
    opt_in(runner, tmp_path, [first, second])
    campaign = create(runner, "--segment", "all opted in")
    assert sender.run_campaigns().queued == 2  # both in the outbox, neither sent yet
    said = {"typed stop": p.text(first, "stop"), "stop button": p.button_reply(first, "offers:stop", "Stop offers"),
            "stopped in WhatsApp": preference("stop", first)}[how]
    assert post(said).status_code == 200
    drain(sender)
    assert [m["to"] for m in templates_sent(fake_graph)] == [second]
    with transaction(app.extensions["shopbot.sessions"]) as s:
        row, recipient = s.execute(select(OutboundMessage, CampaignRecipient)
                                   .join(Customer, Customer.id == OutboundMessage.customer_id)
                                   .join(CampaignRecipient, CampaignRecipient.customer_id == Customer.id)
                                   .where(Customer.wa_id == first, OutboundMessage.source == f"campaign:{campaign}")
                                   ).one()
        assert row.status == "dead" and row.error_title == "not sent: the customer opted out of marketing first"
        assert recipient.status == "skipped" and recipient.skip_reason == "opted out before it was sent"
    assert "sent 1 (delivered 0), failed 0, skipped 1, " in status(runner, campaign)


def test_only_a_scheduled_or_running_campaign_can_be_paused_from_the_command_line(runner, app, tmp_path, sender,
                                                                                  fake_graph):
    opt_in(runner, tmp_path, phones(2))
    campaign = create(runner, "--segment", "all opted in")
    drain(sender)
    assert status(runner, campaign).splitlines()[0].endswith(", done")
    result = runner.invoke(args=["broadcast", "pause", str(campaign)])
    assert result.exit_code == 1
    assert result.output == (f"Error: campaign {campaign} is done: only a scheduled or running campaign can be "
                             "paused\n")
    assert status(runner, campaign).splitlines()[0].endswith(", done")  # unchanged


def test_a_broadcasts_stop_button_carries_the_stop_payload_and_stops_offers(runner, app, tmp_path, sender,
                                                                              fake_graph, post):
    from bot.commerce.consent import may_send_marketing

    from .test_consent import customer

    [ana] = phones(1)
    opt_in(runner, tmp_path, [ana])
    create(runner, "--segment", "all opted in")
    drain(sender)
    [sent] = templates_sent(fake_graph)
    [quick] = [c for c in sent["template"]["components"]
               if c["type"] == "button" and c["sub_type"].lower() == "quick_reply"]
    assert (quick["index"], quick["parameters"]) == (0, [{"type": "payload", "payload": "offers:stop"}])
    tapped = p.body(p.messages_value(ana, p.message(ana, "button", {"text": "Stop offers", "payload": "offers:stop"})))
    assert post(tapped).status_code == 200
    assert not may_send_marketing(customer(app, ana))


def test_a_template_taken_out_of_the_file_pauses_its_campaign(runner, app, tmp_path, sender, fake_graph, shop_dir):
    opt_in(runner, tmp_path, phones(2))
    campaign = create(runner, "--segment", "all opted in", "--at", (utcnow() + timedelta(minutes=5)).isoformat())
    path = shop_dir / "flows" / "templates.yaml"
    text = path.read_text()
    path.write_text(text[:text.index("  - name: weekly_offers")])  # the last entry of the sample shop's file
    app.extensions["shopbot.content"].reload()
    sender.clock = lambda: utcnow() + timedelta(minutes=6)
    assert drain(sender) == 0
    assert ("paused: template `weekly_offers` (en) is no longer in flows/templates.yaml: put it back (as approved "
            "in WhatsApp Manager) before you resume") in status(runner, campaign)


# -- Meta's messaging limit ------------------------------------------------------------------------------

def test_a_broadcast_of_1000_keeps_to_the_messaging_limit_until_meta_raises_it(runner, app, tmp_path, sender,
                                                                               fake_graph, post):
    everyone = phones(1000)
    opt_in(runner, tmp_path, everyone)
    inside = everyone[-1]
    post(p.text(inside, "hi"))  # inside their 24-hour window: not counted, goes at once
    sender.pump()
    fake_graph.reset()
    campaign = create(runner, "--segment", "all opted in")
    assert drain(sender) == 251
    sent = [m["to"] for m in templates_sent(fake_graph)]
    assert len(sent) == len(set(sent)) == 251 and inside in sent
    report = status(runner, campaign)
    assert "sent 251 (delivered 0), failed 0, skipped 0, remaining 749 (0 in the outbox)" in report
    assert "messaging limit: 250 of 250 customers reached outside their 24-hour window in the last 24 hours; " \
           "room again from" in report
    assert drain(sender) == 0  # waiting for the moving window, not dropped

    assert post(sample("business_capability_update", "limit_raised")).status_code == 200
    assert runner.invoke(args=["broadcast", "limit"]).output.startswith(
        "messaging limit: 2,000 customers a day (from Meta's webhook")
    assert drain(sender) == 749
    sent = [m["to"] for m in templates_sent(fake_graph)]
    assert len(sent) == len(set(sent)) == 1000 and set(sent) == set(everyone)
    assert "sent 1000 (delivered 0), failed 0, skipped 0, remaining 0" in status(runner, campaign)


def test_a_broadcast_keeps_to_the_numbers_shared_send_rate(runner, app, tmp_path, fake_graph):
    from bot.whatsapp.sender import Sender

    app.config["SEND_RATE"] = 40.0
    paced = Sender(app)  # its pace is the number's, shared with every other sender
    opt_in(runner, tmp_path, phones(40))
    create(runner, "--segment", "all opted in")
    try:
        assert drain(paced) == 40
    finally:
        paced.pool.shutdown()
        paced.receipts.shutdown()
    times = sorted(m["at"] for m in fake_graph.accepted)
    assert times[-1] - times[0] >= 39 / 40 * 0.95  # 40 a second, not all at once


def test_customers_over_the_limit_go_when_the_moving_24_hours_let_them(runner, app, tmp_path, sender, fake_graph):
    opt_in(runner, tmp_path, phones(260))
    campaign = create(runner, "--segment", "all opted in")
    assert drain(sender) == 250
    sender.clock = lambda: utcnow() + timedelta(hours=23, minutes=59)
    assert drain(sender) == 0
    sender.clock = lambda: utcnow() + timedelta(hours=24, minutes=1)
    assert drain(sender) == 10
    assert "sent 260 (delivered 0), failed 0, skipped 0, remaining 0" in status(runner, campaign)


def test_the_limit_follows_meta_and_the_owner(runner, app, post):
    assert runner.invoke(args=["broadcast", "limit"]).output.startswith(
        "messaging limit: 250 customers a day (from the MESSAGING_LIMIT setting)")
    post(sample("business_capability_update", "limit_by_tier_name"))
    assert runner.invoke(args=["broadcast", "limit"]).output.startswith("messaging limit: 10,000 customers a day")
    post(sample("phone_number_quality_update", "throughput_upgrade"))  # the number's throughput, not the limit
    assert runner.invoke(args=["broadcast", "limit"]).output.startswith("messaging limit: 10,000 customers a day")
    result = runner.invoke(args=["broadcast", "limit", "3000"])
    assert result.exit_code == 2 and "must be 250, 2000, 10000, 100000 or unlimited" in result.output
    assert runner.invoke(args=["broadcast", "limit", "unlimited"]).output.startswith(
        "messaging limit: unlimited customers a day (from shopbot broadcast limit")


# -- Meta's refusals and quality signals ------------------------------------------------------------------

def test_131049_marks_the_recipient_not_delivered_and_is_never_retried(runner, app, tmp_path, sender, fake_graph):
    opt_in(runner, tmp_path, phones(3))
    campaign = create(runner, "--segment", "all opted in")
    fake_graph.fail_next(131049, message="Message undeliverable to maintain healthy ecosystem engagement")
    drain(sender)
    sender.clock = lambda: utcnow() + timedelta(hours=1)  # long past any back-off
    drain(sender)
    assert fake_graph.attempts == 3 and len(templates_sent(fake_graph)) == 2
    report = status(runner, campaign)
    assert "sent 2 (delivered 0), failed 1, skipped 0, remaining 0" in report
    assert "  failed: 131049 not delivered, and not retried: " in report
    with transaction(app.extensions["shopbot.sessions"]) as s:
        dead = s.scalars(select(OutboundMessage).where(OutboundMessage.error_code == 131049)).one()
        assert (dead.status, dead.attempts) == ("dead", 1)


def test_131050_records_that_the_customer_stopped_marketing_and_is_never_retried(runner, app, tmp_path, sender,
                                                                                  fake_graph):
    from .test_consent import history

    first, second = phones(2)
    opt_in(runner, tmp_path, [first, second])
    campaign = create(runner, "--segment", "all opted in")
    fake_graph.fail_next(131050, message="Unable to deliver message. User has stopped marketing messages")
    drain(sender)
    sender.clock = lambda: utcnow() + timedelta(hours=1)  # long past any back-off
    drain(sender)
    assert "sent 1 (delivered 0), failed 1, skipped 0, remaining 0" in status(runner, campaign)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        dead = s.scalars(select(OutboundMessage).where(OutboundMessage.error_code == 131050)).one()
        assert (dead.status, dead.attempts) == ("dead", 1)
        out = s.get_one(Customer, dead.customer_id)  # whichever of the two sends Meta answered first
        assert out.marketing_opt_in is False and out.marketing_consent_source == "whatsapp"
        assert out.opted_out_at is None  # marketing only: order updates go on
        stopped = out.wa_id
    [other] = {first, second} - {stopped}
    assert fake_graph.attempts == 2 and [m["to"] for m in templates_sent(fake_graph)] == [other]
    assert history(app, stopped)[-1][:2] == (False, "whatsapp")


def test_a_run_of_refusals_pauses_the_campaign_until_the_owner_resumes_it(runner, app, tmp_path, sender,
                                                                          fake_graph):
    app.config.update(BROADCAST_BATCH=5, BROADCAST_PAUSE_AFTER=5)
    opt_in(runner, tmp_path, phones(12))
    campaign = create(runner, "--segment", "all opted in")
    fake_graph.fail_next(131049, times=5)
    drain(sender)
    assert fake_graph.attempts == 5 and templates_sent(fake_graph) == []
    report = status(runner, campaign)
    assert f"campaign {campaign}: weekly_offers (en, marketing), paused" in report
    assert ("paused: Meta refused the last 5 messages in a row (131049 ×5): WhatsApp is limiting this number's "
            "marketing messages. Check its quality rating in WhatsApp Manager before you resume.") in report
    assert drain(sender) == 0
    assert runner.invoke(args=["broadcast", "resume", str(campaign)]).output == f"campaign {campaign}: resumed\n"
    drain(sender)
    assert len(templates_sent(fake_graph)) == 7  # the 5 refused are not retried
    assert "sent 7 (delivered 0), failed 5, skipped 0, remaining 0" in status(runner, campaign)


def test_a_quality_flag_from_meta_pauses_running_campaigns_and_takes_back_their_queue(runner, app, tmp_path,
                                                                                      sender, fake_graph, post):
    app.config.update(BROADCAST_BATCH=4)
    opt_in(runner, tmp_path, phones(10))
    campaign = create(runner, "--segment", "all opted in")
    sender.run_campaigns()  # four in the outbox, not sent yet
    assert post(sample("phone_number_quality_update", "flagged")).status_code == 200
    assert drain(sender) == 0 and fake_graph.attempts == 0
    report = status(runner, campaign)
    assert "paused: Meta sent FLAGGED for 15550001234 at " in report
    assert "remaining 10 (0 in the outbox)" in report
    assert runner.invoke(args=["broadcast", "limit"]).output.startswith("messaging limit: 2,000")
    result = runner.invoke(args=["broadcast", "resume", str(campaign)])
    assert result.exit_code == 0
    assert drain(sender) == 10
    assert runner.invoke(args=["broadcast", "resume", str(campaign)]).output == (
        f"Error: campaign {campaign} is done, not paused\n")


def test_each_recipient_is_one_row_and_the_migration_goes_up_and_down(runner, app, tmp_path, database_url):
    opt_in(runner, tmp_path, phones(2))
    campaign = create(runner, "--segment", "all opted in")
    with transaction(app.extensions["shopbot.sessions"]) as s:
        first = s.scalars(select(CampaignRecipient)).first()
        assert first is not None
        customer_id = first.customer_id
    with pytest.raises(IntegrityError), transaction(app.extensions["shopbot.sessions"]) as s:
        s.add(CampaignRecipient(campaign_id=campaign, customer_id=customer_id, status="pending"))
    engine = make_engine(database_url)
    try:
        schema.downgrade(engine, "0016")
        assert not {"campaign", "campaign_recipient"} & set(inspect(engine).get_table_names())
        schema.upgrade(engine)
        assert {"campaign", "campaign_recipient"} <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
