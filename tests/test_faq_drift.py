"""FAQ answers say the same facts in every language (issue 15, item 6): `shopbot check` warns with
the answer's line when a translation gives other amounts, numbers or facts (cash, card, the Canary
Islands...); the sample shop has no drift, and a Canarias customer gets a clear answer."""
from __future__ import annotations

from click.testing import CliRunner

from bot.cli import cli
from bot.content import load_content

from . import payloads as p
from .helpers import body_text
from .test_content import edit

SAM = "34600111222"


def test_the_sample_shop_has_no_drift(shop_dir):
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)])
    assert result.exit_code == 0 and "drifts" not in result.output, result.output


def test_a_translation_that_offers_more_is_reported_with_its_line(shop_dir):
    faq = shop_dir / "flows" / "faq.yaml"
    said = "Si pagas en efectivo, tener el importe justo"
    edit(faq, said, "También aceptamos Bizum. " + said)
    line = next(i for i, text in enumerate(faq.read_text().splitlines(), 1) if "cash_on_delivery" in text)
    _content, warnings = load_content(shop_dir)
    [drift] = [w for w in warnings if "drifts" in str(w)]
    assert str(drift).startswith("flows/faq.yaml:")
    assert int(str(drift).split(":")[1]) > line  # the Spanish answer's own line
    assert ("FAQ `cash_on_delivery` drifts between languages: the es answer says bizum and the en one does not"
            in str(drift))


def test_a_different_amount_is_reported(shop_dir):
    edit(shop_dir / "flows" / "faq.yaml", "• *Resto de España*: €5.90", "• *Resto de España*: €6.90")
    _content, warnings = load_content(shop_dir)
    [drift] = [str(w) for w in warnings if "drifts" in str(w)]
    assert "FAQ `delivery_fees`" in drift and "6.90" in drift and "5.90" in drift


def test_a_canary_islands_customer_gets_a_clear_answer(post, sender, fake_graph):
    post(p.text(SAM, "hi"))
    post(p.text(SAM, "do you ship to the Canary Islands?"))
    sender.pump()
    answer = body_text(fake_graph.messages_to(SAM)[-1])
    assert "not the Canary Islands" in answer
