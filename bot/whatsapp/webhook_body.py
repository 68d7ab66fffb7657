"""Read a signed webhook body so that one bad update cannot sink the others in the same body.

Meta retries a whole body until it gets a 200, so an update the database
cannot store (a NUL, a lone surrogate, a number PostgreSQL's JSON rejects, an
id longer than the column) or JSON nested too deep for the parser must not
turn the request into a 500: the good updates beside it would be redelivered
for days, and the bad one would never store. Instead `parse` cuts containers
nested deeper than `MAX_DEPTH` before parsing, `clean` makes each update's
payload storable and names what it changed, and `storable_id` shortens an
over-long id with a hash so the unique constraint still recognises it. The
webhook stores such updates as failed, for a person to look at.
"""
from __future__ import annotations

import hashlib
import json
import math
import re

from bot.whatsapp.json_walk import containers

#: Meta's payloads nest about ten levels; anything deeper than this is cut before parsing.
MAX_DEPTH = 64
ID_LENGTH = 255  # inbound_event.external_id

TOO_DEEP = f"[removed: nested deeper than {MAX_DEPTH} levels]"
BAD_NUMBER = "[removed: a number JSON storage cannot hold]"
_SENTINELS = {TOO_DEEP: f"nested deeper than {MAX_DEPTH} levels (cut)",
              BAD_NUMBER: "a number too long or not finite (replaced)"}
_TOKEN = re.compile(r'"(?:[^"\\]++|\\.)*+"|[\[\]{}]')
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _cut_deep(text: str) -> str:
    """`text` with every container nested deeper than MAX_DEPTH replaced by the string TOO_DEEP."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return text
    depth, start, spans = 0, None, []
    for token in _TOKEN.finditer(text):
        ch = token.group()
        if ch in "[{":
            depth += 1
            if depth == MAX_DEPTH + 1 and start is None:
                start = token.start()
        elif ch in "]}":
            if depth == MAX_DEPTH + 1 and start is not None:
                spans.append((start, token.end()))
                start = None
            depth -= 1
    if start is not None:
        spans.append((start, len(text)))
    if not spans:
        return text
    parts, last = [], 0
    for a, b in spans:
        parts += [text[last:a], json.dumps(TOO_DEEP)]
        last = b
    parts.append(text[last:])
    return "".join(parts)


def _number(text: str, kind):
    try:
        value = kind(text)
    except ValueError:  # an integer over Python's 4300-digit limit
        return BAD_NUMBER
    return value if not isinstance(value, float) or math.isfinite(value) else BAD_NUMBER


def parse(raw: bytes):
    """The body as JSON, containers nested deeper than MAX_DEPTH cut; ValueError if it is not JSON.

    Numbers PostgreSQL cannot store (NaN, Infinity, 1e999, integers of
    thousands of digits) come back as the string BAD_NUMBER, for `clean` to report.
    """
    text = _cut_deep(raw.decode("utf-8"))
    try:
        return json.loads(text, parse_int=lambda s: _number(s, int), parse_float=lambda s: _number(s, float),
                          parse_constant=lambda s: BAD_NUMBER)
    except RecursionError:  # cannot happen after the cut; never a 500 if it does
        raise ValueError("nested too deep to parse") from None


def as_object(value) -> dict:
    """`value` if it is a JSON object, else an empty one.

    For readers of stored payloads, which hold whatever was sent: a
    `location` may be a string, a `text` a number.
    """
    return value if isinstance(value, dict) else {}


def as_text(value) -> str:
    """`value` if it is a string, else empty (a stored field may hold any JSON)."""
    return value if isinstance(value, str) else ""


def storable_text(text: str) -> str:
    """`text` without the characters no database column can hold (NUL, lone surrogates)."""
    return _UNSTORABLE.sub("\ufffd", text)


def clean(node) -> list[str]:
    """Make a parsed payload storable, in place; what had to change, in words (empty: nothing).

    NUL characters and lone surrogates (in values and keys) become U+FFFD;
    cut containers and unstorable numbers were marked by `parse`. Walks
    without recursion.
    """
    problems: dict[str, None] = {}
    for current in containers(node):
        if isinstance(current, dict):
            for key in [k for k in current if isinstance(k, str) and _UNSTORABLE.search(k)]:
                current[storable_text(key)] = current.pop(key)
                problems["a NUL character or lone surrogate (replaced)"] = None
            items = list(current.items())
        else:
            items = list(enumerate(current))
        for key, value in items:
            if isinstance(value, str):
                if value in _SENTINELS:
                    problems[_SENTINELS[value]] = None
                elif _UNSTORABLE.search(value):
                    current[key] = storable_text(value)
                    problems["a NUL character or lone surrogate (replaced)"] = None
    return list(problems)


def storable_id(external_id: str) -> tuple[str, str | None]:
    """An id the unique column can hold, and what was wrong with it (None: nothing).

    An over-long id keeps its start and ends with the SHA-256 of the whole
    id, so the same id always maps to the same value and a redelivery is
    still recognised as a duplicate.
    """
    fixed = storable_text(external_id)
    problem = "its id held a NUL character or lone surrogate (replaced)" if fixed != external_id else None
    if len(fixed) > ID_LENGTH:
        digest = hashlib.sha256(external_id.encode("utf-8", "surrogatepass")).hexdigest()
        fixed = f"{fixed[:ID_LENGTH - 72]}…sha256:{digest}"
        problem = f"its id was {len(external_id)} characters, over {ID_LENGTH} (shortened)"
    return fixed, problem
