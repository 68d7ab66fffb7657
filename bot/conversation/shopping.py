"""The cart in chat: adding (with quantities), viewing, editing, and WhatsApp's own cart."""
from __future__ import annotations

from typing import Any

from bot.commerce import cart as carts
from bot.commerce.money import MoneyError, parse
from bot.conversation.states import StateName
from bot.conversation.turn import Result, Turn, buttons, listing, row, text

# This module's states
CART = StateName.CART
CART_ITEM = StateName.CART_ITEM


def item_name(turn: Turn, sku: str) -> str:
    variant = turn.catalog.variant(sku)
    if variant is None:
        return sku
    product = turn.catalog.product_of(variant)
    name = product.name_in(turn.lang)
    return f"{name} ({product.options_in(variant, turn.lang)})" if variant.options else name


def _refusal(turn: Turn, exc: carts.CartError) -> str:
    if isinstance(exc, carts.SoldOut):
        return turn.text("sold_out", item=item_name(turn, exc.variant.sku))
    if isinstance(exc, carts.NotEnoughStock):
        return turn.text("not_enough_stock", item=item_name(turn, exc.variant.sku),
                         available=exc.available, in_cart=exc.in_cart)
    return turn.text("too_many", limit=carts.MAX_QUANTITY)


def cart_summary(turn: Turn) -> dict[str, Any]:
    view = carts.view(turn.cart, turn.catalog, turn.lang)
    return {"count": view.count, "subtotal": turn.money(view.subtotal)}


def after_add_buttons(turn: Turn) -> list[tuple[str, str]]:
    return [("cart", turn.text("view_cart_button")), ("checkout", turn.text("checkout_button")),
            ("browse", turn.text("keep_shopping_button"))]


def add(turn: Turn, sku: str, qty: str | int | None = None) -> Result:
    """Add `qty` (or the quantity the customer typed earlier, or 1) of a SKU."""
    variant = turn.catalog.variant(sku)
    if variant is None or not variant.active:
        return CART, [text(turn.text("sold_out", item=sku))]
    pending = turn.data.get("product") or {}
    if qty is None:
        qty = pending.get("qty") if pending.get("id") == variant.product_id and pending.get("qty") else 1
    qty = int(qty if qty is not None else 1)  # never None here: the typed or the pending quantity
    try:
        turn.cart = carts.add(turn.cart, variant, qty, turn.available(variant))
    except carts.CartError as exc:
        options = [("cart", turn.text("view_cart_button")), ("browse", turn.text("keep_shopping_button"))]
        if isinstance(exc, carts.SoldOut):  # the customer may ask to hear when it is back
            options.insert(0, (f"notify:{variant.product_id}:{variant.sku}", turn.text("notify_button")))
        return CART, [buttons(_refusal(turn, exc), options)]
    turn.data.pop("product", None)
    body = turn.text("added", quantity=qty, item=item_name(turn, sku), cart=cart_summary(turn))
    return CART, [buttons(body, after_add_buttons(turn))]


def show(turn: Turn, notes: list[str] | None = None) -> Result:
    """The cart with its lines, line totals and subtotal, noting price changes."""
    view = carts.view(turn.cart, turn.catalog, turn.lang)
    turn.cart = view.repriced
    notes = list(notes or [])
    notes += [turn.text("price_changed", name=c.name, old=turn.money(c.old), new=turn.money(c.new))
              for c in view.price_changes]
    notes += [turn.text("item_gone", name=name) for name in view.gone]
    if not view.lines:
        body = "\n".join([turn.text("cart_empty"), *notes])
        return CART, [buttons(body, [("browse", turn.text("browse_button_short")),
                                     ("menu", turn.text("back_to_menu"))])]
    lines = [{"qty": x.qty, "name": x.name, "options": x.options, "unit": turn.money(x.unit),
              "total": turn.money(x.total)} for x in view.lines]
    body = turn.text("cart_body", cart={"lines": lines, "count": view.count,
                                         "subtotal": turn.money(view.subtotal), "notes": notes})
    return CART, [buttons(body, cart_buttons(turn))]


def cart_buttons(turn: Turn) -> list[tuple[str, str]]:
    return [("checkout", turn.text("checkout_button")), ("edit", turn.text("edit_cart_button")),
            ("browse", turn.text("keep_shopping_button"))]


def edit(turn: Turn) -> Result:
    """Pick a line to change."""
    view = carts.view(turn.cart, turn.catalog, turn.lang)
    if not view.lines:
        return show(turn)
    rows = [row(f"item:{x.sku}", x.name, f"{x.qty} × {turn.money(x.unit)}" + (f" · {x.options}" if x.options else ""))
            for x in view.lines[:9]]
    rows.append(row("empty", turn.text("empty_cart_button")))
    return CART, [listing(turn.text("edit_cart_body"), turn.text("edit_cart_list"), rows)]


def item(turn: Turn, sku: str) -> Result:
    """One line, with +1, −1 and Remove; a typed number sets the quantity."""
    line = next((x for x in carts.view(turn.cart, turn.catalog, turn.lang).lines if x.sku == sku), None)
    if line is None:
        return show(turn)
    turn.data["item"] = sku
    body = turn.text("cart_item", line={"qty": line.qty, "name": line.name, "options": line.options,
                                        "unit": turn.money(line.unit), "total": turn.money(line.total)})
    return CART_ITEM, [buttons(body, [(f"more:{sku}", turn.text("more_button")),
                                      (f"less:{sku}", turn.text("less_button")),
                                      (f"rm:{sku}", turn.text("remove_button"))])]


def set_quantity(turn: Turn, sku: str, qty: int) -> Result:
    variant = turn.catalog.variant(sku)
    if variant is None:
        return show(turn)
    try:
        turn.cart = carts.set_quantity(turn.cart, variant, qty, turn.available(variant))
    except carts.CartError as exc:
        _state, replies = item(turn, sku)
        return CART_ITEM, [text(_refusal(turn, exc)), *replies]
    if qty <= 0:
        return remove(turn, sku)
    return item(turn, sku)


def more(turn: Turn, sku: str) -> Result:
    return set_quantity(turn, sku, carts.quantity_of(turn.cart, sku) + 1)


def less(turn: Turn, sku: str) -> Result:
    return set_quantity(turn, sku, carts.quantity_of(turn.cart, sku) - 1)


def remove(turn: Turn, sku: str) -> Result:
    turn.cart = carts.remove(turn.cart, sku)
    turn.data.pop("item", None)
    return show(turn, [turn.text("removed", item=item_name(turn, sku))])


def empty(turn: Turn) -> Result:
    turn.cart = []
    return CART, [buttons(turn.text("emptied"), [("browse", turn.text("browse_button_short")),
                                                 ("menu", turn.text("back_to_menu"))])]


def native_order(turn: Turn) -> Result:
    """WhatsApp's own cart (an `order` message) becomes our cart, at our prices.

    Unknown SKUs are named to the customer; a price in the message that
    differs from the catalog's is noted, and the catalog's price wins.
    """
    order = turn.event.data or {}
    lines: list[dict[str, Any]] = []
    notes: list[str] = []
    unknown: list[str] = []
    for entry in order.get("product_items") or []:
        sku = str(entry.get("product_retailer_id", ""))
        variant = turn.catalog.variant(sku)
        if variant is None or not variant.active:
            unknown.append(sku)
            continue
        qty = int(entry.get("quantity") or 1)
        try:
            lines = carts.add(lines, variant, qty, turn.available(variant))
        except carts.CartError as exc:
            notes.append(_refusal(turn, exc))
            continue
        try:
            their_price = parse(str(entry.get("item_price")), variant.currency)
        except (MoneyError, KeyError):
            their_price = variant.price
        if their_price != variant.price:
            notes.append(turn.text("order_price_note", name=item_name(turn, sku),
                                   old=turn.money(their_price), new=turn.money(variant.price)))
    if unknown:
        notes.insert(0, turn.text("order_unknown_items", skus=", ".join(unknown)))
    turn.cart = lines
    state, replies = show(turn, notes)
    return state, [text(turn.text("order_received")), *replies]
