"""The loaded shop: settings, texts and the main menu from `flows/`.

Texts are jinja2 templates rendered in a sandbox (owners' files are data, not
code). Every template is compiled and rendered once with sample values at load
time, so a typo in a variable name is an error with its line, not a surprise
in front of a customer.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from ruamel.yaml.comments import CommentedMap

from bot.commerce import formats
from bot.commerce.catalog import EMPTY, Catalog
from bot.commerce.money import CURRENCIES
from bot.content import language_packs as locales
from bot.content.aftercare_files import (
    Carrier,
    InvoiceSettings,
    Notifications,
    load_carriers,
    load_invoice,
    load_notifications,
)
from bot.content.automations_file import AbandonedCart, load_abandoned_cart
from bot.content.catalog_files import load_catalog
from bot.content.checkout_file import CheckoutOptions, load_checkout
from bot.content.faq_file import load_faq
from bot.content.intents_file import load_intents
from bot.content.problems import Problem, did_you_mean
from bot.content.staff_files import (
    HandoffSettings,
    Label,
    Replies,
    load_handoff,
    load_hours,
    load_labels,
    load_replies,
)
from bot.content.templates_file import TemplateCatalogue, TemplateUse, load_templates, load_window_fallback
from bot.content.text_variables import REQUIRED_TEXTS, TEXT_VARIABLES
from bot.content.yamlfile import line_of, load_yaml, per_language, value_line
from bot.conversation.matching import Matcher
from bot.whatsapp.messages import LIMITS

#: What a menu item may do instead of replying with its own text (see conversation.engine).
MENU_ACTIONS = ("browse", "search", "cart", "orders", "offers")

SAMPLE_CONTEXT = {
    "customer": {"name": "Sam", "language": "en"},
}


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)


@dataclass(frozen=True)
class MenuItem:
    id: str
    titles: Mapping[str, str]  # language -> title
    descriptions: Mapping[str, str]
    replies: Mapping[str, Any]  # language -> compiled template; empty for an item handled by the engine
    action: str | None

    def title(self, lang: str, default: str) -> str:
        return self.titles.get(lang) or self.titles[default]

    def description(self, lang: str, default: str) -> str | None:
        return self.descriptions.get(lang) or self.descriptions.get(default)

    def reply(self, lang: str, default: str):
        return self.replies.get(lang) or self.replies.get(default)


@dataclass(frozen=True)
class Content:
    """Everything the engine needs from the owner's files. Immutable once loaded."""

    root: Path
    shop: Mapping[str, Any]
    settings: Mapping[str, Any]
    texts: Mapping[str, Mapping[str, Any]]  # language -> key -> compiled template
    menu: tuple[MenuItem, ...]
    menu_header: str | None
    env: SandboxedEnvironment = field(repr=False)
    catalog: Catalog = EMPTY
    checkout: CheckoutOptions = field(default_factory=CheckoutOptions)
    carriers: Mapping[str, Carrier] = field(default_factory=dict)
    notifications: Notifications = field(default_factory=Notifications)
    invoice: InvoiceSettings = field(default_factory=InvoiceSettings)
    languages: tuple[str, ...] = ("en",)  # the first is the default
    faq: Any = None  # bot.content.faq_file.FAQ
    intents: Any = None  # bot.content.intents_file.Intents
    matcher: Any = None  # bot.conversation.matching.Matcher
    hours: Any = None  # bot.opening_hours.OpeningHours, in the shop's timezone
    handoff: HandoffSettings = field(default_factory=HandoffSettings)
    replies: Replies = field(default_factory=Replies)
    labels: tuple[Label, ...] = ()  # the owner's conversation labels (flows/labels.yaml)
    packs: Mapping[str, locales.LanguagePack] = field(default_factory=dict)  # language -> its pack
    words: locales.LanguagePack = field(default_factory=lambda: locales.LanguagePack("*"))  # every pack combined
    templates: TemplateCatalogue = field(default_factory=TemplateCatalogue)  # flows/templates.yaml
    window_fallback: TemplateUse | None = None  # sent in place of a reply refused for a closed 24-hour window
    abandoned_cart: AbandonedCart = field(default_factory=AbandonedCart)  # settings' `abandoned_cart:`

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def locale(self, lang: str | None = None) -> str:
        """The Babel locale that formats money and dates for `lang`: settings' `locales:`
        (`{en: en_GB}`), else the language's own code."""
        lang = lang if lang in self.languages else self.default_language
        return str((self.settings.get("locales") or {}).get(lang) or lang)

    def pack(self, lang: str) -> locales.LanguagePack:
        """The language pack for `lang`, or English's (shipped, complete) when the shop has none for it."""
        return self.packs.get(lang) or self.packs["en"]

    def render(self, key: str, lang: str | None = None, **context) -> str:
        """Render the owner's text `key` in `lang`, falling back to the default language."""
        template = self.texts.get(lang or "", {}).get(key) or self.texts[self.default_language][key]
        return template.render(shop=self.shop, **context).strip()

    def has_text(self, key: str) -> bool:
        return key in self.texts[self.default_language]

    def menu_item(self, item_id: str) -> MenuItem | None:
        return next((m for m in self.menu if m.id == item_id), None)


def _compile(env, source, rel, line, problems, shop, variables=None) -> Any:
    """Compile and trial-render a template; a Problem names the line on failure."""
    if not isinstance(source, (str, int, float)):
        problems.append(Problem(rel, line, f"expected text, got {type(source).__name__}"))
        return None
    try:
        template = env.from_string(str(source))
        template.render(shop=shop, **SAMPLE_CONTEXT, **(variables or {}))
    except TemplateError as exc:
        problems.append(Problem(rel, line + (getattr(exc, "lineno", 1) or 1) - 1, f"template error: {exc.message}"))
        return None
    return template


KNOWN_SHOP_KEYS = ("name", "phone", "email", "address", "currency", "timezone", "default_language", "website")


def _load_settings(root: Path, problems: list[Problem]) -> tuple[dict, dict, CommentedMap | None]:
    """The `shop:` section, the other settings as plain dicts, and the raw file (for line numbers)."""
    rel = "flows/settings.yaml"
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return {}, {}, None
    shop = data.get("shop")
    if not isinstance(shop, CommentedMap):
        problems.append(Problem(rel, line_of(data), "missing the `shop:` section"))
        return {}, {}, data
    for key in shop:
        if key not in KNOWN_SHOP_KEYS:
            problems.append(Problem(rel, line_of(shop, key),
                                    f"unknown shop setting `{key}`{did_you_mean(key, KNOWN_SHOP_KEYS)}"))
    if not shop.get("name"):
        problems.append(Problem(rel, line_of(shop), "shop.name is required"))
    settings = {k: v for k, v in data.items() if k not in ("version", "shop")}
    return _plain(shop), _plain(settings), data


def _plain(value):
    """ruamel's commented containers to plain dicts and lists (shared, read-only use)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _load_text_file(root: Path, rel: str, env, shop: dict, problems: list[Problem]) -> tuple[dict, Any]:
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return {}, None
    texts = data.get("texts")
    if not isinstance(texts, CommentedMap):
        problems.append(Problem(rel, line_of(data), "missing the `texts:` section"))
        return {}, None
    compiled = {}
    for key, source in texts.items():
        template = _compile(env, source, rel, value_line(texts, key), problems, shop, TEXT_VARIABLES.get(str(key)))
        if template is not None:
            compiled[str(key)] = template
    return compiled, data


def _load_texts(root: Path, env, shop: dict, languages: tuple[str, ...], problems: list[Problem]) -> dict:
    """flows/texts.yaml in the default language, flows/texts.<lang>.yaml for the others.

    A text missing from a translation falls back to the default language; the
    missing ones are listed as a warning.
    """
    rel = "flows/texts.yaml"
    default, data = _load_text_file(root, rel, env, shop, problems)
    if data is not None:
        for key in REQUIRED_TEXTS:
            if key not in data["texts"]:
                problems.append(Problem(rel, line_of(data, "texts"), f"missing text `{key}`"))
    result = {languages[0]: default}
    for lang in languages[1:]:
        lrel = f"flows/texts.{lang}.yaml"
        if not (root / lrel).exists():
            problems.append(Problem(lrel, 1, f"no translation file; {lang} customers get the default language",
                                    "warning"))
            result[lang] = {}
            continue
        translated, tdata = _load_text_file(root, lrel, env, shop, problems)
        missing = [k for k in default if k not in translated] if data is not None else []
        if missing and tdata is not None:
            problems.append(Problem(lrel, line_of(tdata, "texts") if "texts" in tdata else 1,
                                    f"{len(missing)} text(s) not translated, the default language is used: "
                                    + ", ".join(missing), "warning"))
        raw_default = set(data["texts"]) if data is not None and isinstance(data.get("texts"), CommentedMap) else set()
        for key in translated:
            if key not in raw_default and raw_default:
                problems.append(Problem(lrel, 1, f"text `{key}` is not in flows/texts.yaml{did_you_mean(key, default)}",
                                        "warning"))
        result[lang] = translated
    return result


def _load_menu(root: Path, env, shop: dict, languages: tuple[str, ...],
               problems: list[Problem]) -> tuple[tuple[MenuItem, ...], str | None]:
    rel = "flows/menu.yaml"
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return (), None
    menu = data.get("menu")
    if not isinstance(menu, CommentedMap) or not isinstance(menu.get("items"), list):
        problems.append(Problem(rel, line_of(data), "expected `menu:` with a list of `items:`"))
        return (), None
    items, seen = [], set()
    raw_items = menu["items"]
    if len(raw_items) > LIMITS["list_rows"]:
        problems.append(Problem(rel, line_of(menu, "items"),
                                f"the menu has {len(raw_items)} items; "
                                f"WhatsApp lists show at most {LIMITS['list_rows']}"))
    for index, item in enumerate(raw_items):
        line = line_of(raw_items, index)
        if not isinstance(item, CommentedMap) or not item.get("id") or not item.get("title"):
            problems.append(Problem(rel, line, "each menu item needs `id` and `title`"))
            continue
        item_id = str(item["id"])
        if item_id in seen:
            problems.append(Problem(rel, line_of(item, "id"), f"duplicate menu id `{item_id}`"))
        seen.add(item_id)
        titles = {k: str(v) for k, v in per_language(item["title"], languages, rel, line_of(item, "title"),
                                                      problems).items()}
        for title in titles.values():
            if len(title) > LIMITS["row_title"]:
                problems.append(Problem(rel, line_of(item, "title"), f"title is {len(title)} characters; "
                                        f"WhatsApp shows at most {LIMITS['row_title']}"))
        descriptions = {k: str(v) for k, v in per_language(item.get("description"), languages, rel,
                                                            line_of(item, "description"), problems).items()}
        for description in descriptions.values():
            if len(description) > LIMITS["row_description"]:
                problems.append(Problem(rel, line_of(item, "description"), f"description is {len(description)} "
                                        f"characters; WhatsApp shows at most {LIMITS['row_description']}"))
        action = item.get("action")
        if action is not None and action not in MENU_ACTIONS:
            problems.append(Problem(rel, line_of(item, "action"),
                                    f"unknown action `{action}`{did_you_mean(str(action), MENU_ACTIONS)}; "
                                    f"actions are {', '.join(MENU_ACTIONS)}"))
        replies = {}
        if "reply" in item:
            for lang, source in per_language(item["reply"], languages, rel, line_of(item, "reply"), problems).items():
                where = item["reply"] if isinstance(item["reply"], CommentedMap) else item
                template = _compile(env, source, rel, value_line(where, lang if where is not item else "reply"),
                                    problems, shop)
                if template is not None:
                    replies[lang] = template
        elif not action:
            problems.append(Problem(rel, line, f"menu item `{item_id}` needs a `reply:` text or an `action:`"))
        items.append(MenuItem(item_id, titles, descriptions, replies, action))
    header = menu.get("header")
    return tuple(items), str(header) if header else None


def _check_locales(data: CommentedMap | None, languages: tuple[str, ...], problems: list[Problem]) -> None:
    """`locales: {en: en_GB}`: a known language each, and a locale CLDR knows."""
    rel = "flows/settings.yaml"
    section = data.get("locales") if data is not None else None
    if section is None:
        return
    if not isinstance(section, CommentedMap):
        problems.append(Problem(rel, line_of(data, "locales"), "locales must map a language to a locale, "
                                                               "like `en: en_GB`"))
        return
    for lang, code in section.items():
        if lang not in languages:
            problems.append(Problem(rel, line_of(section, lang), f"unknown language `{lang}`"
                                                                 f"{did_you_mean(str(lang), languages)} in locales"))
        elif formats.locale_of(str(code)) is None:
            problems.append(Problem(rel, line_of(section, lang), f"unknown locale `{code}` for {lang} "
                                                                 "(write it like en_GB, es_MX or ar_EG)"))


def build_content(root: Path, problems: list[Problem]) -> Content | None:
    """Read every owner file under `root`, appending problems; None if unusable."""
    env = _environment()
    shop, settings, settings_data = _load_settings(root, problems)
    languages = tuple(str(x) for x in (settings.get("languages") or [shop.get("default_language") or "en"]))
    _check_locales(settings_data, languages, problems)
    texts = _load_texts(root, env, shop, languages, problems)
    packs = locales.load_packs(root, languages, problems)
    words = locales.combine(packs.values())
    menu, header = _load_menu(root, env, shop, languages, problems)
    currency = str(shop.get("currency") or "EUR").upper()
    if currency not in CURRENCIES:
        problems.append(Problem("flows/settings.yaml", 1,
                                f"unknown currency `{currency}`{did_you_mean(currency, CURRENCIES)}"))
    catalog = load_catalog(root, currency, problems, words, languages)

    def compile_text(source, rel, line, variables):
        return _compile(env, source, rel, line, problems, shop, variables)

    checkout = load_checkout(root, env, shop, currency if currency in CURRENCIES else "EUR", problems, compile_text,
                             languages)
    carriers = load_carriers(root, problems)
    templates = load_templates(root, problems)
    notifications = load_notifications(root, problems, compile_text, templates, languages[0])
    invoice = load_invoice(root, problems)
    faq = load_faq(root, languages, problems, compile_text)
    intents = load_intents(root, languages, problems)
    hours = load_hours(settings_data, shop, problems)
    handoff = load_handoff(settings_data, problems)
    abandoned_cart = load_abandoned_cart(settings_data, problems)
    replies = load_replies(root, languages, problems, compile_text, templates)
    window_fallback = load_window_fallback(settings_data, templates, languages[0], problems, compile_text)
    if not templates.present and (notifications.templates or replies.templates or window_fallback):
        problems.append(Problem("flows/templates.yaml", 1, "no such file, so the templates named in notifications, "
                                                           "replies and settings are not checked; list them there",
                                "warning"))
    labels = load_labels(root, problems)
    if any(p.severity == "error" for p in problems):
        return None
    return Content(
        root=root,
        shop=MappingProxyType(shop),
        settings=MappingProxyType(settings),
        texts=MappingProxyType(texts),
        menu=menu,
        menu_header=header,
        env=env,
        catalog=catalog,
        checkout=checkout,
        carriers=MappingProxyType(carriers),
        notifications=notifications,
        invoice=invoice,
        languages=languages,
        faq=faq,
        intents=intents,
        matcher=Matcher(intents.phrases, faq.entries, languages, packs),
        hours=hours,
        handoff=handoff,
        replies=replies,
        labels=labels,
        packs=MappingProxyType(packs),
        words=words,
        templates=templates,
        window_fallback=window_fallback,
        abandoned_cart=abandoned_cart,
    )
