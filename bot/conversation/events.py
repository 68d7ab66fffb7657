"""What the engine sees of one inbound message, independent of Meta's JSON."""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class EventType(StrEnum):
    TEXT = "text"
    CHOICE = "choice"  # a tapped reply button, list row or template quick reply
    MEDIA = "media"  # image, video, audio, voice, document, sticker
    LOCATION = "location"
    ORDER = "order"  # WhatsApp's native cart
    CONTACTS = "contacts"
    REACTION = "reaction"
    SILENT = "silent"  # system notices, edits, deletions: nothing to answer
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class Event:
    type: EventType
    text: str = ""
    choice: str | None = None  # id of the tapped button or row
    profile_name: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    phone: str | None = None  # the customer's number, when Meta shares it
    event_id: str | None = None  # the WhatsApp message id


@dataclass(frozen=True)
class State:
    name: str
    data: dict[str, Any] = field(default_factory=dict)
