"""Typed text that is not a command or a product: FAQ answers, "did you mean", and the fallback.

Rules (thresholds in `flows/settings.yaml` under `matching:`):
  - a confident FAQ match gets the answer, unless the text reads more like a
    product request ("do you have red shirts?"), which goes to search;
  - a close call between entries gets "Did you mean…" with the top three;
  - otherwise: a product search if it looks like one, else the fallback,
    which rephrases the options first, offers a person after N misses, and
    hands the chat to a person after `handoff.after_misses`.
Every miss is recorded (already redacted) for the owner's report.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.content.consistency import answer_variables
from bot.conversation.effects import Handoff, Record
from bot.conversation.messages import Buttons, List
from bot.conversation.states import StateName
from bot.conversation.turn import Result, Turn, buttons, listing, row, text
from bot.locales.text import normalise
from bot.whatsapp.messages import LIMITS, shorten

if TYPE_CHECKING:
    from bot.content.language_packs import LanguagePack

DEFAULTS = {"faq_confident": 66, "faq_minimum": 56, "close_call": 5, "misses_before_person": 2}


def settings(turn: Turn) -> dict[str, Any]:
    return DEFAULTS | dict(turn.content.settings.get("matching") or {})


def record(kind: str, detail: str | None = None, body: str | None = None) -> Record:
    """An effect asking inbound to store a conversation event for the reports."""
    return Record(kind, detail, body)


def answer(turn: Turn, entry_id: str) -> Result:
    """An FAQ answer, with the entry's follow-ups (buttons, or a list when a question is too long)."""
    entry = turn.content.faq.by_id.get(entry_id)
    if entry is None:
        return StateName.MENU, [text(turn.text("help_body"))]
    lang, default = turn.lang, turn.content.default_language
    body = entry.answer(lang, default).render(shop=turn.content.shop, customer=turn.customer,
                                              **answer_variables(turn.content, lang)).strip()
    options: list[Choice] = []
    for button in entry.buttons:
        if button == "person":
            options.append(("talk", turn.text("person_button"), None))
        elif button in turn.content.faq.by_id:
            options.append(_faq_choice(turn, button))
    if not options:
        options = [("menu", turn.text("menu_button_short"), None)]
    turn.data["misses"] = 0
    return StateName.MENU, [choices(turn, body, options), record("faq", entry_id)]


def did_you_mean(turn: Turn, matches: list[tuple[str, float]]) -> Result:
    options = [_faq_choice(turn, entry_id) for entry_id, _ in matches[:3]]
    return StateName.MENU, [choices(turn, turn.text("did_you_mean"), options)]


#: (id, what the choice says in full, the owner's short title or None)
Choice = tuple[str, str, str | None]


def _faq_choice(turn: Turn, entry_id: str) -> Choice:
    entry = turn.content.faq.by_id[entry_id]
    lang, default = turn.lang, turn.content.default_language
    return f"faq:{entry_id}", entry.question(lang, default), entry.short(lang, default)


def choices(turn: Turn, body: str, options: list[Choice]) -> Buttons | List:
    """Reply buttons when every choice fits a button's 20 characters (the owner's `short` title, or
    the question itself); otherwise a list, whose rows show a 24-character title and the whole
    question below it, so no choice is ever cut to "Do you deliver outs…"."""
    labels = [(choice_id, short or full) for choice_id, full, short in options]
    if len(options) <= LIMITS["buttons"] and all(len(label) <= LIMITS["button_title"] for _id, label in labels):
        return buttons(body, labels)
    rows = []
    for choice_id, full, short in options:
        title = short or _cut(full, LIMITS["row_title"])
        rows.append(row(choice_id, title, None if title == full else _cut(full, LIMITS["row_description"])))
    return listing(body, turn.text("choices_button"), rows)


def _cut(words: str, limit: int) -> str:
    """`words` within `limit` characters, cut at a word with "…" when longer."""
    if len(words) <= limit or " " not in words[:limit - 1]:
        return shorten(words, limit)  # no word to cut at: on a grapheme boundary
    return words[:limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


def looks_like_shopping(body: str, words: LanguagePack) -> bool:
    """A product request ("do you have", "busco", "عندكم"): a shopping cue from any language pack."""
    return bool(set(normalise(body).split()) & words.shopping_cues)


def fallback(turn: Turn, body: str) -> Result:
    """Rephrase the options on the first miss; offer a person after N misses in a row."""
    misses = turn.data.get("misses", 0) + 1
    turn.data["misses"] = misses
    miss = record("miss", None, body[:500])
    if misses >= turn.content.handoff.after_misses:
        turn.data["misses"] = 0
        return StateName.HANDOFF, [Handoff("misses", str(misses)), miss]
    if misses >= settings(turn)["misses_before_person"]:
        return StateName.MENU, [buttons(turn.text("fallback_person"), [("talk", turn.text("person_button")),
                                                               ("menu", turn.text("menu_button_short"))]), miss]
    return StateName.MENU, [buttons(turn.text("fallback_first"), [("menu", turn.text("menu_button_short")),
                                                          ("talk", turn.text("person_button"))]), miss]


def handoff_keyword(turn: Turn, body: str) -> str | None:
    """The owner's handoff keyword in `body` ("refund", "broken"...), allowing plurals and Arabic's "al-"."""
    said = normalise(body)
    tokens = said.split()
    for keyword in turn.content.handoff.keywords:
        if " " in keyword:
            if f" {keyword} " in f" {said} ":
                return keyword
        elif any(t == keyword or t == "ال" + keyword or (t.startswith(keyword) and len(t) - len(keyword) <= 2)
                 for t in tokens):
            return keyword
    return None


EMOJI_ONLY = re.compile(r"^[\W_\s]+$", re.UNICODE)


def is_emoji_only(body: str) -> bool:
    stripped = body.strip()
    return bool(stripped) and not any(ch.isalnum() for ch in stripped) and bool(EMOJI_ONLY.match(stripped))
