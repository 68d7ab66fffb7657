"""The conversation engine: `step(content, state, event) -> (state, replies)`.

Pure: no database, no network, no clock. Everything a customer sees is
decided here and returned as message specs that the caller writes to the
outbox in the same transaction as the new state.

A tapped button or list row carries its whole meaning in its id
(`product:linen-shirt`, `add:TEE-RED-M`), so old buttons keep working in any
state. Typed text goes through the global commands (flows/intents.yaml, then
the language packs' `commands`), then the current state's own reading (a
number on a product card is a quantity), then product search.
"""
from __future__ import annotations

import copy
import inspect
from collections.abc import Mapping
from typing import Callable

from bot.content import shop as content_shop
from bot.content.shop import Content
from bot.commerce import links, references
from bot.conversation import browse, checkout_flow, free_text, funnel, shopping
from bot.conversation.events import Event, EventType, State
from bot.conversation.parsing import asks_order_status, bare_quantity, command, quantity_and_rest
from bot.conversation.turn import Result, Turn, buttons, listing, row, text

# States (the others live with their handlers: browse.BROWSING, shopping.CART, ...)
NEW = "new"
MENU = "menu"
HANDOFF = "handoff"  # a person from the team has the chat; the bot stays quiet


def main_menu(turn: Turn, greeting: str | None = None) -> dict:
    """The main menu as a WhatsApp list message."""
    body = turn.text("menu_body")
    if greeting:
        body = f"{greeting}\n\n{body}"
    lang, default = turn.lang, turn.content.default_language
    rows = [row(f"menu:{item.id}", item.title(lang, default), item.description(lang, default))
            for item in turn.content.menu]
    return listing(body, turn.text("menu_button"), rows, header=turn.content.menu_header)


def show_menu(turn: Turn) -> Result:
    return MENU, [main_menu(turn)]


def greet(turn: Turn) -> Result:
    return MENU, [main_menu(turn, turn.text("greeting"))]


def back_to_menu(turn: Turn, body: str) -> dict:
    """`body` with one "Main menu" button, so the customer is never stuck."""
    return buttons(body, [("menu", turn.text("back_to_menu"))])


def start_search(turn: Turn) -> Result:
    return browse.SEARCHING, [text(turn.text("search_prompt"))]


#: What a menu item's `action:` does.
MENU_ACTIONS: dict[str, Callable[[Turn], Result]] = {
    "browse": browse.categories,
    "search": start_search,
    "cart": shopping.show,
    "orders": lambda turn: (MENU, [{"type": "action", "action": "order_status"}]),
}


assert set(MENU_ACTIONS) == set(content_shop.MENU_ACTIONS), "flows' menu actions and the engine disagree"


def menu_item(turn: Turn, item_id: str) -> Result:
    item = turn.content.menu_item(item_id)
    if item is None:
        return show_menu(turn)
    if item.action:
        return MENU_ACTIONS[item.action](turn)
    reply = item.reply(turn.lang, turn.content.default_language)
    return MENU, [back_to_menu(turn, reply.render(shop=turn.content.shop, customer=turn.customer).strip())]


def hand_over(reason: str, detail: str | None = None) -> dict:
    """An action asking inbound to open a handoff; it answers with what happens next."""
    return {"type": "action", "action": "handoff", "reason": reason, "detail": detail}


def talk(turn: Turn) -> Result:
    """Talk to a person: the chat goes to the staff inbox and the bot stays quiet."""
    return HANDOFF, [hand_over("person"), free_text.record("person")]


def handed_over(turn: Turn) -> Result:
    """While a person has the chat, only a few commands reach the bot; the rest waits for staff.

    "menu" gives the chat back to the bot when the owner allows it
    (`handoff.menu_returns_to_bot`); "person" repeats what happens next;
    "stop" and "start" always work.
    """
    event = turn.event
    name = event.choice.split(":")[0] if event.choice else (
        intent_of(turn, event.text) if event.type is EventType.TEXT else None)
    if name == "menu" and turn.content.handoff.menu_returns_to_bot:
        turn.data["misses"] = 0
        state, replies = show_menu(turn)
        return state, [{"type": "action", "action": "handoff_end"}] + replies
    if name in ("person", "talk"):
        return HANDOFF, [hand_over("person")]
    if name in ("stop", "start"):
        _state, replies = COMMANDS[name](turn)
        return HANDOFF, replies
    return HANDOFF, []


def cancel(turn: Turn) -> Result:
    if turn.data.get("checkout"):
        return checkout_flow.control(turn, "cancel")
    return MENU, [back_to_menu(turn, turn.text("nothing_to_cancel"))]


def stop(turn: Turn) -> Result:
    turn.data["opted_out"] = True
    return MENU, [text(turn.text("stop_confirmed")), {"type": "action", "action": "opt_out", "out": True}]


def start_again(turn: Turn) -> Result:
    turn.data.pop("opted_out", None)
    return MENU, [text(turn.text("start_confirmed")), {"type": "action", "action": "opt_out", "out": False}]


def choose_language(turn: Turn) -> Result:
    """The shop's languages, each by its own name (its language pack's `name`, else its code)."""
    packs = turn.content.packs
    rows = [row(f"lang:{code}", packs[code].name if code in packs else code) for code in turn.content.languages]
    return MENU, [listing(turn.text("language_prompt"), turn.text("language_list"), rows)]


def set_language(turn: Turn, code: str) -> Result:
    if code not in turn.content.languages:
        return choose_language(turn)
    turn.data["language"], turn.data["language_locked"] = code, True
    return MENU, [back_to_menu(turn, turn.text("language_set"))]


#: Global commands, typed or tapped, in every state (their words are in flows/intents.yaml).
COMMANDS: dict[str, Callable[[Turn], Result]] = {
    "menu": show_menu,
    "greeting": greet,
    "cart": shopping.show,
    "browse": browse.categories,
    "search": start_search,
    "checkout": checkout_flow.start,
    "order_status": lambda turn: (MENU, [{"type": "action", "action": "order_status"}]),
    "cancel": cancel,
    "help": lambda turn: (MENU, [back_to_menu(turn, turn.text("help_body"))]),
    "person": talk,
    "stop": stop,
    "start": start_again,
    "language": choose_language,
    "thanks": lambda turn: (MENU, [text(turn.text("thanks_reply"))]),
}

#: Button and row ids: "prefix:arg:arg" -> handler(turn, *args).
CHOICES: dict[str, Callable[..., Result]] = {
    "menu": lambda turn, item_id=None: menu_item(turn, item_id) if item_id else show_menu(turn),
    "browse": browse.categories,
    "cat": browse.category,
    "product": browse.card,
    "options": browse.ask_option,
    "opt": browse.choose_option,
    "add": shopping.add,
    "cart": shopping.show,
    "edit": shopping.edit,
    "item": shopping.item,
    "more": shopping.more,
    "less": shopping.less,
    "rm": shopping.remove,
    "empty": shopping.empty,
    "search": start_search,
    "checkout": lambda turn, what=None, field=None: (checkout_flow.control(turn, what, field) if what
                                                      else checkout_flow.start(turn)),
    "delivery": lambda turn, option: checkout_flow.answer(turn, "delivery", option),
    "payment": lambda turn, option: checkout_flow.answer(turn, "payment", option),
    "confirm": checkout_flow.confirm,
    "cancel_order": lambda turn, reference: (MENU, [
        {"type": "action", "action": "cancel_order", "reference": reference}]),
    "track": lambda turn, reference=None: (MENU, [
        {"type": "action", "action": "order_status", **({"reference": reference} if reference else {})}]),
    "talk": talk,
    "faq": free_text.answer,
    "lang": set_language,
}


def _choice(turn: Turn, choice: str) -> Result:
    prefix, *args = choice.split(":")
    handler = CHOICES.get(prefix)
    if handler is None:
        return show_menu(turn)
    try:
        inspect.signature(handler).bind(turn, *args)
    except TypeError:  # a malformed id (an old or hand-typed payload): show the menu
        return show_menu(turn)
    return handler(turn, *args)


def _typed_quantity(turn: Turn, state: str, qty: int) -> Result | None:
    """A bare number means a quantity on a product card or a cart line."""
    if state == shopping.CART_ITEM and turn.data.get("item"):
        return shopping.set_quantity(turn, turn.data["item"], qty)
    pending = turn.data.get("product")
    if state == browse.PRODUCT and pending:
        product = turn.catalog.product(pending["id"])
        variant = product.variant_for(pending["chosen"]) if product else None
        if variant is not None:
            return shopping.add(turn, variant.sku, qty)
        if product is not None:
            pending["qty"] = qty
            return browse.ask_option(turn, product.id)
    return None


def _shop_text(turn: Turn, typed: str) -> Result:
    """Free text: a SKU, a product search (with an optional quantity), an FAQ, or the fallback."""
    qty, wanted = quantity_and_rest(typed, turn.content.words)
    variant = turn.catalog.variant(wanted.strip().upper()) or turn.catalog.variant(wanted.strip())
    if variant is not None:
        return shopping.add(turn, variant.sku, qty or 1)
    hits = turn.catalog.search.search(wanted)
    faq = turn.content.matcher.faq(typed)
    limits = free_text.settings(turn)
    top_faq = faq[0][1] if faq else 0
    top_search = hits[0].score if hits else 0
    shopping_words = bool(qty) or free_text.looks_like_shopping(typed, turn.content.words)
    names_a_variant = bool(hits) and top_search >= 80 and hits[0].variant is not None and bool(hits[0].variant.options)
    if top_faq >= limits["faq_confident"] and not (shopping_words and top_search >= 60) and not names_a_variant and (
            top_search < 75 or top_faq >= top_search):
        close = [m for m in faq[1:] if m[1] >= max(top_faq - limits["close_call"], limits["faq_minimum"])]
        return free_text.did_you_mean(turn, faq) if close else free_text.answer(turn, faq[0][0])
    if not hits or top_search < 60:
        if top_faq >= limits["faq_minimum"]:
            return free_text.did_you_mean(turn, faq)
        if not hits and not shopping_words:
            return free_text.fallback(turn, typed)
    if not hits:
        state, replies = browse.no_results(turn, wanted)
        return state, replies + [free_text.record("search_none", None, wanted[:500])]
    turn.data["misses"] = 0
    top = hits[0]
    confident = top.score >= 75 and (len(hits) == 1 or hits[1].score <= top.score - 15)
    if confident:
        if qty and top.variant is not None and turn.in_stock(top.variant):
            turn.data["product"] = {"id": top.product.id, "chosen": dict(top.variant.options), "qty": qty}
            return shopping.add(turn, top.variant.sku, qty)
        turn.data["product"] = {"id": top.product.id, "chosen": dict(top.options or {}), "qty": qty}
        return browse.card(turn, top.product.id, top.variant)
    return browse.search_results(turn, wanted, hits)


def intent_of(turn: Turn, body: str) -> str | None:
    return turn.content.matcher.intent(body) or command(body, turn.content.words)


def _in_checkout(turn: Turn) -> Result | None:
    """During checkout, typed text and locations answer the current question; "cancel"
    cancels the checkout; other global commands still work (the checkout waits)."""
    event = turn.event
    if intent_of(turn, event.text) == "cancel":
        return checkout_flow.control(turn, "cancel")
    if intent_of(turn, event.text) is not None:
        return None
    if event.type in (EventType.TEXT, EventType.LOCATION):
        handled = checkout_flow.typed(turn)
        if handled is None and event.type is EventType.TEXT:
            handled = checkout_flow.match_option(turn, event.text)
        if handled is None and event.type is EventType.LOCATION:
            handled = checkout_flow.next_step(turn)
        return handled  # None: a question or a search mid-checkout; the checkout waits ("checkout" resumes)
    return None


def _handle(turn: Turn, state: str) -> Result:
    event = turn.event
    if event.choice is not None:
        return _choice(turn, event.choice)
    if event.type is EventType.ORDER:
        return shopping.native_order(turn)
    keyword = free_text.handoff_keyword(turn, event.text) if event.type is EventType.TEXT else None
    if keyword:
        return HANDOFF, [hand_over("keyword", keyword)]
    if state == checkout_flow.CHECKOUT:
        handled = _in_checkout(turn)
        if handled is not None:
            return handled
    if event.type in (EventType.MEDIA, EventType.UNSUPPORTED, EventType.CONTACTS) and not event.text.strip():
        return state, [buttons(turn.text("media_reply"), [("menu", turn.text("menu_button_short")),
                                                          ("talk", turn.text("person_button"))])]
    if event.type is not EventType.TEXT or not event.text.strip():
        return state, [back_to_menu(turn, turn.text("not_understood"))]
    name = intent_of(turn, event.text)
    if name is not None:
        next_state, replies = COMMANDS[name](turn)
        return next_state, replies + [free_text.record("intent", name)]
    if free_text.is_emoji_only(event.text):
        return state, [text(turn.text("emoji_reply"))]
    reference = references.find(turn.content.checkout.reference_prefix, event.text)
    if reference:
        return state, [{"type": "action", "action": "find_order", "reference": reference}]
    if asks_order_status(event.text, turn.content.words):
        return MENU, [{"type": "action", "action": "order_status"}]
    product_id, source = links.marks(event.text)
    if source:
        turn.data.setdefault("source", source)
    if product_id and turn.catalog.product(product_id):  # a product's click-to-chat link
        return browse.card(turn, product_id)
    if source:  # the general click-to-chat link: a greeting with the menu
        return show_menu(turn)
    qty = bare_quantity(event.text, turn.content.words)
    if qty is not None:
        handled = _typed_quantity(turn, state, qty)
        if handled is not None:
            return handled
    return _shop_text(turn, event.text)


def step(content: Content, state: State, event: Event,
         stock: Mapping[str, int | None] | None = None) -> tuple[State, list[dict]]:
    """Advance the conversation by one customer message.

    `stock` gives the units for sale now per SKU (the database's levels in
    production, a dict in tests); without it the catalog's counts are used.
    """
    if event.type in (EventType.SILENT, EventType.REACTION):
        return state, []
    data = copy.deepcopy(state.data)
    if event.profile_name and not data.get("name"):
        data["name"] = event.profile_name
    if event.type is EventType.TEXT and not data.get("language_locked") and data.get("seen", 0) < 3:
        detected = content.matcher.language(event.text) if content.matcher else None
        if detected:
            data["language"] = detected
    data["seen"] = data.get("seen", 0) + 1
    turn = Turn(content, data, event, stock)
    greeting: list[dict] = []
    if state.name == NEW and event.choice is None and event.type is not EventType.ORDER:
        first = intent_of(turn, event.text)
        if first in (None, "greeting"):
            if first == "greeting" or not event.text.strip():
                name, replies = greet(turn)
                return State(name, turn.data), replies + [free_text.record("intent", "greeting")]
            greeting = [text(turn.text("greeting"))]
    if event.data.get("card_redacted"):  # only the warning: the rest of such a message is not an order
        return State(state.name, turn.data), greeting + [text(turn.text("card_warning"))]
    if state.name == HANDOFF:
        name, replies = handed_over(turn)
        return State(name, turn.data), replies
    name, replies = _handle(turn, state.name)
    return State(name, turn.data), greeting + replies + funnel.events(state.data, turn.data)
