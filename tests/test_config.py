"""Configuration: an explicit sandbox, and production refusing to start without its keys."""
from __future__ import annotations

import logging

import pytest

from bot.app import create_app
from bot.config import REQUIRED_IN_PRODUCTION, SANDBOX_GRAPH_URL, load
from bot.errors import ConfigError

LIVE = {"WHATSAPP_TOKEN": "t", "WHATSAPP_PHONE_ID": "1", "WHATSAPP_APP_SECRET": "s", "WHATSAPP_VERIFY_TOKEN": "v",
        "SECRET_KEY": "k"}


def close(app) -> None:
    app.extensions["shopbot.whatsapp"].api._session.close()
    app.extensions["shopbot.engine"].dispose()


def test_the_sandbox_is_switched_on_explicitly_and_gets_local_values(tmp_path):
    config = load({"SHOP_DIR": str(tmp_path)}, environ={"SHOPBOT_SANDBOX": "1"})
    assert config["SANDBOX"] is True
    assert config["WHATSAPP_API_URL"] == SANDBOX_GRAPH_URL
    assert config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'shopbot.db'}"
    assert len(config["SECRET_KEY"]) >= 32


def test_an_empty_environment_refuses_to_start_and_names_every_missing_key(shop_dir, monkeypatch):
    """`gunicorn wsgi:app` with nothing configured used to serve the sandbox, silently."""
    monkeypatch.chdir(shop_dir)
    with pytest.raises(ConfigError) as exc:
        create_app(environ={})
    message = str(exc.value)
    for key in REQUIRED_IN_PRODUCTION:
        assert key in message
    assert set(REQUIRED_IN_PRODUCTION) == {"WHATSAPP_TOKEN", "WHATSAPP_PHONE_ID", "WHATSAPP_APP_SECRET",
                                           "WHATSAPP_VERIFY_TOKEN", "DATABASE_URL", "SECRET_KEY"}
    assert "SHOPBOT_SANDBOX=1" in message  # and says how to get the sandbox instead


def test_shopbot_sandbox_starts_the_sandbox_with_a_warning(shop_dir, monkeypatch, caplog):
    monkeypatch.chdir(shop_dir)
    with caplog.at_level(logging.WARNING, logger="bot.app"):
        app = create_app(environ={"SHOPBOT_SANDBOX": "1"})
    assert app.config["SANDBOX"] is True
    assert app.test_client().get("/sandbox/").status_code == 200
    warning, = [r for r in caplog.records if r.name == "bot.app" and r.levelno == logging.WARNING]
    assert "SANDBOX MODE" in warning.getMessage() and "must not face the internet" in warning.getMessage()
    close(app)


def test_sandbox_mode_with_a_real_token_is_refused():
    with pytest.raises(ConfigError, match="SHOPBOT_SANDBOX is on and WHATSAPP_TOKEN is set"):
        load(environ={"SHOPBOT_SANDBOX": "1", "WHATSAPP_TOKEN": "EAAB..."})


def test_live_refuses_the_sandboxs_public_secrets(tmp_path):
    environ = dict(LIVE, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", WHATSAPP_APP_SECRET="sandbox-app-secret",
                   SHOP_API_TOKEN="sandbox-api-token", PAYMENT_WEBHOOK_SECRET="sandbox-payment-secret")
    with pytest.raises(ConfigError) as exc:
        load(environ=environ)
    message = str(exc.value)
    for key in ("WHATSAPP_APP_SECRET", "SHOP_API_TOKEN", "PAYMENT_WEBHOOK_SECRET"):
        assert key in message
    assert "WHATSAPP_VERIFY_TOKEN" not in message


def test_production_names_every_missing_key_at_once():
    with pytest.raises(ConfigError) as exc:
        load(environ={"WHATSAPP_TOKEN": "EAAB..."})
    message = str(exc.value)
    for key in ("WHATSAPP_PHONE_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN", "DATABASE_URL", "SECRET_KEY"):
        assert key in message
    assert "WHATSAPP_TOKEN," not in message


def test_production_uses_the_real_graph_api_and_no_sandbox(tmp_path, shop_dir):
    environ = dict(LIVE, DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}", SHOP_DIR=str(shop_dir))
    config = load(environ=environ)
    assert config["SANDBOX"] is False and config["WHATSAPP_API_URL"] == "https://graph.facebook.com"
    app = create_app(environ=environ)
    assert app.test_client().get("/sandbox/").status_code == 404
    close(app)


def test_a_malformed_number_is_a_clear_error():
    with pytest.raises(ConfigError, match="SEND_RATE must be a float, got 'fast'"):
        load(environ={"SEND_RATE": "fast"})


def test_the_send_rate_is_bounded_by_metas_tiers():
    assert load({"SEND_RATE": 1000.0}, environ={"SHOPBOT_SANDBOX": "1"})["SEND_RATE"] == 1000.0
    with pytest.raises(ConfigError, match="SEND_RATE must be above 0 and at most 1000"):
        load(environ={"SEND_RATE": "5000"})


def test_log_format_is_text_by_default_or_json(tmp_path):
    sandbox = {"SHOPBOT_SANDBOX": "1"}
    assert load({"SHOP_DIR": str(tmp_path)}, environ=sandbox)["LOG_FORMAT"] == "text"
    assert load({"SHOP_DIR": str(tmp_path)}, environ=dict(sandbox, LOG_FORMAT="JSON"))["LOG_FORMAT"] == "json"
    with pytest.raises(ConfigError, match="LOG_FORMAT must be text or json, got 'xml'"):
        load({"SHOP_DIR": str(tmp_path)}, environ=dict(sandbox, LOG_FORMAT="xml"))


def test_metrics_settings_come_from_the_environment(tmp_path):
    config = load({"SHOP_DIR": str(tmp_path)}, environ={"SHOPBOT_SANDBOX": "1", "METRICS_PORT": "9101",
                                                        "METRICS_TOKEN": "scrape-me"})
    assert (config["METRICS_PORT"], config["METRICS_ADDR"], config["METRICS_TOKEN"]) == (9101, "127.0.0.1", "scrape-me")
    assert config["PROMETHEUS_MULTIPROC_DIR"] is None
    with pytest.raises(ConfigError, match="METRICS_PORT must be a int, got 'metrics'"):
        load({"SHOP_DIR": str(tmp_path)}, environ={"SHOPBOT_SANDBOX": "1", "METRICS_PORT": "metrics"})
