"""Click-to-chat links (wa.me) with a prefilled message, and their QR codes.

A product link's text carries `[product-id]`, so the bot opens that
product's card; the cart's checkout link (shared by staff) carries
`[checkout]`, so the bot starts the checkout of the cart the customer has;
any link may carry `[via TAG]`, so reports can tell where conversations and
orders came from. The abandoned-cart reminder's link carries `[cart]`, so the
bot shows the customer's own cart (it is their chat: no id is needed).

A template's URL button may only end in a short dynamic part (`{{1}}`), and
Meta does not take a wa.me address there, so the templates point at this
shop's own short links (`/cart/<code>`, `/p/<product-id>`, bot.reminder_links),
which send the customer on to the click-to-chat link above.
"""
from __future__ import annotations

import io
import re
from urllib.parse import quote

import segno
from itsdangerous import BadSignature, URLSafeSerializer

from bot.content.shop import Content
from bot.errors import NotFound

PRODUCT_MARK = re.compile(r"\[([a-z0-9][a-z0-9-]{0,63})\]")
SOURCE_MARK = re.compile(r"\[via ([\w-]{1,32})\]", re.IGNORECASE)
CHECKOUT_MARK = "[checkout]"
CART_MARK = "[cart]"
CART_CODE_SALT = "cart-link"


def wa_me(number: str, text: str) -> str:
    return f"https://wa.me/{re.sub(r'[^0-9]', '', number)}?text={quote(text)}"


def chat_text(content: Content, product_id: str | None = None, source: str | None = None,
              lang: str | None = None) -> str:
    """The prefilled enquiry: general, or about one product, in `lang` (one of the shop's languages,
    else its default; its language pack's `chat_link` and `chat_link_product`). Raises NotFound for an
    unknown product."""
    lang = lang if lang in content.languages else content.default_language
    pack = content.pack(lang)
    shop = str(content.shop["name"])
    if product_id:
        product = content.catalog.product(product_id)
        if product is None:
            raise NotFound(f"no product {product_id}", field="product")
        name = product.name_in(lang)
        body = pack.chat_link_product.replace("{shop}", shop).replace("{product}", name) + f" [{product.id}]"
    else:
        body = pack.chat_link.replace("{shop}", shop)
    return body + (f" [via {source}]" if source else "")


def checkout_text(content: Content, lang: str | None) -> str:
    """The prefilled text of the cart's checkout link, in the customer's language (its pack's
    `chat_link_checkout`)."""
    return _marked(content, content.pack(lang or content.default_language).chat_link_checkout, CHECKOUT_MARK)


def asks_checkout(text: str) -> bool:
    """Whether a customer's message came from the cart's checkout link."""
    return CHECKOUT_MARK in text.lower()


def cart_text(content: Content, lang: str | None) -> str:
    """The prefilled text of the link back to the cart, in the customer's language (its pack's
    `chat_link_cart`)."""
    return _marked(content, content.pack(lang or content.default_language).chat_link_cart, CART_MARK)


def _marked(content: Content, words: str, mark: str) -> str:
    """A link's prefilled words with the shop's name, then the mark the bot knows the link by."""
    return words.replace("{shop}", str(content.shop["name"])) + f" {mark}"


def asks_cart(text: str) -> bool:
    """Whether a customer's message came from the link back to their cart."""
    return CART_MARK in text.lower()


def cart_code(secret: str, customer_id: int) -> str:
    """The end of a customer's link back to their cart (`cart.code`): their id, signed, so a made-up
    or mistyped code is a 404 instead of a chat opened for nothing."""
    return URLSafeSerializer(secret, salt=CART_CODE_SALT).dumps(customer_id)


def cart_of(secret: str, code: str) -> int | None:
    """The customer id a cart code names, or None for a code we did not make."""
    try:
        value = URLSafeSerializer(secret, salt=CART_CODE_SALT).loads(code)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def cart_link(public_url: str, secret: str, customer_id: int) -> str:
    """`cart.link`: the shop's short link that reopens the customer's cart in WhatsApp."""
    return f"{public_url.rstrip('/')}/cart/{cart_code(secret, customer_id)}"


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
