"""The loaded shop: settings, texts and the main menu from `flows/`.

Texts are jinja2 templates rendered in a sandbox (owners' files are data, not
code). Every template is compiled and rendered once with sample values at load
time, so a typo in a variable name is an error with its line, not a surprise
in front of a customer.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from ruamel.yaml.comments import CommentedMap

from ..catalog import EMPTY, Catalog
from ..messages import LIMITS
from ..money import CURRENCIES
from .catalog_files import load_catalog
from .aftercare_files import Carrier, InvoiceSettings, Notifications, load_carriers, load_invoice, load_notifications
from .checkout_file import CheckoutOptions, load_checkout
from .problems import Problem, did_you_mean
from .yamlfile import line_of, load_yaml, value_line

_LINE = {"qty": 2, "name": "Organic cotton tee", "options": "M, Red", "total": "€39.80", "unit": "€19.90"}
_CART = {"lines": [_LINE], "count": 2, "subtotal": "€39.80", "notes": ["Tee now costs €19.90 (was €18.00)."]}
_PRODUCT = {"name": "Organic cotton tee", "price": "€19.90", "description": "Soft.", "stock": "✅ In stock"}

#: Every text the engine uses, with the variables it gets (besides `shop` and `customer`).
#: Each is trial-rendered at load with these sample values, so an owner's typo is caught
#: with its line number instead of failing in front of a customer.
TEXT_VARIABLES: dict[str, dict] = {
    "greeting": {}, "menu_body": {}, "menu_button": {}, "back_to_menu": {}, "not_understood": {},
    "browse_body": {}, "browse_button": {},
    "category_body": {"category": {"title": "Shirts", "emoji": "👔", "count": 12}, "page": 1, "pages": 2},
    "category_button": {}, "category_empty": {"category": {"title": "Shirts", "emoji": "👔", "count": 0}},
    "more_row": {}, "more_description": {"page": 2, "pages": 3},
    "product_row": {"price": "€19.90", "options": "3 sizes"}, "sold_out_mark": {},
    "product_caption": {"product": _PRODUCT}, "stock_in": {}, "stock_low": {"count": 2}, "stock_out": {},
    "add_button": {}, "options_button": {}, "back_button": {},
    "choose_option": {"option": "size", "product": _PRODUCT}, "choose_option_button": {"option": "size"},
    "variant_chosen": {"product": _PRODUCT, "variant": {"options": "M, Red", "price": "€19.90", "stock": "✅ In stock"}},
    "change_options_button": {},
    "added": {"quantity": 2, "item": "Organic cotton tee (M, Red)", "cart": _CART},
    "view_cart_button": {}, "keep_shopping_button": {}, "sold_out": {"item": "Tee (L, Red)"},
    "not_enough_stock": {"item": "Tee (L, Red)", "available": 2, "in_cart": 1}, "too_many": {"limit": 99},
    "cart_empty": {}, "cart_body": {"cart": _CART},
    "price_changed": {"name": "Tee", "old": "€18.00", "new": "€19.90"}, "item_gone": {"name": "Tee"},
    "edit_cart_button": {}, "empty_cart_button": {}, "browse_button_short": {},
    "edit_cart_body": {}, "edit_cart_list": {}, "cart_item": {"line": _LINE},
    "more_button": {}, "less_button": {}, "remove_button": {}, "removed": {"item": "Tee (M, Red)"}, "emptied": {},
    "search_prompt": {}, "search_results": {"query": "red tee"},
    "search_none": {"query": "unicorn", "suggestions": "Uniform shirt"},
    "order_received": {}, "order_unknown_items": {"skus": "SKU-1, SKU-2"},
    "order_price_note": {"name": "Tee", "old": "€18.00", "new": "€19.90"},
}
_ORDER = {"reference": "SHP-7K3F9", "name": "Sam Rivera", "phone": "34600111222", "lines": [_LINE],
          "subtotal": "€39.80", "delivery": "Madrid city", "fee": "€3.90", "eta": "next working day",
          "address": "Calle Mayor 1, 28013 Madrid", "total": "€43.70", "payment": "Cash on delivery", "note": "Gift"}
_LAST = {"name": "Sam", "delivery": "Madrid city", "address": "Calle Mayor 1", "payment": "Cash on delivery"}
TEXT_VARIABLES.update({
    "checkout_button": {}, "checkout_empty": {}, "checkout_name": {"name": "Sam"}, "name_yes_button": {},
    "name_change_button": {}, "checkout_name_prompt": {}, "checkout_last_details": {"last": _LAST},
    "use_last_button": {}, "change_details_button": {}, "delivery_prompt": {}, "delivery_list": {},
    "delivery_row": {"fee": "€3.90", "eta": "tomorrow"}, "free": {}, "address_prompt": {}, "address_too_short": {},
    "pickup_address": {}, "payment_prompt": {}, "payment_list": {}, "note_prompt": {}, "no_note_button": {},
    "order_summary": {"order": _ORDER}, "confirm_button": {}, "edit_button": {}, "cancel_button": {},
    "edit_prompt": {}, "edit_list": {}, "field_name": {}, "field_delivery": {}, "field_address": {},
    "field_payment": {}, "field_note": {}, "field_items": {}, "checkout_cancelled": {},
    "order_placed": {"order": _ORDER, "payment": "Pay on delivery."}, "order_already_placed": {"reference": "SHP-7K3F9"},
    "cancel_order_button": {}, "confirm_out_of_stock": {"item": "Tee (M)", "available": 1},
    "checkout_reminder": {}, "checkout_expired": {}, "card_warning": {},
    "order_cancelled": {"reference": "SHP-7K3F9"}, "order_cannot_cancel": {"reference": "SHP-7K3F9", "status": "shipped"},
    "order_unknown": {"reference": "SHP-7K3F9"}, "website_order_found": {"reference": "SHP-7K3F9"},
    "order_status": {"reference": "SHP-7K3F9", "status": "pending"},
})
_TRACKED = {"reference": "SHP-7K3F9", "name": "Sam", "status": "shipped", "total": "€36.90", "carrier": "SEUR",
            "tracking_number": "ES123", "tracking_url": "https://track.example/ES123", "eta": "tomorrow",
            "changed": "24 Nov, 10:32", "history": [{"when": "24 Nov, 10:32", "status": "shipped"}]}
TEXT_VARIABLES.update({f"status_{s}": {"order": _TRACKED} for s in (
    "confirmed", "paid", "cash_on_delivery", "prepared", "shipped", "out_for_delivery", "delivered",
    "cancelled", "refunded")})
TEXT_VARIABLES.update({f"status_label_{s}": {} for s in (
    "pending", "confirmed", "paid", "cash_on_delivery", "prepared", "shipped", "out_for_delivery", "delivered",
    "cancelled", "refunded")})
TEXT_VARIABLES.update({
    "track_button": {}, "talk_button": {}, "talk_to_us": {}, "order_details": {"order": _TRACKED},
    "no_orders": {}, "choose_order": {}, "choose_order_list": {}, "order_row": {"status": "shipped", "total": "€3"},
    "invoice_caption": {"number": "LL-2026-00001", "reference": "SHP-7K3F9"},
})
REQUIRED_TEXTS = tuple(TEXT_VARIABLES)

#: What a menu item may do instead of replying with its own text (see conversation.engine).
MENU_ACTIONS = ("browse", "search", "cart", "orders")

SAMPLE_CONTEXT = {
    "customer": {"name": "Sam", "language": "en"},
}


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, trim_blocks=True)


@dataclass(frozen=True)
class MenuItem:
    id: str
    title: str
    description: str | None
    reply: Any  # compiled template, or None for an item handled by the engine
    action: str | None


@dataclass(frozen=True)
class Content:
    """Everything the engine needs from the owner's files. Immutable once loaded."""

    root: Path
    shop: Mapping[str, Any]
    settings: Mapping[str, Any]
    texts: Mapping[str, Any]  # key -> compiled template
    menu: tuple[MenuItem, ...]
    menu_header: str | None
    env: SandboxedEnvironment = field(repr=False)
    catalog: Catalog = EMPTY
    checkout: CheckoutOptions = CheckoutOptions()
    carriers: Mapping[str, Carrier] = field(default_factory=dict)
    notifications: Notifications = Notifications()
    invoice: InvoiceSettings = InvoiceSettings()

    def render(self, key: str, **context) -> str:
        """Render the owner's text `key` with the shop and `context`."""
        return self.texts[key].render(shop=self.shop, **context).strip()

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


def _load_settings(root: Path, problems: list[Problem]) -> tuple[dict, dict]:
    rel = "flows/settings.yaml"
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return {}, {}
    shop = data.get("shop")
    if not isinstance(shop, CommentedMap):
        problems.append(Problem(rel, line_of(data), "missing the `shop:` section"))
        return {}, {}
    for key in shop:
        if key not in KNOWN_SHOP_KEYS:
            problems.append(Problem(rel, line_of(shop, key), f"unknown shop setting `{key}`{did_you_mean(key, KNOWN_SHOP_KEYS)}"))
    if not shop.get("name"):
        problems.append(Problem(rel, line_of(shop), "shop.name is required"))
    settings = {k: v for k, v in data.items() if k not in ("version", "shop")}
    return _plain(shop), _plain(settings)


def _plain(value):
    """ruamel's commented containers to plain dicts and lists (shared, read-only use)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _load_texts(root: Path, env, shop: dict, problems: list[Problem]) -> dict:
    rel = "flows/texts.yaml"
    data = load_yaml(root / rel, rel, problems)
    if data is None:
        return {}
    texts = data.get("texts")
    if not isinstance(texts, CommentedMap):
        problems.append(Problem(rel, line_of(data), "missing the `texts:` section"))
        return {}
    compiled = {}
    for key, source in texts.items():
        template = _compile(env, source, rel, value_line(texts, key), problems, shop, TEXT_VARIABLES.get(str(key)))
        if template is not None:
            compiled[str(key)] = template
    for key in REQUIRED_TEXTS:
        if key not in texts:
            problems.append(Problem(rel, line_of(data, "texts"), f"missing text `{key}`"))
    return compiled


def _load_menu(root: Path, env, shop: dict, problems: list[Problem]) -> tuple[tuple[MenuItem, ...], str | None]:
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
                                f"the menu has {len(raw_items)} items; WhatsApp lists show at most {LIMITS['list_rows']}"))
    for index, item in enumerate(raw_items):
        line = line_of(raw_items, index)
        if not isinstance(item, CommentedMap):
            problems.append(Problem(rel, line, "each menu item needs `id` and `title`"))
            continue
        item_id, title = str(item.get("id") or ""), str(item.get("title") or "")
        if not item_id or not title:
            problems.append(Problem(rel, line, "each menu item needs `id` and `title`"))
            continue
        if item_id in seen:
            problems.append(Problem(rel, line_of(item, "id"), f"duplicate menu id `{item_id}`"))
        seen.add(item_id)
        if len(title) > LIMITS["row_title"]:
            problems.append(Problem(rel, line_of(item, "title"),
                                    f"title is {len(title)} characters; WhatsApp shows at most {LIMITS['row_title']}"))
        description = item.get("description")
        if description and len(str(description)) > LIMITS["row_description"]:
            problems.append(Problem(rel, line_of(item, "description"),
                                    f"description is {len(str(description))} characters; WhatsApp shows at most {LIMITS['row_description']}"))
        reply, action = None, item.get("action")
        if action is not None and action not in MENU_ACTIONS:
            problems.append(Problem(rel, line_of(item, "action"),
                                    f"unknown action `{action}`{did_you_mean(str(action), MENU_ACTIONS)}; "
                                    f"actions are {', '.join(MENU_ACTIONS)}"))
        if "reply" in item:
            reply = _compile(env, item["reply"], rel, value_line(item, "reply"), problems, shop)
        elif not action:
            problems.append(Problem(rel, line, f"menu item `{item_id}` needs a `reply:` text or an `action:`"))
        items.append(MenuItem(item_id, title, str(description) if description else None, reply, action))
    header = menu.get("header")
    return tuple(items), str(header) if header else None


def build_content(root: Path, problems: list[Problem]) -> Content | None:
    """Read every owner file under `root`, appending problems; None if unusable."""
    env = _environment()
    shop, settings = _load_settings(root, problems)
    texts = _load_texts(root, env, shop, problems)
    menu, header = _load_menu(root, env, shop, problems)
    currency = str(shop.get("currency") or "EUR").upper()
    if currency not in CURRENCIES:
        problems.append(Problem("flows/settings.yaml", 1, f"unknown currency `{currency}`{did_you_mean(currency, CURRENCIES)}"))
    catalog = load_catalog(root, currency, problems)

    def compile_text(source, rel, line, variables):
        return _compile(env, source, rel, line, problems, shop, variables)

    checkout = load_checkout(root, env, shop, currency if currency in CURRENCIES else "EUR", problems, compile_text)
    carriers = load_carriers(root, problems)
    notifications = load_notifications(root, problems, compile_text)
    invoice = load_invoice(root, problems)
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
    )
