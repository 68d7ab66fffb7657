"""Browsing the catalog: categories, products, product cards, options and search results."""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from rapidfuzz import fuzz, process

from bot.commerce import formats
from bot.commerce.catalog import Product, Variant
from bot.commerce.search import Hit
from bot.conversation.effects import AlertWhenBack
from bot.conversation.messages import Button, Image, Products, ProductSection
from bot.conversation.messages import Product as CatalogItem
from bot.conversation.states import StateName
from bot.conversation.turn import Result, Turn, buttons, listing, page_of, row, text

# This module's states
BROWSING = StateName.BROWSING
PRODUCT = StateName.PRODUCT
SEARCHING = StateName.SEARCHING


def categories(turn: Turn, page: str = "1") -> Result:
    """The category list (paged past ten)."""
    return _categories(turn, page, turn.text("browse_body"))


def _categories(turn: Turn, page: str, body: str) -> Result:
    cats = list(turn.catalog.categories)
    shown, page_no, pages = page_of(cats, int(page) if page.isdigit() else 1)
    rows = [row(f"cat:{c.id}:1", c.label_in(turn.lang), c.description_in(turn.lang)) for c in shown]
    if page_no < pages:
        rows.append(row(f"browse:{page_no + 1}", turn.text("more_row"),
                        turn.text("more_description", page=page_no + 1, pages=pages)))
    return BROWSING, [listing(body, turn.text("browse_button"), rows)]


def _option_summary(turn: Turn, product: Product) -> str:
    """'S/M/L · Blanco/Rojo': the values on offer, in the customer's words (no English plurals)."""
    parts = ["/".join(product.word_in(value, turn.lang) for value, _ok in turn.option_values(product, name))
             for name in product.option_names]
    return " · ".join(p for p in parts if p)


def category(turn: Turn, category_id: str, page: str = "1") -> Result:
    """One category's products as a list message, with a "More…" row past the limit."""
    cat = turn.catalog.category(category_id)
    if cat is None:
        return categories(turn)
    products = turn.catalog.in_category(category_id)
    title = cat.title_in(turn.lang)
    variables = {"title": title, "emoji": cat.emoji, "count": len(products)}
    if not products:
        return BROWSING, [buttons(turn.text("category_empty", category=variables),
                                  [("browse", turn.text("browse_button_short"))])]
    shown, page_no, pages = page_of(products, int(page) if page.isdigit() else 1)
    catalog_id = turn.content.settings.get("whatsapp_catalog_id")
    body = turn.text("category_body", category=variables, page=page_no, pages=pages)
    if catalog_id:
        skus = [v.sku for p in products for v in p.active_variants][:30]
        return BROWSING, [Products(str(catalog_id), title, body, (ProductSection(title, tuple(skus)),))]
    rows = []
    for p in shown:
        low, _high = p.price_range
        description = turn.text("product_row", price=turn.money(low), options=_option_summary(turn, p))
        if not turn.product_in_stock(p):
            description = turn.text("sold_out_mark") + " · " + description
        rows.append(row(f"product:{p.id}", p.name_in(turn.lang), description))
    if page_no < pages:
        rows.append(row(f"cat:{cat.id}:{page_no + 1}", turn.text("more_row"),
                        turn.text("more_description", page=page_no + 1, pages=pages)))
    return BROWSING, [listing(body, turn.text("category_button"), rows, section=title)]


def stock_line(turn: Turn, variants: Iterable[Variant]) -> str:
    variants = [v for v in variants if v.active]
    if not any(turn.in_stock(v) for v in variants):
        return turn.text("stock_out")
    counts = [turn.available(v) for v in variants if turn.in_stock(v)]
    known = [c for c in counts if c is not None]
    if len(known) == len(counts) and sum(known) <= 3:
        return turn.text("stock_low", count=sum(known))
    return turn.text("stock_in")


def _price_text(turn: Turn, product: Product, variant: Variant | None) -> str:
    if variant:
        return turn.money(variant.price)
    low, high = product.price_range
    return turn.money(low) if low == high else f"{turn.money(low)} – {turn.money(high)}"


def card(turn: Turn, product_id: str, variant: Variant | None = None) -> Result:
    """A product card: image with caption (name, price, description, stock) and buttons."""
    product = turn.catalog.product(product_id)
    if product is None or not product.active_variants:
        return categories(turn)
    if variant is None and len(product.active_variants) == 1:
        variant = product.active_variants[0]
    pending = turn.data.get("product") or {}
    same = pending.get("id") == product.id
    chosen = dict(variant.options) if variant else (dict(pending.get("chosen") or {}) if same else {})
    turn.data["product"] = {"id": product.id, "chosen": chosen, "qty": pending.get("qty") if same else None}
    lang = turn.lang
    caption = turn.text("product_caption", product={
        "name": product.name_in(lang) + (f" ({product.options_in(variant, lang)})" if variant and variant.options
                                         else ""),
        "price": _price_text(turn, product, variant),
        "description": product.description_in(lang),
        "stock": stock_line(turn, [variant] if variant else product.variants),
    })
    back = ("cat:" + product.category + ":1", turn.text("back_button"))
    if variant and turn.in_stock(variant):
        options = [(f"add:{variant.sku}", turn.text("add_button"))]
        options.append((f"options:{product.id}", turn.text("change_options_button")) if product.option_names
                       else ("cart", turn.text("view_cart_button")))
        options.append(back)
    elif product.option_names and turn.product_in_stock(product):
        options = [(f"options:{product.id}", turn.text("options_button")), back,
                   ("cart", turn.text("view_cart_button"))]
    else:  # sold out: the customer may ask to hear when it is back
        options = [_notify(turn, product, variant), back, ("cart", turn.text("view_cart_button"))]
    catalog_id = turn.content.settings.get("whatsapp_catalog_id")
    if catalog_id:
        return PRODUCT, [CatalogItem(str(catalog_id), (variant or product.active_variants[0]).sku, caption),
                         buttons(turn.text("choose_option",
                                           option="/".join(product.word_in(n, lang) for n in product.option_names),
                                           product={"name": product.name_in(lang)})
                                 if product.option_names and not variant else turn.text("add_button") + "?", options)]
    image = (variant.image if variant else None) or product.image
    if image:
        where = {"path" if "://" not in image else "url": image}
        return PRODUCT, [Image(caption, buttons=tuple(Button(i, t) for i, t in options), **where)]
    return PRODUCT, [buttons(caption, options)]


def _option_state(turn: Turn, product: Product) -> dict[str, Any]:
    """The options chosen so far for `product` (and a quantity typed before them)."""
    state = turn.data.get("product") or {}
    return state if state.get("id") == product.id else {"id": product.id, "chosen": {}, "qty": None}


def ask_option(turn: Turn, product_id: str) -> Result:
    """Ask for the next option not chosen yet (size, then colour, ...), marking sold-out values."""
    product = turn.catalog.product(product_id)
    if product is None:
        return categories(turn)
    state = _option_state(turn, product)
    chosen = state["chosen"]
    pending = next((n for n in product.option_names if n not in chosen), None)
    if pending is None:  # all chosen: start again from the first option
        chosen.clear()
        pending = product.option_names[0]
    turn.data["product"] = state
    values = turn.option_values(product, pending, chosen)
    sold_out, lang = turn.text("sold_out_mark"), turn.lang
    option, word = product.word_in(pending, lang), product.word_in
    body = turn.text("choose_option", option=option, product={"name": product.name_in(lang)})
    if len(values) <= 3:
        opts = [(f"opt:{product.id}:{pending}:{v}", word(v, lang) if ok else f"{word(v, lang)} ({sold_out})")
                for v, ok in values]
        return PRODUCT, [buttons(body, opts)]
    rows = [row(f"opt:{product.id}:{pending}:{v}", word(v, lang), None if ok else sold_out) for v, ok in values]
    return PRODUCT, [listing(body, turn.text("choose_option_button", option=option), rows)]


def choose_option(turn: Turn, product_id: str, name: str, value: str) -> Result:
    """Record one option; ask the next, or show the chosen variant ready to add."""
    product = turn.catalog.product(product_id)
    if product is None:
        return categories(turn)
    state = _option_state(turn, product)
    state["chosen"][name] = value
    turn.data["product"] = state
    if any(n not in state["chosen"] for n in product.option_names):
        return ask_option(turn, product.id)
    variant = product.variant_for(state["chosen"])
    if variant is None or not turn.in_stock(variant):
        words = ", ".join(product.word_in(v, turn.lang) for v in state["chosen"].values())
        item = f"{product.name_in(turn.lang)} ({words})"
        del state["chosen"][name]
        _state, replies = ask_option(turn, product.id)
        if variant is None:
            return PRODUCT, [text(turn.text("sold_out", item=item)), *replies]
        return PRODUCT, [buttons(turn.text("sold_out", item=item), [_notify(turn, product, variant)]), *replies]
    return card(turn, product.id, variant)


def _notify(turn: Turn, product: Product, variant: Variant | None) -> tuple[str, str]:
    """The "Tell me when it's back" button for a sold-out option (or, with none chosen, the product)."""
    return (f"notify:{product.id}:{variant.sku}" if variant else f"notify:{product.id}", turn.text("notify_button"))


def alert_when_back(turn: Turn, product_id: str, sku: str = "") -> Result:
    """The customer tapped "Tell me when it's back": confirm, and ask the domain to remember it."""
    product = turn.catalog.product(product_id)
    if product is None:
        return categories(turn)
    variant = turn.catalog.variant(sku) if sku else None
    name = product.name_in(turn.lang)
    if variant is not None and variant.options:
        name = f"{name} ({product.options_in(variant, turn.lang)})"
    return PRODUCT, [buttons(turn.text("notify_confirmed", item=name),
                             [("browse", turn.text("keep_shopping_button")), ("cart", turn.text("view_cart_button"))]),
                     AlertWhenBack(product.id, variant.sku if variant else "")]


def suggestions(turn: Turn, query: str) -> str:
    names = [p.name_in(turn.lang) for p in turn.catalog.products if p.active_variants]
    found = process.extract(query, names, scorer=fuzz.partial_ratio, score_cutoff=70, limit=2)
    return formats.either([f"*{name}*" for name, _score, _ in found], turn.content.locale(turn.lang))


def search_results(turn: Turn, query: str, hits: Sequence[Hit]) -> Result:
    """Several matches: a short list; each row adds at once when its variant is known."""
    rows = []
    for hit in hits[:10]:
        variant = hit.variant
        if variant is not None and turn.in_stock(variant):
            rows.append(row(f"add:{variant.sku}", hit.product.name_in(turn.lang),
                            f"{turn.money(variant.price)}"
                            + (f" · {hit.product.options_in(variant, turn.lang)}" if variant.options else "")
                            + " · " + turn.text("add_button")))
        else:
            low, _ = hit.product.price_range
            description = turn.text("product_row", price=turn.money(low), options=_option_summary(turn, hit.product))
            if not turn.product_in_stock(hit.product):
                description = turn.text("sold_out_mark") + " · " + description
            rows.append(row(f"product:{hit.product.id}", hit.product.name_in(turn.lang), description))
    return SEARCHING, [listing(turn.text("search_results", query=query), turn.text("search_results_button"), rows)]


def no_results(turn: Turn, query: str) -> Result:
    body = turn.text("search_none", query=query, suggestions=suggestions(turn, query))
    _state, replies = _categories(turn, "1", body)
    return SEARCHING, replies
