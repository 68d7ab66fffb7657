"""Paying safely: card numbers never enter our records, payment links, provider callbacks.

A card number is 13-19 digits (spaces or dashes allowed) that passes the Luhn
check and does not look like a phone number. It is replaced, before anything
is stored or logged, by a marker keeping at most its last four digits.
"""
from __future__ import annotations

import hashlib
import hmac
import re
from urllib.parse import quote

from .money import digits

_CANDIDATE = re.compile(r"(?<![\d+])(?:\d[ -]?){12,18}\d(?!\d)")


def luhn_ok(number: str) -> bool:
    total, double = 0, False
    for ch in reversed(number):
        d = int(ch)
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        double = not double
    return total % 10 == 0


def _is_card(match: re.Match, text: str) -> bool:
    number = re.sub(r"\D", "", match.group())
    if not 13 <= len(number) <= 19 or not luhn_ok(number):
        return False
    before = text[max(0, match.start() - 6):match.start()]
    if re.search(r"\+\d{0,4}[ -]?$", before) or number.startswith("00"):  # an international phone number
        return False
    return True


def redact_cards(text: str) -> tuple[str, int]:
    """`text` with every card number replaced by `[card number removed …1234]`; and how many."""
    found = 0

    def replace(match: re.Match) -> str:
        nonlocal found
        if not _is_card(match, text):
            return match.group()
        found += 1
        return f"[card number removed …{re.sub(r'[^0-9]', '', match.group())[-4:]}]"

    return _CANDIDATE.sub(replace, text), found


def redact_message(message: dict) -> int:
    """Redact card numbers in every customer-written field of a Meta message, in place."""
    count = 0

    def walk(node):
        nonlocal count
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and key in ("body", "caption", "title", "description", "text", "name",
                                                       "address", "payload"):
                    node[key], n = redact_cards(value)
                    count += n
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message)
    return count


def payment_link(template: str, reference: str, amount_minor: int, currency: str) -> str:
    """The shop's payment page for an order: {reference} {amount} {amount_minor} {currency}."""
    places = digits(currency)
    amount = f"{amount_minor / 10 ** places:.{places}f}" if places else str(amount_minor)
    return template.format(reference=quote(reference), amount=quote(amount), amount_minor=amount_minor,
                           currency=quote(currency))


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of a provider callback's `X-Signature` header."""
    return bool(secret and header) and hmac.compare_digest(signature(secret, body), header.strip())
