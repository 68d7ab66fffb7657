"""The pywa client and the mapping of our message specs onto its send methods.

Only the sender calls `deliver`. `WHATSAPP_API_URL` replaces the Graph API's
host (pywa hard-codes graph.facebook.com), which is how the sandbox and the
tests point the very same code at a fake Graph API.
"""
from __future__ import annotations

import httpx
from pywa import WhatsApp
from pywa.types import Button, ProductsSection, Section, SectionList, SectionRow
from pywa.types.templates import TemplateLanguage


def make_client(config: dict) -> WhatsApp:
    """A pywa client with a pooled httpx session sized for the sender's concurrency."""
    session = httpx.Client(
        timeout=httpx.Timeout(config["SEND_TIMEOUT"], connect=min(5.0, config["SEND_TIMEOUT"])),
        limits=httpx.Limits(max_connections=config["SEND_CONCURRENCY"] + 4,
                            max_keepalive_connections=config["SEND_CONCURRENCY"] + 4),
    )
    wa = WhatsApp(
        phone_id=config["WHATSAPP_PHONE_ID"],
        token=config["WHATSAPP_TOKEN"],
        session=session,
        api_version=config["WHATSAPP_API_VERSION"],
        validate_updates=False,  # the webhook blueprint verifies signatures itself
    )
    session.base_url = f"{config['WHATSAPP_API_URL']}/v{config['WHATSAPP_API_VERSION']}"
    return wa


def _buttons(spec: dict):
    if spec["type"] == "buttons":
        return [Button(title=b["title"], callback_data=b["id"]) for b in spec["buttons"]]
    if spec["type"] == "list":
        return SectionList(
            button_title=spec["button"],
            sections=[
                Section(title=s.get("title") or "", rows=[
                    SectionRow(title=r["title"], callback_data=r["id"], description=r.get("description"))
                    for r in s["rows"]
                ])
                for s in spec["sections"]
            ],
        )
    return None


def media_url(spec: dict, public_url: str | None) -> str:
    """The link for a spec's media: a URL as given, or a catalog file served by this app."""
    if spec.get("url"):
        return spec["url"]
    if not public_url:
        raise ValueError("PUBLIC_URL is not set, so catalog images cannot be linked")
    return f"{public_url.rstrip('/')}/catalog/{spec['path']}"


def deliver(wa: WhatsApp, spec: dict, to: str, tracker: str, public_url: str | None = None) -> str:
    """Send one message spec; return Meta's message id (wamid).

    Raises pywa's WhatsAppError subclasses and httpx errors for the sender to
    classify, and ValueError for a spec that cannot be sent.
    """
    kind = spec["type"]
    if kind == "image" and not spec.get("url") and not public_url:
        # no public address for our own images: send the card without its picture
        spec = {"type": "buttons" if spec.get("buttons") else "text", "text": spec.get("caption", ""),
                "buttons": spec.get("buttons", [])}
        kind = spec["type"]
    if kind in ("text", "buttons", "list"):
        sent = wa.send_message(
            to=to, text=spec["text"], header=spec.get("header"), footer=spec.get("footer"),
            buttons=_buttons(spec), preview_url=bool(spec.get("preview_url")), tracker=tracker,
        )
    elif kind == "image":
        sent = wa.send_image(to=to, image=media_url(spec, public_url), caption=spec.get("caption"),
                             footer=spec.get("footer"), tracker=tracker,
                             buttons=[Button(title=b["title"], callback_data=b["id"]) for b in spec.get("buttons", [])] or None)
    elif kind == "document":
        data = spec.get("bytes")
        sent = wa.send_document(to=to, document=data if data is not None else (spec.get("media_id") or spec["url"]),
                                filename=spec.get("filename"), caption=spec.get("caption"), tracker=tracker,
                                mime_type="application/pdf" if data is not None else None)
    elif kind == "template":
        components = []
        if spec.get("params"):
            components.append({"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in spec["params"]]})
        sent = wa.send_template(to=to, name=spec["name"], language=TemplateLanguage(spec["language"]),
                                params=components, tracker=tracker)
    elif kind == "products":
        sent = wa.send_products(to=to, catalog_id=spec["catalog_id"], title=spec.get("header") or "",
                                body=spec["text"], tracker=tracker, product_sections=[
                                    ProductsSection(title=s["title"], skus=s["skus"]) for s in spec["sections"]])
    elif kind == "product":
        sent = wa.send_product(to=to, catalog_id=spec["catalog_id"], sku=spec["sku"], body=spec.get("text"),
                               tracker=tracker)
    else:
        raise ValueError(f"unknown message type {kind!r}")
    return sent.id
