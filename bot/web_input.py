"""What may come in over HTTP before it reaches the database: ids in range, text PostgreSQL can store,
JSON of a sane depth, and bodies read into the pydantic models the API declares.

Python accepts what the database does not: an id of 20 digits (PostgreSQL's integer
keys stop at 2**31-1, SQLite's at 2**63-1), a NUL character (PostgreSQL text cannot hold
one), a lone surrogate from a JSON `\\ud800` escape (not encodable as UTF-8), and JSON
nested thousands deep (a RecursionError). Each would become a 500; these checks turn them
into InvalidInput naming the field, which the API and the staff pages answer with a 400.
"""
from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from werkzeug.routing import IntegerConverter

from bot.errors import InvalidInput

#: The largest id a row can have: integer primary keys are 32-bit on PostgreSQL.
MAX_ID = 2**31 - 1
#: JSON deeper than this is refused; our bodies are at most three levels deep.
MAX_JSON_DEPTH = 32

M = TypeVar("M", bound=BaseModel)


class IdConverter(IntegerConverter):
    """`<id:name>` in a route: a row id, 1 to MAX_ID; anything else does not match (404)."""

    def __init__(self, map, **kwargs):
        super().__init__(map, min=1, max=MAX_ID)


def as_id(value) -> int | None:
    """A form value as a row id, or None when it cannot be one."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    if "\x00" in value:
        return "must not contain a NUL character (\\u0000)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode (it holds a lone surrogate such as \\ud800)"
    return None


def check_fields(fields: Iterable[tuple[str, str]]) -> None:
    """Query or form fields (name, value): raises InvalidInput for the first one that cannot be stored."""
    for name, value in fields:
        problem = text_problem(name) or text_problem(value)
        if problem:
            raise InvalidInput(name if not text_problem(name) else "field name", problem)


def check_json(body) -> None:
    """Every string (keys too) of a parsed JSON body storable, and no deeper than MAX_JSON_DEPTH.

    Raises InvalidInput whose field is the path of the bad value: `address`, `customer.name`,
    `items[0].sku` (`body` for the whole). Iterative, so depth itself cannot overflow the stack.
    """
    stack = [(body, "", 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, (dict, list)) and depth > MAX_JSON_DEPTH:
            raise InvalidInput("body", f"is nested too deeply (at most {MAX_JSON_DEPTH} levels)")
        if isinstance(node, dict):
            for key, value in node.items():
                problem = text_problem(key)
                if problem:
                    raise InvalidInput(path or "body", f"has a key that {problem}")
                stack.append((value, f"{path}.{key}" if path else key, depth + 1))
        elif isinstance(node, list):
            stack.extend((value, f"{path}[{i}]", depth + 1) for i, value in enumerate(node))
        elif isinstance(node, str):
            problem = text_problem(node)
            if problem:
                raise InvalidInput(path or "body", problem)


def parse_json(raw: bytes):
    """A JSON body checked by `check_json`; raises InvalidInput naming `body` when it is not JSON or too deep."""
    try:
        body = json.loads(raw)
    except RecursionError:
        raise InvalidInput("body", f"is nested too deeply (at most {MAX_JSON_DEPTH} levels)") from None
    except ValueError:  # (UnicodeDecodeError and JSONDecodeError are ValueErrors)
        raise InvalidInput("body", "must be valid JSON") from None
    check_json(body)
    return body


def field_path(loc: tuple) -> str:
    """pydantic's error location as the field a client wrote: ('items', 0, 'sku') -> `items[0].sku`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "body"


def validate(model: type[M], data) -> M:
    """`data` as an instance of the pydantic `model`; raises InvalidInput naming the first bad field.

    A validator may name a field other than where it runs by raising `FieldProblem`.
    """
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        cause = (first.get("ctx") or {}).get("error")
        if isinstance(cause, FieldProblem):
            raise InvalidInput(field_path((*first["loc"], cause.field)), str(cause)) from None
        message = first["msg"].removeprefix("Value error, ")
        raise InvalidInput(field_path(first["loc"]), message[:1].lower() + message[1:]) from None


class FieldProblem(ValueError):
    """Raised by a model's validator about one of its fields (`field`), so the 400 names that field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field
