"""Security headers on every response: no framing, no MIME sniffing, no referrer, a strict CSP, HSTS when live.

The staff pages show customers' words and carry a logged-in session, so no
other site may frame them (clickjacking: `frame-ancestors 'none'` and
`X-Frame-Options: DENY`) and no script may run but our own static files
(`script-src 'self'`, no inline script or style anywhere in the templates).
Responses that are not HTML pages (JSON, CSV, images, the webhook's echo) get
a policy that allows nothing at all, so even if a browser opens one as a page
it runs nothing. HSTS is sent when the app is live behind HTTPS (not the
sandbox, and `STAFF_COOKIE_SECURE` on), the same condition as Secure cookies.
"""
from __future__ import annotations

from flask import Flask, Response, request

#: The staff dashboard: only our own files, fetches to ourselves, forms to ourselves.
PAGE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
               "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
#: The sandbox phone also shows the shop's media, which may live on any web address.
SANDBOX_POLICY = PAGE_POLICY.replace("img-src 'self' data:", "img-src 'self' data: blob: http: https:; "
                                     "media-src 'self' blob: http: https:")
#: Anything that is not an HTML page.
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
HSTS = "max-age=31536000"


def policy_for(response: Response) -> str:
    if response.mimetype != "text/html":
        return DATA_POLICY
    return SANDBOX_POLICY if request.blueprint == "sandbox" else PAGE_POLICY


def register(app: Flask) -> None:
    """Add the headers to every response the app sends (a view may set its own first)."""
    live_https = not app.config["SANDBOX"] and app.config["STAFF_COOKIE_SECURE"]

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", policy_for(response))
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "same-origin")
        if live_https:
            headers.setdefault("Strict-Transport-Security", HSTS)
        return response
