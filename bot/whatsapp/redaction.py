"""Card numbers never enter our records: find them in text and in whole webhook payloads.

A card number is 13-19 digits that pass the Luhn check, written in one run or
in groups of three or more digits split by spaces (single, double,
non-breaking), newlines, dots, dashes, slashes or underscores. Digits written
like a phone number (after a `+`, or starting with `00`) are left alone, and
so are short groups (cents in `36.90`, dates in `12/28`), which no card is
written with. A card number is replaced, before anything is stored or logged,
by a marker keeping its last four digits.

`redact_json` applies this to every string of a parsed payload (profile
names, captions, filenames, addresses, contact cards, Flow replies...) except
the identifiers, phone numbers and timestamps Meta writes, which a customer
cannot type into and which must stay intact for routing and deduplication.
"""
from __future__ import annotations

import json
import re

from bot.whatsapp.json_walk import containers

#: Between two groups of one card number: up to three spaces (any kind, newlines
#: included), dots, dashes, slashes, underscores or invisible joiners.
_SEPARATOR = r"[\s./\\_\-\u200b\u2060\ufeff]{1,3}"
_RUN = re.compile(rf"\d+(?:{_SEPARATOR}\d+)*")
_GROUP = re.compile(r"\d+")
_PHONE_PREFIX = re.compile(r"\+[\s\-.]?$")

#: Keys whose values Meta writes (ids, phone numbers, timestamps, hashes): never redacted.
KEEP_KEYS = frozenset({"id", "from", "to", "wa_id", "phone", "recipient_id", "display_phone_number",
                       "timestamp", "sha256", "mime_type", "biz_opaque_callback_data"})


def luhn_ok(number: str) -> bool:
    """Whether a string of digits passes the Luhn check every card number passes."""
    total, double = 0, False
    for ch in reversed(number):
        d = int(ch)
        if double:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
        double = not double
    return total % 10 == 0


def _kept(key: str) -> bool:
    return key in KEEP_KEYS or key.endswith(("_id", "_ids", "timestamp"))


def _card_spans(run: str) -> list[tuple[int, int]]:
    """Start and end (in `run`) of each card number in one run of digit groups."""
    groups = list(_GROUP.finditer(run))
    spans, i = [], 0
    while i < len(groups):
        best, total = None, 0
        for j in range(i, len(groups)):
            size = len(groups[j].group())
            if size < 3 and len(groups) > 1:  # cents, dates, a country code: never a card's group
                break
            total += size
            if total > 19:
                break
            number = "".join(g.group() for g in groups[i:j + 1])
            if total >= 13 and not number.startswith("00") and luhn_ok(number):
                best = j
        if best is None:
            i += 1
            continue
        spans.append((groups[i].start(), groups[best].end()))
        i = best + 1
    return spans


def redact_cards(text: str) -> tuple[str, int]:
    """`text` with every card number replaced by `[card number removed …1234]`; and how many."""
    found = 0
    out: list[str] = []
    last = 0
    for run in _RUN.finditer(text):
        if _PHONE_PREFIX.search(text[max(0, run.start() - 2):run.start()]):
            continue  # an international phone number
        for start, end in _card_spans(run.group()):
            digits = re.sub(r"\D", "", run.group()[start:end])
            out += [text[last:run.start() + start], f"[card number removed …{digits[-4:]}]"]
            last = run.start() + end
            found += 1
    if not found:
        return text, 0
    out.append(text[last:])
    return "".join(out), found


def _redact_value(value):
    """(the value with card numbers removed, how many); nested JSON in a string stays valid JSON."""
    if isinstance(value, bool):
        return value, 0
    if isinstance(value, int):
        digits = str(abs(value))
        if 13 <= len(digits) <= 19 and luhn_ok(digits):
            return f"[card number removed …{digits[-4:]}]", 1
        return value, 0
    if not isinstance(value, str):
        return value, 0
    if value[:1] in ("{", "[") and any(ch.isdigit() for ch in value):  # a Flow reply's `response_json`
        try:
            nested = json.loads(value)
        except (ValueError, RecursionError):
            nested = None
        if isinstance(nested, (dict, list)):
            found = redact_json(nested)
            if not found:
                return value, 0
            try:
                return json.dumps(nested, ensure_ascii=False), found
            except (ValueError, RecursionError):
                pass
    return redact_cards(value)


def redact_json(node) -> int:
    """Remove card numbers from every string (and long integer) in a parsed JSON value, in place.

    Values under identifier, phone and timestamp keys (`KEEP_KEYS`, `*_id`,
    `*timestamp`) are kept. Walks without recursion, so nesting depth cannot
    make it fail. Returns how many card numbers were removed.
    """
    found = 0
    for current in containers(node, skip=_kept):
        if isinstance(current, dict):
            items = [(k, v) for k, v in current.items() if not (isinstance(k, str) and _kept(k))]
        else:
            items = list(enumerate(current))
        for key, value in items:
            if isinstance(value, (dict, list)):
                continue
            new, n = _redact_value(value)
            if n:
                current[key] = new
                found += n
    return found
