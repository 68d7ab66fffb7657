"""WhatsApp's limits are enforced before sending, never cutting inside a grapheme."""
from __future__ import annotations

from bot.whatsapp.message_types import fit
from bot.whatsapp.messages import LIMITS, shorten, split_text


def test_shorten_keeps_whole_graphemes():
    flag = "🇪🇸"
    title = "Camiseta " + flag * 10
    short = shorten(title, 20)
    assert len(short) <= 20 and short.endswith("…")
    assert short[:-1].rstrip().removeprefix("Camiseta ").count(flag) * 2 == len(short[:-1].rstrip()) - len("Camiseta ")


def test_split_prefers_line_breaks():
    text = ("line of text\n" * 400).strip()
    parts = split_text(text, 1000)
    assert all(len(part) <= 1000 for part in parts)
    assert all(part.endswith("text") for part in parts)


def test_buttons_are_capped_and_titles_shortened():
    spec = {"type": "buttons", "text": "Pick", "buttons": [
        {"id": f"b{i}", "title": f"A very long button title {i}"} for i in range(5)]}
    [fitted] = fit(spec)
    assert len(fitted["buttons"]) == LIMITS["buttons"]
    assert all(len(b["title"]) <= LIMITS["button_title"] for b in fitted["buttons"])


def test_list_rows_are_capped_across_sections():
    spec = {"type": "list", "text": "Pick", "button": "Choose", "sections": [
        {"title": "A", "rows": [{"id": f"a{i}", "title": f"Row {i}", "description": "d" * 100} for i in range(7)]},
        {"title": "B", "rows": [{"id": f"b{i}", "title": "x" * 30} for i in range(7)]},
    ]}
    [fitted] = fit(spec)
    rows = [r for s in fitted["sections"] for r in s["rows"]]
    assert len(rows) == LIMITS["list_rows"]
    assert all(len(r["title"]) <= LIMITS["row_title"] for r in rows)
    assert all(len(r.get("description", "")) <= LIMITS["row_description"] for r in rows)


def test_an_interactive_body_too_long_sends_its_head_as_text_first():
    spec = {"type": "buttons", "text": "word " * 500, "buttons": [{"id": "ok", "title": "OK"}]}
    parts = fit(spec)
    assert [p["type"] for p in parts] == ["text", "buttons"]
    assert len(parts[1]["text"]) <= LIMITS["interactive_body"]
    assert parts[1]["buttons"] == [{"id": "ok", "title": "OK"}]


def test_an_unbreakable_interactive_body_keeps_whole_graphemes():
    family = "👨‍👩‍👧"
    spec = {"type": "buttons", "text": family * 300, "buttons": [{"id": "ok", "title": "OK"}]}
    head, last = fit(spec)
    assert len(last["text"]) <= LIMITS["interactive_body"]
    assert head["text"] + last["text"] == family * 300
    assert last["text"].count(family) * len(family) == len(last["text"])
