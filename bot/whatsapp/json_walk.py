"""Walking a parsed JSON value without recursion, so nesting depth can never make it fail.

Shared by the two passes every stored update gets: making it storable
(`webhook_body.clean`) and removing card numbers (`redaction.redact_json`).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any


def containers(node: Any, skip: Callable[[str], bool] | None = None) -> Iterator[dict[Any, Any] | list[Any]]:
    """Every dict and list in `node`, itself included; nothing under a dict key for which `skip` is true.

    A caller may change the values and keys of the container it is given; the
    containers below it were noted before it was handed over.
    """
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            children = [v for k, v in current.items() if not (skip and isinstance(k, str) and skip(k))]
        elif isinstance(current, list):
            children = list(current)
        else:
            continue
        stack.extend(c for c in children if isinstance(c, (dict, list)))
        yield current
