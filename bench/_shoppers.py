"""Customers of the sample shop (Lumen & Loom) for bench/throughput.py: what they type and tap.

Each customer answers what the bot really sent it: `Shoppers.next_message` reads the
customer's messages from the fake Graph API's record and either taps one of the buttons or
list rows of the last interactive message (Meta's `interactive.button_reply` /
`list_reply` shapes, with the tapped message as `context`) or types something from the
lists below, written from flows/ and catalog/: greetings, product searches with typos,
FAQ questions in the customers' own words, cart adds, checkout answers (a name, an
address, a note), "where is my order", thanks; in English and some Spanish. Each
customer has its own random generator seeded from the run's seed and its number, so a
run is the same every time the bot answers the same.

Nothing here hands a chat to a person (no "talk to a person" taps, no handoff keywords):
a handed-over chat gets no answers, which a throughput run would count as lost. A
customer the bot handed over anyway (three misses in a row) types "menu" next, which
gives the chat back to the bot.
"""
from __future__ import annotations

import random
import re
import threading
import zlib
from collections import Counter
from dataclasses import dataclass

import _common as c

GREETINGS = ["hi", "hello", "hey there", "good morning", "hola", "hiya", "hi!", "buenas tardes"]
MENU = ["menu", "main menu", "options", "menú"]
SEARCHES = [
    "tshrt", "organic tee white M", "red tee size M", "linen shrit", "linnen shirt blue L", "oxford shirt",
    "flanel shirt", "sneekers 42", "canvas sneakers size 41", "do you have boots?", "leather ankle boots 39",
    "espadriles 40", "wool beenie", "mustard beanie", "canvas tote", "olive oil soap", "fig candle",
    "ceramic mug", "linen napkins", "wool throw", "silk scarf", "leather belt 90", "kids dino tee",
    "zapatillas talla 42", "camiseta roja", "botas", "do you have red shirts?", "sunset tee L",
]
FAQS = [
    "how long does delivery take", "how much is shipping to valencia", "can i pay by card", "do you ship abroad",
    "can i pick it up at the shop", "what time do you open on saturday", "where is the shop", "whats your phone number",
    "is it safe to pay online", "can i pay cash on delivery", "how do i pay by bank transfer", "can i get an invoice",
    "any discount codes?", "what is your return policy", "can i exchange for another size", "when do i get my refund",
    "which size should i take", "how do i wash linen", "do you do gift wrapping", "do you sell gift cards",
    "¿cuánto tarda el envío?", "horario del sábado", "when will the red tee L be back",
]
CART_ADDS = ["add 2", "add 1", "2 please", "add 3"]  # on a product card: a quantity
CART_TYPED = ["add 1 TEE-WHT-M", "2 candles", "add 2 x HOM-SOAP", "1 canvas tote"]
CART_AND_CHECKOUT = ["cart", "my basket", "checkout", "show cart", "pay now"]
STATUS = ["where is my order", "has my order shipped?", "order status", "status SHP-7K3F9", "dónde está mi pedido",
          "track my order"]
THANKS = ["thanks!", "thank you", "thanks a lot", "gracias", "cheers"]
NAMES = ["Ana García", "Luis Martín", "Sara López", "Omar Haddad", "Lucía Fernández"]
ADDRESSES = ["Calle Mayor 5, 28013 Madrid", "Avenida de América 12, 3B, 28028 Madrid",
             "Carrer de Balmes 101, 08008 Barcelona", "Calle Larios 3, 29005 Málaga"]
NOTES = ["ring the bell twice", "it's a gift, no prices please", "leave it with the porter"]

#: Taps that would hand the chat to a person or stop the bot's messages.
AVOID = re.compile(r"person|talk|human|agent|staff|stop|unsubscribe", re.IGNORECASE)
HANDED_OVER = ("A person from our team will reply", "We're closed right now", "Una persona del equipo")

#: What a returning customer does, with weights (a tap falls back to typing when nothing can be tapped).
MIX = {"tap": 45, "search": 15, "faq": 12, "cart add": 6, "status": 6, "menu": 5, "cart/checkout": 5,
       "greeting": 3, "thanks": 3}
FIRST = {"greeting": 45, "search": 25, "faq": 20, "status": 10}
JOURNEY = {"tap": 85, "search": 5, "cart add": 5, "cart/checkout": 5}  # a shopping journey: mostly taps
TYPED = {"search": SEARCHES, "faq": FAQS, "status": STATUS, "menu": MENU, "cart/checkout": CART_AND_CHECKOUT,
         "greeting": GREETINGS, "thanks": THANKS}


@dataclass(frozen=True)
class Option:
    """A button or list row the bot sent, as a tap on it comes back from Meta."""

    kind: str  # button_reply | list_reply
    id: str
    title: str
    description: str | None
    wamid: str  # the message it belongs to (the tap's `context.id`)


def options_of(payload: dict, wamid: str) -> list[Option]:
    """The reply buttons and list rows of one message the bot sent (none for other messages)."""
    inter = payload.get("interactive") or {}
    action = inter.get("action") or {}
    if inter.get("type") == "button":
        return [Option("button_reply", b["reply"]["id"], b["reply"]["title"], None, wamid)
                for b in action.get("buttons") or [] if b.get("type") == "reply"]
    if inter.get("type") == "list":
        return [Option("list_reply", r["id"], r["title"], r.get("description"), wamid)
                for s in action.get("sections") or [] for r in s.get("rows") or []]
    return []


@dataclass
class Message:
    """One customer message: who, what they did, and the webhook body Meta would post."""

    customer: str  # wa_id
    wamid: str
    kind: str  # tap, search, faq, ... (the keys of MIX), or first-message kinds
    text: str  # typed text, or the tapped title
    body: bytes = b""
    fell_back: bool = False  # it meant to tap, but nothing could be tapped: it typed instead

    @property
    def recipient(self) -> str:
        """Where the bot's replies go (the BSUID)."""
        return c.bsuid(self.customer)


@dataclass
class Shopper:
    wa_id: str
    rng: random.Random
    name: str
    sent: int = 0
    seen: int = 0  # how many of the bot's messages it had received when it last wrote


@dataclass
class Shoppers:
    """The customers of one run; `next_message` decides what a customer writes now."""

    graph: object  # _fake_meta.FakeGraph: sent_to(recipient) -> list of Send
    seed: int
    prefix: str  # makes the run's message ids unique
    journey: bool = False  # mostly taps (a shopping journey) instead of the everyday mix

    def __post_init__(self):
        self._shoppers: dict[str, Shopper] = {}
        self._lock = threading.Lock()
        self._seq = 0

    def shopper(self, wa_id: str) -> Shopper:
        with self._lock:
            s = self._shoppers.get(wa_id)
            if s is None:
                rng = random.Random(self.seed * 1_000_003 + zlib.crc32(wa_id.encode()))
                s = self._shoppers[wa_id] = Shopper(wa_id, rng, f"Customer {wa_id[-4:]}")
            return s

    def next_message(self, wa_id: str) -> Message:
        """What `wa_id` writes next, given everything the bot has sent it so far."""
        s = self.shopper(wa_id)
        sends = self.graph.sent_to(c.bsuid(wa_id))
        kind, text, tap, fell_back = self._decide(s, sends)
        with self._lock:
            self._seq += 1
            wamid = f"wamid.{self.prefix}.{self._seq:06d}"
        if tap is not None:
            reply = {"id": tap.id, "title": tap.title}
            if tap.description:
                reply["description"] = tap.description
            content = {"context": {"from": c.DISPLAY, "id": tap.wamid}, "type": "interactive",
                       "interactive": {"type": tap.kind, tap.kind: reply}}
        else:
            content = {"type": "text", "text": {"body": text}}
        s.sent += 1
        s.seen = len(sends)
        body = c.message_webhook(wa_id, {"id": wamid, **content}, name=s.name)
        return Message(wa_id, wamid, kind, text, body, fell_back)

    def _decide(self, s: Shopper, sends: list) -> tuple[str, str, Option | None, bool]:
        """(kind, text, the option tapped or None, whether a tap fell back to typing)."""
        rng = s.rng
        if s.sent == 0:
            kind = _pick(rng, FIRST)
            return kind, rng.choice(TYPED[kind]), None, False
        latest = sends[-1].text if sends else ""
        if any(h in latest for h in HANDED_OVER):
            return "menu", "menu", None, False
        if "delivery address" in latest or "too short for an address" in latest:
            return "checkout answer", rng.choice(ADDRESSES), None, False
        if "What name should we put" in latest:
            return "checkout answer", rng.choice(NAMES), None, False
        if "Anything we should know" in latest and rng.random() < 0.5:  # or tap "No note" below
            return "checkout answer", rng.choice(NOTES), None, False
        kind, fell_back = _pick(rng, JOURNEY if self.journey else MIX), False
        if kind == "tap":
            tap = self._tap(rng, sends)
            if tap is not None:
                return "tap", tap.title, tap, False
            kind, fell_back = rng.choice(["search", "faq", "menu"]), True
        if kind == "cart add":
            on_card = bool(sends) and any(o.title == "Add to cart" for o in options_of(sends[-1].payload, ""))
            return kind, rng.choice(CART_ADDS if on_card else CART_TYPED), None, fell_back
        return kind, rng.choice(TYPED[kind]), None, fell_back

    @staticmethod
    def _tap(rng: random.Random, sends: list) -> Option | None:
        """A button or row of the last interactive message the customer received."""
        for send in reversed(sends):
            found = [o for o in options_of(send.payload, send.wamid or "")
                     if not AVOID.search(o.id) and not AVOID.search(o.title)]
            if found:
                return rng.choice(found)
            if options_of(send.payload, ""):
                return None  # the last menu offered only a person: type instead
        return None



def mix(messages: list[Message]) -> str:
    """What the customers did, in shares of `messages`."""
    kinds = Counter(m.kind for m in messages)
    total = sum(kinds.values())
    parts = ", ".join(f"{k} {100 * n / total:.0f}%" for k, n in kinds.most_common()) if total else "none"
    return f"{total} customer messages: {parts}"


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]
