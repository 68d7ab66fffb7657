"""Every "Did you mean…" and FAQ follow-up choice is readable (issue 15, item 4): reply buttons
only when each title fits WhatsApp's 20 characters (the owner's `short` titles), otherwise a list
whose rows carry the whole question; a `short` title that is too long is refused with path:line."""
from __future__ import annotations

import pytest

from bot.errors import ContentError

from . import payloads as p

SAM = "34600111222"


def last_interactive(fake_graph) -> dict:
    return fake_graph.messages_to(SAM)[-1]["payload"]["interactive"]


def test_owner_short_titles_make_buttons_that_are_never_cut(post, sender, fake_graph):
    post(p.text(SAM, "hi"))
    post(p.text(SAM, "shipping"))
    sender.pump()
    interactive = last_interactive(fake_graph)
    assert interactive["type"] == "button"
    titles = [b["reply"]["title"] for b in interactive["action"]["buttons"]]
    assert titles == ["Delivery time", "Delivery cost", "Delivery abroad"]  # flows/faq.yaml's `short`
    assert not any(t.endswith("…") for t in titles)


def test_long_questions_without_a_short_title_are_list_rows_with_the_whole_question(post, sender, fake_graph,
                                                                                  shop_dir, app):
    faq = shop_dir / "flows" / "faq.yaml"
    text = faq.read_text()
    start = text.index("    short:")
    end = text.index("    phrasings:", start)
    faq.write_text(text[:start] + text[end:])  # delivery_time without its short title
    assert app.extensions["shopbot.content"].reload()
    post(p.text(SAM, "hi"))
    post(p.text(SAM, "shipping"))
    sender.pump()
    interactive = last_interactive(fake_graph)
    assert interactive["type"] == "list"
    rows = interactive["action"]["sections"][0]["rows"]
    long_one = next(r for r in rows if r["id"] == "faq:delivery_time")
    assert long_one["title"] == "How long does delivery…" and len(long_one["title"]) <= 24
    assert long_one["description"] == "How long does delivery take?"
    assert {r["title"] for r in rows} >= {"Delivery cost", "Delivery abroad"}


def test_a_short_title_over_20_characters_is_refused_with_its_line(shop_dir):
    from bot.content import load_content

    faq = shop_dir / "flows" / "faq.yaml"
    lines = faq.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == "en: Delivery time")
    lines[index] = "      en: How long does delivery take"
    faq.write_text("\n".join(lines) + "\n")
    with pytest.raises(ContentError) as raised:
        load_content(shop_dir)
    assert f"flows/faq.yaml:{index + 1}: `short` is a button title: at most 20 characters" in str(raised.value)
