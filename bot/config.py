"""Configuration: embedded defaults, then the environment.

Sandbox mode is switched on explicitly, never inferred: `shopbot run` turns it
on (unless a WHATSAPP_TOKEN is set), other entry points need
`SHOPBOT_SANDBOX=1`. In sandbox mode every Meta key gets a local, public value
and the Graph API is the fake one the sandbox serves at SANDBOX_URL. Outside it
the bot talks to the real Cloud API and refuses to start while any key it needs
is missing, naming every missing key at once, and it refuses the sandbox's
public values for its secrets.
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
SANDBOX_API_TOKEN = "sandbox-api-token"
SANDBOX_PAYMENT_SECRET = "sandbox-payment-secret"
#: Where a sandbox app is reached from this machine: the fake Graph API it serves and
#: the /webhook its status feedback goes to (`shopbot run` sets the address it binds).
SANDBOX_URL = "http://127.0.0.1:5000"
SANDBOX_GRAPH_URL = f"{SANDBOX_URL}/sandbox/graph"

#: Secrets whose sandbox values are published in this repository: never accepted live.
PUBLIC_SANDBOX_VALUES = {
    "WHATSAPP_APP_SECRET": SANDBOX_APP_SECRET,
    "WHATSAPP_VERIFY_TOKEN": SANDBOX_VERIFY_TOKEN,
    "SHOP_API_TOKEN": SANDBOX_API_TOKEN,
    "PAYMENT_WEBHOOK_SECRET": SANDBOX_PAYMENT_SECRET,
}

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
    "SHOPBOT_SANDBOX": (bool, False),
    "SANDBOX_URL": (str, None),
    "WHATSAPP_TOKEN": (str, None),
    "WHATSAPP_PHONE_ID": (str, None),
    "WHATSAPP_DISPLAY_NUMBER": (str, None),
    "WHATSAPP_APP_SECRET": (str, None),
    "WHATSAPP_VERIFY_TOKEN": (str, None),
    "WHATSAPP_API_URL": (str, None),
    "WHATSAPP_API_VERSION": (str, "23.0"),
    "WHATSAPP_WABA_ID": (str, None),  # the WhatsApp Business Account: `shopbot templates check` reads its templates
    "DATABASE_URL": (str, None),
    "SECRET_KEY": (str, None),
    "SHOP_DIR": (str, None),
    "PUBLIC_URL": (str, None),
    "SHOP_API_TOKEN": (str, None),
    "PAYMENT_WEBHOOK_SECRET": (str, None),
    "PAYMENT_PROVIDER": (str, "generic"),  # a module in bot/commerce/payments/ (or a dotted module path)
    "MAX_WEBHOOK_BYTES": (int, 3_500_000),
    "MAX_API_BYTES": (int, 10 * 2**20),  # /api bodies; an invoice PDF of 7.5 MB fits as pdf_base64
    # Sender
    "SEND_RATE": (float, 80.0),  # per phone number, shared by every sender (bot.whatsapp.send_pace)
    "REDIS_URL": (str, None),  # keeps the shared send rate in Redis instead of the database
    "SEND_CONCURRENCY": (int, 32),
    "SEND_TIMEOUT": (float, 20.0),
    "SEND_BACKOFF_BASE": (float, 1.0),
    "SEND_BACKOFF_CAP": (float, 60.0),
    "SEND_GIVE_UP_HOURS": (float, 48.0),
    "SEND_CIRCUIT_THRESHOLD": (int, 5),
    "SEND_CIRCUIT_COOLDOWN": (float, 5.0),
    "SEND_CUSTOMER_BURST": (int, 45),  # Meta's pair limit: bursts of 45, each borrowing 6 s
    "SEND_CUSTOMER_INTERVAL": (float, 6.0),
    "SEND_RECONCILE_SECONDS": (float, 60.0),
    "SEND_ACCOUNT_PAUSE_SECONDS": (float, 300.0),
    "EVENT_SWEEP_AFTER_SECONDS": (float, 120.0),
    "SENDER_THREAD": (bool, False),
    # Broadcasts (bot.commerce.campaign_runner)
    "MESSAGING_LIMIT": (str, "250"),  # Meta's tier until its webhook says otherwise: 250, 2000, ... unlimited
    "BROADCAST_BATCH": (int, 200),  # a campaign's messages waiting in the outbox at once, at most
    "BROADCAST_PAUSE_AFTER": (int, 20),  # refusals in a row (131049, throttling) that pause a campaign
    # Staff dashboard
    "MEDIA_DIR": (str, None),  # customers' photos and voice notes, kept once staff open them (default: instance/media)
    "STAFF_SESSION_MINUTES": (int, 480),
    "STAFF_SESSION_MAX_HOURS": (int, 12),  # a login ends after this long even with activity
    "STAFF_COOKIE_SECURE": (bool, None),  # default: on outside the sandbox (which serves plain http)
    # Operations
    "LOG_FORMAT": (str, "text"),  # or "json": one object per line, with the WhatsApp id (bot.logs)
    "METRICS_TOKEN": (str, None),  # bearer token for /metrics; unset live, /metrics answers 503
    "METRICS_PORT": (int, None),  # `shopbot worker` serves its own /metrics here (bot.metrics.serve)
    "METRICS_ADDR": (str, "127.0.0.1"),
    # prometheus_client reads it from the environment when imported (multiprocess mode, set by
    # gunicorn.conf.py); here it tells /metrics which directory's files to add up.
    "PROMETHEUS_MULTIPROC_DIR": (str, None),
}


def is_on(raw: str) -> bool:
    """Whether an environment value means yes (1, true, yes, on)."""
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _parse(kind: type, name: str, raw: str):
    if kind is bool:
        return is_on(raw)
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a {kind.__name__}, got {raw!r}") from None


def load(overrides: dict | None = None, environ=os.environ) -> dict:
    """Build the configuration dict from defaults, the environment and `overrides`.

    Sandbox mode is on only when SHOPBOT_SANDBOX is. Raises ConfigError outside it when
    required keys are missing or a secret has a public sandbox value, and in it when a
    real WHATSAPP_TOKEN is set too.
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
    from bot.whatsapp.messaging_limit import parse as parse_limit

    try:
        parse_limit(config["MESSAGING_LIMIT"])
    except ValueError as exc:
        raise ConfigError(f"MESSAGING_LIMIT: {exc}") from None
    config["LOG_FORMAT"] = str(config["LOG_FORMAT"]).strip().lower()
    if config["LOG_FORMAT"] not in ("text", "json"):
        raise ConfigError(f"LOG_FORMAT must be text or json, got {config['LOG_FORMAT']!r}")
    multiproc = config["PROMETHEUS_MULTIPROC_DIR"]
    if multiproc and not Path(multiproc).is_dir():
        raise ConfigError(f"PROMETHEUS_MULTIPROC_DIR is {multiproc!r}, which is not a directory: create it (empty) "
                          "or unset it")
    sandbox = config["SANDBOX"] = bool(config["SHOPBOT_SANDBOX"])
    if sandbox:
        _sandbox_values(config)
    else:
        _check_live(config)
    config["WHATSAPP_DISPLAY_NUMBER"] = config["WHATSAPP_DISPLAY_NUMBER"] or SANDBOX_DISPLAY_NUMBER
    config["SECRET_KEY"] = config["SECRET_KEY"] or secrets.token_hex(32)
    if config["STAFF_COOKIE_SECURE"] is None:
        config["STAFF_COOKIE_SECURE"] = not sandbox
    config["PERMANENT_SESSION_LIFETIME"] = int(config["STAFF_SESSION_MINUTES"]) * 60
    config["WHATSAPP_API_URL"] = (config["WHATSAPP_API_URL"] or "https://graph.facebook.com").rstrip("/")
    root = Path(config["SHOP_DIR"] or Path.cwd())
    config["SHOP_DIR"] = str(root)
    if not config["DATABASE_URL"]:
        instance = root / "instance"
        instance.mkdir(exist_ok=True)
        config["DATABASE_URL"] = f"sqlite:///{instance / 'shopbot.db'}"
    return config


def _sandbox_values(config: dict) -> None:
    """Fill every Meta key and secret with the sandbox's public values.

    Raises ConfigError when a real WHATSAPP_TOKEN is set too: the sandbox signs any body
    and shows every customer's replies, so it must never run with a live account.
    """
    if config["WHATSAPP_TOKEN"] and config["WHATSAPP_TOKEN"] != SANDBOX_TOKEN:
        raise ConfigError("SHOPBOT_SANDBOX is on and WHATSAPP_TOKEN is set: the sandbox never talks to "
                          "Meta and must not run with a live account; unset one of them")
    config["WHATSAPP_TOKEN"] = SANDBOX_TOKEN
    config["WHATSAPP_PHONE_ID"] = config["WHATSAPP_PHONE_ID"] or SANDBOX_PHONE_ID
    config["WHATSAPP_APP_SECRET"] = config["WHATSAPP_APP_SECRET"] or SANDBOX_APP_SECRET
    config["WHATSAPP_VERIFY_TOKEN"] = config["WHATSAPP_VERIFY_TOKEN"] or SANDBOX_VERIFY_TOKEN
    config["SHOP_API_TOKEN"] = config["SHOP_API_TOKEN"] or SANDBOX_API_TOKEN
    config["PAYMENT_WEBHOOK_SECRET"] = config["PAYMENT_WEBHOOK_SECRET"] or SANDBOX_PAYMENT_SECRET
    config["SANDBOX_URL"] = (config["SANDBOX_URL"] or SANDBOX_URL).rstrip("/")
    config["PUBLIC_URL"] = config["PUBLIC_URL"] or config["SANDBOX_URL"]
    config["WHATSAPP_API_URL"] = config["WHATSAPP_API_URL"] or f"{config['SANDBOX_URL']}/sandbox/graph"


def _check_live(config: dict) -> None:
    """Refuse to start live with a required key missing or a secret set to a public sandbox value.

    Every problem is named in one ConfigError, so one failed start-up tells the operator all.
    SHOP_API_TOKEN and PAYMENT_WEBHOOK_SECRET are optional: unset, their endpoints answer 503.
    """
    missing = [k for k in REQUIRED_IN_PRODUCTION if not config.get(k)]
    public = [k for k, value in PUBLIC_SANDBOX_VALUES.items() if config.get(k) == value]
    problems = []
    if missing:
        problems.append("set " + ", ".join(missing))
    if public:
        problems.append("choose secret values for " + ", ".join(public) + " (theirs are the sandbox's public ones)")
    if problems:
        raise ConfigError("shopbot cannot start live: " + "; ".join(problems)
                          + ". For the local sandbox run `shopbot run` or set SHOPBOT_SANDBOX=1.")
