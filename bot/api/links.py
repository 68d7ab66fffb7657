"""GET /api/links: click-to-chat links with prefilled text, and their QR codes (PNG, SVG)."""
from __future__ import annotations

from flask import Response, current_app, jsonify, url_for

from bot.api.contract import Reply, operation
from bot.api.models import LinkOut, LinkQuery, QrPath
from bot.commerce.links import chat_text, qr_png, qr_svg, wa_me

IMAGES = {"image/png": {"schema": {"type": "string", "format": "binary"}},
          "image/svg+xml": {"schema": {"type": "string"}}}


def _link(query: LinkQuery) -> tuple[str, str]:
    """(wa.me link, its prefilled text); raises NotFound for an unknown product."""
    text = chat_text(current_app.extensions["shopbot.content"].current(), query.product or None, query.source or None)
    return wa_me(current_app.config["WHATSAPP_DISPLAY_NUMBER"], text), text


@operation("get", "/links", "A click-to-chat link with a prefilled enquiry; ?source=TAG marks where it was shared",
           {200: Reply("the link, its text and QR code addresses", LinkOut), 404: "no such product"},
           query=LinkQuery)
def link(query: LinkQuery):
    url, text = _link(query)
    args = query.model_dump(exclude_none=True)
    return jsonify(LinkOut(url=url, text=text, qr_png=url_for("api.link_qr", kind="png", **args),
                           qr_svg=url_for("api.link_qr", kind="svg", **args)).model_dump())


@operation("get", "/links/qr.<kind>", "The link's QR code", {200: Reply("the QR code", media=IMAGES),
                                                             404: "no such product, or a kind other than png or svg"},
           query=LinkQuery, path=QrPath)
def link_qr(path: QrPath, query: LinkQuery):
    url, _text = _link(query)
    if path.kind == "png":
        return Response(qr_png(url), mimetype="image/png")
    return Response(qr_svg(url), mimetype="image/svg+xml")
