"""Configuration: sandbox defaults, and production refusing to start without its keys."""
from __future__ import annotations

import pytest

from bot.app import create_app
from bot.config import SANDBOX_GRAPH_URL, load
from bot.errors import ConfigError


def test_no_token_means_sandbox_with_local_values(tmp_path):
    config = load({"SHOP_DIR": str(tmp_path)}, environ={})
    assert config["SANDBOX"] is True
    assert config["WHATSAPP_API_URL"] == SANDBOX_GRAPH_URL
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'shopbot.db'}"
    assert len(config["SECRET_KEY"]) >= 32


def test_production_names_every_missing_key_at_once():
    with pytest.raises(ConfigError) as exc:
        load(environ={"WHATSAPP_TOKEN": "EAAB..."})
    message = str(exc.value)
    for key in ("WHATSAPP_PHONE_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "DATABASE_URL", "SECRET_KEY"):
        assert key in message
    assert "WHATSAPP_TOKEN," not in message


def test_production_uses_the_real_graph_api_and_no_sandbox(tmp_path, shop_dir):
    environ = {"WHATSAPP_TOKEN": "t", "WHATSAPP_PHONE_ID": "1", "WHATSAPP_APP_SECRET": "s",
               "WHATSAPP_VERIFY_TOKEN": "v", "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
               "SECRET_KEY": "k", "SHOP_DIR": str(shop_dir)}
    config = load(environ=environ)
    assert config["SANDBOX"] is False and config["WHATSAPP_API_URL"] == "https://graph.facebook.com"
    app = create_app(dict(environ))
    assert app.test_client().get("/sandbox/").status_code == 404


def test_a_malformed_number_is_a_clear_error():
    with pytest.raises(ConfigError, match="SEND_RATE must be a float, got 'fast'"):
        load(environ={"SEND_RATE": "fast"})


def test_the_send_rate_is_bounded_by_metas_tiers():
    assert load({"SEND_RATE": 1000.0}, environ={})["SEND_RATE"] == 1000.0
    with pytest.raises(ConfigError, match="SEND_RATE must be above 0 and at most 1000"):
        load(environ={"SEND_RATE": "5000"})
