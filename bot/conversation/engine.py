"""The conversation engine: `step(content, state, event, stock) -> (state, replies)`.

Pure: no database, no network, no clock. Everything a customer sees is
decided here and returned as typed messages (`bot.conversation.messages`),
and everything the domain must do as typed effects
(`bot.conversation.effects`); the caller carries out the effects and writes
the messages to the outbox in the same transaction as the new state. What
the engine needs to know from the database (stock levels) comes in as plain
data.

The model is python-telegram-bot's ConversationHandler: `NEW` has an entry
point (the greeting), each state has its handlers in one table (`STATES`),
and the global commands and tapped choices (`bot.conversation.commands`)
work in every state. A message goes, in order, through: a tapped choice,
WhatsApp's cart, the owner's handoff keywords, the state's own reading of
typed text, then the fallbacks (commands, an order reference, a link, a
bare quantity — which the state reads — and product search).
"""
from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from bot.commerce import links, references
from bot.content.shop import Content
from bot.conversation import browse, checkout_flow, free_text, funnel, on_screen, shopping
from bot.conversation.commands import (
    COMMANDS,
    back_to_menu,
    choice,
    greet,
    handed_over,
    intent_of,
    show_menu,
)
from bot.conversation.effects import FindOrder, Handoff, OrderStatus
from bot.conversation.events import Event, EventType, State
from bot.conversation.parsing import asks_order_status, bare_quantity, order_number, quantity_and_rest
from bot.conversation.states import StateName
from bot.conversation.turn import Reply, Result, Turn, buttons, text

# The states the callers and tests name most (all of them: StateName).
NEW, MENU, HANDOFF = StateName.NEW, StateName.MENU, StateName.HANDOFF

__all__ = ["HANDOFF", "MENU", "NEW", "STATES", "Handling", "step"]


def in_checkout(turn: Turn) -> Result | None:
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


def quantity_on_card(turn: Turn, qty: int) -> Result | None:
    """A bare number on a product card: that many of the chosen variant (or ask its options)."""
    pending = turn.data.get("product")
    if not pending:
        return None
    product = turn.catalog.product(pending["id"])
    variant = product.variant_for(pending["chosen"]) if product else None
    if variant is not None:
        return shopping.add(turn, variant.sku, qty)
    if product is not None:
        pending["qty"] = qty
        return browse.ask_option(turn, product.id)
    return None


def quantity_of_line(turn: Turn, qty: int) -> Result | None:
    """A bare number on a cart line: its new quantity."""
    return shopping.set_quantity(turn, turn.data["item"], qty) if turn.data.get("item") else None


@dataclass(frozen=True)
class Handling:
    """How one state reads a message, beyond the global commands and choices.

    `reads`: the state's own reading, tried after a tapped choice and before
    the global commands (None: the state has none, or lets the message
    through). `quantity`: what a bare typed number means here. `alone`:
    `reads` answers every message and nothing else runs (a person has the chat).
    """
    reads: Callable[[Turn], Result | None] | None = None
    quantity: Callable[[Turn, int], Result | None] | None = None
    alone: bool = False


#: Every state and its handlers (NEW's entry point, the greeting, is in `step`).
STATES: dict[StateName, Handling] = {
    StateName.NEW: Handling(),
    StateName.MENU: Handling(),
    StateName.HANDOFF: Handling(reads=handed_over, alone=True),
    StateName.BROWSING: Handling(),
    StateName.PRODUCT: Handling(reads=on_screen.on_card, quantity=quantity_on_card),
    StateName.SEARCHING: Handling(),
    StateName.CART: Handling(reads=on_screen.on_cart),
    StateName.CART_ITEM: Handling(reads=on_screen.on_cart, quantity=quantity_of_line),
    StateName.CHECKOUT: Handling(reads=in_checkout),
}
assert set(STATES) == set(StateName), "a state without its handlers"


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
        return state, [*replies, free_text.record("search_none", None, wanted[:500])]
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


def _fallbacks(turn: Turn, state: StateName, handling: Handling) -> Result:
    """Typed text no state claimed: commands, an order reference, a link, a quantity, a search."""
    event = turn.event
    if event.type in (EventType.MEDIA, EventType.UNSUPPORTED, EventType.CONTACTS) and not event.text.strip():
        return state, [buttons(turn.text("media_reply"), [("menu", turn.text("menu_button_short")),
                                                          ("talk", turn.text("person_button"))])]
    if event.type is not EventType.TEXT or not event.text.strip():
        return state, [back_to_menu(turn, turn.text("not_understood"))]
    name = intent_of(turn, event.text)
    if name is not None:
        next_state, replies = COMMANDS[name](turn)
        return next_state, [*replies, free_text.record("intent", name)]
    if free_text.is_emoji_only(event.text):
        return state, [text(turn.text("emoji_reply"))]
    reference = references.find(turn.content.checkout.reference_prefix, event.text)
    if reference:
        return state, [FindOrder(reference)]
    if asks_order_status(event.text, turn.content.words):
        return MENU, [OrderStatus(typed=order_number(event.text, turn.content.words))]
    typed_number = order_number(event.text, turn.content.words)
    if typed_number:  # "my order number is 99812", "status ABC-12345": not our references' shape
        return MENU, [OrderStatus(typed=typed_number)]
    product_id, source = links.marks(event.text)
    if source:
        turn.data.setdefault("source", source)
    if product_id and turn.catalog.product(product_id):  # a product's click-to-chat link
        return browse.card(turn, product_id)
    if source:  # the general click-to-chat link: a greeting with the menu
        return show_menu(turn)
    qty = bare_quantity(event.text, turn.content.words)
    if qty is not None and handling.quantity is not None:
        handled = handling.quantity(turn, qty)
        if handled is not None:
            return handled
    return _shop_text(turn, event.text)


def _handle(turn: Turn, state: StateName, handling: Handling) -> Result:
    """One message in `state`: a choice, WhatsApp's cart, a watched word, the state's reading, the fallbacks."""
    event = turn.event
    if event.choice is not None:
        return choice(turn, event.choice)
    if event.type is EventType.ORDER:
        return shopping.native_order(turn)
    if event.type is EventType.TEXT and links.asks_checkout(event.text):  # the cart's checkout link
        return checkout_flow.start(turn)
    if event.type is EventType.TEXT and links.asks_cart(event.text):  # the abandoned-cart reminder's link
        return shopping.show(turn)
    keyword = free_text.handoff_keyword(turn, event.text) if event.type is EventType.TEXT else None
    if keyword:
        return HANDOFF, [Handoff("keyword", keyword)]
    if handling.reads is not None:
        handled = handling.reads(turn)
        if handled is not None:
            return handled
    return _fallbacks(turn, state, handling)


def _state_name(name: str) -> StateName:
    """A stored state as a member; an unknown one (renamed since) reads as the menu's."""
    try:
        return StateName(name)
    except ValueError:
        return MENU


def step(content: Content, state: State, event: Event,
         stock: Mapping[str, int | None] | None = None) -> tuple[State, list[Reply]]:
    """Advance the conversation by one customer message.

    `stock` gives the units for sale now per SKU, read by the caller before
    the step (the database's levels in production, a dict in tests); without
    it the catalog's counts are used.
    """
    if event.type in (EventType.SILENT, EventType.REACTION):
        return state, []
    data = copy.deepcopy(state.data)
    if event.profile_name and not data.get("name"):
        data["name"] = event.profile_name
    if event.type is EventType.TEXT and not data.get("language_locked") and content.matcher:
        # The first messages set the language on any clear sign; later, only a confident one switches it.
        detected = content.matcher.language(event.text, confident=bool(data.get("language"))
                                                   and data.get("seen", 0) >= 3)
        if detected:
            data["language"] = detected
    data["seen"] = data.get("seen", 0) + 1
    turn = Turn(content, data, event, stock)
    current = _state_name(state.name)
    greeting: list[Reply] = []
    if current is NEW and event.choice is None and event.type is not EventType.ORDER:  # the entry point
        first = intent_of(turn, event.text)
        if first in (None, "greeting"):
            if first == "greeting" or not event.text.strip():
                name, replies = greet(turn)
                return State(name, turn.data), [*replies, free_text.record("intent", "greeting")]
            greeting = [text(turn.text("greeting"))]
    if event.data.get("card_redacted"):  # only the warning: the rest of such a message is not an order
        return State(state.name, turn.data), [*greeting, text(turn.text("card_warning"))]
    handling = STATES[current]
    if handling.alone and handling.reads is not None:
        name, replies = handling.reads(turn) or (current, [])
        return State(name, turn.data), replies
    name, replies = _handle(turn, current, handling)
    return State(name, turn.data), [*greeting, *replies, *funnel.events(state.data, turn.data)]
