"""Owner files: every problem reported as `path:line: message`, and bad edits never served."""
from __future__ import annotations

import pytest

from bot.cli import cli
from bot.content import ContentStore, load_content
from bot.errors import ContentError


def problems(shop_dir) -> list[str]:
    with pytest.raises(ContentError) as exc:
        load_content(shop_dir)
    return [str(p) for p in exc.value.problems]


def edit(path, old, new):
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def test_the_sample_shop_is_clean(shop_dir):
    _content, warnings = load_content(shop_dir)
    assert warnings == []


def test_a_yaml_syntax_error_names_its_line(shop_dir):
    edit(shop_dir / "flows" / "menu.yaml", "    - id: delivery", "    - id: [delivery")
    assert problems(shop_dir) == [
        "flows/menu.yaml:65: YAML syntax error: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence started on line 64)"]


def test_a_wrong_version_is_refused(shop_dir):
    edit(shop_dir / "flows" / "texts.yaml", "version: 1", "version: 2")
    assert problems(shop_dir) == ["flows/texts.yaml:5: version must be 1, got 2"]


def test_a_template_typo_names_its_line(shop_dir):
    edit(shop_dir / "flows" / "texts.yaml", "{{ shop.name }}*!", "{{ shop.nmae }}*!")
    assert problems(shop_dir) == [
        "flows/texts.yaml:9: template error: 'dict object' has no attribute 'nmae'"]


def test_an_unknown_setting_suggests_the_right_one(shop_dir):
    edit(shop_dir / "flows" / "settings.yaml", "  currency: EUR", "  curency: EUR")
    assert problems(shop_dir) == ['flows/settings.yaml:10: unknown shop setting `curency` (did you mean "currency"?)']


def test_menu_titles_over_whatsapps_limit_and_missing_texts(shop_dir):
    edit(shop_dir / "flows" / "menu.yaml", "{en: Opening hours,", "{en: Opening hours and where to find us,")
    edit(shop_dir / "flows" / "texts.yaml", "  back_to_menu: Main menu\n", "")
    assert problems(shop_dir) == [
        "flows/texts.yaml:7: missing text `back_to_menu`",
        'flows/texts.es.yaml:1: warning: text `back_to_menu` is not in flows/texts.yaml (did you mean "back_button"?)',
        'flows/texts.ar.yaml:1: warning: text `back_to_menu` is not in flows/texts.yaml (did you mean "back_button"?)',
        "flows/menu.yaml:37: title is 34 characters; WhatsApp shows at most 24",
    ]


def test_a_bad_edit_is_refused_and_the_old_content_keeps_serving(shop_dir):
    store = ContentStore(shop_dir, interval=0)
    assert store.current().shop["name"] == "Lumen & Loom"
    edit(shop_dir / "flows" / "settings.yaml", "  name: Lumen & Loom", "  name: Lumen & Loom Madrid\n  nmae: x")
    assert store.current().shop["name"] == "Lumen & Loom"
    assert "unknown shop setting `nmae`" in str(store.last_error)
    edit(shop_dir / "flows" / "settings.yaml", "\n  nmae: x", "")
    assert store.current().shop["name"] == "Lumen & Loom Madrid"
    assert store.last_error is None


def test_shopbot_check_prints_every_problem_and_fails(shop_dir):
    from click.testing import CliRunner

    edit(shop_dir / "flows" / "settings.yaml", "  currency: EUR", "  curency: EUR")
    edit(shop_dir / "flows" / "texts.yaml", "{{ shop.name }}*!", "{{ shop.nmae }}*!")
    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)])
    assert result.exit_code == 1
    assert 'flows/settings.yaml:10: unknown shop setting `curency` (did you mean "currency"?)' in result.output
    assert "flows/texts.yaml:9: template error" in result.output


def test_shopbot_check_passes_on_the_sample_shop(shop_dir):
    from click.testing import CliRunner

    result = CliRunner().invoke(cli, ["check", "--dir", str(shop_dir)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output


def test_missing_translations_are_listed_as_warnings_and_fall_back(shop_dir):
    edit(shop_dir / "flows" / "texts.es.yaml", "  thanks_reply:", "  thanks_reply_old:")
    content, warnings = load_content(shop_dir)
    messages = [str(w) for w in warnings]
    untranslated = "1 text(s) not translated, the default language is used: thanks_reply"
    assert any(m.startswith("flows/texts.es.yaml:") and untranslated in m for m in messages), messages
    assert content.render("thanks_reply", "es") == content.render("thanks_reply", "en")  # falls back to English
