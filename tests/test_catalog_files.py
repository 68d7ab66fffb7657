"""`shopbot check` on the catalog: every problem as `path:line: message`, and hot reload."""
from __future__ import annotations

import pytest

from bot.content import ContentStore, load_content
from bot.errors import ContentError

from . import payloads as p
from .helpers import body_text

HEADER = "sku,product_id,name,category,price,currency,description,image,stock,active,options,keywords\n"


def problems(shop_dir) -> list[str]:
    with pytest.raises(ContentError) as exc:
        load_content(shop_dir)
    return [str(x) for x in exc.value.problems]


def write_products(shop_dir, *rows: str) -> None:
    (shop_dir / "catalog" / "products.csv").write_text(HEADER + "".join(r + "\n" for r in rows))


GOOD = "TEE-1,tee,Tee,tshirts,10.00,EUR,,images/organic-tee.png,5,yes,size=M,"

CASES = [
    ([GOOD, "TEE-1,tee,Tee,tshirts,10.00,EUR,,,5,yes,size=L,"],
     ["catalog/products.csv:3: duplicate SKU `TEE-1` (first on line 2)"]),
    (["A-1,a,Cap,accessories,12.5O,EUR,,,,yes,,"],
     ["catalog/products.csv:2: price '12.5O' is not a number (write it like 12.50)"]),
    (["A-1,a,Cap,accessories,12.505,EUR,,,,yes,,"],
     ["catalog/products.csv:2: price '12.505' has more decimals than EUR allows (2)"]),
    (["A-1,a,Cap,accessories,12.50,EUT,,,,yes,,"],
     ['catalog/products.csv:2: unknown currency `EUT` (did you mean "EUR"?)']),
    (["A-1,a,Cap,accessories,12.50,USD,,,,yes,,"],
     ["catalog/products.csv:2: currency USD differs from the shop's EUR (flows/settings.yaml): "
      "one cart has one currency"]),
    (["A-1,a,Cap,accesories,12.50,EUR,,,,yes,,"],
     ['catalog/products.csv:2: unknown category `accesories` (did you mean "accessories"?) '
      "(categories are listed in catalog/categories.csv)"]),
    (["A-1,a,Cap,accessories,12.50,EUR,,,-2,yes,,"],
     ["catalog/products.csv:2: stock must be a whole number of 0 or more, or blank for unlimited; got -2"]),
    (["A-1,a,Cap,accessories,12.50,EUR,,images/cap.png,,yes,,"],
     ["catalog/products.csv:2: image `images/cap.png` not found in catalog/"]),
    (["A-1,a,Cap,accessories,12.50,EUR,,../flows/menu.yaml,,yes,,"],
     ["catalog/products.csv:2: image `../flows/menu.yaml` must be inside catalog/"]),
    (["A-1,a,Cap,accessories,12.50,EUR,,,,yes,size=,"],
     ["catalog/products.csv:2: option `size` has no value (write it like size=M)"]),
    (["A-1,a,Cap,accessories,12.50,EUR,,,,maybe,,"],
     ["catalog/products.csv:2: active must be yes or no, got 'maybe'"]),
    (["A-1,a,Cap,accessories,,EUR,,,,yes,,"],
     ["catalog/products.csv:2: `price` is empty"]),
    ([GOOD, "TEE-2,tee,Tea shirt,tshirts,10.00,EUR,,,5,yes,size=L,"],
     ['catalog/products.csv:3: product `tee` is named "Tee" on line 2; variants of one product share its name']),
    ([GOOD, "TEE-2,tee,Tee,tshirts,10.00,EUR,,,5,yes,size=M,"],
     ["catalog/products.csv:3: same options as SKU `TEE-1`; each variant needs its own options"]),
    ([GOOD, "TEE-2,tee,Tee,tshirts,10.00,EUR,,,5,yes,colour=Red,"],
     ["catalog/products.csv:3: options colour differ from the product's size on line 2"]),
]


@pytest.mark.parametrize("rows,expected", CASES)
def test_every_catalog_error_names_its_line(shop_dir, rows, expected):
    write_products(shop_dir, *rows)
    assert problems(shop_dir) == expected


def test_several_problems_are_all_reported_with_warnings_apart(shop_dir):
    write_products(shop_dir, "A-1,a,A cap with an extraordinarily long name,accessories,12.50,EUR,,,,yes,,",
                   "A-1,b,Hat,hats,x,EUR,,,,yes,,")
    assert problems(shop_dir) == [
        "catalog/products.csv:2: warning: name is 39 characters; WhatsApp list rows show 24, so lists shorten it",
        "catalog/products.csv:3: duplicate SKU `A-1` (first on line 2)",
        "catalog/products.csv:3: price 'x' is not a number (write it like 12.50)",
        "catalog/products.csv:3: unknown category `hats` (categories are listed in catalog/categories.csv)",
    ]


def test_a_quoted_multiline_description_keeps_later_line_numbers_right(shop_dir):
    write_products(shop_dir, 'A-1,a,Cap,accessories,12.50,EUR,"line one\nline two",,,yes,,',
                   "A-2,b,Hat,hatz,12.50,EUR,,,,yes,,")
    assert problems(shop_dir)[0].startswith("catalog/products.csv:4: unknown category `hatz`")


def test_semicolon_separated_files_from_european_spreadsheets_load(shop_dir):
    (shop_dir / "catalog" / "products.csv").write_text(
        "sku;name;category;price;options\nA-1;Cap;accessories;12,50;colour=Red\n", encoding="utf-8-sig")
    content, warnings = load_content(shop_dir)
    assert content.catalog.variant("A-1").price == 1250
    assert [w for w in warnings if "not translated" not in w.message] == []  # the columns read cleanly


def test_category_problems(shop_dir):
    (shop_dir / "catalog" / "categories.csv").write_text(
        "id,title,emoji\nhome,Home,🏠\nhome,House,🏡\n,Nameless,\n" + "x,A title far too long for a row,🧵\n")
    assert problems(shop_dir)[:3] == [
        "catalog/categories.csv:3: duplicate category `home` (first on line 2)",
        "catalog/categories.csv:4: each category needs an `id` and a `title`",
        "catalog/categories.csv:5: warning: title is 32 characters with its emoji; WhatsApp list rows show 24",
    ]


def test_unknown_column_is_a_warning_with_a_suggestion(shop_dir):
    path = shop_dir / "catalog" / "products.csv"
    path.write_text(path.read_text().replace("keywords", "keywrds", 1))
    _content, warnings = load_content(shop_dir)
    assert [str(w) for w in warnings] == [
        'catalog/products.csv:1: warning: unknown column `keywrds` (did you mean "keywords"?)']


def test_hot_reload_good_edit_is_picked_up_and_bad_edit_refused(shop_dir):
    store = ContentStore(shop_dir, interval=0)
    path = shop_dir / "catalog" / "products.csv"
    original = path.read_text()
    path.write_text(original.replace("Olive oil soap,home,6.50", "Olive oil soap,home,7.25"))
    assert store.current().catalog.variant("HOM-SOAP").price == 725
    path.write_text(original.replace("Olive oil soap,home,6.50", "Olive oil soap,home,seven"))
    assert store.current().catalog.variant("HOM-SOAP").price == 725  # the last good catalog keeps serving
    assert "price 'seven' is not a number" in str(store.last_error)


def test_a_running_bot_answers_from_the_edited_catalog(app, post, sender, fake_graph, shop_dir):
    app.extensions["shopbot.content"].interval = 0
    path = shop_dir / "catalog" / "products.csv"
    path.write_text(path.read_text() + "HOM-KITE,kite,Beach kite,home,25.00,EUR,A red kite.,,4,yes,,cometa\n")
    post(p.text("34600111222", "menu"))
    post(p.text("34600111222", "kite"))
    sender.pump()
    assert "*Beach kite*" in body_text(fake_graph.accepted[-1])
    path.write_text(path.read_text().replace("Beach kite,home,25.00", "Beach kite,home,twenty"))
    post(p.text("34600111222", "kite"))
    sender.pump()
    assert "€25.00" in body_text(fake_graph.accepted[-1])  # still the last good catalog
