"""The global commands and tapped choices, declared once and reachable from every state.

Typed commands ("menu", "cart", "help", "person", "cancel", "stop"...) have
their words in flows/intents.yaml and the language packs; a tapped button or
list row carries its whole meaning in its id (`product:linen-shirt`,
`add:TEE-RED-M`), so old buttons keep working in any state. These are
python-telegram-bot's "fallbacks": what works whatever state the
conversation is in (the states' own handlers are in `engine.STATES`).
"""
from __future__ import annotations

import inspect
from collections.abc import Callable

from bot.commerce import links
from bot.content import shop as content_shop
from bot.conversation import browse, checkout_flow, consent_flow, free_text, shopping
from bot.conversation.effects import (
    CancelOrder,
    Handoff,
    HandoffEnd,
    OrderStatus,
)
from bot.conversation.events import EventType
from bot.conversation.messages import Buttons, List
from bot.conversation.parsing import command
from bot.conversation.states import StateName
from bot.conversation.turn import Result, Turn, buttons, listing, row, text

MENU, HANDOFF = StateName.MENU, StateName.HANDOFF


def intent_of(turn: Turn, body: str) -> str | None:
    """The global command `body` asks for, if any (the owner's intents first, then the language packs)."""
    return turn.content.matcher.intent(body) or command(body, turn.content.words)


def main_menu(turn: Turn, greeting: str | None = None) -> List:
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


def back_to_menu(turn: Turn, body: str) -> Buttons:
    """`body` with one "Main menu" button, so the customer is never stuck."""
    return buttons(body, [("menu", turn.text("back_to_menu"))])


def start_search(turn: Turn) -> Result:
    return StateName.SEARCHING, [text(turn.text("search_prompt"))]


def order_status(turn: Turn, reference: str | None = None) -> Result:
    """"Where is my order?": the domain looks the orders up."""
    return MENU, [OrderStatus(reference)]


#: What a menu item's `action:` does.
MENU_ACTIONS: dict[str, Callable[[Turn], Result]] = {
    "browse": browse.categories,
    "search": start_search,
    "cart": shopping.show,
    "orders": order_status,
    "offers": consent_flow.from_menu,
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


def talk(turn: Turn) -> Result:
    """Talk to a person: the chat goes to the staff inbox and the bot stays quiet."""
    return HANDOFF, [Handoff("person"), free_text.record("person")]


def handed_over(turn: Turn) -> Result:
    """While a person has the chat, only a few commands reach the bot; the rest waits for staff.

    "menu" gives the chat back to the bot when the owner allows it
    (`handoff.menu_returns_to_bot`); "person" repeats what happens next;
    "stop" and "start" always work, and so does a template's stop button. The cart's checkout link, which staff
    share for exactly this, gives the chat back to the bot for the checkout.
    """
    event = turn.event
    if event.type is EventType.TEXT and links.asks_checkout(event.text):
        state, replies = checkout_flow.start(turn)
        return state, [HandoffEnd(), *replies]
    name = event.choice.split(":")[0] if event.choice else (
        intent_of(turn, event.text) if event.type is EventType.TEXT else None)
    if name == "menu" and turn.content.handoff.menu_returns_to_bot:
        turn.data["misses"] = 0
        state, replies = show_menu(turn)
        return state, [HandoffEnd(), *replies]
    if name in ("person", "talk"):
        return HANDOFF, [Handoff("person")]
    if event.choice in ("offers:stop", "stop"):  # a marketing template's stop button
        _state, replies = consent_flow.stop_offers(turn)
        return HANDOFF, replies
    if name in ("stop", "start"):
        _state, replies = COMMANDS[name](turn)
        return HANDOFF, replies
    return HANDOFF, []


def cancel(turn: Turn) -> Result:
    if turn.data.get("checkout"):
        return checkout_flow.control(turn, "cancel")
    return MENU, [back_to_menu(turn, turn.text("nothing_to_cancel"))]


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
    "order_status": order_status,
    "cancel": cancel,
    "help": lambda turn: (MENU, [back_to_menu(turn, turn.text("help_body"))]),
    "person": talk,
    "stop": consent_flow.stop,
    "start": consent_flow.start,
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
    "cancel_order": lambda turn, reference: (MENU, [CancelOrder(reference)]),
    "track": order_status,
    "talk": talk,
    "faq": free_text.answer,
    "lang": set_language,
    "offers": consent_flow.answer,
    "notify": browse.alert_when_back,
    # A marketing template's stop button sent before it carried `offers:stop`: offers only, as it said.
    "stop": consent_flow.stop_offers,
}


def choice(turn: Turn, chosen: str) -> Result:
    """A tapped button or row, by the prefix of its id; a malformed id shows the menu."""
    prefix, *args = chosen.split(":")
    handler = CHOICES.get(prefix)
    if handler is None:
        return show_menu(turn)
    try:
        inspect.signature(handler).bind(turn, *args)
    except TypeError:  # a malformed id (an old or hand-typed payload): show the menu
        return show_menu(turn)
    return handler(turn, *args)
