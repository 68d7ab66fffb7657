"""The registry of WhatsApp message types: every Meta sample has an entry, any stored shape reads, cta_url fits."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.conversation.events import EventType
from bot.whatsapp.message_types import INBOUND, OUTBOUND, fit, inbound_line, outbound_line, read
from bot.whatsapp.message_types.inbound import UNSUPPORTED, kind_of
from bot.whatsapp.messages import LIMITS

SAMPLES = Path(__file__).parent / "data" / "meta"
MESSAGES = [(f"{f.stem}.{name}", message) for f in sorted(SAMPLES.glob("*.json"))
            for name, sample in json.loads(f.read_text()).items()
            for entry in sample.get("entry", []) for change in entry.get("changes", [])
            for message in change.get("value", {}).get("messages", [])]
#: Samples Meta itself marks as not supported (or that carry no interactive part).
NOT_SUPPORTED = {"message.unsupported", "message.unsupported_with_type", "message.interactive_message_with_err",
                 "call_permission_update.accept", "call_permission_update.reject"}


@pytest.mark.parametrize("case,message", MESSAGES, ids=[c for c, _ in MESSAGES])
def test_every_sample_message_has_its_registry_entry(case, message):
    entry, _ = kind_of(message)
    assert (entry is UNSUPPORTED) == (case in NOT_SUPPORTED)
    assert isinstance(inbound_line(message), str) and inbound_line(message)
    read(message, None)


SHAPES = [None, 5, "text", [], {}, {"a": 1}, [1, 2]]


@pytest.mark.parametrize("kind", sorted({k.split(".")[0] for k in INBOUND} | {"nonsense"}))
def test_any_stored_shape_reads_without_raising(kind):
    """A stored message holds whatever was sent: no shape may break the engine or a staff page."""
    for shape in SHAPES:
        for message in ({"type": kind, kind: shape}, {"type": kind, kind: {"type": shape, "button_reply": shape}},
                        {"type": shape, "text": shape}):
            assert isinstance(inbound_line(message), str)
            assert read(message, shape).type in EventType
    assert isinstance(inbound_line("not a message"), str) and isinstance(outbound_line(["not", "a", "spec"]), str)


def test_a_reply_is_read_as_a_choice_and_shown_as_tapped():
    message = {"type": "interactive",
               "interactive": {"type": "list_reply", "list_reply": {"id": "cat:1", "title": "Shirts"}}}
    event = read(message, {"profile": {"name": "Sam"}})
    assert (event.type, event.choice, event.text, event.profile_name) == (EventType.CHOICE, "cat:1", "Shirts", "Sam")
    assert inbound_line(message) == "[tapped] Shirts"


def test_cta_url_is_fitted_to_whatsapps_limits():
    spec = {"type": "cta_url", "text": "x " * 700, "button": "Pay securely right now please", "url": "https://p.example/1",
            "footer": "f" * 100}
    *head, last = fit(spec)
    assert [h["type"] for h in head] == ["text"] and len(last["text"]) <= LIMITS["interactive_body"]
    assert len(last["button"]) <= LIMITS["button_title"] and last["button"].endswith("…")
    assert len(last["footer"]) <= LIMITS["footer"] and last["url"] == spec["url"]
    assert outbound_line(last).endswith(f"[↗ {last['button']}] https://p.example/1")


def test_every_outbound_type_fits_and_shows():
    assert {"text", "buttons", "list", "image", "document", "template", "cta_url"} <= set(OUTBOUND)
    assert fit({"type": "no such type", "text": "x"}) == [{"type": "no such type", "text": "x"}]
    assert outbound_line({"type": "no such type"}) == "[no such type]"
