"""Database engine and sessions, the same code for SQLite and PostgreSQL.

SQLite runs in WAL mode and starts every transaction with BEGIN IMMEDIATE so
that concurrent writers wait for each other (busy_timeout) instead of failing
halfway through a transaction. PostgreSQL uses psycopg 3.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Map plain `postgres://` / `postgresql://` URLs to the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def make_engine(url: str, pool_size: int = 10) -> Engine:
    """Create the engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE.

    `pool_size` should cover the sender's concurrent sends, or connections
    are opened and closed per transaction.
    """
    url = normalise_url(url)
    if make_url(url).get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    # No pre-ping: it costs a round trip on every checkout. A connection that died (a database
    # restart) fails its first statement; SQLAlchemy then discards the whole pool, the request
    # answers 5xx and Meta retries it (the sender loop retries by itself). Recycling bounds the
    # age of a connection, for proxies and servers that drop idle ones.
    return create_engine(url, pool_size=pool_size, max_overflow=20, pool_recycle=300, pool_use_lifo=True)


def is_postgres(where: Session | Engine | Connection) -> bool:
    """Whether `where` (a session, an engine or a connection) talks to PostgreSQL.

    The one place the dialect is asked: the few statements that differ between the
    two databases (upserts, time zones, percentiles, LISTEN/NOTIFY) branch on this.
    """
    bind = where.get_bind() if isinstance(where, Session) else where
    return bind.dialect.name == "postgresql"


@contextmanager
def autocommit(engine: Engine) -> Iterator[Connection]:
    """A connection whose every statement commits by itself: one round trip for a one-statement
    write (no BEGIN, no COMMIT), for the hot paths that need no more."""
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        yield conn


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """Open a session, commit on success, roll back on any error.

    Only the edges (webhook, API views, CLI, sender) use this: domain code
    receives the session and never commits.
    """
    with factory() as session, session.begin():
        yield session


def insert_ignore(where: Session | str, model: Any) -> postgresql.Insert | sqlite.Insert:
    """INSERT ... ON CONFLICT DO NOTHING for the session's dialect (or a dialect's name)."""
    if (where == "postgresql") if isinstance(where, str) else is_postgres(where):
        return postgresql.insert(model).on_conflict_do_nothing()
    return sqlite.insert(model).on_conflict_do_nothing()
