"""A message as staff should see it: a WhatsApp bubble, not a line of markup.

The transcript keeps one `Bubble` per message: the text (WhatsApp's *bold*,
_italic_, ~strike~ and ```monospace``` rendered by the `whatsapp` filter, after
escaping, so a customer's text never becomes markup), the buttons and list
rows offered as chips, a product photo with its SKU, an order card, a link
button, a map link for a shared location, a file's name and size, and the
message it replies to. Everything comes from what is already stored: the
outbox's specs, the inbound payloads, the orders and the kept files.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import Markup, escape

from bot.staff.order_cards import OrderCard
from bot.whatsapp.message_types.inbound import kind_of
from bot.whatsapp.webhook_body import as_object, as_text

#: WhatsApp's own formatting marks, applied to escaped text (the marks are not HTML).
_MARKS = [(re.compile(r"```(.+?)```", re.S), "code"), (re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])"),
                                                         "strong"),
          (re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])"), "em"),
          (re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])"), "del")]


def whatsapp(text: str | None) -> Markup:
    """Escape `text`, then draw WhatsApp's formatting: the `whatsapp` filter (line breaks are kept
    by the bubble's `white-space: pre-wrap`)."""
    html = str(escape(text or ""))
    for pattern, tag in _MARKS:
        html = pattern.sub(rf"<{tag}>\1</{tag}>", html)
    return Markup(html)


@dataclass(frozen=True)
class Bubble:
    text: str = ""
    chips: tuple[str, ...] = ()  # the buttons or list rows the bot offered
    tapped: str = ""  # the button or row the customer chose
    image: str = ""  # a URL the staff page can show
    sku: str = ""  # the product a card offers
    link: tuple[str, str] | None = None  # (label, url): a link button, a map
    note: str = ""  # what kind of message it is, when not plain text ("template order_shipped")
    replies_to: str = ""  # the WhatsApp id of the message it answers (`context`)
    media: str = ""  # where staff open the customer's photo, voice note, video or document
    filename: str = ""
    size: str = ""  # a document's size, "120 KB", once the file is here
    order: OrderCard | None = None  # an order summary, drawn as a card


def file_size(size: int | None) -> str:
    """"820 bytes", "120 KB", "4.2 MB": a file's size as people read it (blank when not known)."""
    if size is None:
        return ""
    if size < 1024:
        return f"{size} byte{'s' if size != 1 else ''}"
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / 2**20:.1f} MB"


def outbound(spec, card: OrderCard | None = None, size: int | None = None) -> Bubble:
    """What the bot or staff sent, from the outbox's stored spec; `card` draws the order it summarises
    (bot.staff.order_cards), `size` is the size of a file staff sent."""
    spec = as_object(spec)
    kind = as_text(spec.get("type"))
    chips = tuple(as_text(as_object(b).get("title")) for b in spec.get("buttons") or [])
    for section in spec.get("sections") or []:
        chips += tuple(as_text(as_object(r).get("title")) for r in as_object(section).get("rows") or [])
    if spec.get("button") and kind == "list":
        chips = (f"☰ {as_text(spec.get('button'))}", *chips)
    text = as_text(spec.get("text") or spec.get("caption"))
    if spec.get("upload"):  # a file staff sent from the chat
        sent = f"/staff/media/sent/{quote(as_text(spec.get('upload')))}"
        if kind == "image":
            return Bubble(text, image=sent)
        return Bubble(text, note="document", media=sent, filename=as_text(spec.get("filename")), size=file_size(size))
    if kind == "image":
        path, url = as_text(spec.get("path")), as_text(spec.get("url"))
        sku = next((b["id"].removeprefix("add:") for b in spec.get("buttons") or []
                    if as_text(as_object(b).get("id")).startswith("add:")), "")
        return Bubble(text, chips, image=f"/catalog/{quote(path)}" if path else url, sku=sku)
    if kind == "cta_url":
        return Bubble(text, link=(as_text(spec.get("button")), as_text(spec.get("url"))))
    if kind == "document":
        return Bubble(text, note=f"document {as_text(spec.get('filename'))}".strip())
    if kind == "template":
        params = " · ".join(as_text(p) for p in spec.get("params") or [])
        return Bubble(params, note=f"template {as_text(spec.get('name'))}")
    if kind in ("products", "product"):
        return Bubble(text, note="catalog message")
    return Bubble(text, chips, order=card)


def inbound(message, media_url: str = "", size: int | None = None) -> Bubble:
    """What the customer sent, from the stored webhook message; `media_url` serves its media, `size` is
    its file's size once fetched."""
    message = as_object(message)
    _entry, body = kind_of(message)
    kind = as_text(message.get("type"))
    quoted = as_text(as_object(message.get("context")).get("id"))
    if kind == "text":
        return Bubble(as_text(body.get("body")), replies_to=quoted)
    if kind in ("interactive", "button"):
        title = as_text(body.get("title") or body.get("text"))
        return Bubble(tapped=title, replies_to=quoted) if title else Bubble(note="form sent", replies_to=quoted)
    if kind == "location":
        lat, lng = body.get("latitude"), body.get("longitude")
        place = ", ".join(as_text(body[k]) for k in ("name", "address") if body.get(k))
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lat, lng)):
            return Bubble(place or "a location WhatsApp sent without its position", note="location")
        link = ("Open the map", f"https://www.openstreetmap.org/?mlat={lat}&mlon={lng}#map=17/{lat}/{lng}")
        return Bubble(place or f"{lat}, {lng}", link=link, note="location")
    if kind == "reaction":
        return Bubble(as_text(body.get("emoji")), note="reaction", replies_to=as_text(body.get("message_id")))
    if kind in ("image", "video", "audio", "voice", "document", "sticker"):
        label = {"voice": "voice note", "audio": "audio"}.get(kind, kind)
        return Bubble(as_text(body.get("caption")), note=label, replies_to=quoted, media=media_url,
                      filename=as_text(body.get("filename")), size=file_size(size))
    if kind == "order":
        return Bubble(note="WhatsApp cart", text=_entry.line(message, body).removeprefix("[WhatsApp cart] "))
    return Bubble(_entry.line(message, body))
