"""`shopbot templates check` and `shopbot check`: flows/templates.yaml against the templates of the
WhatsApp Business Account, read from the fake Graph API in Meta's shape."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.content import load_content

from .conftest import free_port


@pytest.fixture
def app_config(app_config, fake_graph):
    return dict(app_config, WHATSAPP_WABA_ID=fake_graph.waba_id)


def approve_the_sample(fake_graph, shop_dir, **changes) -> None:
    """Put every template of the shop's flows/templates.yaml in the account, as approved; `changes`
    replaces what the account says of one, by name: {"order_shipped": {"params": 2}}."""
    content, _ = load_content(shop_dir)
    for t in content.templates.entries:
        buttons = tuple({"type": b.type.upper(), "text": b.text,
                         **({"url": "https://shop.example/" + ("{{1}}" if b.fill else "")} if b.type == "url" else {})}
                        for b in t.buttons)
        fake_graph.approve(**dict({"name": t.name, "language": t.language, "category": t.category.upper(),
                                   "params": len(t.body), "buttons": buttons}, **changes.get(t.name, {})))


def check(runner):
    result = runner.invoke(args=["templates", "check"])
    return result.exit_code, result.output.splitlines()


def test_a_matching_account_passes_reading_every_page(runner, fake_graph, shop_dir):
    for n in range(130):  # other templates of the account: the list takes two pages of 100
        fake_graph.approve(f"other_{n}", params=1)
    approve_the_sample(fake_graph, shop_dir)
    assert check(runner) == (0, ["9 templates checked: no problems"])
    first, second = fake_graph.template_reads
    assert first["limit"] == "100" and "after" not in first and second["after"]
    assert set(first["fields"].split(",")) == {"name", "language", "status", "category", "components"}


PAUSED = ("flows/templates.yaml:25: template `order_shipped` (en) is paused by WhatsApp after poor feedback from "
          "customers; sends fail until it is resumed")

#: What the account says differently of some templates, and what the check then reports.
PROBLEMS = {
    "missing": ({"back_in_stock": {"name": "back_in_stok"}, "order_delivered": {"language": "en_US"}}, [
        "flows/templates.yaml:33: template `order_delivered` (en) is not in the WhatsApp account for en; "
        "it has it in en_US",
        'flows/templates.yaml:60: template `back_in_stock` (en) is not in the WhatsApp account '
        '(did you mean "back_in_stok"?)']),
    "not approved": ({"order_confirmed": {"status": "REJECTED"}, "order_shipped": {"status": "PAUSED"},
                      "order_delivered": {"status": "DISABLED"}, "abandoned_cart": {"status": "PENDING"}}, [
        "flows/templates.yaml:21: template `order_confirmed` (en) was rejected by WhatsApp; edit it in "
        "WhatsApp Manager and submit it again",
        PAUSED,
        "flows/templates.yaml:33: template `order_delivered` (en) is disabled by WhatsApp after poor feedback "
        "from customers; create a new one",
        "flows/templates.yaml:49: template `abandoned_cart` (en) is still waiting for WhatsApp's review; it cannot "
        "be sent yet"]),
    "different": ({"order_shipped": {"params": 2}, "abandoned_cart": {"category": "UTILITY"},
                   "back_in_stock": {"buttons": ({"type": "URL", "text": "See it",
                                                  "url": "https://shop.example/"},)}}, [
        "flows/templates.yaml:25: template `order_shipped` (en) has 3 body parameter(s) in flows/templates.yaml "
        "but the approved text has 2",
        "flows/templates.yaml:49: template `abandoned_cart` (en) is marketing in flows/templates.yaml but utility "
        "in the account (WhatsApp charges and limits each category differently)",
        "flows/templates.yaml:60: template `back_in_stock` (en) buttons differ: the approved template has "
        "url “See it”; flows/templates.yaml has url “See it” with a dynamic URL, quick_reply “Stop offers”"]),
}


@pytest.mark.parametrize("kind", PROBLEMS)
def test_each_problem_is_reported_at_its_line(runner, fake_graph, shop_dir, kind):
    changes, lines = PROBLEMS[kind]
    approve_the_sample(fake_graph, shop_dir, **changes)
    assert check(runner) == (1, [*lines, f"9 templates checked: {len(lines)} problems"])


def test_a_refused_token_or_account_is_one_clear_line(runner, app, fake_graph, shop_dir):
    fake_graph.fail_with(http_status=401, code=190, message="Invalid OAuth access token.")
    result = runner.invoke(args=["templates", "check"])
    assert (result.exit_code, result.output) == (2, (
        f"Error: the Graph API refused to list the templates of account {fake_graph.waba_id}: "
        "Invalid OAuth access token. (code 190) (check WHATSAPP_TOKEN)\n"))
    fake_graph.recover()
    app.config["WHATSAPP_WABA_ID"] = "999"
    result = runner.invoke(args=["templates", "check"])
    assert (result.exit_code, result.output) == (2, (
        "Error: the Graph API refused to list the templates of account 999: Unsupported get request. Object "
        "with ID '999' does not exist (code 100) (check WHATSAPP_WABA_ID)\n"))


def test_without_an_account_id_it_says_what_to_set(runner, app):
    app.config["WHATSAPP_WABA_ID"] = None
    result = runner.invoke(args=["templates", "check"])
    assert result.exit_code == 2 and result.output.startswith("Error: set WHATSAPP_WABA_ID to your WhatsApp "
                                                              "Business Account id")


def environment(graph_url: str, waba_id: str) -> dict:
    return {"WHATSAPP_WABA_ID": waba_id, "WHATSAPP_TOKEN": "test-token", "WHATSAPP_API_URL": graph_url}


def test_shopbot_check_compares_the_templates_when_the_account_is_set(graph_server, fake_graph, shop_dir):
    approve_the_sample(fake_graph, shop_dir, order_shipped={"status": "PAUSED"})
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)],
                                env=environment(graph_server[1], fake_graph.waba_id))
    assert result.exit_code == 1
    assert result.output.splitlines() == [PAUSED, "9 templates checked: 1 problem"]
    fake_graph.reset()
    approve_the_sample(fake_graph, shop_dir)
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)],
                                env=environment(graph_server[1], fake_graph.waba_id))
    assert (result.exit_code, result.output) == (0, "9 templates checked: no problems\nok (0 warning(s))\n")


def test_shopbot_check_says_when_it_skips_the_templates(shop_dir):
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)], env={"WHATSAPP_WABA_ID": ""})
    assert (result.exit_code, result.output) == (
        0, "templates not compared with the WhatsApp account: WHATSAPP_WABA_ID is not set\nok (0 warning(s))\n")


def test_shopbot_check_when_the_graph_api_cannot_be_reached(shop_dir):
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)], env=environment(url, "102290129340398"))
    assert result.exit_code == 1
    assert result.output == f"Error: could not reach the Graph API at {url}/v23.0/: ConnectError [Errno 111] " \
                            "Connection refused\n"
