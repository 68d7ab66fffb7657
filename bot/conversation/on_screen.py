"""Typed words applied to what is on screen: the product card's options and quantity, the cart's lines.

A customer who types instead of tapping means what the bot just showed:
"blue" or "size L please" on a product card picks that option (keeping the
ones chosen before), "2" or "2 please" is the quantity; on the cart, "only 1
linen shirt please" sets that line and "remove the red tees" takes it out.
These are read before the catalog search, so they change the card or the cart
instead of starting a search. A message with other words in it (another
product, a question) is not claimed here and goes on to the fallbacks.

Option values match in any case, with a typo (one edit, two in long words),
and in the customer's words for a colour (the language packs' `colours`).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from rapidfuzz.distance import OSA

from bot.commerce import cart as carts
from bot.commerce.catalog import Product
from bot.conversation import browse, shopping
from bot.conversation.events import EventType
from bot.conversation.turn import Result, Turn
from bot.locales.text import normalise, singular


def _tokens(text: str) -> list[str]:
    return normalise(text).split()


def _asking(turn: Turn) -> set[str]:
    """The words of the add phrases ("i want", "give me"), as tokens."""
    return {w for phrase in turn.content.words.add_words for w in _tokens(phrase)}


def _quantity(turn: Turn, tokens: list[str]) -> tuple[int | None, set[int]]:
    """The one quantity in the message ("2", "x2", "two") and where it is; None if none or several.

    A number word after another word is a pronoun ("the blue one"), unless that word asks for it
    ("i want two")."""
    words, asking = turn.content.words, _asking(turn)
    found = []
    for i, token in enumerate(tokens):
        bare = token.removeprefix("x") if len(token) > 1 else token
        if bare.isdigit() and len(bare) <= 3:
            found.append((i, int(bare)))
        elif token in words.numbers and (i == 0 or tokens[i - 1] in asking):
            found.append((i, words.numbers[token]))
    if len(found) != 1:
        return None, set()
    return found[0][1], {found[0][0]}


def _close(typed: str, word: str) -> bool:
    """The same word, or a typo of it: one edit (a swap counts as one), two in words of 7+ letters."""
    if typed == word:
        return True
    if len(word) < 4 or len(typed) < 3 or not typed.isalpha():
        return False
    return OSA.distance(typed, word) <= (2 if len(word) >= 7 else 1)


def _spellings(turn: Turn, product: Product, value: str) -> list[list[str]]:
    """How a customer may type an option value: itself, its translations in the catalog, and the
    language packs' words for a colour."""
    norm = normalise(value)
    translated = [normalise(word).split() for word in product.translations_of(value)]
    return [norm.split(), *translated, *([w] for w in sorted(turn.content.words.colours.get(norm, ())))]


def _find(tokens: list[str], spelling: list[str], taken: set[int]) -> set[int] | None:
    """The positions of a (possibly multi-word) spelling among the tokens, or None."""
    width = len(spelling)
    for start in range(len(tokens) - width + 1):
        span = set(range(start, start + width))
        if span & taken:
            continue
        if all(_close(tokens[start + k], spelling[k]) if width == 1 else tokens[start + k] == spelling[k]
               for k in range(width)):
            return span
    return None


def options_typed(turn: Turn, product: Product, tokens: list[str]) -> tuple[dict[str, str], set[int]]:
    """The option values of `product` named in the message, one per option, and the tokens they used.

    An option named twice ("white or blue") is not chosen: the question is asked again."""
    chosen: dict[str, str] = {}
    used: set[int] = set()
    for name in product.option_names:
        hits = {}
        for value in sorted({dict(v.options)[name] for v in product.active_variants if name in dict(v.options)}):
            for spelling in _spellings(turn, product, value):
                span = _find(tokens, spelling, used)
                if span is not None:
                    hits[value] = span
                    break
        if len(hits) == 1:
            (value, span), = hits.items()
            chosen[name] = value
            used |= span
    return chosen, used


def _only_these(turn: Turn, tokens: list[str], used: set[int], names: Iterable[str] = ()) -> bool:
    """True when every word not used is one that carries nothing else: a filler, a courtesy, an
    option word ("size"), an add or remove word, or a word of the names on screen."""
    words = turn.content.words
    allowed = (words.fillers | words.courtesy | words.option_words | words.articles | words.remove_words
               | _asking(turn)
               | set(words.numbers) | {"x", "only", "just"} | {singular(w) for name in names for w in _tokens(name)})
    return all(i in used or token in allowed or singular(token) in allowed for i, token in enumerate(tokens))


def on_card(turn: Turn) -> Result | None:
    """Typed text on a product card: its options and a quantity, applied to the product shown."""
    pending = turn.data.get("product") or {}
    product = turn.catalog.product(pending.get("id", "")) if turn.event.type is EventType.TEXT else None
    if product is None:
        return None
    tokens = _tokens(turn.event.text)
    qty, used = _quantity(turn, tokens)
    chosen, named = options_typed(turn, product, tokens)
    # Without an option, a bare quantity is the state's own reading (engine.quantity_on_card).
    if not chosen or not _only_these(turn, tokens, used | named, [*product.all_names, *product.keywords]):
        return None
    kept: dict[str, str] = dict(pending.get("chosen") or {})
    *earlier, (last_name, last_value) = chosen.items()
    kept.update(earlier)
    turn.data["product"] = {"id": product.id, "chosen": kept, "qty": qty or pending.get("qty")}
    variant = product.variant_for({**kept, last_name: last_value})
    if qty and variant is not None and turn.in_stock(variant):
        return shopping.add(turn, variant.sku, qty)
    return browse.choose_option(turn, product.id, last_name, last_value)


def on_cart(turn: Turn) -> Result | None:
    """Typed text on the cart: "only 1 linen shirt", "remove the red tees", "2 of the tote bag"."""
    if turn.event.type is not EventType.TEXT or not turn.cart:
        return None
    tokens = _tokens(turn.event.text)
    removing = {i for i, token in enumerate(tokens) if token in turn.content.words.remove_words}
    qty, used = _quantity(turn, tokens)
    if not removing and qty is None:
        return None
    lines = carts.view(turn.cart, turn.catalog, turn.lang).lines
    line = _line_named(turn, lines, tokens, used | removing)
    if line is None:
        return None
    if removing and qty is None:
        return shopping.remove(turn, line.sku)
    if qty is not None and not removing:
        turn.data["item"] = line.sku
        return shopping.set_quantity(turn, line.sku, qty)
    return None  # "remove 2 ...": less than the whole line; the cart's buttons do that


def _line_named(turn: Turn, lines: Sequence[carts.LineView], tokens: list[str],
               used: set[int]) -> carts.LineView | None:
    """The one cart line the words name (its product name, maybe an option like "red"), or the only
    line when no name is typed ("remove it", "just 2"); None when unclear."""
    def product(line: carts.LineView) -> Product | None:
        variant = turn.catalog.variant(line.sku)
        return turn.catalog.product_of(variant) if variant is not None else None

    def names(line: carts.LineView) -> list[str]:
        """What the line may be called: its product's name and the owner's keywords for it."""
        found = product(line)
        return [*found.all_names, *found.keywords] if found is not None else [line.name]

    def score(line: carts.LineView) -> tuple[int, set[int]]:
        found = product(line)
        chosen, named = options_typed(turn, found, tokens) if found is not None else ({}, set())
        name_words = {singular(w) for name in names(line) for w in _tokens(name)}
        hits = {i for i, t in enumerate(tokens) if i not in used and i not in named
                and any(_close(singular(t), w) for w in name_words)}
        return len(hits) * 2 + len(chosen), hits | named
    scored = [(score(line), line) for line in lines]
    best = max((s for (s, _), _line in scored), default=0)
    if best == 0:
        if len(lines) == 1 and _only_these(turn, tokens, used, []):
            return lines[0]
        return None
    top = [(spans, line) for (s, spans), line in scored if s == best]
    if len(top) != 1:
        return None
    spans, line = top[0]
    return line if _only_these(turn, tokens, used | spans, names(line)) else None
