"""The shopping funnel's steps, noticed from how a conversation's data changed in one step.

The owner's conversion report needs to know who looked at a product, who
filled a cart and who began a checkout. Rather than sprinkle bookkeeping
through every handler, the engine compares the data before and after each
step and asks inbound to record what moved forward.
"""
from __future__ import annotations

from typing import Any

from bot.conversation.effects import Record
from bot.conversation.free_text import record


def _units(data: dict[str, Any]) -> int:
    return sum(int(line.get("qty", 0)) for line in data.get("cart") or [])


def events(before: dict[str, Any], after: dict[str, Any]) -> list[Record]:
    """Record effects for the funnel steps this step reached: product_view, cart_add, checkout_start."""
    found: list[Record] = []
    product = (after.get("product") or {}).get("id")
    if product and product != (before.get("product") or {}).get("id"):
        found.append(record("product_view", product))
    if _units(after) > _units(before):
        found.append(record("cart_add", str(_units(after) - _units(before))))
    ref = (after.get("checkout") or {}).get("ref")
    if ref and ref != (before.get("checkout") or {}).get("ref"):
        found.append(record("checkout_start", ref))
    return found
