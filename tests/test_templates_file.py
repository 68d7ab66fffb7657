"""flows/templates.yaml: its shape, and the templates the other files name, each problem with its line."""
from __future__ import annotations

import pytest

from bot.content import ContentStore, load_content

from .test_content import edit, problems


def templates(shop_dir):
    return shop_dir / "flows" / "templates.yaml"


def test_the_sample_catalogue_loads_and_fills_order_updates_from_it(shop_dir):
    content, warnings = load_content(shop_dir)
    assert warnings == []
    assert [(t.name, t.category) for t in content.templates.entries][-3:] == [
        ("abandoned_cart", "marketing"), ("back_in_stock", "marketing"), ("weekly_offers", "marketing")]
    cart = content.templates.get("abandoned_cart", "en")
    assert cart.body == ("customer.name", "cart.total") and cart.line == 49
    assert [(b.type, b.text, b.fill, b.action) for b in cart.buttons] == [
        ("url", "Open my cart", "cart.code", None), ("quick_reply", "Stop offers", None, "stop")]
    confirmed = content.notifications.templates["confirmed"]  # no params in notifications.yaml: the body's sources
    order = {"name": "Ana", "reference": "SHP-1"}
    assert [p.render(order=order, customer={"name": "x"}, shop={}) for p in confirmed.params] == ["Ana", "SHP-1"]


def test_an_entrys_shape_is_checked(shop_dir):
    edit(templates(shop_dir), "    category: utility\n    body: [order.name, order.reference]",
         "    category: utlity\n    body: [order.name, order.refrence]")
    edit(templates(shop_dir), "  - name: order_shipped\n    language: en",
         "  - name: Order Shipped\n    language: en_UK\n    footer: no")
    assert problems(shop_dir) == [
        'flows/templates.yaml:23: category must be utility or marketing, got `utlity` (did you mean "utility"?)',
        'flows/templates.yaml:24: unknown source `order.refrence` (did you mean "order.reference"?); a parameter is '
        "filled from one of: customer.name, shop.name, staff.name, order.reference, order.name, order.total, "
        "order.carrier, order.tracking_number, order.tracking_url, order.eta, cart.total, cart.link, cart.code, "
        "product.name, product.id",
        "flows/templates.yaml:27: unknown key `footer`",
        "flows/templates.yaml:25: template name `Order Shipped` must be lower-case letters, digits and _ "
        "(as WhatsApp Manager names it)",
        'flows/templates.yaml:26: unknown template language `en_UK` (did you mean "en_US"?); use WhatsApp\'s code, '
        "like en, en_US or es_MX",
        "flows/notifications.yaml:21: template `order_shipped` is not in flows/templates.yaml "
        '(did you mean "Order Shipped"?)',
    ]


def test_buttons_are_checked(shop_dir):
    edit(templates(shop_dir), "        text: Open my cart", "        text: Open my cart and finish your order")
    edit(templates(shop_dir), "      - type: quick_reply\n        text: Stop offers\n        action: stop\n"
         "  - name: back_in_stock", "      - type: quick_reply\n        text: Stop offers\n        action: stop\n"
         "        fill: cart.code\n  - name: back_in_stock")
    edit(templates(shop_dir), "      - type: url\n        text: See it", "      - type: link\n        text: See it")
    assert problems(shop_dir) == [
        "flows/templates.yaml:55: button text is 34 characters; WhatsApp allows at most 25",
        "flows/templates.yaml:60: only a url button has a dynamic part to `fill`",
        'flows/templates.yaml:66: unknown button type `link`; use quick_reply, url or phone_number',
    ]


def test_the_stop_button_is_marked_and_checked(shop_dir):
    edit(templates(shop_dir), "        fill: cart.code\n", "        fill: cart.code\n        action: stop\n")
    assert problems(shop_dir) == [
        "flows/templates.yaml:57: only a quick_reply can have `action: stop`",
    ]


def test_an_unknown_button_action_is_reported(shop_dir):
    edit(templates(shop_dir), "        text: Stop offers\n        action: stop\n  - name: back_in_stock",
         "        text: Stop offers\n        action: stpo\n  - name: back_in_stock")
    assert problems(shop_dir) == [
        'flows/templates.yaml:59: unknown button action `stpo` (did you mean "stop"?); the only one is `stop` '
        "(the quick reply that stops offers)",
        "flows/templates.yaml:49: warning: marketing template `abandoned_cart` has no quick reply with `action: "
        "stop`: mark the button that stops offers (Meta asks marketing templates for one); without the mark only "
        "a text saying stop, baja, parar, إيقاف or توقف is understood as one",
    ]


def test_a_marketing_template_without_a_stop_button_is_a_warning(shop_dir):
    path = templates(shop_dir)
    text = path.read_text()
    path.write_text(text.replace("        action: stop\n", "", 1))  # abandoned_cart's: unmarked, as files were before
    content, warnings = load_content(shop_dir)
    assert [str(w) for w in warnings] == [
        "flows/templates.yaml:49: warning: marketing template `abandoned_cart` has no quick reply with `action: "
        "stop`: mark the button that stops offers (Meta asks marketing templates for one); without the mark only "
        "a text saying stop, baja, parar, إيقاف or توقف is understood as one"]
    assert content.templates.get("abandoned_cart", "en") is not None  # it still loads and is sent


def test_a_template_listed_twice_for_a_language(shop_dir):
    edit(templates(shop_dir), "  - name: order_shipped", "  - name: order_confirmed")
    assert problems(shop_dir) == [
        "flows/templates.yaml:25: template `order_confirmed` is listed twice for en",
        "flows/notifications.yaml:21: template `order_shipped` is not in flows/templates.yaml",
    ]


#: Edits of the files that name templates (file, old, new), and the problems they make.
USES = {
    "not listed": ([
        ("notifications.yaml", "    name: order_shipped", "    name: order_shiped"),
        ("settings.yaml", "  name: reopen_conversation", "  name: reopen_conversaton"),
        ("replies.yaml", "    title: Follow up on their question\n    language: en",
         "    title: Follow up on their question\n    language: es")], [
        'flows/notifications.yaml:21: template `order_shiped` is not in flows/templates.yaml '
        '(did you mean "order_shipped"?)',
        "flows/replies.yaml:40: template `staff_follow_up` is not in flows/templates.yaml for es "
        "(it is there for en)",
        'flows/settings.yaml:29: template `reopen_conversaton` is not in flows/templates.yaml '
        '(did you mean "reopen_conversation"?)']),
    "params inline": ([
        ("replies.yaml", """    params: ["{{ customer.name or 'there' }}", "{{ staff.name }}"]""",
         """    params: ["{{ customer.name or 'there' }}"]"""),
        ("notifications.yaml", "    name: order_delivered\n    language: en",
         '    name: order_delivered\n    language: en\n    params: ["{{ order.reference }}", "{{ order.eta }}"]')], [
        "flows/notifications.yaml:29: template `order_delivered` takes 1 parameter(s) (flows/templates.yaml:33), "
        "here it has 2",
        "flows/replies.yaml:43: template `staff_follow_up` takes 2 parameter(s) (flows/templates.yaml:43), "
        "here it has 1"]),
}


@pytest.mark.parametrize("case", USES)
def test_a_template_named_elsewhere_must_be_listed_with_as_many_params(shop_dir, case):
    edits, expected = USES[case]
    for name, old, new in edits:
        edit(shop_dir / "flows" / name, old, new)
    assert problems(shop_dir) == expected


def test_a_template_filled_from_what_the_message_does_not_know(shop_dir):
    edit(shop_dir / "flows" / "notifications.yaml", "    name: order_delivered", "    name: abandoned_cart")
    assert problems(shop_dir) == [
        "flows/notifications.yaml:27: template `abandoned_cart` is filled from cart.total, which an order update "
        "does not know (it knows customer.name, shop.name, order.reference, order.name, order.total, "
        "order.carrier, order.tracking_number, order.tracking_url, order.eta); give `params:` here or change "
        "its body in flows/templates.yaml",
    ]


def test_without_the_file_the_shop_loads_with_a_warning(shop_dir):
    templates(shop_dir).unlink()
    content, warnings = load_content(shop_dir)
    assert [str(w) for w in warnings] == [
        "flows/templates.yaml:1: warning: no such file, so the templates named in notifications, replies and "
        "settings are not checked; list them there"]
    assert content.window_fallback.name == "reopen_conversation" and len(content.window_fallback.params) == 2


def test_a_bad_edit_of_the_catalogue_keeps_the_last_good_one_serving(shop_dir):
    store = ContentStore(shop_dir, interval=0)
    edit(templates(shop_dir), "    body: [order.reference, order.carrier, order.tracking_url]",
         "    body: [order.reference, order.carrier, order.tracking]")
    assert len(store.current().notifications.templates["shipped"].params) == 3
    assert 'flows/templates.yaml:28: unknown source `order.tracking`' in str(store.last_error)
