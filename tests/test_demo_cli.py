"""`vigisante demo --no-serve --json`, run for real (subprocess) twice in a fresh data folder."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings

# The demo embeds SQLite whatever the suite runs on: run these once, in the SQLite pass (on
# PostgreSQL the same seed is checked in-process by test_demo_data.py).
pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="the embedded-SQLite demo is exercised in the SQLite pass of the suite")

TABLES = ["establishments_establishment", "establishments_supplier", "accounts_user",
          "accounts_membership", "reports_report", "triage_case", "triage_support",
          "triage_transition", "reports_referencecounter"]


def cli_env(data_dir: Path) -> dict[str, str]:
    """The environment of a user's shell: real settings, SQLite in `data_dir`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGISANTE_") and k != "DJANGO_SETTINGS_MODULE"}
    env["VIGISANTE_DATA_DIR"] = str(data_dir)
    return env


def vigisante(*args: str, data_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "vigisante.cli", *args], env=cli_env(data_dir),
                          capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def counts(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("demo") / "fresh"  # does not exist yet
    started = time.monotonic()
    first = vigisante("demo", "--no-serve", "--json", data_dir=data_dir)
    elapsed = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    db = data_dir / "vigisante.sqlite3"
    after_first = counts(db)
    second = vigisante("demo", "--no-serve", "--json", data_dir=data_dir)
    assert second.returncode == 0, second.stderr
    return data_dir, first, second, after_first, counts(db), elapsed


def test_prints_one_json_object_with_the_demo_logins(two_runs):
    data_dir, first, _second, _c1, _c2, _elapsed = two_runs
    answer = json.loads(first.stdout)  # nothing else on stdout
    assert set(answer) == {"url", "accounts", "taxii", "feeds"}
    assert answer["url"] == "http://127.0.0.1:8000/"
    assert answer["taxii"]["url"] == "http://127.0.0.1:8000/taxii2/"
    assert answer["taxii"]["token"].startswith("vs_") and answer["taxii"]["password"]
    own = answer["taxii"]["establishment_account"]  # an extra field: the keys above stay
    assert own["username"] != answer["taxii"]["username"] and own["token"].startswith("vs_")
    assert own["collection"].startswith("http://127.0.0.1:8000/taxii2/api/collections/")
    assert answer["feeds"] == {"misp": "http://127.0.0.1:8000/alerts/misp/feed/",
                               "text": "http://127.0.0.1:8000/feeds/text/domain.txt",
                               "token": answer["taxii"]["token"]}
    with sqlite3.connect(data_dir / "vigisante.sqlite3") as conn:
        role = conn.execute("SELECT role FROM accounts_user WHERE email = ?",
                            (answer["taxii"]["username"],)).fetchone()[0]
        published = dict(conn.execute(
            "SELECT c.alias, COUNT(*) FROM taxii_stixobject o JOIN taxii_collection c "
            "ON c.id = o.collection_id GROUP BY c.alias").fetchall())
    assert role == "machine"
    assert published.get("everyone", 0) > 0 and published.get("partners", 0) > 0
    accounts = answer["accounts"]
    for a in accounts:
        assert {"email", "password", "role", "establishment", "token"} <= set(a)
        assert a["token"].startswith("vs_")
    roles = [a["role"] for a in accounts]
    assert {"analyst", "admin", "observer", "reporter"} <= set(roles)
    reporters = [a for a in accounts if a["role"] == "reporter"]
    assert len({a["establishment"] for a in reporters}) >= 2
    assert all("(fictif)" in a["establishment"] for a in reporters)
    for a in accounts:
        if a["role"] in ("analyst", "admin", "authority"):
            assert len(a["totp_secret"]) == 32
    # the chain of authorities: two regions' ARS and the ministry, with their scope
    scopes = [a["scope"] for a in accounts if a["role"] == "authority"]
    assert sorted(s["authority"] for s in scopes) == ["ars", "ars", "dgs", "hfds"]
    assert len({s["region"] for s in scopes if s["authority"] == "ars"}) == 2
    assert "Loaded synthetic data" in first.stderr
    assert (data_dir / "vigisante.sqlite3").exists()


def test_second_run_neither_fails_nor_duplicates(two_runs):
    data_dir, first, second, after_first, after_second, _elapsed = two_runs
    assert after_first == after_second
    assert after_first["reports_report"] > 3000
    assert "already loaded" in second.stderr
    one, two = json.loads(first.stdout), json.loads(second.stdout)
    assert [a["email"] for a in one["accounts"]] == [a["email"] for a in two["accounts"]]
    with sqlite3.connect(data_dir / "vigisante.sqlite3") as conn:
        def revoked(raw: str):
            digest = hashlib.sha256(raw.encode()).hexdigest()
            return conn.execute("SELECT revoked_at FROM accounts_apitoken WHERE key_hash = ?",
                                (digest,)).fetchone()[0]

        for old, new in zip(one["accounts"], two["accounts"], strict=True):
            assert old["token"] != new["token"]
            assert revoked(old["token"]) is not None
            assert revoked(new["token"]) is None
        seeds = conn.execute(
            "SELECT COUNT(*) FROM core_auditevent WHERE action = 'demo.seed'").fetchone()[0]
        assert seeds == 1


def test_demo_otp_gives_codes_for_demo_staff_only(two_runs):
    data_dir = two_runs[0]
    ok = vigisante("demo-otp", "analyste@demo.example.org", data_dir=data_dir)
    assert ok.returncode == 0, ok.stderr
    assert len(ok.stdout.strip()) == 6 and ok.stdout.strip().isdigit()
    refused = vigisante("demo-otp", "rssi.valbrune@demo.example.org", data_dir=data_dir)
    assert refused.returncode != 0
    assert "not a demo staff account" in refused.stderr


def test_without_json_prints_logins_and_how_to_pass_the_second_factor(two_runs):
    data_dir = two_runs[0]
    done = vigisante("demo", "--no-serve", "--port", "8123", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "http://127.0.0.1:8123/" in out
    assert "vigisante-demo" in out and "analyste@demo.example.org" in out
    assert "otpauth://totp/" in out and "vigisante demo-otp" in out
    assert "pare-feu.taxii@demo.example.org" in out and "http://127.0.0.1:8123/taxii2/api/" in out


def test_refuses_a_database_url_left_set(tmp_path):
    env = cli_env(tmp_path / "data")
    env["VIGISANTE_DATABASE_URL"] = "postgres://nobody@127.0.0.1:1/nothing"
    done = subprocess.run([sys.executable, "-m", "vigisante.cli", "demo", "--no-serve"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "--use-database-url" in done.stderr
    assert not (tmp_path / "data" / "vigisante.sqlite3").exists()


def test_the_readme_command_serves_the_demo_with_its_static_files(two_runs):
    """`vigisante demo` (the README's command) serves the site: the static files are collected
    while the data loads, before it says it is ready; Ctrl+C stops it cleanly."""
    import signal
    import socket
    import urllib.request

    data_dir = two_runs[0]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "vigisante.cli", "demo", "--port", str(port),
                             "--workers", "1"], env=cli_env(data_dir), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    try:
        lines = []
        for line in proc.stderr:  # progress and "Ready in" go to stderr
            lines.append(line)
            if line.startswith("Ready in"):
                break
        assert any(x.startswith("Ready in") for x in lines), "".join(lines)
        # ready means collected: the server has nothing left to prepare
        assert (data_dir / "static" / "vigisante" / "site.css.gz").is_file()
        assert (data_dir / "static.fingerprint").is_file()
        deadline = time.monotonic() + 300
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/",
                                            timeout=5) as page:
                    assert page.status == 200
                break
            except OSError:
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.3)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/static/vigisante/site.css",
                                    timeout=5) as css:
            assert css.status == 200 and len(css.read()) > 100
        proc.send_signal(signal.SIGINT)
        out, _err = proc.communicate(timeout=60)
        assert proc.returncode == 0
        assert f"Serving http://127.0.0.1:{port}/" in out
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
