"""The one place that knows WhatsApp's message types, both ways.

`inbound.INBOUND` has an entry per type a customer can send (how the engine
reads it, how staff see it); `outbound.OUTBOUND` an entry per spec type we
send (how it is fitted to WhatsApp's limits, sent with pywa, shown to staff).
Everything else goes through the functions here: the inbound handler
(`read`), the staff transcript and inbox (`inbound_line`, `outbound_line`),
the sandbox feed (`outbound_line`), the outbox (`fit`) and the sender
(`deliver`). Adding a message type is one entry in one of the two tables.

Card numbers are removed from the whole payload before anything is stored
(`redaction.redact_json` walks every string), so no entry needs its own
redaction.
"""
from __future__ import annotations

from dataclasses import replace

from pywa import WhatsApp

from bot.conversation.events import Event
from bot.whatsapp.message_types.inbound import INBOUND, Inbound, kind_of
from bot.whatsapp.message_types.outbound import OUTBOUND, Outbound
from bot.whatsapp.webhook_body import as_object, as_text

__all__ = ["INBOUND", "OUTBOUND", "Inbound", "Outbound", "deliver", "fit", "in_transcript", "inbound_line",
           "outbound_line", "read"]


def read(message, contact) -> Event:
    """What the engine needs from a stored Meta message, whatever its type or shape."""
    entry, body = kind_of(message)
    name = as_text(as_object(as_object(contact).get("profile")).get("name")) or None
    return replace(entry.event(as_object(message), body), profile_name=name)


def inbound_line(message) -> str:
    """What the customer sent, as one line for staff. Never raises, whatever was stored."""
    entry, body = kind_of(message)
    return entry.line(as_object(message), body)


def in_transcript(message) -> bool:
    """Whether staff see this message in the chat (notices such as deletions are left out)."""
    return kind_of(message)[0].in_transcript


def fit(spec: dict) -> list[dict]:
    """`spec` made to respect WhatsApp's limits (`messages.LIMITS`); may be several messages.

    Long texts are split, an interactive body that is too long sends its head
    as text first, titles are shortened on grapheme boundaries and extra
    buttons or rows dropped (the content checker warns owners at load time).
    A type without an entry is left as it is; `deliver` refuses it.
    """
    entry = OUTBOUND.get(spec.get("type"))  # type: ignore[arg-type]
    return entry.fit(spec) if entry else [spec]


def deliver(wa: WhatsApp, spec: dict, to: str, tracker: str, public_url: str | None = None) -> str:
    """Send one message spec through pywa; return Meta's message id (wamid).

    Raises pywa's WhatsAppError subclasses and httpx errors for the sender to
    classify, and ValueError for a spec that cannot be sent.
    """
    entry = OUTBOUND.get(spec["type"])
    if entry is None:
        raise ValueError(f"unknown message type {spec['type']!r}")
    return entry.send(wa, spec, to, tracker, public_url)


def outbound_line(spec) -> str:
    """What the bot or staff sent, as text for staff: the body, then the buttons or link offered."""
    spec = as_object(spec)
    entry = OUTBOUND.get(as_text(spec.get("type")))
    return entry.line(spec) if entry else f"[{as_text(spec.get('type')) or 'message'}]"
