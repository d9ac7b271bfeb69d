"""`vigisante demo --use-database-url` on PostgreSQL (in the PostgreSQL pass of the suite)."""

from __future__ import annotations

import json
import subprocess
import sys

from test_cli_serve import pg_database  # noqa: F401 - the fixture
from test_demo_cli import cli_env

from vigisante.demo.live import SCENARIOS


def test_demo_loads_into_postgresql_once(tmp_path, pg_database):  # noqa: F811
    env = cli_env(tmp_path / "data")
    env["VIGISANTE_DATABASE_URL"] = pg_database
    runs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-m", "vigisante.cli", "demo", "--no-serve", "--json",
             "--use-database-url"], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        runs.append(json.loads(done.stdout))
    assert "already loaded" in done.stderr
    import psycopg

    with psycopg.connect(pg_database.replace("postgres://", "postgresql://")) as conn:
        reports = conn.execute("SELECT COUNT(*) FROM reports_report").fetchone()[0]
        seeds = conn.execute(
            "SELECT COUNT(*) FROM core_auditevent WHERE action = 'demo.seed'").fetchone()[0]
    assert reports == 3416 + len(SCENARIOS) and seeds == 1
    assert {a["role"] for a in runs[1]["accounts"]} == {"analyst", "admin", "observer",
                                                         "reporter", "authority"}
