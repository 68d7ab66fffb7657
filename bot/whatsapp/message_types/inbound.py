"""Every type of message a customer can send us: how to read it, and how staff see it.

One `Inbound` entry per Meta message type (`message["type"]`, and for
`interactive` messages the `interactive.type`). Each says what the engine
gets (`event`) and the one line the staff transcript and inbox show
(`line`). Both read stored payloads, which hold whatever was sent (a
`location` may be a string, a `type` a number), so they use `as_object` and
`as_text` and never raise.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from bot.conversation.events import Event, EventType
from bot.whatsapp.webhook_body import as_object, as_text


@dataclass(frozen=True)
class Inbound:
    """How we read one type of customer message.

    `event(message, body)` and `line(message, body)` take the whole message
    and the object under its type's key (`message["image"]`, the reply under
    `interactive`...), already made a dict.
    """

    event: Callable[[dict, dict], Event]
    line: Callable[[dict, dict], str]
    in_transcript: bool = True  # False: a notice (a deletion, an edit, a number change), not a message


def _text(message: dict, body: dict) -> Event:
    return Event(EventType.TEXT, text=as_text(body.get("body")))


def _choice(title_key: str, id_key: str) -> Callable[[dict, dict], Event]:
    def parse(message: dict, body: dict) -> Event:
        return Event(EventType.CHOICE, text=as_text(body.get(title_key)), choice=as_text(body.get(id_key)) or None)
    return parse


def _tapped(title_key: str) -> Callable[[dict, dict], str]:
    return lambda message, body: f"[tapped] {as_text(body.get(title_key))}".strip()


def _media(kind: str) -> Inbound:
    return Inbound(
        lambda message, body: Event(EventType.MEDIA, text=as_text(body.get("caption")),
                                    data={"media_type": kind, "media_id": body.get("id")}),
        lambda message, body: f"[{kind}] {as_text(body.get('caption')) or as_text(body.get('filename'))}".strip(),
    )


def _location_line(message: dict, body: dict) -> str:
    place = ", ".join(str(body[k]) for k in ("name", "address") if body.get(k))
    shown = f"[location] {place} ({body.get('latitude')}, {body.get('longitude')})"
    return shown.replace("[location]  ", "[location] ")


def _order_line(message: dict, body: dict) -> str:
    items = body.get("product_items")
    quantities = [str(as_object(i).get("quantity")) for i in items] if isinstance(items, list) else []
    return f"[WhatsApp cart] {sum(int(q) for q in quantities if q.isdecimal() and len(q) < 6)} item(s)"


def _silent(message: dict, body: dict) -> Event:
    return Event(EventType.SILENT)


def _unsupported(message: dict, body: dict) -> Event:
    return Event(EventType.UNSUPPORTED)


def _named(message: dict, body: dict) -> str:
    kind = as_text(message.get("type"))
    sub = as_text(as_object(message.get("interactive")).get("type")) if kind == "interactive" else ""
    return f"[{' '.join(filter(None, (kind, sub))) or 'message'}]"


REPLIES = ("button_reply", "list_reply")
UNSUPPORTED = Inbound(_unsupported, _named)
NOTICE = Inbound(_silent, _named, in_transcript=False)

#: Meta's message types. `interactive` replies are keyed `interactive.<its type>`.
INBOUND: dict[str, Inbound] = {
    "text": Inbound(_text, lambda message, body: as_text(body.get("body"))),
    "interactive.button_reply": Inbound(_choice("title", "id"), _tapped("title")),
    "interactive.list_reply": Inbound(_choice("title", "id"), _tapped("title")),
    "interactive.nfm_reply": Inbound(  # a WhatsApp Flow's answer: kept, not answered
        lambda message, body: Event(EventType.SILENT,
                                    data={"flow": as_object(message.get("interactive")).get("nfm_reply")}),
        lambda message, body: "[form sent]"),
    "button": Inbound(_choice("text", "payload"), _tapped("text")),  # a template's quick reply
    **{kind: _media(kind) for kind in ("image", "video", "audio", "voice", "document", "sticker")},
    "location": Inbound(lambda message, body: Event(EventType.LOCATION, data=body), _location_line),
    "order": Inbound(lambda message, body: Event(EventType.ORDER, data=body), _order_line),  # WhatsApp's cart
    "contacts": Inbound(lambda message, body: Event(EventType.CONTACTS, data={"contacts": message.get("contacts")}),
                        lambda message, body: "[contact card]"),
    "reaction": Inbound(lambda message, body: Event(EventType.REACTION, data=body),
                        lambda message, body: f"[reaction] {as_text(body.get('emoji'))}".strip()),
    "system": NOTICE, "revoke": NOTICE, "edit": NOTICE,
    "ephemeral": Inbound(_silent, _named), "request_welcome": Inbound(_silent, _named),
    "unsupported": UNSUPPORTED,
}


def kind_of(message) -> tuple[Inbound, dict]:
    """The registry entry for a stored message and the object under its type's key.

    Unknown and malformed types get `UNSUPPORTED`; a non-dict body reads as empty.
    """
    message = as_object(message)
    kind = as_text(message.get("type"))
    if kind == "interactive":
        inter = as_object(message.get("interactive"))
        sub = as_text(inter.get("type"))
        if f"interactive.{sub}" not in INBOUND:  # a reply without its type: known by its key
            sub = next((k for k in REPLIES if as_object(inter.get(k))), sub)
        body = as_object(inter.get(sub))
        if sub in REPLIES and not body:
            return UNSUPPORTED, body
        return INBOUND.get(f"interactive.{sub}", UNSUPPORTED), body
    return INBOUND.get(kind, UNSUPPORTED), as_object(message.get(kind))
