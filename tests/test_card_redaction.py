"""Card numbers never reach the database, the logs or a reply; phone numbers and totals are kept."""
from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import text

from bot.db import transaction
from bot.models import Base
from bot.payments import redact_cards

from . import payloads as p
from .helpers import body_text

SAM = "34600111222"
CARD = "4111 1111 1111 1111"


def everything_stored(app) -> str:
    """Every row of every table, as text."""
    dump = []
    with transaction(app.extensions["shopbot.sessions"]) as s:
        for table in Base.metadata.sorted_tables:
            for row in s.execute(text(f"SELECT * FROM {table.name}")):
                dump.append(json.dumps([str(v) for v in row], ensure_ascii=False))
    return "\n".join(dump)


@pytest.mark.parametrize("card", [CARD, "4111-1111-1111-1111", "4111111111111111", "5555 5555 5555 4444", "378282246310005"])
def test_a_card_number_is_redacted_everywhere(app, post, sender, fake_graph, caplog, card):
    caplog.set_level(logging.DEBUG)
    post(p.text(SAM, f"hi, my card is {card} exp 12/28 cvv 123"))
    sender.pump()
    digits = card.replace(" ", "").replace("-", "")
    stored = everything_stored(app)
    assert digits not in stored.replace(" ", "").replace("-", "")
    assert "[card number removed " in stored and f"{digits[-4:]}]" in stored
    assert all(card not in r.getMessage() and digits not in r.getMessage() for r in caplog.records)
    replies = " ".join(json.dumps(m["payload"], ensure_ascii=False) for m in fake_graph.accepted)
    assert digits not in replies.replace(" ", "")
    assert body_text(fake_graph.accepted[-1]).startswith("⚠️ Please don't send card numbers in chat.")


def test_phone_numbers_and_totals_are_left_alone(app, post, sender, fake_graph):
    message = "call me on +34 600 111 222 or 0034 600 111 222 333; my total was 36.90 for order 12345"
    post(p.text(SAM, message))
    assert message in everything_stored(app)
    sender.pump()
    assert "Please don't send card numbers" not in " ".join(body_text(m) for m in fake_graph.accepted)


@pytest.mark.parametrize("text_in,expected", [
    ("4111 1111 1111 1111", "[card number removed …1111]"),
    ("pay with 4012888888881881 now", "pay with [card number removed …1881] now"),
    ("4111 1111 1111 1112", "4111 1111 1111 1112"),  # fails Luhn
    ("+44 7911 123456 78901", "+44 7911 123456 78901"),  # a phone number
    ("1234567890123", "1234567890123"),  # 13 digits, not Luhn-valid
])
def test_detection(text_in, expected):
    assert redact_cards(text_in)[0] == expected
