"""The conversation engine as tables of (state, message) -> (state, what the customer sees). No Flask."""
from __future__ import annotations

from pathlib import Path

import pytest

from bot.content import load_content
from bot.conversation.engine import MENU, NEW, normalise, step
from bot.conversation.events import Event, EventType, State

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def content():
    loaded, _warnings = load_content(REPO)
    return loaded


def text(t: str, name: str | None = "Ana") -> Event:
    return Event(EventType.TEXT, text=t, profile_name=name)


def tap(choice: str, title: str = "") -> Event:
    return Event(EventType.CHOICE, text=title, choice=choice, profile_name="Ana")


def summary(reply: dict) -> tuple:
    """What a customer notices: the kind of message, its first line and its options."""
    options = [b["title"] for b in reply.get("buttons", [])] or [
        r["title"] for s in reply.get("sections", []) for r in s["rows"]]
    return reply["type"], reply.get("text", "").splitlines()[0], options


MENU_ROWS = ["Opening hours", "Delivery & returns", "Ways to pay", "Contact us"]

TABLE = [
    # state, event, new state, replies
    (NEW, text("hi"), MENU, [("list", "Hi Ana 👋 Welcome to *Lumen & Loom*!", MENU_ROWS)]),
    (NEW, text("Do you sell shoes?"), MENU, [("list", "Hi Ana 👋 Welcome to *Lumen & Loom*!", MENU_ROWS)]),
    (NEW, text("hi", name=None), MENU, [("list", "Hi there 👋 Welcome to *Lumen & Loom*!", MENU_ROWS)]),
    (NEW, text("MENU"), MENU, [("list", "What can I help you with? Tap *Menu* to see the options, or just type your question.", MENU_ROWS)]),
    (MENU, text("  Menú!! "), MENU, [("list", "What can I help you with? Tap *Menu* to see the options, or just type your question.", MENU_ROWS)]),
    (MENU, text("مرحبا"), MENU, [("list", "Hi Ana 👋 Welcome to *Lumen & Loom*!", MENU_ROWS)]),
    (MENU, tap("menu:hours", "Opening hours"), MENU, [("buttons", "🕙 *Opening hours*", ["Main menu"])]),
    (MENU, tap("menu:contact", "Contact us"), MENU, [("buttons", "☎️ +34 600 123 456", ["Main menu"])]),
    (MENU, tap("menu"), MENU, [("list", "What can I help you with? Tap *Menu* to see the options, or just type your question.", MENU_ROWS)]),
    (MENU, tap("menu:gone", "Removed item"), MENU, [("list", "What can I help you with? Tap *Menu* to see the options, or just type your question.", MENU_ROWS)]),
    (MENU, text("asdfgh"), MENU, [("buttons", "Sorry, I didn't catch that 🙈", ["Main menu"])]),
    (MENU, Event(EventType.REACTION, data={"emoji": "👍"}), MENU, []),
    (MENU, Event(EventType.SILENT), MENU, []),
]


@pytest.mark.parametrize("state,event,new_state,expected", TABLE)
def test_engine_table(content, state, event, new_state, expected):
    after, replies = step(content, State(state), event)
    assert after.name == new_state
    assert [summary(r) for r in replies] == expected


def test_the_profile_name_is_remembered(content):
    state, _ = step(content, State(NEW), text("hi", name="Ana"))
    assert state.data["name"] == "Ana"
    _, replies = step(content, state, text("hi", name=None))
    assert replies[0]["text"].startswith("Hi Ana")


def test_menu_is_reachable_from_any_state(content):
    for name in (NEW, MENU, "some_later_state"):
        _state, replies = step(content, State(name, {"name": "Ana"}), text("menu"))
        assert replies[0]["type"] == "list"


@pytest.mark.parametrize("raw,expected", [("  Héllo,  WORLD!! ", "hello world"), ("Menú", "menu"),
                                          ("مرحبا!", "مرحبا"), ("2 red shirts", "2 red shirts")])
def test_normalise(raw, expected):
    assert normalise(raw) == expected
