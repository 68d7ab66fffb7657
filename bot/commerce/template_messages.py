"""An approved template of flows/templates.yaml as an outbox spec, filled from named values.

The owner's entry says what fills each body parameter and a URL button's
dynamic end (`customer.name`, `cart.code`, ...); the automation that sends it
knows those values. Meta refuses a template whose parameters differ from the
approved ones, so a template that needs a value the sender does not have is
not sent at all (None) rather than sent wrong.
"""
from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from bot.content.templates_file import ApprovedTemplate, TemplateButton

#: A file written before `action: stop` existed marks no button: there, a quick reply whose text
#: mentions one of these words is taken as the stop button (Meta's own marketing templates end with
#: "Stop promotions"). `shopbot check` warns about such a file; any other quick reply carries `open_payload`.
STOP_WORDS = ("stop", "unsubscribe", "baja", "parar", "إيقاف", "توقف")
#: What the stop button carries: offers stop, order updates go on (bot.conversation.consent_flow.stop_offers).
STOP_PAYLOAD = "offers:stop"
#: `customer.name` for a customer whose WhatsApp profile has no name (Meta refuses an empty parameter).
log = logging.getLogger(__name__)

NO_NAME = "there"


def is_stop(entry: ApprovedTemplate, button: TemplateButton) -> bool:
    """Whether tapping `button` stops offers: it is marked `action: stop` in flows/templates.yaml, or,
    in a template that marks no button, its text says stop in one of STOP_WORDS."""
    if button.type != "quick_reply":
        return False
    if any(b.action for b in entry.buttons):
        return button.action == "stop"
    return any(word in button.text.lower() for word in STOP_WORDS)


def template_spec(entry: ApprovedTemplate, values: Mapping[str, str], open_payload: str,
                  url_query: str = "") -> dict[str, Any] | None:
    """The outbox spec sending `entry` with its body and button parameters from `values`.

    A URL button with `fill:` gets that value as its dynamic end (and `url_query`, like `?lang=es`); a
    quick reply gets a payload the engine understands when it is tapped (STOP_PAYLOAD for the one that
    stops offers, see `is_stop`, or `open_payload`, like "cart"). None when a value the template needs
    is missing or empty (Meta would refuse the send).
    """
    params = [values.get(source) for source in entry.body]
    if not all(params):
        return None
    buttons: list[dict[str, Any]] = []
    for index, button in enumerate(entry.buttons):
        if button.type == "url" and button.fill:
            value = values.get(button.fill)
            if not value:
                return None
            buttons.append({"index": index, "url": value + url_query})
        elif button.type == "quick_reply":
            buttons.append({"index": index, "payload": STOP_PAYLOAD if is_stop(entry, button) else open_payload})
    spec: dict[str, Any] = {"type": "template", "name": entry.name, "language": entry.language, "params": params}
    if buttons:
        spec["buttons"] = buttons
    return spec


def is_template(message: Any) -> bool:
    """Whether an outbox spec is a template (one that counts against Meta's messaging limit)."""
    return isinstance(message, dict) and message.get("type") == "template"


def marketing_template(templates: Any, name: str, languages: tuple[str, ...]) -> ApprovedTemplate | None:
    """The marketing template `name` of flows/templates.yaml in the first of `languages` it is listed in."""
    for language in languages:
        entry = templates.get(name, language)
        if entry is not None and entry.category == "marketing":
            return entry
    return None


def automation_template(content: Any, customer: Any, name: str, lang: str) -> ApprovedTemplate | None:
    """The marketing template an automation (abandoned cart, back in stock) sends `customer` once their
    window has closed, in their language or the shop's; None without the customer's opt-in or when
    flows/templates.yaml lists none (logged: the owner has to add it)."""
    from bot.commerce import consent  # consent takes back queued broadcasts, whose specs are made here

    if not consent.may_send_marketing(customer):
        return None
    entry = marketing_template(content.templates, name, (lang, content.default_language))
    if entry is None:
        log.info("no marketing template `%s` in flows/templates.yaml: customer %s gets none outside the window",
                 name, customer.id)
    return entry


def customer_values(content: Any, customer: Any) -> dict[str, str]:
    """The parameters any template can fill for `customer`: their name ("there" without one) and the shop's."""
    return {"customer.name": customer.name or NO_NAME, "shop.name": str(content.shop.get("name") or "")}
