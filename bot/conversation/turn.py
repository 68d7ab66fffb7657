"""One turn of the conversation: the content, the state's data and the event, with
helpers to render owner texts and build messages. Handlers take a Turn."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar

from bot.commerce import order_view
from bot.commerce.catalog import Catalog, Product, Variant
from bot.content.shop import Content
from bot.conversation.effects import Effect
from bot.conversation.events import Event
from bot.conversation.messages import Button, Buttons, CtaUrl, List, Message, Row, Section, Text
from bot.conversation.states import StateName

Reply: TypeAlias = Message | Effect  # what a step returns: messages for the customer, effects for the domain
Result: TypeAlias = tuple[StateName, list[Reply]]  # (next state, replies)
T = TypeVar("T")


@dataclass
class Turn:
    content: Content
    data: dict[str, Any]  # this conversation's data; a private copy the handlers may change
    event: Event
    stock: Mapping[str, int | None] | None = None  # live units per SKU; the catalog's counts if None

    def available(self, variant: Variant) -> int | None:
        """Units of `variant` that can be sold now (None: unlimited)."""
        if self.stock is None:
            return variant.stock
        return self.stock.get(variant.sku, variant.stock)

    def in_stock(self, variant: Variant) -> bool:
        units = self.available(variant)
        return variant.active and (units is None or units > 0)

    def product_in_stock(self, product: Product) -> bool:
        return any(self.in_stock(v) for v in product.variants)

    def option_values(self, product: Product, name: str,
                      chosen: dict[str, str] | None = None) -> list[tuple[str, bool]]:
        """Values of option `name` compatible with `chosen`, each with whether any is in stock now."""
        chosen = chosen or {}
        values: dict[str, bool] = {}
        for v in product.active_variants:
            opts = dict(v.options)
            if name in opts and all(opts.get(k) == val for k, val in chosen.items() if k != name):
                values[opts[name]] = values.get(opts[name], False) or self.in_stock(v)
        return list(values.items())

    @property
    def lang(self) -> str:
        """The customer's language: chosen, detected, or the shop's default."""
        chosen = self.data.get("language")
        return chosen if chosen in self.content.languages else self.content.default_language

    @property
    def catalog(self) -> Catalog:
        return self.content.catalog

    @property
    def customer(self) -> dict[str, Any]:
        return {"name": self.data.get("name") or self.event.profile_name, "language": self.data.get("language")}

    def text(self, key: str, **variables: Any) -> str:
        """The owner's text `key`, rendered for this customer."""
        return self.content.render(key, self.lang, customer=self.customer, **variables)

    def money(self, minor: int) -> str:
        return order_view.money(self.content, minor, self.catalog.currency, self.lang)

    @property
    def cart(self) -> list[dict[str, Any]]:
        lines: list[dict[str, Any]] = self.data.setdefault("cart", [])
        return lines

    @cart.setter
    def cart(self, lines: list[dict[str, Any]]) -> None:
        self.data["cart"] = lines


def text(body: str) -> Text:
    return Text(body)


def buttons(body: str, options: list[tuple[str, str]], header: str | None = None) -> Buttons:
    """A message with up to three reply buttons: [(id, title), ...]."""
    return Buttons(body, tuple(Button(i, t) for i, t in options), header)


def cta_url(body: str, button: str, url: str) -> CtaUrl:
    """A message with one button that opens `url` (WhatsApp's `cta_url`)."""
    return CtaUrl(body, button, url)


def listing(body: str, button: str, rows: list[Row], section: str = "", header: str | None = None) -> List:
    """A list message with one section of rows."""
    return List(body, button, (Section(section or button, tuple(rows)),), header)


def row(row_id: str, title: str, description: str | None = None) -> Row:
    return Row(row_id, title, description)


def page_of(items: list[T], page: int, size: int = 10) -> tuple[list[T], int, int]:
    """(items on `page`, page, pages): ten per page, or nine and a "More…" row when longer."""
    if len(items) <= size:
        return items, 1, 1
    per_page = size - 1
    pages = -(-len(items) // per_page)
    page = min(max(page, 1), pages)
    return items[(page - 1) * per_page: page * per_page], page, pages
