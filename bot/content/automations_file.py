"""`abandoned_cart:` of flows/settings.yaml: when a cart left untouched gets its one reminder.

The owner chooses how long a cart may wait (`after_minutes`); without the
section, carts are never reminded (a shop opts in to a message customers did
not ask for). Checked like every setting: a bad value is a
`flows/settings.yaml:LINE:` error and the last good content keeps serving.
"""
from __future__ import annotations

from dataclasses import dataclass

from ruamel.yaml.comments import CommentedMap

from bot.content.problems import Problem, did_you_mean
from bot.content.yamlfile import line_of

SETTINGS = "flows/settings.yaml"
KEYS = ("after_minutes",)
#: WhatsApp's window is 24 hours: a reminder after that is always a template, so a day is the most.
MOST_MINUTES = 24 * 60


@dataclass(frozen=True)
class AbandonedCart:
    """When a cart is reminded: `after_minutes` untouched; None when the shop has no reminders."""

    after_minutes: int | None = None


def load_abandoned_cart(data: CommentedMap | None, problems: list[Problem]) -> AbandonedCart:
    """`abandoned_cart:` of flows/settings.yaml, each value checked; no reminders without it."""
    section = data.get("abandoned_cart") if data else None
    if section is None:
        return AbandonedCart()
    if not isinstance(section, CommentedMap):
        problems.append(Problem(SETTINGS, line_of(data, "abandoned_cart"),
                                "abandoned_cart must be a mapping of settings, like `after_minutes: 60`"))
        return AbandonedCart()
    for key in section:
        if key not in KEYS:
            problems.append(Problem(SETTINGS, line_of(section, key),
                                    f"unknown abandoned_cart setting `{key}`{did_you_mean(str(key), KEYS)}"))
    if "after_minutes" not in section:
        problems.append(Problem(SETTINGS, line_of(data, "abandoned_cart"),
                                "abandoned_cart needs `after_minutes`: how long a cart waits before its reminder"))
        return AbandonedCart()
    value = section["after_minutes"]
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MOST_MINUTES:
        problems.append(Problem(SETTINGS, line_of(section, "after_minutes"),
                                f"after_minutes must be a whole number from 1 to {MOST_MINUTES} (24 hours)"))
        return AbandonedCart()
    return AbandonedCart(value)
