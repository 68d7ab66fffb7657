"""Checkout in chat: name, delivery, address, payment, note, then a summary to confirm.

Each answer fills `data["checkout"]`; `next_step` asks for the first thing
still missing, so an edit, a returning customer's saved details or a website
order that already knows some answers all skip straight to what is left.
Confirm is an effect (`PlaceOrder`): the engine cannot write an order, so
inbound hands it to `bot.commerce.checkout.place_order` in the same transaction.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.commerce import references
from bot.commerce.pricing import quote
from bot.conversation.effects import PlaceOrder
from bot.conversation.events import EventType
from bot.conversation.messages import Buttons, List
from bot.conversation.states import StateName
from bot.conversation.turn import Result, Turn, buttons, listing, row, text

CHECKOUT = StateName.CHECKOUT
MIN_ADDRESS = 8
FIELDS = ("name", "delivery", "address", "payment", "note")


def _details(turn: Turn) -> dict[str, Any]:
    details: dict[str, Any] = turn.data.setdefault("checkout", {})
    return details


def start(turn: Turn) -> Result:
    """From the cart: begin, offering a returning customer's last details."""
    if not turn.cart:
        return CHECKOUT if turn.data.get("checkout") else StateName.CART, [
            buttons(turn.text("checkout_empty"), [("browse", turn.text("browse_button_short"))])]
    existing = turn.data.get("checkout") or {}
    if existing.get("ref"):  # resume: a question or a look at the menu in between loses nothing
        return (existing.get("step") == LAST_DETAILS and _offer_last(turn)) or next_step(turn)
    seed = turn.event.event_id or repr(sorted((x["sku"], x["qty"]) for x in turn.cart))
    turn.data["checkout"] = {"ref": references.make(turn.content.checkout.reference_prefix, seed)}
    return _offer_last(turn) or next_step(turn)


LAST_DETAILS = "last_details"  # the step while "use the same details?" waits for its answer


def _offer_last(turn: Turn) -> Result | None:
    """A returning customer's shortcut: "use the same details as last time?"; None when there are
    none to offer (a first order, a website order with its own, details no longer valid)."""
    details, last = _details(turn), turn.data.get("last_details")
    if not last or details.get("order_ref") or not _valid_last(turn, last):
        return None
    details["step"] = LAST_DETAILS
    body = turn.text("checkout_last_details", last=_describe(turn, last))
    return CHECKOUT, [buttons(body, [("checkout:last", turn.text("use_last_button")),
                                     ("checkout:fresh", turn.text("change_details_button"))])]


def _valid_last(turn: Turn, last: dict[str, Any]) -> bool:
    options = turn.content.checkout
    return bool(options.delivery_option(last.get("delivery")) and options.payment_option(last.get("payment")))


def _describe(turn: Turn, details: dict[str, Any]) -> dict[str, Any]:
    options = turn.content.checkout
    delivery = options.delivery_option(details.get("delivery"))
    payment = options.payment_option(details.get("payment"))
    return {"name": details.get("name", ""), "delivery": delivery.title_in(turn.lang) if delivery else "",
            "address": details.get("address") if delivery and not delivery.pickup else "",
            "payment": payment.title_in(turn.lang) if payment else ""}


def use_last(turn: Turn, choice: str = "last") -> Result:
    details = _details(turn)
    details.pop("step", None)
    if choice == "last":
        last = turn.data.get("last_details") or {}
        details.update({k: last[k] for k in ("name", "delivery", "address", "location", "payment") if k in last})
        details["name_ok"] = True
    return next_step(turn)


def next_step(turn: Turn) -> Result:
    """Ask for the first missing answer, or show the summary."""
    details, options = _details(turn), turn.content.checkout
    if not details.get("ref"):
        return start(turn)
    name = details.get("name") or turn.customer.get("name")
    if not details.get("name_ok"):
        if name and details.get("step") != "name":
            details["step"] = "name_confirm"
            return CHECKOUT, [buttons(turn.text("checkout_name", name=name),
                                      [("checkout:name_ok", turn.text("name_yes_button")),
                                       ("checkout:change:name", turn.text("name_change_button"))])]
        details["step"] = "name"
        return CHECKOUT, [text(turn.text("checkout_name_prompt"))]
    delivery = options.delivery_option(details.get("delivery"))
    if delivery is None:
        details["step"] = "delivery"
        choices = [(f"delivery:{d.id}", d.title_in(turn.lang),
                    turn.text("delivery_row", fee=turn.money(d.fee) if d.fee else turn.text("free"),
                              eta=d.eta_in(turn.lang)))
                   for d in options.delivery]
        return CHECKOUT, [_choose(turn, "delivery_prompt", "delivery_list", choices)]
    if not delivery.pickup and not details.get("address"):
        details["step"] = "address"
        return CHECKOUT, [text(turn.text("address_prompt"))]
    if options.payment_option(details.get("payment")) is None:
        details["step"] = "payment"
        return CHECKOUT, [_choose(turn, "payment_prompt", "payment_list",
                                  [(f"payment:{p.id}", p.title_in(turn.lang), None) for p in options.payment])]
    if "note" not in details:
        details["step"] = "note"
        return CHECKOUT, [buttons(turn.text("note_prompt"), [("checkout:no_note", turn.text("no_note_button"))])]
    details["step"] = "confirm"
    return CHECKOUT, [summary(turn)]


def _choose(turn: Turn, prompt: str, list_title: str,
            choices: Sequence[tuple[str, str, str | None]]) -> Buttons | List:
    """Buttons for up to three choices (when their titles fit), a list otherwise."""
    if len(choices) <= 3 and all(len(title) <= 20 for _i, title, _d in choices):
        body = turn.text(prompt) + "\n" + "\n".join(f"• *{title}*" + (f": {d}" if d else "")
                                                       for _i, title, d in choices)
        return buttons(body, [(i, title) for i, title, _d in choices])
    return listing(turn.text(prompt), turn.text(list_title), [row(i, title, d) for i, title, d in choices])


def order_variables(turn: Turn) -> dict[str, Any]:
    """What the summary template shows, from the cart and the answers so far."""
    details, options = _details(turn), turn.content.checkout
    figures = quote(turn.catalog, options, turn.cart, details.get("delivery"), turn.lang)
    delivery = options.delivery_option(details.get("delivery"))
    payment = options.payment_option(details.get("payment"))
    address = details.get("address")
    if delivery and delivery.pickup:
        address = turn.text("pickup_address")
    return {
        "reference": details.get("order_ref") or details["ref"],
        "name": details.get("name") or turn.customer.get("name") or "",
        "phone": turn.event.phone or "",
        "lines": [{"qty": x.qty, "name": x.name, "options": x.options, "unit": turn.money(x.unit),
                   "total": turn.money(x.total)} for x in figures.lines],
        "subtotal": turn.money(figures.subtotal),
        "delivery": delivery.title_in(turn.lang) if delivery else "",
        "fee": turn.money(figures.fee) if figures.fee else turn.text("free"),
        "eta": delivery.eta_in(turn.lang) if delivery else "",
        "address": address or "",
        "total": turn.money(figures.total),
        "payment": payment.title_in(turn.lang) if payment else "",
        "note": details.get("note") or "",
    }


def summary(turn: Turn) -> Buttons:
    """The order summary the seed prescribes, with Confirm, Edit and Cancel."""
    variables = order_variables(turn)
    return buttons(turn.text("order_summary", order=variables),
                   [(f"confirm:{variables['reference']}", turn.text("confirm_button")),
                    ("checkout:edit", turn.text("edit_button")),
                    ("checkout:cancel", turn.text("cancel_button"))])


def answer(turn: Turn, field: str, value: str) -> Result:
    """A tapped answer: delivery:<id>, payment:<id>."""
    details = _details(turn)
    if not details.get("ref"):
        return start(turn)
    details[field] = value
    if field == "delivery":
        delivery = turn.content.checkout.delivery_option(value)
        if delivery and delivery.pickup:
            details.pop("address", None)
    return next_step(turn)


def typed(turn: Turn) -> Result | None:
    """Typed text or a location during checkout: the answer to the current question."""
    details = _details(turn)
    step, body = details.get("step"), turn.event.text.strip()
    if step == "name" and body:
        details.update(name=body[:120], name_ok=True)
        return next_step(turn)
    if step == "address":
        location = turn.event.data if turn.event.type is EventType.LOCATION else None
        if location:
            place = ", ".join(str(location[k]) for k in ("name", "address") if location.get(k))
            details["address"] = place or f"📍 {location.get('latitude')}, {location.get('longitude')}"
            details["location"] = {k: location.get(k) for k in ("latitude", "longitude", "name", "address")}
            return next_step(turn)
        if len(body) < MIN_ADDRESS:
            return CHECKOUT, [text(turn.text("address_too_short"))]
        details["address"] = body[:500]
        return next_step(turn)
    if step == "note" and body:
        details["note"] = body[:500]
        return next_step(turn)
    return None


def control(turn: Turn, what: str, field: str | None = None) -> Result:
    """checkout:<name_ok|no_note|edit|cancel|change:<field>|last|fresh|next>."""
    details = _details(turn)
    if what in ("last", "fresh"):
        return use_last(turn, what)
    if what == "name_ok":
        details["name"] = details.get("name") or turn.customer.get("name")
        details["name_ok"] = True
    elif what == "no_note":
        details["note"] = ""
    elif what == "cancel":
        turn.data.pop("checkout", None)
        return StateName.CART, [buttons(turn.text("checkout_cancelled"), [("cart", turn.text("view_cart_button")),
                                                                 ("menu", turn.text("back_to_menu"))])]
    elif what == "edit":
        rows = [row(f"checkout:change:{f}", turn.text(f"field_{f}")) for f in FIELDS]
        rows.append(row("edit", turn.text("field_items")))
        return CHECKOUT, [listing(turn.text("edit_prompt"), turn.text("edit_list"), rows)]
    elif what == "change" and field in FIELDS:
        for key in {"name": ("name", "name_ok"), "delivery": ("delivery",), "address": ("address", "location"),
                    "payment": ("payment",), "note": ("note",)}[field]:
            details.pop(key, None)
        details["step"] = "name" if field == "name" else details.get("step")
        if field == "address":
            delivery = turn.content.checkout.delivery_option(details.get("delivery"))
            if delivery and delivery.pickup:
                details.pop("delivery", None)
    return next_step(turn)


def confirm(turn: Turn, reference: str) -> Result:
    """Hand the order to the domain (an action), or say it is already placed."""
    if reference in turn.data.get("placed", []):  # a second tap, or an old summary
        return StateName.MENU, [text(turn.text("order_already_placed", reference=reference))]
    details = turn.data.get("checkout") or {}
    current = details.get("order_ref") or details.get("ref")
    if current != reference or details.get("step") != "confirm":
        return next_step(turn) if details.get("ref") else start(turn)
    return CHECKOUT, [PlaceOrder(reference)]


def match_option(turn: Turn, body: str) -> Result | None:
    """A typed delivery or payment choice ("pickup", "cash"), matched to the options."""
    from rapidfuzz import fuzz, process

    details, options = _details(turn), turn.content.checkout
    step = details.get("step")
    titles: dict[str, str] = {}
    if step == "delivery":
        titles = {d.id: d.title for d in options.delivery}
    elif step == "payment":
        titles = {p.id: p.title for p in options.payment}
    if not titles:
        return None
    best = process.extractOne(body, titles, scorer=fuzz.WRatio, score_cutoff=75)
    return answer(turn, str(step), best[2]) if best else None
