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

from bot.commerce.opening_hours import DAY_KEYS
from bot.conversation.effects import Handoff, Record
from bot.conversation.messages import Buttons, List
from bot.conversation.states import StateName
from bot.conversation.turn import Result, Turn, buttons, listing, row, text
from bot.locales.text import normalise

if TYPE_CHECKING:
    from bot.content.language_packs import LanguagePack

DEFAULTS = {"faq_confident": 66, "faq_minimum": 56, "close_call": 5, "misses_before_person": 2}


def settings(turn: Turn) -> dict[str, Any]:
    return DEFAULTS | dict(turn.content.settings.get("matching") or {})


def record(kind: str, detail: str | None = None, body: str | None = None) -> Record:
    """An effect asking inbound to store a conversation event for the reports."""
    return Record(kind, detail, body)


def faq_variables(turn: Turn) -> dict[str, Any]:
    hours = turn.content.settings.get("opening_hours") or {}
    days = turn.content.pack(turn.lang).short_days  # "Mon", "lun": the customer's language pack
    lines = [f"{label} {hours[key]}" for key, label in zip(DAY_KEYS, days, strict=True) if key in hours]
    options = turn.content.checkout
    delivery = [{"title": d.title, "fee": turn.money(d.fee) if d.fee else turn.text("free"), "eta": d.eta}
                for d in options.delivery]
    payment = [{"title": p.title} for p in options.payment]
    return {"hours": "\n".join(lines), "delivery": delivery, "payment": payment}


def answer(turn: Turn, entry_id: str) -> Result:
    """An FAQ answer, with the entry's follow-ups (buttons, or a list when a question is too long)."""
    entry = turn.content.faq.by_id.get(entry_id)
    if entry is None:
        return StateName.MENU, [text(turn.text("help_body"))]
    lang, default = turn.lang, turn.content.default_language
    body = entry.answer(lang, default).render(shop=turn.content.shop, customer=turn.customer,
                                              **faq_variables(turn)).strip()
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
BUTTON_TITLE, ROW_TITLE, ROW_DESCRIPTION = 20, 24, 72  # WhatsApp's limits


def _faq_choice(turn: Turn, entry_id: str) -> Choice:
    entry = turn.content.faq.by_id[entry_id]
    lang, default = turn.lang, turn.content.default_language
    return f"faq:{entry_id}", entry.question(lang, default), entry.short(lang, default)


def choices(turn: Turn, body: str, options: list[Choice]) -> Buttons | List:
    """Reply buttons when every choice fits a button's 20 characters (the owner's `short` title, or
    the question itself); otherwise a list, whose rows show a 24-character title and the whole
    question below it, so no choice is ever cut to "Do you deliver outs…"."""
    labels = [(choice_id, short or full) for choice_id, full, short in options]
    if len(options) <= 3 and all(len(label) <= BUTTON_TITLE for _id, label in labels):
        return buttons(body, labels)
    rows = []
    for choice_id, full, short in options:
        title = short or _cut(full, ROW_TITLE)
        rows.append(row(choice_id, title, None if title == full else _cut(full, ROW_DESCRIPTION)))
    return listing(body, turn.text("choices_button"), rows)


def _cut(words: str, limit: int) -> str:
    """`words` within `limit` characters, cut at a word with "…" when longer."""
    if len(words) <= limit:
        return words
    head = words[:limit - 1].rsplit(" ", 1)[0] if " " in words[:limit - 1] else words[:limit - 1]
    return head.rstrip(" ,;:") + "…"


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
