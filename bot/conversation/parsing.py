"""Reading intent from free text: global commands and quantities ("2 red shirts", "add 3 x SKU123").

The words come from the language packs (bot/locales, flows/locale.<lang>.yaml), all languages at
once: `words` is the combined pack of the loaded content (`Content.words`).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from bot.locales.text import normalise

if TYPE_CHECKING:
    from bot.content.language_packs import LanguagePack


def command(text: str, words: LanguagePack) -> str | None:
    """The built-in global command this text asks for, if it is one (flows/intents.yaml is asked first)."""
    norm = normalise(text)
    return next((name for name, phrases in words.commands.items() if norm in phrases), None)


def bare_quantity(text: str, words: LanguagePack) -> int | None:
    """'3', ' 3 ', 'x3', 'three' -> 3; None if the text is not just a quantity."""
    norm = normalise(text).removeprefix("x").strip()
    if norm.isdigit():
        return int(norm)
    return words.numbers.get(norm)


def quantity_and_rest(text: str, words: LanguagePack) -> tuple[int | None, str]:
    """Split a leading quantity from what is wanted: '2 red shirts' -> (2, 'red shirts'),
    'add 3 x SKU123' -> (3, 'SKU123'), 'red shirt' -> (None, 'red shirt')."""
    cleaned = text.strip()
    lowered = cleaned.casefold()
    for word in sorted(words.add_words, key=lambda w: (-len(w), w)):
        if lowered.startswith(word + " "):
            cleaned = cleaned[len(word):].strip()
            break
    match = re.match(r"^(\d{1,3}|[^\W\d_]+)\s*(?:x|×|\*)?\s+(.+)$", cleaned, re.IGNORECASE)
    if match:
        head = normalise(match.group(1))
        number = int(head) if head.isdigit() else words.numbers.get(head) or (1 if head in words.articles else None)
        if number:
            return number, match.group(2).strip()
    match = re.match(r"^(.+?)\s+(?:x\s*)?(\d{1,3})$", cleaned, re.IGNORECASE)  # "SKU123 x 2"
    if match and re.search(r"x\s*\d+$", cleaned, re.IGNORECASE):
        return int(match.group(2)), match.group(1).strip()
    return None, cleaned


def asks_order_status(text: str, words: LanguagePack) -> bool:
    """A question about an order in words flows/intents.yaml does not list ("has my parcel arrived yet?"):
    an order word together with a where/status/arrive word."""
    said = set(normalise(text).split())
    if len(said) > 14:
        return False
    return bool(said & words.order_words) and bool(said & words.status_words)


#: What a customer may type as an order number: "#12345", "99812", "ABC-12345", "ord 4411".
_ORDER_NUMBER = re.compile(r"(?<![\w-])(#\s?\d{3,10}|\d{4,10}|[A-Za-z]{2,5}[-_]?\d{3,10}"
                           r"|[A-Za-z]{2,5}-[A-Za-z0-9]{4,8})(?![\w-])")


def order_number(text: str, words: LanguagePack) -> str | None:
    """An order number in the text, when the text is about an order: "my order number is 99812",
    "status ABC-12345", "#4411", or a number typed alone; None otherwise (a phone number, a size)."""
    found = [m.group(1) for m in _ORDER_NUMBER.finditer(text)
             if any(c.isdigit() for c in m.group(1)) and not m.group(1).lower().startswith("x")]
    if len(found) != 1:
        return None
    number = found[0]
    said = set(normalise(text).split())
    about_an_order = bool(said & (words.order_words | words.status_words)) or number.startswith("#")
    alone = normalise(text) == normalise(number)
    return number.upper().replace(" ", "") if about_an_order or (alone and not number.isdigit()) else None
