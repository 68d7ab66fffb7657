"""Every type of message we send: how to fit it to WhatsApp's limits, send it with pywa, and show it to staff.

A message spec is the plain dict stored in the outbox (`{"type": "text",
"text": ...}`). One `Outbound` entry per spec type says how to `fit` it
(shorten or split it to `messages.LIMITS`, the one table of limits), how to
`send` it through pywa (only the sender calls this), and the `line` the staff
transcript shows.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from pywa import WhatsApp
from pywa.types import Button, ProductsSection, Section, SectionList, SectionRow, URLButton
from pywa.types.templates import QuickReplyButton as TemplateQuickReply
from pywa.types.templates import TemplateLanguage
from pywa.types.templates import URLButton as TemplateURLButton

from bot.whatsapp.client import media_url
from bot.whatsapp.messages import LIMITS, shorten, split_tail, split_text

#: (wa, spec, to, tracker, public_url) -> Meta's message id
Send = Callable[[WhatsApp, dict, str, str, "str | None"], str]


@dataclass(frozen=True)
class Outbound:
    """How we fit, send and show one type of message spec."""

    fit: Callable[[dict], list[dict]]
    send: Send
    line: Callable[[dict], str]


# -- fitting ---------------------------------------------------------------------------------------------------------

def _as_is(spec: dict) -> list[dict]:
    return [spec]


def _fit_text(spec: dict) -> list[dict]:
    return [dict(spec, text=t) for t in split_text(spec.get("text", ""))]


def _fit_interactive(spec: dict) -> tuple[list[dict], dict]:
    """A body over the interactive limit sends its head as texts first; header and footer shortened."""
    spec, head = dict(spec), []
    body = spec.get("text", "")
    if len(body) > LIMITS["interactive_body"]:
        before, spec["text"] = split_tail(body, LIMITS["interactive_body"])
        head = [{"type": "text", "text": t} for t in split_text(before)]
    for key in ("header", "footer"):
        if spec.get(key):
            spec[key] = shorten(spec[key], LIMITS[key])
    return head, spec


def _fit_buttons(spec: dict) -> list[dict]:
    head, spec = _fit_interactive(spec)
    spec["buttons"] = [{"id": b["id"][: LIMITS["button_id"]], "title": shorten(b["title"], LIMITS["button_title"])}
                       for b in spec.get("buttons", [])[: LIMITS["buttons"]]]
    return [*head, spec]


def _fit_list(spec: dict) -> list[dict]:
    head, spec = _fit_interactive(spec)
    spec["button"] = shorten(spec.get("button", "Options"), LIMITS["list_button"])
    sections, room = [], LIMITS["list_rows"]
    for section in spec.get("sections", [])[: LIMITS["list_sections"]]:
        rows = []
        for row in section.get("rows", [])[:room]:
            fitted = {"id": row["id"][: LIMITS["row_id"]], "title": shorten(row["title"], LIMITS["row_title"])}
            if row.get("description"):
                fitted["description"] = shorten(row["description"], LIMITS["row_description"])
            rows.append(fitted)
        room -= len(rows)
        if rows:
            sections.append({"title": shorten(section.get("title") or "", LIMITS["section_title"]), "rows": rows})
    spec["sections"] = sections
    return [*head, spec]


def _fit_cta_url(spec: dict) -> list[dict]:
    head, spec = _fit_interactive(spec)
    spec["button"] = shorten(spec.get("button") or "Open", LIMITS["button_title"])  # WhatsApp's display_text
    return [*head, spec]


def _fit_caption(spec: dict) -> list[dict]:
    caption = spec.get("caption") or ""
    if len(caption) <= LIMITS["caption"]:
        return [spec]
    parts = split_text(caption, LIMITS["caption"])
    return [dict(spec, caption=parts[0])] + [{"type": "text", "text": t} for t in parts[1:]]


# -- sending ---------------------------------------------------------------------------------------------------------

def _reply_buttons(spec: dict) -> list[Button]:
    return [Button(title=b["title"], callback_data=b["id"]) for b in spec.get("buttons", [])]


def _url_button(spec: dict) -> URLButton:
    return URLButton(title=spec["button"], url=spec["url"])


def _section_list(spec: dict) -> SectionList:
    return SectionList(button_title=spec["button"], sections=[
        Section(title=s.get("title") or "", rows=[
            SectionRow(title=r["title"], callback_data=r["id"], description=r.get("description")) for r in s["rows"]])
        for s in spec["sections"]])


def _send_message(buttons: Callable[[dict], object]) -> Send:
    """A text message, with the interactive part `buttons(spec)` builds (None: plain text)."""
    def send(wa: WhatsApp, spec: dict, to: str, tracker: str, public_url: str | None) -> str:
        return wa.send_message(to=to, text=spec["text"], header=spec.get("header"), footer=spec.get("footer"),
                               buttons=buttons(spec), preview_url=bool(spec.get("preview_url")),  # type: ignore[arg-type]
                               tracker=tracker).id
    return send


def _send_image(wa: WhatsApp, spec: dict, to: str, tracker: str, public_url: str | None) -> str:
    if spec.get("bytes") is not None:  # a photo staff sent: pywa uploads it, then sends it by its media id
        return wa.send_image(to=to, image=spec["bytes"], mime_type=spec.get("mime"), caption=spec.get("caption"),
                             tracker=tracker).id
    if not spec.get("url") and not public_url:
        # no public address for our own images: send the card without its picture
        kind = "buttons" if spec.get("buttons") else "text"
        card = {"type": kind, "text": spec.get("caption", ""), "buttons": spec.get("buttons", [])}
        return OUTBOUND[kind].send(wa, card, to, tracker, public_url)
    return wa.send_image(to=to, image=media_url(spec, public_url), caption=spec.get("caption"),
                         footer=spec.get("footer"), tracker=tracker, buttons=_reply_buttons(spec) or None).id


def _send_document(wa: WhatsApp, spec: dict, to: str, tracker: str, public_url: str | None) -> str:
    data = spec.get("bytes")
    return wa.send_document(to=to, document=data if data is not None else (spec.get("media_id") or spec["url"]),
                            filename=spec.get("filename"), caption=spec.get("caption"), tracker=tracker,
                            mime_type=(spec.get("mime") or "application/pdf") if data is not None else None).id


def _send_template(wa: WhatsApp, spec: dict, to: str, tracker: str, public_url: str | None) -> str:
    """A template with its body parameters and its buttons' own: a URL button's dynamic end (`url`)
    and a quick reply's payload (`payload`, what comes back when it is tapped), each at its `index`.
    Without the button parameters Meta refuses a template whose approved URL ends in {{1}}."""
    components: list = []
    if spec.get("params"):
        components.append({"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in spec["params"]]})
    for button in spec.get("buttons") or []:
        if button.get("url") is not None:
            components.append(TemplateURLButton.params(url_variable=str(button["url"]), index=int(button["index"])))
        elif button.get("payload") is not None:
            components.append(TemplateQuickReply.params(callback_data=str(button["payload"]),
                                                        index=int(button["index"])))
    return wa.send_template(to=to, name=spec["name"], language=TemplateLanguage(spec["language"]),
                            params=components, tracker=tracker).id


def _send_products(wa: WhatsApp, spec: dict, to: str, tracker: str, public_url: str | None) -> str:
    return wa.send_products(to=to, catalog_id=spec["catalog_id"], title=spec.get("header") or "", body=spec["text"],
                            tracker=tracker, product_sections=[
                                ProductsSection(title=s["title"], skus=s["skus"]) for s in spec["sections"]]).id


def _send_product(wa: WhatsApp, spec: dict, to: str, tracker: str, public_url: str | None) -> str:
    return wa.send_product(to=to, catalog_id=spec["catalog_id"], sku=spec["sku"], body=spec.get("text"),
                           tracker=tracker).id


# -- what staff read -------------------------------------------------------------------------------------------------

def _body_and_options(spec: dict) -> str:
    """The body, then the buttons or rows offered, each in brackets."""
    body = spec.get("text") or spec.get("caption") or ""
    options = [b.get("title", "") for b in spec.get("buttons") or []]
    for section in spec.get("sections") or []:
        options += [r.get("title", "") for r in section.get("rows") or []]
    if options:
        body += "\n" + " ".join(f"[{o}]" for o in options)
    return body


def _document_line(spec: dict) -> str:
    return f"[document {spec.get('filename') or ''}] {spec.get('caption') or ''}".strip()


def _cta_url_line(spec: dict) -> str:
    return f"{spec.get('text') or ''}\n[↗ {spec.get('button') or ''}] {spec.get('url') or ''}".strip()


def _template_line(spec: dict) -> str:
    return f"[template {spec.get('name')}] " + " · ".join(str(p) for p in spec.get("params") or [])


def _no_buttons(spec: dict) -> None:
    return None


#: Our spec types.
OUTBOUND: dict[str, Outbound] = {
    "text": Outbound(_fit_text, _send_message(_no_buttons), _body_and_options),
    "buttons": Outbound(_fit_buttons, _send_message(_reply_buttons), _body_and_options),
    "list": Outbound(_fit_list, _send_message(_section_list), _body_and_options),
    "cta_url": Outbound(_fit_cta_url, _send_message(_url_button), _cta_url_line),  # a button that opens `url`
    "image": Outbound(_fit_caption, _send_image, _body_and_options),
    "document": Outbound(_fit_caption, _send_document, _document_line),
    "template": Outbound(_as_is, _send_template, _template_line),
    "products": Outbound(_as_is, _send_products, _body_and_options),
    "product": Outbound(_as_is, _send_product, _body_and_options),
}
