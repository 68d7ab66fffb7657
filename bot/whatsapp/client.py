"""The pywa client, and the links it sends for our media.

How each message spec maps onto pywa's send methods is in `message_types`.
`WHATSAPP_API_URL` replaces the Graph API's
host (pywa hard-codes graph.facebook.com), which is how the sandbox and the
tests point the very same code at a fake Graph API.
"""
from __future__ import annotations

import os

import httpx
from pywa import WhatsApp

from bot.whatsapp.graph_transport import LeanTransport

PROXY_VARIABLES = ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy", "all_proxy")


def make_client(config: dict) -> WhatsApp:
    """A pywa client with a pooled httpx session sized for the sender's concurrency, on the lean
    transport (bot.whatsapp.graph_transport) unless a proxy is set in the environment."""
    keep = config["SEND_CONCURRENCY"] + 4
    proxied = any(os.environ.get(name) for name in PROXY_VARIABLES)
    session = httpx.Client(
        transport=None if proxied else LeanTransport(max_idle=keep),
        timeout=httpx.Timeout(config["SEND_TIMEOUT"], connect=min(5.0, config["SEND_TIMEOUT"])),
        limits=httpx.Limits(max_connections=keep, max_keepalive_connections=keep),
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


def media_url(spec: dict, public_url: str | None) -> str:
    """The link for a spec's media: a URL as given, or a catalog file served by this app."""
    if spec.get("url"):
        return spec["url"]
    if not public_url:
        raise ValueError("PUBLIC_URL is not set, so catalog images cannot be linked")
    return f"{public_url.rstrip('/')}/catalog/{spec['path']}"
