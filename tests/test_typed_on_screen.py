"""Typed words where a button is expected (issue 15, items 1 and 2), through signed webhooks:
an option value typed at "Which colour…", sizes and quantities typed on a product card, and
quantities and removals typed on the cart, applied to what is on screen."""
from __future__ import annotations

import pytest

from . import payloads as p
from .helpers import body_text

SAM = "34600111222"


@pytest.fixture
def chat(post, sender, fake_graph):
    """chat(payload) -> the text of every reply to it (sent through the fake Graph API)."""

    def _chat(payload) -> list[str]:
        before = len(fake_graph.messages_to(SAM))
        post(payload)
        sender.pump()
        return [body_text(m) for m in fake_graph.messages_to(SAM)[before:]]

    return _chat


def tap(button_id: str, title: str = "") -> dict:
    return p.button_reply(SAM, button_id, title or button_id)


def _at_the_colour_question(chat) -> None:
    chat(p.text(SAM, "hi"))
    [card] = chat(p.text(SAM, "linen shirt"))
    assert card.startswith("*Linen shirt*")
    [size] = chat(tap("options:linen-shirt", "Choose options"))
    assert "size" in size.lower()
    [colour] = chat(tap("opt:linen-shirt:size:M", "M"))
    assert "colour" in colour.lower()


@pytest.mark.parametrize("typed", ["blue", "Blue", "BLUE", "bleu", "azul", "the blue one please"])
def test_a_typed_colour_picks_it_and_keeps_the_size_chosen_before(chat, typed):
    _at_the_colour_question(chat)
    [card] = chat(p.text(SAM, typed))
    assert card.startswith("*Linen shirt (M, Blue)*")


def test_a_size_typed_on_the_card_applies_to_the_product_shown(chat):
    chat(p.text(SAM, "hi"))
    chat(p.text(SAM, "linen shirt"))
    [colour] = chat(p.text(SAM, "size L please"))
    assert "colour" in colour.lower()  # the size is taken: the next question, not a search
    [card] = chat(p.text(SAM, "white"))
    assert card.startswith("*Linen shirt (L, White)*")


def test_a_size_and_a_quantity_typed_together_add_to_the_cart(chat):
    chat(p.text(SAM, "hi"))
    chat(p.text(SAM, "linen shirt"))
    [added] = chat(p.text(SAM, "2 in blue size L"))
    assert "2 × Linen shirt (L, Blue)" in added or "Linen shirt (L, Blue)" in added
    [cart] = chat(p.text(SAM, "cart"))
    assert "2 × Linen shirt (L, Blue)" in cart


def test_another_product_named_on_a_card_is_still_a_search(chat):
    chat(p.text(SAM, "hi"))
    chat(p.text(SAM, "linen shirt"))
    [reply] = chat(p.text(SAM, "oxford shirt"))
    assert reply.startswith("*Oxford shirt*")


def _cart_with_tees_and_shirt(chat) -> None:
    chat(p.text(SAM, "hi"))
    chat(p.text(SAM, "2 red tees size m"))
    chat(p.text(SAM, "linen shirt"))
    chat(p.text(SAM, "2 white size m"))
    [cart] = chat(p.text(SAM, "cart"))
    assert "2 × Organic cotton tee (M, Red)" in cart and "2 × Linen shirt (M, White)" in cart


def test_only_one_of_a_line_typed_on_the_cart_sets_its_quantity(chat):
    _cart_with_tees_and_shirt(chat)
    chat(p.text(SAM, "only 1 linen shirt please"))
    [cart] = chat(p.text(SAM, "cart"))
    assert "1 × Linen shirt (M, White)" in cart and "2 × Organic cotton tee (M, Red)" in cart


def test_remove_typed_on_the_cart_takes_the_line_out(chat):
    _cart_with_tees_and_shirt(chat)
    [reply] = chat(p.text(SAM, "remove the red tees"))
    assert "Organic cotton tee" in reply and "Linen shirt (M, White)" in reply  # removed, and the cart shown
    [cart] = chat(p.text(SAM, "cart"))
    assert "Organic cotton tee" not in cart and "2 × Linen shirt (M, White)" in cart


def test_a_spanish_removal_on_the_cart(chat):
    _cart_with_tees_and_shirt(chat)
    chat(p.text(SAM, "quita las camisetas rojas"))
    [cart] = chat(p.text(SAM, "cart"))
    assert "Organic cotton tee" not in cart


def test_an_unclear_line_leaves_the_cart_as_it_was(chat):
    _cart_with_tees_and_shirt(chat)
    chat(p.text(SAM, "remove the shoes"))
    [cart] = chat(p.text(SAM, "cart"))
    assert "2 × Organic cotton tee (M, Red)" in cart and "2 × Linen shirt (M, White)" in cart
