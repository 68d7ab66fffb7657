"""Language packs: the shipped bot/locales/<lang>.yaml, an owner's flows/locale.<lang>.yaml over them,
their problems as `path:line: message`, and `shopbot check` naming the pack a shop language lacks."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.content import load_content
from bot.errors import ContentError

from . import payloads as p
from .helpers import body_text

ANA, LUIS = "34600111333", "34600111444"


def write_override(shop_dir, text: str, lang: str = "es") -> None:
    (shop_dir / "flows" / f"locale.{lang}.yaml").write_text("version: 1\n" + text, encoding="utf-8")


def problems(shop_dir) -> list[str]:
    with pytest.raises(ContentError) as exc:
        load_content(shop_dir)
    return [str(problem) for problem in exc.value.problems]


def said(app, post, sender, fake_graph, wa_id: str, body: str) -> list[dict]:
    """Post `body` as a signed text from `wa_id`; what the bot sent back, through the fake Graph API."""
    assert post(p.text(wa_id, body)).status_code == 200
    sender.pump()
    return fake_graph.messages_to(wa_id)


def test_a_greeting_added_in_flows_is_understood_after_a_reload(app, post, sender, fake_graph, shop_dir):
    store = app.extensions["shopbot.content"]
    content = store.current()
    before = said(app, post, sender, fake_graph, ANA, "quiubo")
    assert body_text(before[-1]) == content.render("fallback_first", "en")  # not a word the bot knows yet

    write_override(shop_dir, "commands:\n  greeting: [quiubo, qué más]\n")
    assert store.reload()
    after = said(app, post, sender, fake_graph, LUIS, "Quiubo!")
    assert len(after) == 1 and after[0]["payload"]["interactive"]["type"] == "list"  # the main menu
    greeting = content.render("greeting", "en", customer={"name": "Sam Rivera"})
    assert body_text(after[0]) == greeting + "\n\n" + content.render("menu_body", "en")
    assert "hola" in store.current().pack("es").commands["greeting"]  # added to the shipped words, not instead


def test_a_shopping_cue_added_in_flows_turns_a_miss_into_a_search(app, post, sender, fake_graph, shop_dir):
    store = app.extensions["shopbot.content"]
    content = store.current()
    before = said(app, post, sender, fake_graph, ANA, "mercar zorblax")
    assert body_text(before[-1]) == content.render("fallback_first", "en")

    write_override(shop_dir, "shopping_cues: [mercar]\n")
    assert store.reload()
    after = said(app, post, sender, fake_graph, LUIS, "mercar zorblax")
    assert body_text(after[-1]).startswith(content.render("search_none", "en", query="mercar zorblax",
                                                          suggestions=[]).splitlines()[0])
    assert after[-1]["payload"]["interactive"]["type"] == "list"  # the categories, to browse instead


def test_replace_drops_the_shipped_words_and_a_new_language_gets_english_days(shop_dir):
    write_override(shop_dir, "replace: [shopping_cues]\nshopping_cues: [mercar]\nname: Français\n", "fr")
    write_override(shop_dir, "replace: [shopping_cues]\nshopping_cues: [mercar]\n", "es")
    content, _ = load_content(shop_dir)
    assert content.pack("es").shopping_cues == {"mercar"}
    assert "busco" not in content.words.shopping_cues and "tienes" not in content.words.shopping_cues
    assert "do" in content.words.shopping_cues  # English's own pack is untouched
    assert content.pack("fr").name == "Français" and content.pack("fr").days == content.pack("en").days


@pytest.mark.parametrize("text, expected", [
    ("shoping_cues: [mercar]\n",
     'flows/locale.es.yaml:2: unknown key `shoping_cues` (did you mean "shopping_cues"?)'),
    ("commands:\n  greting: [quiubo]\n",
     'flows/locale.es.yaml:3: unknown command `greting` (did you mean "greeting"?)'),
    ("days: [lunes, martes]\n",
     "flows/locale.es.yaml:2: `days` needs the 7 days, Monday first; got 2"),
    ("fillers: pues\n",
     "flows/locale.es.yaml:2: `fillers` must be a list of words, like [hi, hello]"),
    ("numbers:\n  veinte: muchos\n",
     "flows/locale.es.yaml:3: `veinte` must be a whole number from 1, like {two: 2}"),
    ("script: \"[\"\n",
     'flows/locale.es.yaml:2: `script` must be a character range, like "\\u0600-\\u06ff"'),
    ("script: z-a\n",
     'flows/locale.es.yaml:2: `script` must be a character range, like "\\u0600-\\u06ff"'),
    ("replace: [filers]\n",
     'flows/locale.es.yaml:2: `replace` names an unknown key `filers` (did you mean "fillers"?)'),
    ("fillers: [pues\n",
     "flows/locale.es.yaml:3: YAML syntax error: expected ',' or ']', but got '<stream end>' "
     "(while parsing a flow sequence started on line 2)"),
])
def test_a_malformed_override_names_its_line(shop_dir, text, expected):
    write_override(shop_dir, text)
    assert problems(shop_dir) == [expected]


def test_an_override_without_version_is_refused(shop_dir):
    (shop_dir / "flows" / "locale.ar.yaml").write_text("fillers: [يعني]\n", encoding="utf-8")
    assert problems(shop_dir) == ["flows/locale.ar.yaml:1: version must be 1, got None"]


def test_shopbot_check_warns_about_a_shop_language_without_a_pack(shop_dir):
    settings = shop_dir / "flows" / "settings.yaml"
    settings.write_text(settings.read_text().replace("languages: [en, es, ar]", "languages: [en, es, ar, fr]"))
    (shop_dir / "flows" / "texts.fr.yaml").write_text("version: 1\ntexts:\n  greeting: Bonjour !\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)])
    assert result.exit_code == 0, result.output  # a warning, not an error
    assert ("flows/locale.fr.yaml:1: warning: no language pack for `fr`: the bot understands no fr command words, "
            "numbers or day names; add this file (copy bot/locales/en.yaml and translate it)") in result.output

    write_override(shop_dir, "name: Français\ncommands:\n  greeting: [bonjour, salut]\n", "fr")
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)])
    assert result.exit_code == 0 and "no language pack" not in result.output, result.output


def test_the_shipped_packs_are_complete_and_shipped_as_package_data():
    """Each shipped pack has its own name, days and click-to-chat texts; a non-editable install ships them."""
    import tomllib
    from pathlib import Path

    from ruamel.yaml import YAML

    from bot.content.language_packs import SHIPPED, load_packs

    found: list = []
    packs = load_packs(Path("/nonexistent"), ("en", "es", "ar"), found)
    assert found == [] and set(packs) == {"en", "es", "ar"}
    for lang in packs:
        raw = YAML(typ="safe").load((SHIPPED / f"{lang}.yaml").read_text(encoding="utf-8"))
        assert {"name", "days", "short_days", "chat_link", "chat_link_product", "commands"} <= set(raw), lang
        assert "{shop}" in raw["chat_link"] and "{product}" in raw["chat_link_product"], lang
    pyproject = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    assert "locales/*.yaml" in pyproject["tool"]["setuptools"]["package-data"]["bot"]
