"""Schema migrations (Alembic), run by `shopbot db upgrade`, `shopbot run` and the release step."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision` (the newest by default)."""
    with engine.begin() as connection:
        command.upgrade(_config(connection), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the database back to `revision` (each migration's `downgrade`, newest first)."""
    with engine.begin() as connection:
        command.downgrade(_config(connection), revision)


def revision(engine: Engine, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    with engine.begin() as connection:
        command.revision(_config(connection), message=message, autogenerate=True)


def head() -> str | None:
    """The newest migration in bot/migrations (what `upgrade` brings a database to)."""
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current(engine: Engine) -> str | None:
    """The migration the database is at (None: never migrated). Raises when it cannot connect."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
