"""The campaign page in headless Chromium: live progress while the worker sends, pause and resume, and the
page at desktop width and at 390 px. Screenshots go to $SHOPBOT_SCREENSHOTS when set."""
from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import expect

from bot.models import utcnow

from . import test_staff_browser
from .helpers import shot
from .test_broadcasts import create, opt_in, phones
from .test_staff_browser import log_in, wide

#: The app on a real port with its sender thread (which runs the campaigns), an owner and a colleague.
live = test_staff_browser.live


def test_the_campaign_page_follows_a_scheduled_broadcast_live(live, browser, fake_graph, tmp_path):
    app, url = live
    runner = app.test_cli_runner()
    opt_in(runner, tmp_path, phones(3))
    soon = (utcnow() + timedelta(seconds=4)).isoformat()
    campaign = create(runner, "--segment", "all opted in", "--at", soon)
    page, errors = log_in(browser, url)
    page.click("text=Campaigns")
    expect(page.locator(".campaign-row")).to_have_count(1)
    page.click(f"a[href='/staff/campaigns/{campaign}'] >> nth=0")
    expect(page.locator("#campaign-status")).to_have_text("scheduled")
    expect(page.locator("#count-remaining")).to_have_text("3")
    # no reload: the page asks for the progress while the worker starts and sends it
    expect(page.locator("#campaign-status")).to_have_text("done", timeout=20_000)
    expect(page.locator("#count-sent")).to_have_text("3")
    expect(page.locator("#campaign-percent")).to_have_text("100%")
    expect(page.locator("#pause-form")).to_be_hidden()
    assert len(fake_graph.accepted) == 3
    assert errors == []


def test_pause_and_resume_in_the_browser_and_the_page_at_390_px(live, browser, fake_graph, tmp_path):
    app, url = live
    runner = app.test_cli_runner()
    opt_in(runner, tmp_path, phones(5))
    campaign = create(runner, "--segment", "all opted in", "--at", "2030-06-01T10:00")
    page, errors = log_in(browser, url)
    page.goto(f"{url}/staff/campaigns/{campaign}")
    expect(page.locator("#preview")).to_contain_text("Lumen & Loom")
    expect(page.locator("#audience-after")).to_contain_text("5")
    expect(page.locator("#schedule")).to_have_text("2030-06-01 08:00 UTC")
    shot(page, "staff-campaign")
    page.click("#pause-button")
    expect(page.locator(".flash").first).to_have_text("Paused: nothing more is sent until you resume it.")
    expect(page.locator("#campaign-status")).to_have_text("paused")
    expect(page.locator("#paused-reason")).to_have_text("paused by the owner in the dashboard")
    expect(page.locator("#pause-form")).to_be_hidden()
    page.click("#resume-button")
    expect(page.locator("#campaign-status")).to_have_text("scheduled")
    expect(page.locator("#paused-reason")).to_be_hidden()
    phone, phone_errors = log_in(browser, url, width=390)
    phone.goto(f"{url}/staff/campaigns/{campaign}")
    expect(phone.locator("#preview")).to_be_visible()
    assert wide(phone) <= 390
    shot(phone, "staff-campaign-phone")
    phone.goto(f"{url}/staff/campaigns")
    assert wide(phone) <= 390
    shot(phone, "staff-campaigns-phone")
    assert fake_graph.accepted == []
    assert errors == [] and phone_errors == []
