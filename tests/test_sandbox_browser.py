"""The sandbox page in headless Chromium: a whole conversation through the real /webhook."""
from __future__ import annotations

import re

from playwright.sync_api import expect

from .helpers import page_errors, shot
from .test_one_language import WORD, english_only_words


def test_sandbox_round_trip(live_sandbox, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    errors = page_errors(page)  # script errors and Content-Security-Policy violations
    page.goto(f"{live_sandbox}/sandbox/")
    expect(page.locator("#empty-hint")).to_be_visible()

    page.fill("#composer", "hi")
    page.press("#composer", "Enter")
    greeting = page.locator(".msg-in").first
    expect(greeting).to_contain_text("Welcome to Lumen & Loom", timeout=10_000)
    expect(greeting.locator("strong").first).to_have_text("Lumen & Loom")  # WhatsApp *bold* rendered

    page.click(".list-open")
    expect(page.locator(".list-row")).to_have_count(9)
    page.locator(".list-row", has_text="Opening hours").click()
    hours = page.locator(".msg-in").nth(1)
    expect(hours).to_contain_text("Sunday closed", timeout=10_000)

    hours.locator(".reply-button", has_text="Main menu").click()
    expect(page.locator(".msg-in")).to_have_count(3, timeout=10_000)
    expect(page.locator(".msg-in").nth(2).locator(".list-open")).to_be_visible()

    # ticks come back as status webhooks: the fake Graph API's sent/delivered, the page's read
    expect(page.locator(".msg-in .status").first).to_have_attribute("data-status", "read", timeout=10_000)
    # and the customer's own bubbles turn read: the bot marks each message read after its replies
    expect(page.locator(".msg-out .ticks").first).to_have_text("✓✓", timeout=10_000)
    expect(page.locator(".msg-out .ticks").first).to_have_class(re.compile(r"\bread\b"))
    shot(page, "sandbox")
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



def _tap_row(page, title: str) -> None:
    page.locator(".msg-in").last.locator(".list-open").click()
    page.locator(".list-row .list-row-title", has_text=title).first.click()


def _tap_button(page, title: str) -> None:
    page.locator(".msg-in").last.locator(".reply-button").get_by_text(title, exact=True).click()


def _wait_for_reply(page, count: int) -> None:
    expect(page.locator(".msg-in")).to_have_count(count, timeout=10_000)


def test_sandbox_shopping_journey(live_sandbox, browser):
    """Browse, add two products with options, and see the cart's subtotal."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_sandbox}/sandbox/")
    page.fill("#composer", "hi")
    page.press("#composer", "Enter")
    _wait_for_reply(page, 1)
    _tap_row(page, "Browse products")
    _wait_for_reply(page, 2)
    _tap_row(page, "👔 Shirts")
    _wait_for_reply(page, 3)
    _tap_row(page, "Linen shirt")
    _wait_for_reply(page, 4)
    expect(page.locator(".msg-in").last.locator("img")).to_be_visible()  # the product photo, served by the app
    _tap_button(page, "Choose options")
    _wait_for_reply(page, 5)
    _tap_button(page, "L")
    _wait_for_reply(page, 6)
    _tap_button(page, "Blue")
    _wait_for_reply(page, 7)
    _tap_button(page, "Add to cart")
    _wait_for_reply(page, 8)
    expect(page.locator(".msg-in").last).to_contain_text("Added 1 × Linen shirt (L, Blue)")

    page.fill("#composer", "red tee size M")
    page.press("#composer", "Enter")
    _wait_for_reply(page, 9)
    _tap_button(page, "Add to cart")
    _wait_for_reply(page, 10)
    _tap_button(page, "View cart")
    _wait_for_reply(page, 11)
    cart = page.locator(".msg-in").last
    expect(cart).to_contain_text("1 × Linen shirt (L, Blue) · €49.00")
    expect(cart).to_contain_text("1 × Organic cotton tee (M, Red) · €19.90")
    expect(cart).to_contain_text("Subtotal: €68.90")
    shot(page, "sandbox-cart")


def test_sandbox_checkout(live_sandbox, browser):
    """Order in the sandbox: cart, checkout questions, summary, Confirm, the reference."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_sandbox}/sandbox/")
    page.fill("#composer", "2 candles")
    page.press("#composer", "Enter")
    _wait_for_reply(page, 2)  # greeting, then the candles are added
    expect(page.locator(".msg-in").last).to_contain_text("Added 2 × Soy candle, fig")
    _tap_button(page, "Checkout")
    _wait_for_reply(page, 3)
    _tap_button(page, "Yes")
    _wait_for_reply(page, 4)
    _tap_button(page, "Madrid city")
    _wait_for_reply(page, 5)
    page.fill("#composer", "Calle Mayor 1, 28013 Madrid")
    page.press("#composer", "Enter")
    _wait_for_reply(page, 6)
    _tap_button(page, "Card (secure link)")
    _wait_for_reply(page, 7)
    _tap_button(page, "No note")
    _wait_for_reply(page, 8)
    summary = page.locator(".msg-in").last
    expect(summary).to_contain_text("2 × Soy candle, fig · €33.00")
    expect(summary).to_contain_text("Total: €36.90")
    _tap_button(page, "Confirm")
    _wait_for_reply(page, 11)  # the order is placed, the question about offers, the payment button (cta_url) last
    expect(page.locator(".msg-in").nth(8)).to_contain_text("is placed")
    expect(page.locator(".msg-in").nth(9).locator(".reply-button")).to_have_count(2)  # offers: yes or no
    pay = page.locator(".msg-in").last
    expect(pay).to_contain_text("Pay €36.90 securely on our payment page")
    button = pay.locator("a.cta-link")
    expect(button).to_have_text("↗ Pay now")
    link = re.compile(r"^https://pay\.example\.com/lumenloom\?reference=SHP-[A-Z0-9]+&amount=36\.90&currency=EUR$")
    expect(button).to_have_attribute("href", link)
    shot(page, "checkout")
    # the button opens the shop's payment page (answered here: tests never reach the internet)
    page.context.route("https://pay.example.com/**", lambda route: route.fulfill(
        body="<h1>Payment page</h1>", content_type="text/html"))
    with page.context.expect_page() as opened:
        button.click()
    payment_page = opened.value
    expect(payment_page.locator("h1")).to_have_text("Payment page")
    assert link.match(payment_page.url)


def test_a_spanish_customer_orders_and_asks_in_spanish_only(live_sandbox, browser, shop_dir):
    """Issue 15: "hola" to a placed order and a status question, and no English word in any reply."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors = page_errors(page)
    page.goto(f"{live_sandbox}/sandbox/")

    def type_in(words: str, replies: int) -> None:
        page.fill("#composer", words)
        page.press("#composer", "Enter")
        _wait_for_reply(page, replies)

    def tap(title: str, replies: int) -> None:
        _tap_button(page, title)
        _wait_for_reply(page, replies)

    type_in("hola", 1)
    type_in("velas", 2)
    tap("Añadir al carrito", 3)
    tap("Finalizar compra", 4)
    tap("Sí", 5)
    tap("Resto de España", 6)
    type_in("Calle Mayor 1, 28013 Madrid", 7)
    tap("Contra reembolso", 8)
    tap("Sin nota", 9)
    expect(page.locator(".msg-in").last).to_contain_text("Total: 22,40\xa0€")
    tap("Confirmar", 11)  # the order, then the one question about offers, in Spanish too
    expect(page.locator(".msg-in").nth(9)).to_contain_text("Hemos recibido tu pedido")
    type_in("¿dónde está mi pedido?", 12)
    expect(page.locator(".msg-in").last).to_contain_text("Llegada prevista: 2–3 días laborables")
    shot(page, "sandbox-spanish")
    replies = "\n".join(page.locator(".msg-in").all_inner_texts())
    english = english_only_words(shop_dir)
    assert sorted({w for w in WORD.findall(replies) if w.casefold() in english}) == []
    assert errors == []
