"""Order-number-like text is a status question (issue 15, item 3), through signed webhooks: the
customer's own order by reference, otherwise their open orders; never another customer's data."""
from __future__ import annotations

import pytest

from bot.commerce import references

from .chat import Chat
from .helpers import body_text
from .test_lifecycle import placed

OTHER = "34600999888"


def said(sent) -> str:
    return "\n".join(body_text(m) for m in sent)


@pytest.mark.parametrize("typed", ["my order number is 99812", "status ABC-12345", "where is order #4411"])
def test_a_number_that_is_not_ours_lists_the_customers_own_order(chat, typed):
    reference = placed(chat)
    reply = said(chat.say(typed))
    assert "couldn't find an order" in reply
    assert reference in reply  # their own order, in detail
    assert "Contact" not in reply and "didn't quite get" not in reply


def test_a_number_from_a_customer_without_orders_says_so(chat):
    reply = said(chat.say("my order number is 99812"))
    assert "couldn't find an order *99812*" in reply and "no orders from this number yet" in reply


def test_another_customers_reference_reveals_nothing(app, post, sender, fake_graph, chat):
    theirs = placed(Chat(post, sender, fake_graph, number=OTHER))
    mine = placed(chat)
    reply = said(chat.say(f"status {theirs}"))
    assert f"couldn't find an order with the reference *{theirs}*" in reply
    assert mine not in reply and "€" not in reply  # neither their order's details nor a list of mine


def test_a_reference_of_the_right_shape_that_nobody_has(chat):
    placed(chat)
    unknown = references.make("SHP", seed="nobody has this one")
    reply = said(chat.say(f"where is {unknown}"))
    assert f"couldn't find an order with the reference *{unknown}*" in reply


def test_a_spanish_customer_asking_with_a_number_gets_spanish(chat):
    chat.say("hola")
    reply = said(chat.say("mi número de pedido es 99812"))
    assert "No encuentro ningún pedido *99812*" in reply


@pytest.mark.parametrize("typed", ["28013", "call me on 34600111222", "size 42"])
def test_other_numbers_are_not_order_numbers(chat, typed):
    chat.say("hi")
    reply = said(chat.say(typed))
    assert "couldn't find an order" not in reply
