"""Every state a conversation can be in, and the changes made outside a customer's step.

The values are the strings stored in `conversation.state`. The engine decides
the next state on every customer message (its table of state handlers is in
`bot.conversation.engine`). A few changes happen between messages — staff
take a chat over or hand it back, an unconfirmed checkout expires — and go
through the functions here, so only this package (and inbound, which
applies what the engine returns) ever assigns a conversation's state.
"""
from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.models import Conversation


class StateName(StrEnum):
    NEW = "new"  # never wrote, or nothing kept
    MENU = "menu"
    HANDOFF = "handoff"  # a person from the team has the chat; the bot stays quiet
    BROWSING = "browsing"  # categories and their products
    PRODUCT = "product"  # a product card or its options: a typed number is a quantity
    SEARCHING = "searching"
    CART = "cart"
    CART_ITEM = "cart_item"  # one cart line: a typed number sets its quantity
    CHECKOUT = "checkout"  # typed text answers the current checkout question


def hand_over(conversation: Conversation) -> None:
    """A person takes the chat (staff took over, a payment failed): the bot stays quiet."""
    conversation.state = StateName.HANDOFF


def give_back(conversation: Conversation) -> None:
    """The team gives the chat back to the bot (handed back, or nobody replied in time)."""
    if conversation.state == StateName.HANDOFF:
        conversation.state = StateName.MENU
        conversation.data = dict(conversation.data or {}, misses=0)


def expire_checkout(conversation: Conversation) -> None:
    """An unconfirmed checkout ran out of time: its answers go, the cart stays."""
    data = dict(conversation.data or {})
    data.pop("checkout", None)
    conversation.data, conversation.state = data, StateName.CART
