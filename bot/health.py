"""Liveness and readiness for load balancers and orchestrators.

`/healthz` says the process answers (nothing else is touched, so a slow
database never gets a healthy process restarted). `/readyz` says this
process can do its work: the database answers, its schema is at the newest
migration, and the owner's files are loaded. It answers 200 with each check,
or 503 naming the checks that failed.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Blueprint, current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot import schema

log = logging.getLogger(__name__)

bp = Blueprint("health", __name__)


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str


def check_database(engine) -> Check:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:  # any driver error means "not reachable" here
        log.warning("readiness: database unreachable: %s", type(exc).__name__)
        return Check(False, f"unreachable: {type(exc).__name__}")
    return Check(True, "reachable")


def check_migrations(engine) -> Check:
    """Compare the database's Alembic revision with the newest migration script."""
    try:
        at, newest = schema.current(engine), schema.head()
    except SQLAlchemyError as exc:
        return Check(False, f"cannot read the revision: {type(exc).__name__}")
    if at != newest:
        return Check(False, f"database at {at or 'no revision'}, code expects {newest}: run `shopbot db upgrade`")
    return Check(True, f"at head ({newest})")


def check_content(store) -> Check:
    """The owner's files are loaded (a refused edit leaves the last good content serving)."""
    if store is None or store.content is None:
        return Check(False, "flows/ and catalog/ are not loaded")
    if store.last_error is not None:
        return Check(True, f"loaded; the last edit was refused ({len(store.last_error.problems)} problem(s), "
                           "see `shopbot check`), the last good content is serving")
    return Check(True, "loaded")


def readiness(app) -> dict[str, Check]:
    engine = app.extensions["shopbot.engine"]
    database = check_database(engine)
    return {
        "database": database,
        "migrations": check_migrations(engine) if database.ok else Check(False, "database unreachable"),
        "content": check_content(app.extensions.get("shopbot.content")),
    }


@bp.get("/healthz")
def health():
    return {"status": "ok"}


@bp.get("/readyz")
def ready():
    checks = readiness(current_app)
    failed = [name for name, c in checks.items() if not c.ok]
    body = {"status": "not ready" if failed else "ready", "failed": failed,
            "checks": {name: {"ok": c.ok, "detail": c.detail} for name, c in checks.items()}}
    return body, 503 if failed else 200
