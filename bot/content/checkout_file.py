"""Reading `flows/checkout.yaml`: delivery options, payment options and checkout timings.

A title, an eta and instructions are text in the default language or one per
language (`title: {en: Madrid city, es: Madrid ciudad}`); the customer's
language is picked with the `*_in(lang)` methods, falling back to the default.
"""
from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from bot.commerce.money import MoneyError, parse
from bot.content.problems import Problem
from bot.content.yamlfile import line_of, load_yaml, per_language
from bot.whatsapp.messages import LIMITS

LINK_FIELDS = {"reference", "amount", "amount_minor", "currency"}


@dataclass(frozen=True)
class DeliveryOption:
    id: str
    title: str
    fee: int  # minor units
    eta: str
    pickup: bool = False
    titles: Mapping[str, str] = field(default_factory=dict)  # language -> title
    etas: Mapping[str, str] = field(default_factory=dict)

    def title_in(self, lang: str | None) -> str:
        return self.titles.get(lang or "") or self.title

    def eta_in(self, lang: str | None) -> str:
        return self.etas.get(lang or "") or self.eta


@dataclass(frozen=True)
class PaymentOption:
    id: str
    title: str
    instructions: Any  # compiled template: order, payment_link
    link: str | None = None  # URL template with {reference} {amount} {amount_minor} {currency}
    titles: Mapping[str, str] = field(default_factory=dict)  # language -> title
    translated_instructions: Mapping[str, Any] = field(default_factory=dict)  # language -> compiled template
    on_delivery: bool = False  # paid when the order arrives: the order's payment status says so from the start

    def title_in(self, lang: str | None) -> str:
        return self.titles.get(lang or "") or self.title

    def instructions_in(self, lang: str | None) -> Any:
        return self.translated_instructions.get(lang or "") or self.instructions


@dataclass(frozen=True)
class CheckoutOptions:
    reference_prefix: str = "SHP"
    remind_after_minutes: int = 30
    expire_after_minutes: int = 120
    website_order_expire_after_minutes: int = 1440
    delivery: tuple[DeliveryOption, ...] = ()
    payment: tuple[PaymentOption, ...] = ()

    def delivery_option(self, option_id: str | None) -> DeliveryOption | None:
        return next((d for d in self.delivery if d.id == option_id), None)

    def payment_option(self, option_id: str | None) -> PaymentOption | None:
        return next((p for p in self.payment if p.id == option_id), None)


SAMPLE_ORDER = {"reference": "SHP-7K3F9", "total": "€42.00", "subtotal": "€38.10", "name": "Sam"}


def _texts(item: CommentedMap, key: str, languages: tuple[str, ...], rel: str,
           problems: list[Problem]) -> dict[str, str]:
    """{lang: text} of one field written plain or per language."""
    return {lang: str(v) for lang, v in per_language(item.get(key), languages, rel, line_of(item, key),
                                                     problems).items()}


def load_checkout(root: Path, env, shop: dict, currency: str, problems: list[Problem], compile_text,
                  languages: tuple[str, ...] = ("en",)) -> CheckoutOptions:
    rel = "flows/checkout.yaml"
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return CheckoutOptions()
    settings = data.get("checkout") or CommentedMap()
    numbers = {}
    for key in ("remind_after_minutes", "expire_after_minutes", "website_order_expire_after_minutes"):
        value = settings.get(key, getattr(CheckoutOptions, key))
        if not isinstance(value, int) or value <= 0:
            problems.append(Problem(rel, line_of(settings, key), f"{key} must be a whole number of minutes above 0"))
            value = getattr(CheckoutOptions, key)
        numbers[key] = value
    if numbers["remind_after_minutes"] >= numbers["expire_after_minutes"]:
        problems.append(Problem(rel, line_of(settings, "remind_after_minutes"),
                                "remind_after_minutes must be less than expire_after_minutes"))
    prefix = str(settings.get("reference_prefix", "SHP"))
    if not re.fullmatch(r"[A-Z]{2,5}", prefix):
        problems.append(Problem(rel, line_of(settings, "reference_prefix"),
                                "reference_prefix must be 2 to 5 capital letters"))

    delivery = []
    for index, item in enumerate(data.get("delivery") or []):
        line = line_of(data["delivery"], index)
        if not isinstance(item, CommentedMap) or not item.get("id") or not item.get("title"):
            problems.append(Problem(rel, line, "each delivery option needs `id`, `title`, `fee` and `eta`"))
            continue
        try:
            fee = parse(str(item.get("fee", "0")), currency)
        except MoneyError as exc:
            problems.append(Problem(rel, line_of(item, "fee"), str(exc)))
            continue
        titles, etas = _texts(item, "title", languages, rel, problems), _texts(item, "eta", languages, rel, problems)
        for title in titles.values():
            if len(title) > LIMITS["row_title"]:
                problems.append(Problem(rel, line_of(item, "title"), f"title {title!r} is {len(title)} characters; "
                                                                      f"WhatsApp list rows show {LIMITS['row_title']}"))
        default = languages[0]
        delivery.append(DeliveryOption(str(item["id"]), titles.get(default, ""), fee, etas.get(default, ""),
                                       bool(item.get("pickup", False)), titles, etas))
    if not delivery:
        problems.append(Problem(rel, line_of(data), "at least one delivery option is needed under `delivery:`"))

    payment = []
    for index, item in enumerate(data.get("payment") or []):
        line = line_of(data["payment"], index)
        if not isinstance(item, CommentedMap) or not item.get("id") or not item.get("title"):
            problems.append(Problem(rel, line, "each payment option needs `id`, `title` and `instructions`"))
            continue
        link = item.get("link")
        if link is not None:
            fields = {f for _, f, _, _ in string.Formatter().parse(str(link)) if f}
            if not str(link).startswith("https://"):
                problems.append(Problem(rel, line_of(item, "link"), "link must start with https://"))
            elif fields - LINK_FIELDS:
                problems.append(Problem(rel, line_of(item, "link"),
                                        f"unknown field {{{sorted(fields - LINK_FIELDS)[0]}}} in link; "
                                        f"use {', '.join('{' + f + '}' for f in sorted(LINK_FIELDS))}"))
        sample = {"order": SAMPLE_ORDER, "payment_link": "https://pay.example/x"}
        instructions = {}
        for lang, source in _texts(item, "instructions", languages, rel, problems).items():
            where = item["instructions"]
            line = line_of(where, lang) if isinstance(where, CommentedMap) else line_of(item, "instructions")
            instructions[lang] = compile_text(source, rel, line, sample)
        titles = _texts(item, "title", languages, rel, problems)
        payment.append(PaymentOption(str(item["id"]), titles.get(languages[0], ""),
                                     instructions.get(languages[0]) or compile_text("", rel, line, sample),
                                     str(link) if link else None, titles, instructions,
                                     bool(item.get("on_delivery", False))))
    if not payment:
        problems.append(Problem(rel, line_of(data), "at least one payment option is needed under `payment:`"))
    return CheckoutOptions(prefix, numbers["remind_after_minutes"], numbers["expire_after_minutes"],
                           numbers["website_order_expire_after_minutes"], tuple(delivery), tuple(payment))
