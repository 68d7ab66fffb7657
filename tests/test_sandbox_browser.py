"""The sandbox page in headless Chromium: a whole conversation through the real /webhook."""
from __future__ import annotations

from playwright.sync_api import expect


def test_sandbox_round_trip(live_sandbox, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_sandbox}/sandbox/")
    expect(page.locator("#empty-hint")).to_be_visible()

    page.fill("#composer", "hi")
    page.press("#composer", "Enter")
    greeting = page.locator(".msg-in").first
    expect(greeting).to_contain_text("Welcome to Lumen & Loom", timeout=10_000)
    expect(greeting.locator("strong").first).to_have_text("Lumen & Loom")  # WhatsApp *bold* rendered

    page.click(".list-open")
    expect(page.locator(".list-row")).to_have_count(4)
    page.locator(".list-row", has_text="Opening hours").click()
    hours = page.locator(".msg-in").nth(1)
    expect(hours).to_contain_text("Sunday closed", timeout=10_000)

    hours.locator(".reply-button", has_text="Main menu").click()
    expect(page.locator(".msg-in")).to_have_count(3, timeout=10_000)
    expect(page.locator(".msg-in").nth(2).locator(".list-open")).to_be_visible()

    # ticks come back as status webhooks: the fake Graph API's sent/delivered, the page's read
    expect(page.locator(".msg-in .status").first).to_have_attribute("data-status", "read", timeout=10_000)
    page.screenshot(path=str(tmp_path / "sandbox.png"))
    assert errors == []


def test_sandbox_shows_right_to_left_text_and_several_customers(live_sandbox, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_sandbox}/sandbox/")
    page.fill("#new-customer-name", "سارة")
    page.fill("#new-customer-wa-id", "966500000001")
    page.click("#add-customer-button")
    expect(page.locator(".customer.active")).to_contain_text("سارة")
    page.fill("#composer", "مرحبا")
    page.press("#composer", "Enter")
    reply = page.locator(".msg-in").first
    expect(reply).to_contain_text("سارة", timeout=10_000)
    direction = page.locator(".msg-out .text").first.evaluate("el => getComputedStyle(el).direction")
    assert direction == "rtl"
    # the first customer's chat is separate
    page.locator(".customer", has_text="Sam Rivera").click()
    expect(page.locator(".msg-in")).to_have_count(0)

