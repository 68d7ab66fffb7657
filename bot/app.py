"""The application factory: configuration, database, content, WhatsApp client, blueprints.

Nothing happens at import: everything is built here and kept in
`app.extensions`, so tests and processes each get their own.
"""
from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, abort, redirect, send_from_directory, url_for

from bot import config as config_module
from bot import logs
from bot.content import ContentStore
from bot.db import make_engine, make_sessionmaker
from bot.whatsapp.client import make_client

log = logging.getLogger(__name__)


def create_app(config: dict | None = None, environ: Mapping[str, str] | None = None) -> Flask:
    """Build a shopbot app. `config` overrides `environ` (the process environment by default).

    Raises ConfigError when production keys are missing (and the sandbox is not switched
    on) and ContentError when the owner's files cannot be served.
    """
    app = Flask(__name__)
    app.config.update(config_module.load(config, environ=os.environ if environ is None else environ))
    app.secret_key = app.config["SECRET_KEY"]
    logs.setup(app.config["LOG_FORMAT"])
    if app.config["SANDBOX"]:
        log.warning("SANDBOX MODE: fake WhatsApp, public secrets, a page that signs any webhook and shows "
                    "every customer's replies. For this machine only: it must not face the internet.")

    from bot.commerce import payments

    app.extensions["shopbot.payments"] = payments.provider(app.config["PAYMENT_PROVIDER"])  # ConfigError if unknown
    engine = make_engine(app.config["DATABASE_URL"], pool_size=app.config["SEND_CONCURRENCY"] + 8)
    app.extensions["shopbot.engine"] = engine
    app.extensions["shopbot.sessions"] = make_sessionmaker(engine)
    app.extensions["shopbot.content"] = ContentStore(app.config["SHOP_DIR"])
    app.extensions["shopbot.whatsapp"] = make_client(app.config)
    app.extensions["shopbot.wakeup"] = threading.Event()

    from bot import headers, metrics
    from bot.api import bp as api_bp
    from bot.health import bp as health_bp
    from bot.reminder_links import bp as reminder_links_bp
    from bot.whatsapp.webhook import bp as webhook_bp

    headers.register(app)
    metrics.register(app)
    app.register_blueprint(health_bp)
    app.register_blueprint(webhook_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(reminder_links_bp)
    if app.config["SANDBOX"]:
        from bot import sandbox

        sandbox.register(app)
    from bot import staff

    staff.register(app)

    from bot.cli import register_commands

    register_commands(app)

    @app.get("/")
    def index():
        if app.config["SANDBOX"]:
            return redirect(url_for("sandbox.page"))
        return {"service": "shopbot", "status": "ok"}

    @app.get("/catalog/<path:filename>")
    def catalog_file(filename):
        """The shop's product images, for WhatsApp (needs PUBLIC_URL) and the sandbox."""
        if not filename.lower().endswith((".png", ".jpg", ".jpeg")):
            abort(404)
        return send_from_directory(Path(app.config["SHOP_DIR"]) / "catalog", filename, max_age=3600)

    return app
