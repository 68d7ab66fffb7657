"""Configuration: embedded defaults, then the environment.

Without `WHATSAPP_TOKEN` the bot runs in sandbox mode: every Meta key gets a
local value and the Graph API is the fake one the sandbox serves. With a token,
the bot talks to the real Cloud API and refuses to start while any key it needs
is missing, naming every missing key at once.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from bot.errors import ConfigError

SANDBOX_PHONE_ID = "1122334455667"
SANDBOX_DISPLAY_NUMBER = "15550001234"
SANDBOX_APP_SECRET = "sandbox-app-secret"
SANDBOX_VERIFY_TOKEN = "sandbox-verify-token"
SANDBOX_TOKEN = "sandbox-token"
#: The fake Graph API that `shopbot run` serves in sandbox mode (see bot/sandbox).
SANDBOX_GRAPH_URL = "http://127.0.0.1:5000/sandbox/graph"

#: Keys a production deployment must set; checked together so one start-up tells all.
REQUIRED_IN_PRODUCTION = (
    "WHATSAPP_TOKEN",
    "WHATSAPP_PHONE_ID",
    "WHATSAPP_APP_SECRET",
    "WHATSAPP_VERIFY_TOKEN",
    "DATABASE_URL",
    "SECRET_KEY",
)

#: name -> (type, default). None defaults are filled in by `load`.
SETTINGS: dict[str, tuple[type, object]] = {
    "WHATSAPP_TOKEN": (str, None),
    "WHATSAPP_PHONE_ID": (str, None),
    "WHATSAPP_DISPLAY_NUMBER": (str, None),
    "WHATSAPP_APP_SECRET": (str, None),
    "WHATSAPP_VERIFY_TOKEN": (str, None),
    "WHATSAPP_API_URL": (str, None),
    "WHATSAPP_API_VERSION": (str, "23.0"),
    "DATABASE_URL": (str, None),
    "SECRET_KEY": (str, None),
    "SHOP_DIR": (str, None),
    "PUBLIC_URL": (str, None),
    "SHOP_API_TOKEN": (str, None),
    "PAYMENT_WEBHOOK_SECRET": (str, None),
    "MAX_WEBHOOK_BYTES": (int, 3_500_000),
    "MAX_API_BYTES": (int, 10 * 2**20),  # /api bodies; an invoice PDF of 7.5 MB fits as pdf_base64
    # Sender
    "SEND_RATE": (float, 80.0),
    "SEND_CONCURRENCY": (int, 32),
    "SEND_TIMEOUT": (float, 20.0),
    "SEND_BACKOFF_BASE": (float, 1.0),
    "SEND_BACKOFF_CAP": (float, 60.0),
    "SEND_GIVE_UP_HOURS": (float, 48.0),
    "SEND_CIRCUIT_THRESHOLD": (int, 5),
    "SEND_CIRCUIT_COOLDOWN": (float, 5.0),
    "SEND_CUSTOMER_BURST": (int, 10),
    "SEND_CUSTOMER_INTERVAL": (float, 6.0),
    "SEND_RECONCILE_SECONDS": (float, 60.0),
    "SEND_ACCOUNT_PAUSE_SECONDS": (float, 300.0),
    "EVENT_SWEEP_AFTER_SECONDS": (float, 120.0),
    "SENDER_THREAD": (bool, False),
    # Staff dashboard
    "STAFF_SESSION_MINUTES": (int, 480),
    "STAFF_SESSION_MAX_HOURS": (int, 12),  # a login ends after this long even with activity
    "STAFF_COOKIE_SECURE": (bool, None),  # default: on outside the sandbox (which serves plain http)
}


def _parse(kind: type, name: str, raw: str):
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {kind.__name__}, got {raw!r}") from None


def load(overrides: dict | None = None, environ=os.environ) -> dict:
    """Build the configuration dict from defaults, the environment and `overrides`.

    Raises ConfigError outside sandbox mode when required keys are missing.
    """
    overrides = dict(overrides or {})
    config: dict = {}
    for name, (kind, default) in SETTINGS.items():
        if name in overrides:
            config[name] = overrides.pop(name)
        elif environ.get(name):
            config[name] = _parse(kind, name, environ[name])
        else:
            config[name] = default
    config.update(overrides)  # Flask keys such as TESTING pass through

    if not 0 < float(config["SEND_RATE"]) <= 1000:
        raise ConfigError(f"SEND_RATE must be above 0 and at most 1000 messages/s (Meta's highest tier), "
                          f"got {config['SEND_RATE']}")
    sandbox = not config["WHATSAPP_TOKEN"]
    config["SANDBOX"] = sandbox
    if not sandbox:
        missing = [k for k in REQUIRED_IN_PRODUCTION if not config.get(k)]
        if missing:
            raise ConfigError(
                "shopbot cannot start outside sandbox mode; set "
                + ", ".join(missing)
            )
    config["WHATSAPP_TOKEN"] = config["WHATSAPP_TOKEN"] or SANDBOX_TOKEN
    config["WHATSAPP_PHONE_ID"] = config["WHATSAPP_PHONE_ID"] or SANDBOX_PHONE_ID
    config["WHATSAPP_DISPLAY_NUMBER"] = (
        config["WHATSAPP_DISPLAY_NUMBER"] or SANDBOX_DISPLAY_NUMBER
    )
    config["WHATSAPP_APP_SECRET"] = config["WHATSAPP_APP_SECRET"] or SANDBOX_APP_SECRET
    config["WHATSAPP_VERIFY_TOKEN"] = (
        config["WHATSAPP_VERIFY_TOKEN"] or SANDBOX_VERIFY_TOKEN
    )
    config["SECRET_KEY"] = config["SECRET_KEY"] or secrets.token_hex(32)
    if config["STAFF_COOKIE_SECURE"] is None:
        config["STAFF_COOKIE_SECURE"] = not sandbox
    config["PERMANENT_SESSION_LIFETIME"] = int(config["STAFF_SESSION_MINUTES"]) * 60
    if sandbox:
        config["SHOP_API_TOKEN"] = config["SHOP_API_TOKEN"] or "sandbox-api-token"
        config["PAYMENT_WEBHOOK_SECRET"] = config["PAYMENT_WEBHOOK_SECRET"] or "sandbox-payment-secret"
    if sandbox and not config["PUBLIC_URL"]:
        config["PUBLIC_URL"] = SANDBOX_GRAPH_URL.removesuffix("/sandbox/graph")
    config["WHATSAPP_API_URL"] = (config["WHATSAPP_API_URL"] or (
        SANDBOX_GRAPH_URL if sandbox else "https://graph.facebook.com")).rstrip("/")
    root = Path(config["SHOP_DIR"] or Path.cwd())
    config["SHOP_DIR"] = str(root)
    if not config["DATABASE_URL"]:
        instance = root / "instance"
        instance.mkdir(exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{instance / 'shopbot.db'}"
    return config
