"""GET /api/links: click-to-chat links with prefilled text, and their QR codes (PNG, SVG)."""
from __future__ import annotations

from flask import Response, current_app, jsonify, request, url_for

from bot.commerce.links import chat_text, qr_png, qr_svg, wa_me
from bot.api import bp, error


def _link():
    content = current_app.extensions["shopbot.content"].current()
    product, source = request.args.get("product") or None, request.args.get("source") or None
    if source is not None and (len(source) > 32 or not source.replace("-", "").replace("_", "").isalnum()):
        return None, error(400, "source must be up to 32 letters, digits, - or _", field="source")
    try:
        text = chat_text(content, product, source)
    except KeyError:
        return None, error(404, f"no product {product}", field="product")
    return (wa_me(current_app.config["WHATSAPP_DISPLAY_NUMBER"], text), text), None


@bp.get("/links")
def link():
    """The general link, or a product's (?product=ID); ?source=TAG marks where it was shared."""
    found, problem = _link()
    if problem:
        return problem
    url, text = found
    args = {k: v for k, v in request.args.items() if k in ("product", "source")}
    return jsonify({"url": url, "text": text, "qr_png": url_for("api.link_qr", kind="png", **args),
                    "qr_svg": url_for("api.link_qr", kind="svg", **args)})


@bp.get("/links/qr.<kind>")
def link_qr(kind: str):
    if kind not in ("png", "svg"):
        return error(404, "QR codes come as .png or .svg")
    found, problem = _link()
    if problem:
        return problem
    url, _text = found
    if kind == "png":
        return Response(qr_png(url), mimetype="image/png")
    return Response(qr_svg(url), mimetype="image/svg+xml")
