"""The conversation engine as tables of (state, message) -> (state, what the customer sees). No Flask.

The engine runs on the small test shop in tests/shop, not on the sample shop in flows/ and catalog/,
so the sample shop's wording can change freely. The test shop is worded differently on purpose.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.content import load_content
from bot.conversation import engine
from bot.conversation.browse import BROWSING, PRODUCT, SEARCHING
from bot.conversation.effects import EFFECTS
from bot.conversation.engine import MENU, NEW
from bot.conversation.events import Event, EventType, State
from bot.conversation.shopping import CART, CART_ITEM
from bot.locales.text import normalise

REPO = Path(__file__).resolve().parent.parent
SHOP = Path(__file__).resolve().parent / "shop"  # the test shop: flows/ and catalog/


@pytest.fixture(scope="module")
def content():
    loaded, _warnings = load_content(SHOP)
    return loaded


def step(content, state, event, **known):
    """The engine's step with its messages as the specs the outbox stores (effects stay typed)."""
    after, replies = engine.step(content, state, event, **known)
    return after, [r if isinstance(r, EFFECTS) else r.to_spec() for r in replies]


def is_message(reply) -> bool:
    return not isinstance(reply, EFFECTS)


def text(t: str, name: str | None = "Ana") -> Event:
    return Event(EventType.TEXT, text=t, profile_name=name)


def tap(choice: str, title: str = "") -> Event:
    return Event(EventType.CHOICE, text=title, choice=choice, profile_name="Ana")


def summary(reply: dict) -> tuple:
    """What a customer notices: the kind of message, its first line and its options."""
    body = reply.get("text") or reply.get("caption") or ""
    options = [b["title"] for b in reply.get("buttons", [])] or [
        r["title"] for s in reply.get("sections", []) for r in s["rows"]]
    return reply["type"], body.splitlines()[0], options


def converse(content, *events, state=None):
    """Run events in order; return the final state and the last turn's replies."""
    state = state or State(MENU, {"name": "Ana"})
    replies = []
    for event in events:
        state, replies = step(content, state, event)
    return state, [r for r in replies if is_message(r)]


MENU_ROWS = ["🛍️ Shop the range", "🔎 Find a product", "🧺 Basket", "📦 Orders", "🕘 When we're open"]
MENU_BODY = "Choose an option from the list, or type what you want."
AR_MENU_ROWS = ["🛍️ كل المنتجات", "🔎 ابحث", "🧺 السلة", "📦 الطلبات", "🕘 أوقات الدوام"]
CATEGORIES = ["👕 Tees", "👔 Shirts", "👟 Footwear", "🧢 Extras", "🕯️ Home goods"]

TABLE = [
    # state, event, new state, replies
    (NEW, text("hi"), MENU, [("list", "Welcome to Test Shop, Ana!", MENU_ROWS)]),
    (NEW, text("hi", name=None), MENU, [("list", "Welcome to Test Shop, friend!", MENU_ROWS)]),
    (NEW, text("Do you sell boots?"), PRODUCT, [("text", "Welcome to Test Shop, Ana!", []),
                                                ("image", "🏷️ Leather ankle boots",
                                                 ["Pick options", "Return", "See basket"])]),
    (NEW, text("MENU"), MENU, [("list", MENU_BODY, MENU_ROWS)]),
    (MENU, text("  Menú!! "), MENU, [("list", MENU_BODY, MENU_ROWS)]),
    (MENU, text("مرحبا"), MENU, [("list", "أهلًا Ana في Test Shop!", AR_MENU_ROWS)]),
    (MENU, tap("menu:hours", "When we're open"), MENU, [("buttons", "🕘 *Test Shop hours*", ["Start again"])]),
    (MENU, tap("menu"), MENU, [("list", MENU_BODY, MENU_ROWS)]),
    (MENU, tap("menu:gone", "Removed item"), MENU, [("list", MENU_BODY, MENU_ROWS)]),
    (MENU, tap("nonsense:1:2:3:4"), MENU, [("list", MENU_BODY, MENU_ROWS)]),
    (MENU, Event(EventType.REACTION, data={"emoji": "👍"}), MENU, []),
    (MENU, Event(EventType.SILENT), MENU, []),
    # browsing
    (MENU, tap("menu:browse"), BROWSING, [("list", "Our departments:", CATEGORIES)]),
    (MENU, text("catalogue"), BROWSING, [("list", "Our departments:", CATEGORIES)]),
    (BROWSING, tap("cat:shirts:1"), BROWSING, [("list", "👔 Shirts: 3 items",
                                                ["Linen shirt", "Oxford shirt", "Flannel check shirt"])]),
    (BROWSING, tap("cat:nope:1"), BROWSING, [("list", "Our departments:", CATEGORIES)]),
    (BROWSING, tap("product:canvas-tote"), PRODUCT, [("image", "🏷️ Canvas tote bag",
                                                      ["Put in basket", "See basket", "Return"])]),
    (BROWSING, tap("product:flannel-shirt"), PRODUCT, [("image", "🏷️ Flannel check shirt",
                                                      ["Notify me", "Return", "See basket"])]),
    (BROWSING, tap("options:organic-tee"), PRODUCT, [("buttons", "Pick a size for Organic cotton tee:",
                                                      ["S", "M", "L"])]),
    (BROWSING, tap("options:canvas-sneakers"), PRODUCT, [("list", "Pick a size for Canvas sneakers:",
                                                          ["40", "41", "42", "43"])]),
    # search
    (MENU, tap("menu:search"), SEARCHING, [("text", "Type a product name to look for.", [])]),
    (SEARCHING, text("tshrt"), SEARCHING, [("list", "Matches for «tshrt»:",
                                            ["Organic cotton tee", "Sunset graphic tee", "Linen shirt", "Oxford shirt",
                                             "Flannel check shirt"])]),
    (MENU, text("do you have sneakers size 42?"), PRODUCT, [("image", "🏷️ Canvas sneakers (42)",
                                                             ["Put in basket", "Other options", "Return"])]),
    (MENU, text("do you have a unicorn saddle?"), SEARCHING,
     [("list", "Nothing matches «do you have a unicorn saddle?».", CATEGORIES)]),
    (MENU, text("xqzv plonk"), MENU, [("buttons", "Hmm, no idea what that means. Try a product name or *menu*.",
                                       ["Options", "A person, please"])]),
    (MENU, text("shrt"), SEARCHING, [("list", "Matches for «shrt»:",
                                      ["Linen shirt", "Oxford shirt", "Flannel check shirt", "Organic cotton tee",
                                       "Sunset graphic tee"])]),
]


@pytest.mark.parametrize("state,event,new_state,expected", TABLE)
def test_engine_table(content, state, event, new_state, expected):
    after, replies = step(content, State(state, {"name": "Ana"} if state != NEW else {}), event)
    assert after.name == new_state
    assert [summary(r) for r in replies if is_message(r)] == expected


def test_the_profile_name_is_remembered(content):
    state, _ = step(content, State(NEW), text("hi", name="Ana"))
    assert state.data["name"] == "Ana"
    _, replies = step(content, state, text("hi", name=None))
    assert replies[0]["text"].startswith("Welcome to Test Shop, Ana!")


def test_menu_is_reachable_from_any_state(content):
    for name in (NEW, MENU, BROWSING, PRODUCT, CART, CART_ITEM, SEARCHING):
        _state, replies = step(content, State(name, {"name": "Ana"}), text("menu"))
        assert replies[0]["type"] == "list" and replies[0]["sections"][0]["rows"][0]["title"] == MENU_ROWS[0]


# -- options and quantities ---------------------------------------------------------------

def test_sold_out_variants_are_marked_and_cannot_be_chosen(content):
    state, replies = converse(content, tap("options:organic-tee"), tap("opt:organic-tee:size:L"))
    assert summary(replies[0])[2] == ["White", "Red (none left)"]
    state, replies = converse(content, tap("opt:organic-tee:colour:Red"), state=state)
    assert replies[0]["text"] == "Organic cotton tee (L, Red): none left."
    assert summary(replies[1])[2] == ["White", "Red (none left)"]
    state, replies = converse(content, tap("add:TEE-RED-L"), state=state)
    assert replies[0]["text"].startswith("Organic cotton tee (L, Red): none left")
    assert state.data.get("cart", []) == []


def test_options_then_a_typed_quantity_adds_that_many(content):
    state, replies = converse(content, tap("product:linen-shirt"), tap("options:linen-shirt"),
                              tap("opt:linen-shirt:size:L"), tap("opt:linen-shirt:colour:Blue"))
    assert summary(replies[0]) == ("image", "🏷️ Linen shirt (L, Blue)", ["Put in basket", "Other options", "Return"])
    assert replies[0]["path"] == "images/linen-shirt-blue.png"
    state, replies = converse(content, text("3"), state=state)
    assert state.name == CART
    assert replies[0]["text"].splitlines() == ["➕ 3 × Linen shirt (L, Blue) in the basket.", "🧺 3 in total, €147.00"]
    assert state.data["cart"] == [{"sku": "SHI-LIN-BLU-L", "qty": 3, "price": 4900}]


@pytest.mark.parametrize("typed,sku,qty,in_basket", [
    ("2 red tees size m", "TEE-RED-M", 2, "in the basket."),
    ("add 3 x TEE-WHT-M", "TEE-WHT-M", 3, "in the basket."),
    ("TEE-WHT-S x 2", "TEE-WHT-S", 2, "in the basket."),
    ("quiero 2 velas", "HOM-CAN-FIG", 2, "en la cesta."),
    ("two candles", "HOM-CAN-FIG", 2, "in the basket."),
    ("1 canvas tote", "ACC-TOTE", 1, "in the basket."),
])
def test_free_text_with_a_quantity_adds_to_the_cart(content, typed, sku, qty, in_basket):
    state, replies = converse(content, text(typed))
    assert state.data["cart"] == [{"sku": sku, "qty": qty, "price": content.catalog.variant(sku).price}]
    first = replies[0]["text"].splitlines()[0]  # in the customer's language: "quiero 2 velas" gets Spanish
    assert first.startswith(f"➕ {qty} × ") and first.endswith(in_basket)


def test_a_quantity_before_the_options_are_known_is_kept(content):
    state, replies = converse(content, text("two mugs"))
    assert summary(replies[0])[0] == "image"  # the mug's card: its colour is not known yet
    state, replies = converse(content, tap("options:ceramic-mug"), tap("opt:ceramic-mug:colour:Sage"),
                              tap("add:HOM-MUG-SGE"), state=state)
    assert state.data["cart"] == [{"sku": "HOM-MUG-SGE", "qty": 2, "price": 1200}]


def test_adding_beyond_stock_is_refused_with_the_numbers(content):
    state, replies = converse(content, tap("add:SHO-CNV-42"), tap("add:SHO-CNV-42"))
    assert state.data["cart"] == [{"sku": "SHO-CNV-42", "qty": 2, "price": 5900}]
    state, replies = converse(content, tap("add:SHO-CNV-42"), state=state)
    assert replies[0]["text"] == "Only 2 × Canvas sneakers (42) in stock (2 in the basket)."
    assert state.data["cart"][0]["qty"] == 2


# -- the cart -------------------------------------------------------------------------------

def test_cart_view_edit_and_empty(content):
    state, _ = converse(content, text("2 red tees size m"), text("1 canvas tote"))
    state, replies = converse(content, text("my cart"), state=state)
    assert replies[0]["text"].splitlines() == [
        "🧺 Basket", "2 × Organic cotton tee [M, Red] = €39.80", "1 × Canvas tote bag = €15.00", "",
        "Sum: €54.80"]
    assert summary(replies[0])[2] == ["Pay for it", "Change basket", "Shop more"]
    state, replies = converse(content, tap("edit"), state=state)
    assert summary(replies[0])[2] == ["Organic cotton tee", "Canvas tote bag", "Clear basket"]
    state, replies = converse(content, tap("item:TEE-RED-M"), state=state)
    assert state.name == CART_ITEM and summary(replies[0])[2] == ["Plus one", "Minus one", "Take out"]
    state, replies = converse(content, text("5"), state=state)
    assert replies[0]["text"].startswith("Organic cotton tee [M, Red]: 5 = €99.50")
    state, replies = converse(content, tap("less:TEE-RED-M"), state=state)
    assert replies[0]["text"].startswith("Organic cotton tee [M, Red]: 4 =")
    state, replies = converse(content, text("9"), state=state)
    assert replies[0]["text"] == "Only 6 × Organic cotton tee (M, Red) in stock."
    state, replies = converse(content, tap("rm:TEE-RED-M"), state=state)
    assert replies[0]["text"].splitlines()[:2] == ["🧺 Basket", "1 × Canvas tote bag = €15.00"]
    assert "(Took Organic cotton tee (M, Red) out.)" in replies[0]["text"]
    state, replies = converse(content, tap("empty"), state=state)
    assert state.data["cart"] == [] and replies[0]["text"] == "The basket is clear."


def test_empty_cart(content):
    _state, replies = converse(content, text("cart"))
    assert summary(replies[0]) == ("buttons", "The basket has nothing in it yet.", ["Departments", "Start again"])


def test_a_price_change_shows_up_in_the_cart_with_a_note(content):
    old_cart = [{"sku": "HOM-CAN-FIG", "qty": 2, "price": 1500}]  # added when it cost €15.00
    state, replies = converse(content, text("cart"), state=State(MENU, {"cart": old_cart}))
    lines = replies[0]["text"].splitlines()
    assert "2 × Soy candle, fig = €33.00" in lines
    assert "(Soy candle, fig: €15.00 → €16.50)" in lines
    assert state.data["cart"] == [{"sku": "HOM-CAN-FIG", "qty": 2, "price": 1650}]


# -- WhatsApp's own cart --------------------------------------------------------------------

def test_native_order_becomes_our_cart_at_our_prices(content):
    order = {"catalog_id": "cat1", "text": "", "product_items": [
        {"product_retailer_id": "TEE-WHT-M", "quantity": 2, "item_price": 19.9, "currency": "EUR"},
        {"product_retailer_id": "HOM-SOAP", "quantity": 1, "item_price": 5.0, "currency": "EUR"},
        {"product_retailer_id": "GHOST-1", "quantity": 1, "item_price": 10, "currency": "EUR"},
    ]}
    state, replies = converse(content, Event(EventType.ORDER, data=order))
    assert state.data["cart"] == [{"sku": "TEE-WHT-M", "qty": 2, "price": 1990},
                                  {"sku": "HOM-SOAP", "qty": 1, "price": 650}]
    assert replies[0]["text"] == "📥 Your WhatsApp basket arrived."
    cart = replies[1]["text"]
    assert "Sum: €46.30" in cart.splitlines()
    assert "(Unknown items: GHOST-1)" in cart.splitlines()
    assert "(Olive oil soap is €6.50 here (not €5.00).)" in cart.splitlines()


# -- paging -----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def big_shop(tmp_path_factory):
    root = tmp_path_factory.mktemp("big")
    shutil.copytree(SHOP / "flows", root / "flows")
    (root / "catalog").mkdir()
    (root / "catalog" / "categories.csv").write_text("id,title,emoji\nsocks,Socks,🧦\n")
    rows = ["sku,name,category,price"] + [f"SOCK-{i:02d},Sock no. {i},socks,5.00" for i in range(1, 26)]
    (root / "catalog" / "products.csv").write_text("\n".join(rows) + "\n")
    loaded, _ = load_content(root)
    return loaded


def test_long_categories_are_paged_with_a_more_row(big_shop):
    _state, replies = converse(big_shop, tap("cat:socks:1"))
    rows = replies[0]["sections"][0]["rows"]
    assert len(rows) == 10 and rows[-1]["title"] == "Next page ▸" and rows[-1]["id"] == "cat:socks:2"
    assert rows[0]["title"] == "Sock no. 1" and rows[8]["title"] == "Sock no. 9"
    assert replies[0]["text"] == "🧦 Socks: 25 items, page 1/3"
    _state, replies = converse(big_shop, tap("cat:socks:3"))
    rows = replies[0]["sections"][0]["rows"]
    assert [r["title"] for r in rows] == [f"Sock no. {i}" for i in range(19, 26)]


@pytest.mark.parametrize("raw,expected", [("  Héllo,  WORLD!! ", "hello world"), ("Menú", "menu"),
                                          ("مرحبا!", "مرحبا"), ("2 red shirts", "2 red shirts"),
                                          ("قَمِيصٌ أحمر", "قميص احمر"), ("٤٢", "42")])
def test_normalise(raw, expected):
    assert normalise(raw) == expected


def test_option_words_in_a_search_are_kept_for_the_remaining_choice(content):
    state, replies = converse(content, text("do you have linen shirts in blue?"))
    assert summary(replies[0])[1] == "🏷️ Linen shirt"
    state, replies = converse(content, tap("options:linen-shirt"), state=state)
    assert summary(replies[0]) == ("buttons", "Pick a size for Linen shirt:", ["M", "L"])
    state, replies = converse(content, tap("opt:linen-shirt:size:L"), state=state)
    assert summary(replies[0]) == ("image", "🏷️ Linen shirt (L, Blue)", ["Put in basket", "Other options", "Return"])


# -- the test shop ----------------------------------------------------------------------------

def test_the_engine_tests_use_the_test_shop_not_the_sample_shop(content, tmp_path):
    """Rewording the sample shop's flows/texts.yaml changes nothing these tests see."""
    assert content.root == SHOP and content.shop["name"] == "Test Shop"
    sample = tmp_path / "sample"
    shutil.copytree(REPO / "flows", sample / "flows")
    shutil.copytree(REPO / "catalog", sample / "catalog")
    texts = sample / "flows" / "texts.yaml"
    texts.write_text(texts.read_text().replace("  menu_body: ", "  menu_body: Reworded by the owner. ", 1))
    reworded, _ = load_content(sample)
    assert reworded.render("menu_body").startswith("Reworded by the owner.")
    assert content.render("menu_body") == MENU_BODY
    _state, replies = converse(content, text("menu"))
    assert summary(replies[0]) == ("list", MENU_BODY, MENU_ROWS)
