"""Do the languages of an FAQ answer say the same thing? `shopbot check`'s drift warnings.

A translation that drifts tells customers different things by language: the
Spanish payment answer offering card on delivery while the English one
offers cash only. Each answer is rendered with the shop's real delivery and
payment options, then reduced to its facts: the amounts and other numbers it
gives, and the facts the language packs name (`facts:` in bot/locales: cash,
card, the Canary Islands...). A translation whose facts differ from the
default language's answer is reported, with the answer's line, naming what
one says and the other does not.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from bot.commerce import order_view
from bot.commerce.opening_hours import DAY_KEYS
from bot.content.problems import Problem
from bot.locales.text import normalise

if TYPE_CHECKING:
    from bot.content.language_packs import LanguagePack
    from bot.content.shop import Content

REL = "flows/faq.yaml"
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


def answer_variables(content: Content, lang: str) -> dict[str, Any]:
    """What an FAQ answer is rendered with in `lang`, besides `shop` and `customer`: the opening
    hours (day names of the language's pack), the delivery options with their fees, the payment
    options. The chat (`free_text.answer`) and the drift check render with the same."""
    options = content.checkout
    hours = content.settings.get("opening_hours") or {}
    days = content.pack(lang).short_days  # "Mon", "lun"

    def money(minor: int) -> str:
        return order_view.money(content, minor, content.catalog.currency, lang)

    return {"hours": "\n".join(f"{label} {hours[key]}" for key, label in zip(DAY_KEYS, days, strict=True)
                               if key in hours),
            "delivery": [{"title": d.title_in(lang), "fee": money(d.fee) if d.fee else content.render("free", lang),
                          "eta": d.eta_in(lang)} for d in options.delivery],
            "payment": [{"title": p.title_in(lang)} for p in options.payment]}


def facts(text: str, pack: LanguagePack) -> set[str]:
    """The numbers in `text` and the pack's facts it names, as comparable labels."""
    found = {n.replace(",", ".") for n in _NUMBER.findall(text)}
    norm = f" {normalise(text)} "
    tokens = norm.split()
    for fact, words in pack.facts.items():
        for word in words:
            if f" {word} " in norm or (not word.isascii() and " " not in word and any(t.endswith(word)
                                                                                      for t in tokens)):
                found.add(fact)
                break
    return found


def faq_drift(content: Content) -> list[Problem]:
    """A warning for each FAQ translation that gives other facts than the default language's answer."""
    default = content.default_language
    problems = []
    for entry in content.faq.entries:
        rendered = {lang: template.render(shop=content.shop, customer={"name": ""}, **answer_variables(content, lang))
                    for lang, template in entry.answers.items()}
        base = facts(rendered[default], content.pack(default))
        for lang, text in rendered.items():
            if lang == default:
                continue
            theirs = facts(text, content.pack(lang))
            if theirs == base:
                continue
            said = [f"the {lang} answer says {', '.join(sorted(theirs - base))} and the {default} one does not"
                    ] if theirs - base else []
            said += [f"the {default} answer says {', '.join(sorted(base - theirs))} and the {lang} one does not"
                     ] if base - theirs else []
            problems.append(Problem(REL, entry.answer_lines.get(lang, 1),
                                    f"FAQ `{entry.id}` drifts between languages: {'; '.join(said)}", "warning"))
    return problems
