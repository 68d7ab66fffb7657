"""The conversation's design holds: only the engine decides states, the step reads no database,
and typed messages become exactly the specs the outbox stores. No Flask."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.content import load_content
from bot.conversation import effects, engine
from bot.conversation.events import Event, EventType, State
from bot.conversation.messages import (
    Button,
    Buttons,
    CtaUrl,
    Document,
    Image,
    List,
    Product,
    Products,
    ProductSection,
    Row,
    Section,
    Template,
    Text,
)
from bot.conversation.states import StateName

REPO = Path(__file__).resolve().parent.parent
BOT = REPO / "bot"


def _state_assignments(tree: ast.AST) -> list[int]:
    """Lines assigning `<something>.state` on a conversation (the circuit breaker's `gate.state` is not one)."""
    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            for item in target.elts if isinstance(target, ast.Tuple) else [target]:
                if (isinstance(item, ast.Attribute) and item.attr == "state"
                        and not (isinstance(item.value, ast.Name) and item.value.id == "gate")):
                    lines.append(item.lineno)
    return lines


def test_only_the_conversation_package_and_inbound_assign_a_conversation_state():
    allowed = {BOT / "whatsapp" / "inbound.py"}
    offenders = []
    for path in BOT.rglob("*.py"):
        if path in allowed or (BOT / "conversation") in path.parents:
            continue
        offenders += [f"{path.relative_to(REPO)}:{line}" for line in _state_assignments(ast.parse(path.read_text()))]
    assert offenders == []


def _runtime_imports(path: Path) -> set[str]:
    """Modules `path` imports when it runs (imports under `if TYPE_CHECKING:` are for types only)."""
    tree = ast.parse(path.read_text())
    typing_only = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If)
                   and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"
                   for n in ast.walk(node)}
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_engine_reads_no_database_and_no_flask():
    """Only `actions` (which carries out effects in inbound's transaction) touches the database;
    nothing in the conversation package reads Flask's app (PUBLIC_URL comes in the Context)."""
    for path in (BOT / "conversation").glob("*.py"):
        imports = _runtime_imports(path)
        assert not {m for m in imports if m.split(".")[0] == "flask"}, path.name
        if path.name != "actions.py":
            database = {m for m in imports if m.split(".")[0] == "sqlalchemy" or m in ("bot.db", "bot.models")}
            assert not database, path.name


def test_every_state_has_its_handlers_and_keeps_its_stored_name():
    assert set(engine.STATES) == set(StateName)
    assert [s.value for s in StateName] == ["new", "menu", "handoff", "browsing", "product", "searching", "cart",
                                            "cart_item", "checkout"]


@pytest.fixture(scope="module")
def content():
    loaded, _warnings = load_content(REPO)
    return loaded


def test_the_step_takes_stock_levels_as_plain_data(content):
    """The tote bag has stock in the catalog; the levels given to the step say none is left."""
    tap = Event(EventType.CHOICE, choice="product:canvas-tote", profile_name="Ana")
    _state, replies = engine.step(content, State("browsing", {"name": "Ana"}), tap, stock={"ACC-TOTE": 0})
    assert [b.title for b in replies[0].buttons] == ["🔔 Tell me when back", "Back", "View cart"]
    _state, replies = engine.step(content, State("browsing", {"name": "Ana"}), tap, stock={"ACC-TOTE": 3})
    assert [b.title for b in replies[0].buttons] == ["Add to cart", "View cart", "Back"]


def test_the_engine_asks_for_typed_effects(content):
    after, replies = engine.step(content, State("menu", {"name": "Ana"}),
                                 Event(EventType.TEXT, text="talk to a person"))
    assert after.name == StateName.HANDOFF
    assert effects.Handoff("person") in replies and all(not isinstance(r, dict) for r in replies)


SPECS = [
    (Text("hi"), {"type": "text", "text": "hi"}),
    (Buttons("Pick", (Button("a", "A"), Button("b", "B"))),
     {"type": "buttons", "text": "Pick", "buttons": [{"id": "a", "title": "A"}, {"id": "b", "title": "B"}]}),
    (Buttons("Pick", (Button("a", "A"),), header="Top"),
     {"type": "buttons", "text": "Pick", "buttons": [{"id": "a", "title": "A"}], "header": "Top"}),
    (List("Body", "Open", (Section("Open", (Row("r1", "One", "first"), Row("r2", "Two"))),)),
     {"type": "list", "text": "Body", "button": "Open", "sections": [
         {"title": "Open", "rows": [{"id": "r1", "title": "One", "description": "first"},
                                    {"id": "r2", "title": "Two"}]}]}),
    (Image("Cap", path="images/a.png", buttons=(Button("add:X", "Add"),)),
     {"type": "image", "path": "images/a.png", "caption": "Cap", "buttons": [{"id": "add:X", "title": "Add"}]}),
    (Image("Cap", url="https://cdn.example/a.png"),
     {"type": "image", "url": "https://cdn.example/a.png", "caption": "Cap", "buttons": []}),
    (Product("123", "TEE-RED-M", "Tee"), {"type": "product", "catalog_id": "123", "sku": "TEE-RED-M", "text": "Tee"}),
    (Products("123", "Tees", "All tees", (ProductSection("Tees", ("A", "B")),)),
     {"type": "products", "catalog_id": "123", "header": "Tees", "text": "All tees",
      "sections": [{"title": "Tees", "skus": ["A", "B"]}]}),
    (Document("inv.pdf", "Your invoice", invoice_id=7),
     {"type": "document", "filename": "inv.pdf", "caption": "Your invoice", "invoice_id": 7}),
    (Document("inv.pdf", "Your invoice", url="https://shop.example/inv.pdf"),
     {"type": "document", "filename": "inv.pdf", "caption": "Your invoice", "url": "https://shop.example/inv.pdf"}),
    (Template("order_shipped", "en", ("SHP-1", "Ana")),
     {"type": "template", "name": "order_shipped", "language": "en", "params": ["SHP-1", "Ana"]}),
    (CtaUrl("Pay for SHP-1", "Pay now", "https://pay.example/SHP-1"),
     {"type": "cta_url", "text": "Pay for SHP-1", "button": "Pay now", "url": "https://pay.example/SHP-1"}),
    (CtaUrl("Pay", "Pay now", "https://pay.example/x", header="Order", footer="Secure"),
     {"type": "cta_url", "text": "Pay", "button": "Pay now", "url": "https://pay.example/x", "header": "Order",
      "footer": "Secure"}),
]


@pytest.mark.parametrize("message,spec", SPECS)
def test_each_message_kind_gives_the_spec_the_outbox_stores(message, spec):
    assert message.to_spec() == spec
