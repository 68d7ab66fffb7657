"""Reading intent from free text: global commands and quantities ("2 red shirts", "add 3 x SKU123")."""
from __future__ import annotations

import re

from ..text import normalise

#: Built-in words for the global commands, used when flows/intents.yaml does not recognise a message.
COMMAND_WORDS: dict[str, frozenset[str]] = {
    "menu": frozenset({"menu", "main menu", "options", "menú", "القائمة", "قائمه", "قائمة"}),
    "greeting": frozenset({"hi", "hello", "hey", "hiya", "good morning", "good afternoon", "good evening",
                           "hola", "buenas", "buenos dias", "buenas tardes", "مرحبا", "السلام عليكم", "اهلا", "start"}),
    "cart": frozenset({"cart", "my cart", "basket", "bag", "view cart", "show cart", "carrito", "mi carrito",
                       "cesta", "السله", "سله", "السلة"}),
    "browse": frozenset({"browse", "catalog", "catalogue", "shop", "products", "categories", "catalogo",
                         "productos", "categorias", "المنتجات", "الكتالوج"}),
    "search": frozenset({"search", "buscar", "بحث"}),
    "cancel": frozenset({"cancel", "cancelar", "الغاء", "إلغاء"}),
    "checkout": frozenset({"checkout", "check out", "pay", "place order", "order now", "buy", "buy now", "pagar",
                           "comprar", "finalizar compra", "tramitar pedido", "الدفع", "اتمام الطلب"}),
}
_NORMALISED = {name: frozenset(normalise(w) for w in ws) for name, ws in COMMAND_WORDS.items()}

NUMBER_WORDS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "a": 1, "an": 1, "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "واحد": 1, "اثنين": 2, "اثنان": 2, "ثلاثه": 3, "اربعه": 4, "خمسه": 5,
}
_ADD_WORDS = {"add", "put", "i want", "i'd like", "i would like", "want", "give me", "añade", "añadir", "agrega",
              "quiero", "pon", "اضف", "أضف", "اريد"}


def command(text: str) -> str | None:
    """The global command this text asks for, if it is one."""
    norm = normalise(text)
    return next((name for name, ws in _NORMALISED.items() if norm in ws), None)


def bare_quantity(text: str) -> int | None:
    """'3', ' 3 ', 'x3', 'three' -> 3; None if the text is not just a quantity."""
    norm = normalise(text).removeprefix("x").strip()
    if norm.isdigit():
        return int(norm)
    return NUMBER_WORDS.get(norm) if norm in NUMBER_WORDS and norm not in ("a", "an", "un", "una") else None




def quantity_and_rest(text: str) -> tuple[int | None, str]:
    """Split a leading quantity from what is wanted: '2 red shirts' -> (2, 'red shirts'),
    'add 3 x SKU123' -> (3, 'SKU123'), 'red shirt' -> (None, 'red shirt')."""
    cleaned = text.strip()
    lowered = cleaned.casefold()
    for word in sorted(_ADD_WORDS, key=len, reverse=True):
        if lowered.startswith(word + " "):
            cleaned = cleaned[len(word):].strip()
            break
    match = re.match(r"^(\d{1,3}|[^\W\d_]+)\s*(?:x|×|\*)?\s+(.+)$", cleaned, re.IGNORECASE)
    if match:
        head = normalise(match.group(1))
        number = int(head) if head.isdigit() else NUMBER_WORDS.get(head)
        if number:
            return number, match.group(2).strip()
    match = re.match(r"^(.+?)\s+(?:x\s*)?(\d{1,3})$", cleaned, re.IGNORECASE)  # "SKU123 x 2"
    if match and re.search(r"x\s*\d+$", cleaned, re.IGNORECASE):
        return int(match.group(2)), match.group(1).strip()
    return None, cleaned


def asks_order_status(text: str) -> bool:
    """A question about an order in words flows/intents.yaml does not list ("has my parcel arrived yet?"):
    an order word together with a where/status/arrive word, in the shop's three sample languages."""
    words = set(normalise(text).split())
    if len(words) > 14:
        return False
    return bool(words & {"order", "orders", "pedido", "pedidos", "طلبي", "الطلب", "package", "parcel"}) and bool(
        words & {"where", "wheres", "status", "track", "tracking", "shipped", "arrive", "arrived", "donde", "estado",
                 "llega", "llegado", "enviado", "seguimiento", "اين", "وين", "حاله", "تتبع", "متي"})
