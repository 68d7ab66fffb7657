"""Marketing consent in the chat: "stop", "start", the menu's "Get offers on WhatsApp" and the
question after a first order.

The engine only decides what the customer sees and asks for a
`SetMarketingConsent` effect; `bot.commerce.consent` records it with its time
and source. Typed "stop" also ends the reminders and updates the customer did
not ask for (`OptOut`), and "start" brings them back, as before marketing
existed. A marketing template's stop button (`offers:stop`) stops offers only:
it says "no more offers", and the order's updates, which need no marketing
opt-in, go on.
Each confirmation says how to undo it, in the customer's language.
"""
from __future__ import annotations

from bot.conversation.effects import OptOut, SetMarketingConsent
from bot.conversation.messages import Buttons
from bot.conversation.states import StateName
from bot.conversation.turn import Result, Turn, buttons, text

MENU = StateName.MENU


def stop(turn: Turn) -> Result:
    """"stop" in any language: no offers, reminders or updates, at once, and said so."""
    turn.data["opted_out"] = True
    return MENU, [text(turn.text("stop_confirmed")), OptOut(True), SetMarketingConsent(False, "stop")]


def stop_offers(turn: Turn) -> Result:
    """A marketing template's stop button: no more offers, at once; updates about orders go on."""
    return MENU, [text(turn.text("offers_stopped")), SetMarketingConsent(False, "stop")]


def start(turn: Turn) -> Result:
    """"start": offers, reminders and updates again; the customer asked for them in so many words."""
    turn.data.pop("opted_out", None)
    return MENU, [text(turn.text("start_confirmed")), OptOut(False), SetMarketingConsent(True, "start")]


def from_menu(turn: Turn) -> Result:
    """The menu's "Get offers on WhatsApp" (a menu item with `action: offers`)."""
    return MENU, [buttons(turn.text("offers_confirmed"), [("menu", turn.text("back_to_menu"))]),
                  SetMarketingConsent(True, "chat")]


def question(turn: Turn) -> Buttons:
    """The optional question after an order: offers on WhatsApp, yes or no (`offers:yes`, `offers:no`)."""
    return buttons(turn.text("offers_question"), [("offers:yes", turn.text("offers_yes_button")),
                                                  ("offers:no", turn.text("offers_no_button"))])


def answer(turn: Turn, said: str) -> Result:
    """A tap on the question's buttons (anything but "yes" is a no), or a template's `offers:stop`."""
    if said == "stop":
        return stop_offers(turn)
    if said == "yes":
        return MENU, [text(turn.text("offers_confirmed")), SetMarketingConsent(True, "checkout")]
    return MENU, [text(turn.text("offers_declined")), SetMarketingConsent(False, "checkout")]
