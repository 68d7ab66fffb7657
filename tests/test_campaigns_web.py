"""/staff/campaigns (owners only): the list, a campaign's page with its audience after consent, the preview
with the first recipient's real parameters, the progress as JSON, and pause / resume with CSRF."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from . import payloads as p
from .test_broadcasts import create, drain, opt_in, phones


@pytest.fixture
def campaign(runner, app, post, sender, fake_graph, tmp_path) -> int:
    """Ana (who wrote to the shop) and two more opted in, one opted out: a marketing broadcast to all four."""
    ana = phones(1)[0]
    post(p.text(ana, "hi", name="Ana Ruiz"))
    sender.pump()
    fake_graph.reset()
    opt_in(runner, tmp_path, phones(3))
    opt_in(runner, tmp_path, phones(1, start=3), opted_in="no")
    (tmp_path / "audience.csv").write_text("phone\n" + "".join(f"{ph}\n" for ph in phones(4)))
    return create(runner, "--audience", str(tmp_path / "audience.csv"), "--at", "2030-01-01T09:00")


def test_only_owners_see_campaigns_and_the_navigation_links_them(owner, colleague, campaign):
    page = owner.get("/staff/campaigns")
    assert page.status_code == 200
    assert '<a href="/staff/campaigns" class="on">Campaigns</a>' in page.text
    assert f'<a href="/staff/campaigns/{campaign}">weekly_offers</a>' in page.text
    assert "file audience.csv <small>3 after consent</small>" in page.text
    assert colleague.get("/staff/campaigns").status_code == 403
    assert colleague.get(f"/staff/campaigns/{campaign}").status_code == 403
    assert "Campaigns</a>" not in colleague.get("/staff/orders").text


def test_the_campaign_page_shows_audience_preview_schedule_and_a_place_for_results(owner, runner, app, tmp_path):
    opt_in(runner, tmp_path, phones(3))
    (tmp_path / "all.csv").write_text("phone\n" + "".join(f"{ph}\n" for ph in phones(4)))
    campaign = create(runner, "--audience", str(tmp_path / "all.csv"), "--at", "2030-01-01T09:00")
    page = owner.get(f"/staff/campaigns/{campaign}").text
    assert '<dd id="audience-after">3 <small>a broadcast goes only to customers who opted in</small></dd>' in page
    assert '<dd id="schedule">2030-01-01 08:00 UTC</dd>' in page  # 09:00 in the shop's time zone (Madrid)
    assert '<dt>{{1}} <small>customer.name</small></dt><dd dir="auto">there</dd>' in page
    assert '<dt>{{2}} <small>shop.name</small></dt><dd dir="auto">Lumen &amp; Loom</dd>' in page
    assert '<span class="chip">Stop offers</span>' in page
    assert 'id="campaign-results"' in page


def test_the_preview_uses_the_first_recipients_real_name(owner, campaign):
    page = owner.get(f"/staff/campaigns/{campaign}").text
    assert "What Ana Ruiz, the first recipient, gets:" in page
    assert '<dd dir="auto">Ana Ruiz</dd>' in page


def test_pause_and_resume_need_the_csrf_token_and_show_in_the_progress(owner, campaign, sender, fake_graph):
    assert owner.http.post(f"/staff/campaigns/{campaign}/pause").status_code == 400  # no token: nothing changed
    assert owner.get(f"/staff/campaigns/{campaign}/progress.json").json["status"] == "scheduled"
    r = owner.post(f"/staff/campaigns/{campaign}/pause", follow_redirects=True)
    assert "Paused: nothing more is sent until you resume it." in r.text
    progress = owner.get(f"/staff/campaigns/{campaign}/progress.json").json
    assert (progress["status"], progress["paused_reason"]) == ("paused", "paused by the owner in the dashboard")
    r = owner.post(f"/staff/campaigns/{campaign}/resume", follow_redirects=True)
    assert "Resumed: it goes on from the first customer not sent yet." in r.text
    assert owner.get(f"/staff/campaigns/{campaign}/progress.json").json["status"] == "scheduled"
    r = owner.post(f"/staff/campaigns/{campaign}/resume", follow_redirects=True)
    assert f"campaign {campaign} is scheduled, not paused" in r.text

    # A done campaign cannot be paused: the rule is the domain's (bot.commerce.broadcasts.pause), shown here too.
    sender.clock = lambda: datetime(2030, 1, 1, 10, tzinfo=UTC)  # past its start: the runner finishes it
    sender.run_campaigns()
    assert owner.get(f"/staff/campaigns/{campaign}/progress.json").json["status"] == "done"
    assert owner.get("/staff/campaigns/999/progress.json").status_code == 404
    r = owner.post(f"/staff/campaigns/{campaign}/pause", follow_redirects=True)
    assert f"campaign {campaign} is done: only a scheduled or running campaign can be paused" in r.text
    assert owner.get(f"/staff/campaigns/{campaign}/progress.json").json["status"] == "done"


def test_the_progress_counts_what_was_sent(owner, runner, app, tmp_path, sender, fake_graph):
    opt_in(runner, tmp_path, phones(3))
    campaign = create(runner, "--segment", "all opted in")
    drain(sender)
    progress = owner.get(f"/staff/campaigns/{campaign}/progress.json").json
    assert progress == {"status": "done", "progress": 100, "sent": 3, "delivered": 0, "failed": 0, "skipped": 0,
                        "sending": 0, "remaining": 0, "paused_reason": None, "waiting": None}


def test_the_campaign_page_and_status_show_what_it_earned(owner, runner, app, tmp_path, post, sender, fake_graph):
    """Three opted-in customers get the broadcast: one reads it and replies, one says "stop" (a reply too). The
    campaign page and `shopbot broadcast status` count them (sent, delivered, read, replied, opted out), and
    /staff/reports names the campaign by its template and audience."""
    first, second, third = phones(3)
    opt_in(runner, tmp_path, [first, second, third])
    campaign = create(runner, "--segment", "all opted in")
    assert drain(sender) == 3
    to_first = next(m for m in fake_graph.accepted if m["payload"]["to"].endswith(first))
    post(p.status(to_first["wamid"], "delivered", first))
    post(p.status(to_first["wamid"], "read", first))
    post(p.text(first, "Do you have it in blue?"))
    post(p.text(second, "stop"))
    page = owner.get(f"/staff/campaigns/{campaign}").text
    figures = {name: page.split(f'<dd id="r-{name}">')[1].split("</dd>")[0]
               for name in ("sent", "delivered", "read", "replied", "opted-out", "orders", "revenue")}
    assert figures == {"sent": "3", "delivered": "1", "read": "1", "replied": "2", "opted-out": "1", "orders": "0",
                       "revenue": "none yet"}
    assert "within 7 days: read 1, replied 2, opted out 1, orders 0, revenue none" in \
        runner.invoke(args=["broadcast", "status", str(campaign)]).output
    report = owner.get("/staff/reports").text
    assert f"<td>Campaign {campaign}: weekly_offers to segment all opted in</td>" in report
