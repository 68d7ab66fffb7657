"""Meta's `user_preferences` webhook (issue 17): a customer who stops marketing messages in WhatsApp itself
is opted out (source `whatsapp`), and opted back in when Meta says they resumed. Signed posts of the real
sample in tests/data/meta/user_marketing_preferences.json (pywa's test data, MIT: see LICENSE.pywa there)."""
from __future__ import annotations

import copy
import json

from bot.commerce.consent import may_send_marketing

from .chat import SAM
from .test_consent import customer, history
from .test_meta_samples import SAMPLES

SAMPLE = json.loads((SAMPLES / "user_marketing_preferences.json").read_text())


def preference(value: str, phone: str = SAM) -> dict:
    """Meta's webhook for `phone` changing their marketing preference to `value` (stop, resume)."""
    body = copy.deepcopy(SAMPLE["resume"])
    change = body["entry"][0]["changes"][0]["value"]["user_preferences"][0]
    change["wa_id"], change["value"] = phone, value
    change["detail"] = "User requested to stop marketing messages" if value == "stop" else change["detail"]
    return body


def test_stopping_marketing_in_whatsapp_opts_out_and_resuming_opts_back_in(app, chat, post, sender, fake_graph):
    chat.say("hi")
    chat.tap("menu:offers")
    assert may_send_marketing(customer(app))
    before = len(fake_graph.accepted)
    assert post(preference("stop")).status_code == 200
    out = customer(app)
    assert not may_send_marketing(out) and out.marketing_consent_source == "whatsapp"
    assert out.opted_out_at is None  # only marketing: order updates and reminders the customer asked for go on
    assert post(preference("resume")).status_code == 200
    back = customer(app)
    assert may_send_marketing(back) and back.marketing_consent_source == "whatsapp"
    assert history(app) == [(True, "chat", None), (False, "whatsapp", "User requested to stop marketing messages"),
                            (True, "whatsapp", "User requested to resume marketing messages")]
    sender.pump()
    assert len(fake_graph.accepted) == before  # nothing is said to the customer


def test_a_preference_for_a_number_the_shop_never_met_changes_nothing(app, post):
    assert post(preference("stop", phone="15550001111")).status_code == 200
    assert customer(app, "15550001111") is None
