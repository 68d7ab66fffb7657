"""Meta's messaging limit and account webhooks, after the review of issue 17: a repeated account webhook
is acted on again, an older one never undoes a newer one, and every template to a customer outside their
24-hour window counts (order updates, the window's fallback, the automations), not only broadcasts."""
from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, inspect, select

from bot import schema
from bot.db import make_engine, transaction
from bot.models import Campaign, Customer, utcnow
from bot.whatsapp import messaging_limit, outbox

from . import payloads as p
from .test_broadcasts import create, drain, opt_in, phones, status

ACCOUNT_SAMPLES = Path(__file__).parent / "data" / "meta_account"


def sample(kind: str, case: str, time: int | None = None, **value) -> dict:
    body = copy.deepcopy(json.loads((ACCOUNT_SAMPLES / f"{kind}.json").read_text())[case])
    entry = body["entry"][0]
    if time is not None:
        entry["time"] = time
    entry["changes"][0]["value"].update(value)
    return body


def limit(runner) -> str:
    return runner.invoke(args=["broadcast", "limit"]).output


# -- a repeated account webhook ---------------------------------------------------------------------------

def test_a_second_quality_flag_days_later_pauses_the_campaigns_again(runner, app, tmp_path, sender, fake_graph,
                                                                    post):
    app.config.update(BROADCAST_BATCH=2)
    opt_in(runner, tmp_path, phones(6))
    campaign = create(runner, "--segment", "all opted in")
    sender.run_campaigns()
    assert post(sample("phone_number_quality_update", "flagged")).status_code == 200
    assert "paused: Meta sent FLAGGED" in status(runner, campaign)
    assert runner.invoke(args=["broadcast", "resume", str(campaign)]).exit_code == 0
    sender.run_campaigns()
    # the same flag again, three days later: same number, same words, another time
    later = sample("phone_number_quality_update", "flagged", time=1748454394 + 3 * 86400)
    assert post(later).status_code == 200
    assert "paused: Meta sent FLAGGED" in status(runner, campaign)
    with transaction(app.extensions["shopbot.sessions"]) as s:
        assert s.scalars(select(Campaign.status)).one() == "paused"
    post(later)  # a redelivery of that one is still a duplicate
    assert runner.invoke(args=["broadcast", "resume", str(campaign)]).exit_code == 0


def test_a_tier_that_comes_back_is_taken_and_an_older_webhook_does_not_undo_a_newer_one(runner, post):
    t = 1739321024
    post(sample("business_capability_update", "limit_raised", time=t))
    assert limit(runner).startswith("messaging limit: 2,000 customers a day")
    post(sample("business_capability_update", "limit_raised", time=t + 86400,
                max_daily_conversations_per_business=250))
    assert limit(runner).startswith("messaging limit: 250 customers a day")
    post(sample("business_capability_update", "limit_raised", time=t + 2 * 86400))  # 2000 again
    assert limit(runner).startswith("messaging limit: 2,000 customers a day")
    # Meta's retry of an older webhook (sent before the last one) arrives late: ignored
    post(sample("business_capability_update", "limit_raised", time=t + 86400 + 60,
                max_daily_conversations_per_business=250))
    assert limit(runner).startswith("messaging limit: 2,000 customers a day")


# -- what counts against the limit ------------------------------------------------------------------------

def templates_to(app, numbers: list[str], at, source: str | None = None) -> None:
    """A template each to customers outside their window, as an order update by template, the window's
    fallback (`reopen_conversation`) or a staff follow-up writes it (no source), queued at `at`."""
    with transaction(app.extensions["shopbot.sessions"]) as s:
        for customer in s.scalars(select(Customer).where(Customer.wa_id.in_(numbers))):
            outbox.enqueue(s, customer, [{"type": "template", "name": "reopen_conversation", "language": "en",
                                          "params": ["there", "Lumen & Loom"]}], at, source=source)


def test_every_template_outside_the_window_counts_not_only_broadcasts(runner, app, tmp_path, sender, fake_graph):
    opt_in(runner, tmp_path, phones(5, start=500), opted_in="no")  # order updates need no opt-in
    templates_to(app, phones(5, start=500), utcnow() - timedelta(hours=1))
    opt_in(runner, tmp_path, phones(260))
    campaign = create(runner, "--segment", "all opted in")
    assert drain(sender) == 5 + 245  # the five order updates, then the room they left
    assert limit(runner).endswith("; 250 reached outside their window in the last 24 hours\n")
    assert "room again from" in status(runner, campaign)
    sender.clock = lambda: utcnow() + timedelta(hours=22, minutes=59)
    assert drain(sender) == 0
    sender.clock = lambda: utcnow() + timedelta(hours=23, minutes=1)  # the order updates left the 24 hours
    assert drain(sender) == 5
    assert "remaining 10 (0 in the outbox)" in status(runner, campaign)


def test_the_migration_adds_the_limits_indexes_and_goes_up_and_down(app, database_url):
    engine = make_engine(database_url)
    try:
        def indexes() -> set[str]:
            found = inspect(engine)
            columns = {f"campaign.{c['name']}" for c in found.get_columns("campaign")} & {"campaign.waiting_until"}
            return columns | {i["name"] for t in ("outbound_message", "campaign_recipient")
                              for i in found.get_indexes(t)}
        assert {"ix_outbound_message_counted", "ix_campaign_recipient_outbox", "campaign.waiting_until"} <= indexes()
        schema.downgrade(engine, "0017")
        assert not {"ix_outbound_message_counted", "ix_campaign_recipient_outbox", "campaign.waiting_until"} & indexes()
        schema.upgrade(engine)
        assert {"ix_outbound_message_counted", "ix_campaign_recipient_outbox", "campaign.waiting_until"} <= indexes()
    finally:
        engine.dispose()


# -- a campaign waiting for room ----------------------------------------------------------------------------

class Statements:
    """The SQL the app's engine runs while it is open."""

    def __init__(self, app):
        self.engine, self.seen = app.extensions["shopbot.sessions"].kw["bind"], []

    def _record(self, conn, cursor, statement, *args):
        self.seen.append(" ".join(statement.split()).lower())

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self.seen

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._record)


def scans(seen: list[str]) -> int:
    """The runner's looks for pending recipients joined to their customers."""
    return sum(1 for s in seen if "from campaign_recipient join customer" in s)


def test_a_campaign_waiting_for_room_looks_for_recipients_once_a_minute_not_every_second(
        runner, app, tmp_path, sender, fake_graph, post):
    opt_in(runner, tmp_path, phones(3))
    with transaction(app.extensions["shopbot.sessions"]) as s:
        messaging_limit.store(s, 1, "command", utcnow())
    campaign = create(runner, "--segment", "all opted in")
    start = utcnow()
    sender.clock = lambda: start
    assert drain(sender) == 1  # the limit's one customer; the two others wait
    with Statements(app) as seen:
        for second in range(1, 30):
            sender.clock = lambda second=second: start + timedelta(seconds=second)
            assert sender.run_campaigns().active
    assert scans(seen) == 0  # nobody inside their window was found a moment ago: no rescans
    assert not any("count(*)" in s and "campaign_recipient" in s for s in seen)  # EXISTS, not a count
    post(p.text(phones(3)[1], "hi"))  # a waiting customer writes: inside the window, they need no room
    sender.pump()
    fake_graph.reset()
    with Statements(app) as seen:
        sender.clock = lambda: start + timedelta(seconds=61)
        assert drain(sender) == 1
    assert scans(seen) >= 1
    assert [m["payload"]["to"] for m in fake_graph.accepted] == [phones(3)[1]]
    assert "remaining 1 (0 in the outbox)" in status(runner, campaign)
