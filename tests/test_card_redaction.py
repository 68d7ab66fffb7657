"""Card numbers never reach the database, the logs or a reply; phone numbers and totals are kept."""
from __future__ import annotations

import json
import logging
import re
import subprocess

import pytest
from sqlalchemy import text

from bot.db import transaction
from bot.models import Base
from bot.whatsapp.redaction import redact_cards

from . import payloads as p
from .helpers import body_text, events

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


@pytest.mark.parametrize("card", [CARD, "4111-1111-1111-1111", "4111111111111111", "5555 5555 5555 4444",
                                  "378282246310005"])
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


@pytest.mark.parametrize("written", [
    "4012.8888.8888.1881", "4111\n1111\n1111\n1111", "4111\r\n1111\r\n1111\r\n1111", "5555  5555  5555  4444",
    "6011\u00a01111\u00a01111\u00a01117", "4012/8888/8888/1881", "3782 822463 10005", "4111 - 1111 - 1111 - 1111",
])
def test_detection_whatever_separates_the_groups(written):
    assert redact_cards(f"card: {written} exp 12/28")[0] == (
        f"card: [card number removed …{re.sub(r'[^0-9]', '', written)[-4:]}] exp 12/28")


@pytest.mark.parametrize("kept", [
    "total 36.90 12.50 7.25 19.99 1.01 3.03", "order SHP-7K3F9 of 2024-05-01", "+34 600 111 222 333",
    "call 0034 600 111 222 333", "(940) 555-1234",
])
def test_prices_dates_references_and_phone_numbers_are_not_cards(kept):
    assert redact_cards(kept) == (kept, 0)


# -- every string of every stored update ---------------------------------------------------------------------------

CARDS = ["4012888888881881", "4111111111111111", "5555555555554444", "378282246310005", "6011111111111117",
         "5105105105105100"]
MEDIA_ID = "1234567812345670"  # Luhn-valid, like many of Meta's numeric ids: an id is never redacted
CARD_HOLDER = "16315551234"


def _flow_reply(wa_id: str) -> dict:
    response = json.dumps({"flow_token": "checkout-1", "card": "4111 1111 1111 1111", "cvv_card": 5105105105105100})
    return p.message(wa_id, "interactive", {"type": "nfm_reply", "nfm_reply": {
        "response_json": response, "body": "Sent", "name": "flow"}})


def _card_everywhere(wa_id: str) -> list[dict]:
    """Bodies with a card number in every field a customer (or their phone) writes."""
    texts = ["4012.8888.8888.1881", "4111\n1111\n1111\n1111", "5555  5555  5555  4444",
             "6011\u00a01111\u00a01111\u00a01117", "4012/8888/8888/1881"]
    messages = [p.message(wa_id, "text", {"body": f"my card {t} thanks"}) for t in texts] + [
        p.message(wa_id, "document", {"id": MEDIA_ID, "mime_type": "application/pdf", "sha256": "abc",
                                      "filename": "card 4111-1111-1111-1111.pdf", "caption": "5555 5555 5555 4444"}),
        p.message(wa_id, "image", {"id": "1003383421387256", "mime_type": "image/jpeg",
                                   "caption": "here 378282246310005"}),
        p.message(wa_id, "location", {"latitude": 38.9, "longitude": -77.03, "name": "Gate 6011 1111 1111 1117",
                                      "address": "4012/8888/8888/1881 Main St"}),
        p.message(wa_id, "contacts", [{"name": {"formatted_name": "Card 5555 5555 5555 4444",
                                                 "first_name": "4111111111111111"},
                                        "phones": [{"phone": "+1 (940) 555-1234", "wa_id": CARD_HOLDER,
                                                    "type": "HOME"}]}]),
        _flow_reply(wa_id),
    ]
    return [p.body(p.messages_value(wa_id, m, name="Sam 3782 822463 10005")) for m in messages]


SEPARATORS = re.compile(r"(?:\\+(?:n|r|t|u00a0|u00A0)|[\s./\-_\u00a0])")


def _assert_no_card(dump: str) -> None:
    squeezed = SEPARATORS.sub("", dump)
    for card in CARDS:
        assert card not in squeezed, card


def test_no_stored_field_keeps_a_card_number(app, post, sender, fake_graph):
    for body in _card_everywhere(SAM):
        assert post(body).status_code == 200
    sender.pump()
    stored = everything_stored(app)
    _assert_no_card(stored)
    assert stored.count("[card number removed ") >= 14
    # ids, phone numbers, timestamps and totals stay as Meta sent them
    for kept in (MEDIA_ID, "+1 (940) 555-1234", CARD_HOLDER, SAM, "38.9", "-77.03", "checkout-1"):
        assert kept in stored, kept
    [doc] = [e for e in events(app) if e.subtype == "document"]
    assert doc.payload["message"]["document"]["id"] == MEDIA_ID
    assert doc.payload["message"]["timestamp"].isdigit()
    assert doc.payload["contact"]["profile"]["name"] == "Sam [card number removed …0005]"
    [flow] = [e for e in events(app) if e.subtype == "interactive"]
    response = json.loads(flow.payload["message"]["interactive"]["nfm_reply"]["response_json"])  # still JSON
    assert response == {"flow_token": "checkout-1", "card": "[card number removed …1111]",
                        "cvv_card": "[card number removed …5100]"}
    if app.config["DATABASE_URL"].startswith("postgresql"):
        dump = subprocess.run(["pg_dump", "--data-only", app.config["DATABASE_URL"]], capture_output=True,
                              text=True, check=True).stdout
        assert "[card number removed " in dump
        _assert_no_card(dump)
