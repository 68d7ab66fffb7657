"""Wake-ups from other processes for a sender: PostgreSQL NOTIFY, or SQLite's data version.

A sender sleeps until it has something to do. In its own process the webhook
sets its `wakeup` event; rows written by other processes (another web worker,
`shopbot order set` beside `shopbot run`) reach it through one of these loops,
each run in a daemon thread until `stopping` is set.
"""
from __future__ import annotations

import contextlib
import logging
import threading

from sqlalchemy.orm import sessionmaker

from bot.whatsapp import outbox

log = logging.getLogger(__name__)

WATCH_SECONDS = 0.5  # SQLite: how often another process's commit is looked for


def listen(sessions: sessionmaker, wakeup: threading.Event, stopping: threading.Event) -> None:
    """Turn PostgreSQL NOTIFYs from other processes into local wake-ups."""
    import psycopg

    url = sessions.kw["bind"].url.set(drivername="postgresql").render_as_string(hide_password=False)
    while not stopping.is_set():
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                conn.execute(f"LISTEN {outbox.CHANNEL}")
                for _ in conn.notifies(timeout=5.0):
                    wakeup.set()
                # timeout: loop to check `stopping`
        except Exception:
            log.exception("LISTEN connection lost; reconnecting")
            stopping.wait(2.0)


def watch_sqlite(sessions: sessionmaker, wakeup: threading.Event, stopping: threading.Event) -> None:
    """SQLite has no NOTIFY: wake up when another process commits (`shopbot order set` beside
    `shopbot run`), seen within WATCH_SECONDS by `PRAGMA data_version`, which changes for a
    connection whenever any other connection commits. A read of a counter: no lock is taken."""
    import sqlite3

    database = sessions.kw["bind"].url.database
    if not database or database == ":memory:":
        return
    try:
        with contextlib.closing(sqlite3.connect(database, check_same_thread=False)) as conn:
            last = conn.execute("PRAGMA data_version").fetchone()[0]
            while not stopping.wait(WATCH_SECONDS):
                version = conn.execute("PRAGMA data_version").fetchone()[0]
                if version != last:
                    last = version
                    wakeup.set()
    except sqlite3.Error:
        log.exception("could not watch the SQLite database for other processes' changes")
