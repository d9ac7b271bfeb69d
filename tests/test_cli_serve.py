"""`vigisante serve` starts gunicorn on a free port, serves pages and static files, stops
cleanly on SIGINT / SIGTERM; on SQLite, and on PostgreSQL when the suite runs on it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def wait_until_up(proc: subprocess.Popen, port: int, timeout: float = 300) -> None:
    # generous: on a loaded 2-core machine, migrating and starting takes minutes
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"serve exited early: {proc.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("serve did not start listening")


@pytest.fixture
def pg_database():
    """A throw-away PostgreSQL database beside the test one (only when the suite runs on PG)."""
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the suite runs on SQLite (set VIGISANTE_DATABASE_URL to a PostgreSQL URL)")
    import psycopg

    name = f"{db['NAME']}_serve_{os.getpid()}"
    params = dict(host=db.get("HOST") or "127.0.0.1", port=db.get("PORT") or 5432,
                  user=db.get("USER") or "postgres", password=db.get("PASSWORD") or None)
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    user = params["user"] + (f":{params['password']}" if params["password"] else "")
    yield f"postgres://{user}@{params['host']}:{params['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **params) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run_serve(tmp_path: Path, stop: signal.Signals, database_url: str = "") -> None:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGISANTE_") and k != "DJANGO_SETTINGS_MODULE"}
    env["VIGISANTE_DATA_DIR"] = str(tmp_path / "data")
    if database_url:
        env["VIGISANTE_DATABASE_URL"] = database_url
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "vigisante.cli", "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        text=True)
    try:
        wait_until_up(proc, port)
        base = f"http://127.0.0.1:{port}"
        status, body = get(f"{base}/accounts/login/")
        assert status == 200
        assert b"<form" in body
        status, css = get(f"{base}/static/vigisante/site.css")
        assert status == 200 and len(css) > 100
        assert (tmp_path / "data" / "static" / "vigisante" / "site.css").exists()  # collected
        assert get(f"{base}/no-such-page/")[0] == 404
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert f"http://127.0.0.1:{port}/" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.mark.skipif(settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
                    reason="run once, in the SQLite pass")
def test_serve_on_sqlite_stops_on_sigint(tmp_path):
    run_serve(tmp_path, signal.SIGINT)
    assert (tmp_path / "data" / "vigisante.sqlite3").exists()  # migrated in the data folder


def test_serve_on_postgresql_stops_on_sigterm(tmp_path, pg_database):
    run_serve(tmp_path, signal.SIGTERM, pg_database)
