"""Click-to-chat links (wa.me) with a prefilled message, and their QR codes.

A product link's text carries `[product-id]`, so the bot opens that
product's card; the cart's checkout link (shared by staff) carries
`[checkout]`, so the bot starts the checkout of the cart the customer has;
any link may carry `[via TAG]`, so reports can tell where conversations and
orders came from.
"""
from __future__ import annotations

import io
import re
from urllib.parse import quote

import segno

from bot.content.shop import Content
from bot.errors import NotFound

PRODUCT_MARK = re.compile(r"\[([a-z0-9][a-z0-9-]{0,63})\]")
SOURCE_MARK = re.compile(r"\[via ([\w-]{1,32})\]", re.IGNORECASE)
CHECKOUT_MARK = "[checkout]"


def wa_me(number: str, text: str) -> str:
    return f"https://wa.me/{re.sub(r'[^0-9]', '', number)}?text={quote(text)}"


def chat_text(content: Content, product_id: str | None = None, source: str | None = None) -> str:
    """The prefilled enquiry: general, or about one product, in the shop's default language
    (its language pack's `chat_link` and `chat_link_product`). Raises NotFound for an unknown product."""
    pack = content.pack(content.default_language)
    shop = str(content.shop["name"])
    if product_id:
        product = content.catalog.product(product_id)
        if product is None:
            raise NotFound(f"no product {product_id}", field="product")
        body = pack.chat_link_product.replace("{shop}", shop).replace("{product}", product.name) + f" [{product.id}]"
    else:
        body = pack.chat_link.replace("{shop}", shop)
    return body + (f" [via {source}]" if source else "")


def checkout_text(content: Content, lang: str | None) -> str:
    """The prefilled text of the cart's checkout link, in the customer's language (its pack's
    `chat_link_checkout`)."""
    pack = content.pack(lang or content.default_language)
    return pack.chat_link_checkout.replace("{shop}", str(content.shop["name"])) + f" {CHECKOUT_MARK}"


def asks_checkout(text: str) -> bool:
    """Whether a customer's message came from the cart's checkout link."""
    return CHECKOUT_MARK in text.lower()


def qr_png(url: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="png", scale=scale, border=2)
    return out.getvalue()


def qr_svg(url: str, scale: int = 8) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=scale, border=2, xmldecl=True)
    return out.getvalue()


def marks(text: str) -> tuple[str | None, str | None]:
    """(product id, source tag) carried by a click-to-chat text."""
    product = PRODUCT_MARK.search(text)
    source = SOURCE_MARK.search(text)
    return (product.group(1) if product else None), (source.group(1).lower() if source else None)
