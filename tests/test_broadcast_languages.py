"""A broadcast speaks each customer's language when flows/templates.yaml lists the template in it, and the
campaign's language otherwise (issue 17 review)."""
from __future__ import annotations

from . import payloads as p
from .test_broadcasts import create, drain, opt_in, templates_sent

ANA, ROSA, SALIM = "34611000001", "34611000002", "34611000003"
SPANISH = """
  - name: weekly_offers
    language: es
    category: marketing
    body: [customer.name, shop.name]
    buttons:
      - type: quick_reply
        text: Parar ofertas
"""


def test_each_recipient_gets_the_template_in_their_language_when_it_is_listed(runner, app, tmp_path, sender,
                                                                              fake_graph, post, owner, shop_dir):
    path = shop_dir / "flows" / "templates.yaml"
    path.write_text(path.read_text() + SPANISH)
    assert app.extensions["shopbot.content"].reload()
    for phone, hello, name in ((ROSA, "hola", "Rosa"), (ANA, "hi", "Ana"), (SALIM, "مرحبا", "Salim")):
        post(p.text(phone, hello, name=name))
    sender.pump()
    opt_in(runner, tmp_path, [ROSA, ANA, SALIM])
    fake_graph.reset()
    campaign = create(runner, "--language", "en", "--segment", "all opted in")
    page = owner.get(f"/staff/campaigns/{campaign}").get_data(as_text=True)
    assert "What Rosa, the first recipient, gets" in page
    assert "[template weekly_offers (es)]" in page  # the Spanish version
    assert drain(sender) == 3
    languages = {m["to"]: m["template"]["language"]["code"] for m in templates_sent(fake_graph)}
    assert languages == {ROSA: "es", ANA: "en", SALIM: "en"}  # no Arabic version: the campaign's language
