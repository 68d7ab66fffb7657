"""`flows/templates.yaml`: the one list of the approved WhatsApp templates the shop uses.

Outside the 24-hour window WhatsApp only takes templates Meta approved, and a
send fails when its name, language or number of parameters differs from the
approved one. The owner lists each template once (name, language, category,
what fills each body parameter, its buttons); the files that use a template
(`notifications.yaml`, `replies.yaml`, `settings.yaml`) only name it, and are
checked against this list when the content loads, so a typo is a
`path:line` error instead of a failed send at night. `shopbot templates check`
compares the same list with the account (bot.whatsapp.templates).

A use may still give its own `params:` (jinja2, as before this file existed);
their number must then match the template's. Without `params:` the template's
`body:` sources fill them.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pywa.types.templates import TemplateLanguage
from ruamel.yaml.comments import CommentedMap

from bot.content.problems import Problem, did_you_mean
from bot.content.yamlfile import line_of, load_yaml

REL = "flows/templates.yaml"
CATEGORIES = ("utility", "marketing")
BUTTON_TYPES = ("quick_reply", "url", "phone_number")
KEYS = ("name", "language", "category", "body", "buttons")
BUTTON_KEYS = ("type", "text", "fill", "action")
#: What a quick reply can do when tapped besides reopening what the message is about: `stop` offers.
BUTTON_ACTIONS = ("stop",)
LANGUAGES = tuple(lang.value for lang in TemplateLanguage if lang.value != "None")
BUTTON_TEXT_LIMIT = 25  # Meta's limit for a template button's text

#: What a parameter can be filled from: the owner's words, each a jinja2 expression over what the
#: message is rendered with. The README's table of `flows/templates.yaml` lists the same.
SOURCES = {
    "customer.name": "the customer's WhatsApp name (on an order update: the name on the order)",
    "shop.name": "the shop's name (flows/settings.yaml)",
    "staff.name": "the name of the staff member sending it",
    "order.reference": "the order's reference, like SHP-7K3F9",
    "order.name": "the name the order was placed under",
    "order.total": "the order's total with its currency",
    "order.carrier": "the carrier's name",
    "order.tracking_number": "the carrier's tracking number",
    "order.tracking_url": "the link to follow the parcel",
    "order.eta": "when the order should arrive",
    "cart.total": "the cart's total with its currency",
    "cart.link": "a link that reopens the customer's cart",
    "cart.code": "the code at the end of a cart link (for a URL button's dynamic part)",
    "product.name": "the product's name",
    "product.id": "the product's id (for a URL button's dynamic part)",
}

#: Which sources each file using templates can fill (the variables its messages render with).
USES = {
    "flows/notifications.yaml": ("an order update", ("customer.name", "shop.name", "order.reference", "order.name",
                                                     "order.total", "order.carrier", "order.tracking_number",
                                                     "order.tracking_url", "order.eta")),
    "flows/replies.yaml": ("a staff template", ("customer.name", "shop.name", "staff.name")),
    "flows/settings.yaml": ("the window fallback", ("customer.name", "shop.name")),
}


@dataclass(frozen=True)
class TemplateButton:
    type: str  # quick_reply, url or phone_number
    text: str
    fill: str | None = None  # a URL button's dynamic part: the source of the {{1}} at the end of its URL
    action: str | None = None  # `stop`: the quick reply that stops offers, whatever its text says


@dataclass(frozen=True)
class ApprovedTemplate:
    """One entry of flows/templates.yaml: what the shop believes Meta approved."""

    name: str
    language: str
    category: str
    body: tuple[str, ...]  # the source of each body parameter, {{1}} first
    buttons: tuple[TemplateButton, ...]
    line: int  # of the entry in flows/templates.yaml, for every problem about it


@dataclass(frozen=True)
class TemplateCatalogue:
    entries: tuple[ApprovedTemplate, ...] = ()
    present: bool = False  # False: the shop has no flows/templates.yaml, and uses are not checked

    def get(self, name: str, language: str) -> ApprovedTemplate | None:
        return next((t for t in self.entries if t.name == name and t.language == language), None)


@dataclass(frozen=True)
class TemplateUse:
    """A template a file sends: its name, language and compiled parameters (jinja2)."""

    name: str
    language: str
    params: tuple[Any, ...]


def load_templates(root: Path, problems: list[Problem]) -> TemplateCatalogue:
    """Read flows/templates.yaml (optional), checking each entry's shape; an empty catalogue without it."""
    if not (root / REL).exists():
        return TemplateCatalogue()
    data = load_yaml(root / REL, REL, problems)
    if data is None:
        return TemplateCatalogue(present=True)
    listed = data.get("templates")
    if not isinstance(listed, list):
        problems.append(Problem(REL, line_of(data, "templates") if "templates" in data else line_of(data),
                                "expected `templates:` with a list of templates"))
        return TemplateCatalogue(present=True)
    entries: list[ApprovedTemplate] = []
    for index, item in enumerate(listed):
        entry = _entry(item, line_of(listed, index), problems)
        if entry is None:
            continue
        if any(e.name == entry.name and e.language == entry.language for e in entries):
            problems.append(Problem(REL, entry.line, f"template `{entry.name}` is listed twice for {entry.language}"))
            continue
        entries.append(entry)
    return TemplateCatalogue(tuple(entries), present=True)


def _entry(item, line: int, problems: list[Problem]) -> ApprovedTemplate | None:
    if not isinstance(item, CommentedMap) or not item.get("name"):
        problems.append(Problem(REL, line, "each template needs the `name` approved in WhatsApp Manager"))
        return None
    for key in item:
        if key not in KEYS:
            problems.append(Problem(REL, line_of(item, key), f"unknown key `{key}`{did_you_mean(str(key), KEYS)}"))
    name = str(item["name"])
    if not re.fullmatch(r"[a-z0-9_]{1,512}", name):
        problems.append(Problem(REL, line_of(item, "name"), f"template name `{name}` must be lower-case letters, "
                                                            "digits and _ (as WhatsApp Manager names it)"))
    language = str(item.get("language") or "")
    if language not in LANGUAGES:
        problems.append(Problem(REL, line_of(item, "language") if "language" in item else line,
                                f"unknown template language `{language}`{did_you_mean(language, LANGUAGES)}; "
                                "use WhatsApp's code, like en, en_US or es_MX" if language else
                                f"template `{name}` needs a `language`, like en or es_MX"))
    category = str(item.get("category") or "")
    if category not in CATEGORIES:
        problems.append(Problem(REL, line_of(item, "category") if "category" in item else line,
                                f"category must be utility or marketing, got `{category}`"
                                f"{did_you_mean(category, CATEGORIES)}" if category else
                                f"template `{name}` needs a `category`: utility or marketing"))
    body = _sources(item, "body", problems)
    buttons = _buttons(item, problems)  # an entry with problems is kept: its uses are checked all the same
    if category == "marketing" and not any(b.action == "stop" for b in buttons):
        problems.append(Problem(REL, line, f"marketing template `{name}` has no quick reply with `action: stop`: "
                                           "mark the button that stops offers (Meta asks marketing templates "
                                           "for one); without the mark only a text saying stop, baja, parar, "
                                           "إيقاف or توقف is understood as one", "warning"))
    return ApprovedTemplate(name, language, category, body, buttons, line)


def _source(value, line: int, problems: list[Problem]) -> str:
    source = str(value)
    if source not in SOURCES:
        problems.append(Problem(REL, line, f"unknown source `{source}`{did_you_mean(source, SOURCES)}; "
                                           "a parameter is filled from one of: " + ", ".join(SOURCES)))
    return source


def _sources(item: CommentedMap, key: str, problems: list[Problem]) -> tuple[str, ...]:
    listed = item.get(key) or []
    if not isinstance(listed, list):
        problems.append(Problem(REL, line_of(item, key), f"{key} must list what fills each parameter, "
                                                         "like [customer.name, order.reference]"))
        return ()
    return tuple(_source(value, line_of(listed, i), problems) for i, value in enumerate(listed))


def _buttons(item: CommentedMap, problems: list[Problem]) -> tuple[TemplateButton, ...]:
    listed = item.get("buttons") or []
    if not isinstance(listed, list):
        problems.append(Problem(REL, line_of(item, "buttons"), "buttons must be a list of {type, text}"))
        return ()
    buttons = []
    for index, button in enumerate(listed):
        line = line_of(listed, index)
        if not isinstance(button, CommentedMap) or not button.get("type") or not button.get("text"):
            problems.append(Problem(REL, line, "each button needs a `type` (quick_reply, url or phone_number) "
                                               "and its `text`"))
            continue
        for key in button:
            if key not in BUTTON_KEYS:
                problems.append(Problem(REL, line_of(button, key),
                                        f"unknown key `{key}`{did_you_mean(str(key), BUTTON_KEYS)}"))
        kind, text = str(button["type"]), str(button["text"])
        if kind not in BUTTON_TYPES:
            problems.append(Problem(REL, line_of(button, "type"), f"unknown button type `{kind}`"
                                                                  f"{did_you_mean(kind, BUTTON_TYPES)}; "
                                                                  "use quick_reply, url or phone_number"))
        if len(text) > BUTTON_TEXT_LIMIT:
            problems.append(Problem(REL, line_of(button, "text"), f"button text is {len(text)} characters; "
                                                                  f"WhatsApp allows at most {BUTTON_TEXT_LIMIT}"))
        fill = button.get("fill")
        if fill is not None and kind in BUTTON_TYPES and kind != "url":
            problems.append(Problem(REL, line_of(button, "fill"), "only a url button has a dynamic part to `fill`"))
        action = button.get("action")
        if action is not None and str(action) not in BUTTON_ACTIONS:
            problems.append(Problem(REL, line_of(button, "action"), f"unknown button action `{action}`"
                                                                    f"{did_you_mean(str(action), BUTTON_ACTIONS)}; "
                                                                    "the only one is `stop` (the quick reply "
                                                                    "that stops offers)"))
        elif action is not None and kind in BUTTON_TYPES and kind != "quick_reply":
            problems.append(Problem(REL, line_of(button, "action"), "only a quick_reply can have `action: stop`"))
        buttons.append(TemplateButton(kind, text, _source(fill, line_of(button, "fill"), problems)
                                      if fill is not None else None, str(action) if action is not None else None))
    return tuple(buttons)


def resolve_use(catalogue: TemplateCatalogue, rel: str, spec: CommentedMap, default_language: str,
                problems: list[Problem], compile_text, variables: dict) -> TemplateUse | None:
    """The template a file names in `spec` ({name, language, params?}), checked against the catalogue.

    Its parameters are the spec's own `params:` (their number must match the template's body) or, without
    them, the template's body sources, which must be ones this file's messages know. None on a problem.
    """
    name, language = str(spec["name"]), str(spec.get("language") or default_language)
    inline = spec.get("params")
    line = line_of(spec, "name")
    entry = catalogue.get(name, language)
    if catalogue.present and entry is None:
        elsewhere = sorted(t.language for t in catalogue.entries if t.name == name)
        hint = (f" for {language} (it is there for {', '.join(elsewhere)})" if elsewhere
                else did_you_mean(name, {t.name for t in catalogue.entries}))
        problems.append(Problem(rel, line, f"template `{name}` is not in {REL}{hint}"))
        return None
    if inline is not None:
        if not isinstance(inline, list):
            problems.append(Problem(rel, line_of(spec, "params"), "params must be a list"))
            return None
        if entry is not None and len(inline) != len(entry.body):
            problems.append(Problem(rel, line_of(spec, "params"),
                                    f"template `{name}` takes {len(entry.body)} parameter(s) ({REL}:{entry.line}), "
                                    f"here it has {len(inline)}"))
            return None
        params = tuple(compile_text(p, rel, line_of(inline, i), variables) for i, p in enumerate(inline))
    elif entry is None:
        params = ()  # no flows/templates.yaml to fill them from: a template without parameters
    else:
        what, known = USES[rel]
        sources = entry.body
        if any(s not in SOURCES for s in sources):
            return None  # reported in flows/templates.yaml
        unknown = [s for s in sources if s not in known]
        if unknown:
            problems.append(Problem(rel, line, f"template `{name}` is filled from {', '.join(unknown)}, which "
                                               f"{what} does not know (it knows {', '.join(known)}); "
                                               "give `params:` here or change its body in " + REL))
            return None
        params = tuple(compile_text("{{ " + source + " }}", REL, entry.line, variables) for source in sources)
    return None if None in params else TemplateUse(name, language, params)


def load_window_fallback(settings: CommentedMap | None, catalogue: TemplateCatalogue, default_language: str,
                         problems: list[Problem], compile_text) -> TemplateUse | None:
    """`window_fallback_template:` of flows/settings.yaml, sent when a reply meets a closed 24-hour window."""
    rel = "flows/settings.yaml"
    spec = settings.get("window_fallback_template") if settings is not None else None
    if spec is None:
        return None
    if not isinstance(spec, CommentedMap) or not spec.get("name"):
        problems.append(Problem(rel, line_of(settings, "window_fallback_template"),
                                "window_fallback_template needs the `name` of an approved template"))
        return None
    return resolve_use(catalogue, rel, spec, default_language, problems, compile_text, {})
