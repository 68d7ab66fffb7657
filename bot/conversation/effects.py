"""What the engine asks the outside to do, as typed values.

The engine never touches the database: when a step needs an order placed, a
handoff opened or an event recorded, it returns one of these beside its
messages, and `bot.conversation.actions` carries it out in the same
transaction as the step, with a `Context`, returning an `Outcome`.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeAlias

from bot.conversation.events import Event
from bot.conversation.messages import Message
from bot.conversation.states import StateName

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.content.shop import Content
    from bot.models import Conversation, Customer


@dataclass(frozen=True)
class PlaceOrder:
    """The customer confirmed the summary for `reference`."""
    reference: str


@dataclass(frozen=True)
class FindOrder:
    """The customer typed an order reference: take over a website order, or say where it is."""
    reference: str


@dataclass(frozen=True)
class CancelOrder:
    """The customer tapped "Cancel order" for `reference`."""
    reference: str


@dataclass(frozen=True)
class OrderStatus:
    """"Where is my order?": one order (`reference`) or all the customer's open ones. `typed` is a
    number the customer gave that is not one of our references ("99812"): said not found, then
    their open orders."""
    reference: str | None = None
    typed: str | None = None


@dataclass(frozen=True)
class Record:
    """Store a conversation event for the owner's reports (a miss, an FAQ answer, a funnel step)."""
    kind: str
    detail: str | None = None
    text: str | None = None


@dataclass(frozen=True)
class OptOut:
    """"stop" (`out`) or "start" (not `out`): reminders and updates the customer did not ask for."""
    out: bool


@dataclass(frozen=True)
class SetMarketingConsent:
    """Opt the customer in or out of marketing messages; `source` is a `ConsentSource` value
    ("chat", "checkout", "stop", "start")."""
    opted_in: bool
    source: str


@dataclass(frozen=True)
class Handoff:
    """Hand the chat to a person; `reason` is a `HandoffReason` value."""
    reason: str
    detail: str | None = None


@dataclass(frozen=True)
class HandoffEnd:
    """The customer took the chat back from the team ("menu" while waiting)."""


@dataclass(frozen=True)
class AlertWhenBack:
    """"Tell me when it's back": alert the customer once `product_id` (its option `sku`, or any
    option when "") can be bought again."""
    product_id: str
    sku: str = ""


#: Everything the engine can ask for.
Effect: TypeAlias = (PlaceOrder | FindOrder | CancelOrder | OrderStatus | Record | OptOut | SetMarketingConsent
                     | Handoff | HandoffEnd | AlertWhenBack)
EFFECTS = (PlaceOrder, FindOrder, CancelOrder, OrderStatus, Record, OptOut, SetMarketingConsent, Handoff, HandoffEnd,
           AlertWhenBack)


@dataclass
class Context:
    """Everything an effect's handler may use, for one customer message."""
    session: Session
    content: Content
    customer: Customer
    conversation: Conversation
    now: datetime
    event: Event
    public_url: str | None = None  # the app's address, for links to the staff pages


@dataclass
class Outcome:
    """What carrying out an effect gave: messages for the customer, and the next state and data if they changed.

    Only the conversation package and inbound write a conversation: a domain
    function that moves it (an order placed empties the cart and goes to the
    menu) says so here, and inbound applies it.
    """
    messages: list[Message] = field(default_factory=list)
    state: StateName | None = None
    data: dict[str, Any] | None = None


def messages_of(replies: Sequence[Message | Effect]) -> list[Message]:
    """The messages of a handler's replies, for domain code that calls a handler to answer.

    Such a handler (the cart, the next checkout question) asks for no
    effects; one that did would be a bug, not something to drop silently.
    """
    found = [r for r in replies if not isinstance(r, EFFECTS)]
    if len(found) != len(replies):
        raise ValueError("a handler called by the domain asked for effects")
    return found
