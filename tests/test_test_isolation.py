"""The suite's PostgreSQL database belongs to the run that made it: a second run on the same
server, or a real database named like the old fixed one, is never dropped or disturbed."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import psycopg

from tests.conftest import PG_SERVER, REPO


def test_a_second_run_on_the_same_server_leaves_this_run_and_other_databases_alone(postgres_url, tmp_path):
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS shopbot_test_bystander")
        conn.execute("CREATE DATABASE shopbot_test_bystander")
    try:
        probe = tmp_path / "test_probe.py"
        probe.write_text(textwrap.dedent("""
            import psycopg
            def test_probe(postgres_url):
                with psycopg.connect(postgres_url) as conn:
                    assert conn.execute("select 1").fetchone() == (1,)
        """))
        # The nested run uses the project's conftest (copied beside the probe) and its own database.
        (tmp_path / "conftest.py").write_text("from tests.conftest import *  # noqa: F403\n")
        run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(probe)],
                             cwd=REPO, capture_output=True, text=True, timeout=120,
                             env=dict(os.environ, PYTHONPATH=str(REPO)))
        assert run.returncode == 0, run.stdout + run.stderr
        # This run's database still answers, and the bystander database is still there.
        with psycopg.connect(postgres_url) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            names = {r[0] for r in conn.execute("select datname from pg_database")}
        assert "shopbot_test_bystander" in names
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS shopbot_test_bystander")
