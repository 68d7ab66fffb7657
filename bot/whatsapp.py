"""The pywa client and the mapping of our message specs onto its send methods.

Only the sender calls `deliver`. `WHATSAPP_API_URL` replaces the Graph API's
host (pywa hard-codes graph.facebook.com), which is how the sandbox and the
tests point the very same code at a fake Graph API.
"""
from __future__ import annotations

import httpx
from pywa import WhatsApp
from pywa.types import Button, Section, SectionList, SectionRow
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


def deliver(wa: WhatsApp, spec: dict, to: str, tracker: str) -> str:
    """Send one message spec; return Meta's message id (wamid).

    Raises pywa's WhatsAppError subclasses and httpx errors for the sender to classify.
    """
    kind = spec["type"]
    if kind in ("text", "buttons", "list"):
        sent = wa.send_message(
            to=to, text=spec["text"], header=spec.get("header"), footer=spec.get("footer"),
            buttons=_buttons(spec), preview_url=bool(spec.get("preview_url")), tracker=tracker,
        )
    elif kind == "image":
        sent = wa.send_image(to=to, image=spec["url"], caption=spec.get("caption"),
                             footer=spec.get("footer"), tracker=tracker,
                             buttons=[Button(title=b["title"], callback_data=b["id"]) for b in spec.get("buttons", [])] or None)
    elif kind == "document":
        sent = wa.send_document(to=to, document=spec.get("media_id") or spec["url"],
                                filename=spec.get("filename"), caption=spec.get("caption"), tracker=tracker)
    elif kind == "template":
        components = []
        if spec.get("params"):
            components.append({"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in spec["params"]]})
        sent = wa.send_template(to=to, name=spec["name"], language=TemplateLanguage(spec["language"]),
                                params=components, tracker=tracker)
    else:
        raise ValueError(f"unknown message type {kind!r}")
    return sent.id
