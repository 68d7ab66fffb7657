"""The conversation engine: `step(content, state, event) -> (state, replies)`.

Pure: no database, no network, no clock. Everything a customer sees is
decided here and returned as message specs that the caller writes to the
outbox in the same transaction as the new state. States are named constants
and the global commands are declared once, in COMMANDS, and checked before
any state's own handling (python-telegram-bot's fallbacks).
"""
from __future__ import annotations

import unicodedata
from typing import Callable

from ..content.shop import Content
from .events import Event, EventType, State

# States
NEW = "new"
MENU = "menu"

Replies = list[dict]

GREETINGS = frozenset(
    {"hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening",
     "hola", "buenas", "buenos dias", "buenas tardes", "مرحبا", "السلام عليكم", "اهلا", "start"}
)
MENU_WORDS = frozenset({"menu", "main menu", "options", "menú", "القائمة", "قائمة"})


def normalise(text: str) -> str:
    """Lower case, accents folded, punctuation dropped, spaces collapsed."""
    text = unicodedata.normalize("NFKD", text.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = "".join(c if c.isalnum() or c.isspace() else " " for c in text)
    return " ".join(text.split())


def main_menu(content: Content, greeting: str | None = None) -> dict:
    """The main menu as a WhatsApp list message."""
    body = content.render("menu_body")
    if greeting:
        body = f"{greeting}\n\n{body}"
    return {
        "type": "list",
        "header": content.menu_header,
        "text": body,
        "button": content.render("menu_button"),
        "sections": [{
            "title": content.render("menu_button"),
            "rows": [
                {"id": f"menu:{item.id}", "title": item.title, **({"description": item.description} if item.description else {})}
                for item in content.menu
            ],
        }],
    }


def _customer(state: State, event: Event) -> dict:
    return {"name": state.data.get("name") or event.profile_name, "language": state.data.get("language")}


def _show_menu(content: Content, state: State, event: Event) -> tuple[State, Replies]:
    return State(MENU, state.data), [main_menu(content)]


def _greet(content: Content, state: State, event: Event) -> tuple[State, Replies]:
    greeting = content.render("greeting", customer=_customer(state, event))
    return State(MENU, state.data), [main_menu(content, greeting)]


#: Global commands: (matcher, handler), checked first in every state.
COMMANDS: list[tuple[Callable[[Event], bool], Callable]] = [
    (lambda e: e.choice == "menu" or normalise(e.text) in MENU_WORDS, _show_menu),
    (lambda e: normalise(e.text) in GREETINGS, _greet),
]


def _menu_choice(content: Content, state: State, event: Event) -> tuple[State, Replies] | None:
    if not (event.choice and event.choice.startswith("menu:")):
        return None
    item = content.menu_item(event.choice.removeprefix("menu:"))
    if item is None or item.reply is None:
        return _show_menu(content, state, event)
    text = item.reply.render(shop=content.shop, customer=_customer(state, event)).strip()
    return State(MENU, state.data), [back_to_menu(content, text)]


def back_to_menu(content: Content, text: str) -> dict:
    """`text` with one "Main menu" button, so the customer is never stuck."""
    return {"type": "buttons", "text": text, "buttons": [{"id": "menu", "title": content.render("back_to_menu")}]}


def step(content: Content, state: State, event: Event) -> tuple[State, Replies]:
    """Advance the conversation by one customer message."""
    if event.type in (EventType.SILENT, EventType.REACTION):
        return state, []
    if state.name == NEW:
        data = dict(state.data)
        if event.profile_name and not data.get("name"):
            data["name"] = event.profile_name
        state = State(NEW, data)
        if event.choice is None and normalise(event.text) not in MENU_WORDS:
            return _greet(content, state, event)
    for matches, handler in COMMANDS:
        if matches(event):
            return handler(content, state, event)
    handled = _menu_choice(content, state, event)
    if handled is not None:
        return handled
    return state, [back_to_menu(content, content.render("not_understood"))]
