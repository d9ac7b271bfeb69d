"""Transmissions are sent exactly once with two workers: two real `vigisante worker --batch`
processes started at the same instant on the same database (SQLite file with WAL, or the
PostgreSQL test database), every delivery task queued twice, both also running the periodic
sweep. Each transmission is sent (audited) once and e-mailed once."""

from __future__ import annotations

import email
import json
import os
import subprocess
import sys
from collections import Counter
from email.header import decode_header, make_header
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

REPORTS = 8
SCRIPT = Path(__file__).with_name("authorities_worker_script.py")
CLI = [sys.executable, "-m", "vigisante.cli"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = {**os.environ, "VIGISANTE_DATA_DIR": str(tmp_path),
           "VIGISANTE_SECRET_KEY": "test-only", "DJANGO_SETTINGS_MODULE":
           "vigisante.config.settings", "VIGISANTE_EMAIL_BACKEND": "file",
           "VIGISANTE_LOG_LEVEL": "WARNING"}
    if connection.vendor == "postgresql":
        # the test database itself: this test commits, the workers see its rows
        s = connection.settings_dict
        env["VIGISANTE_DATABASE_URL"] = (f"postgres://{s['USER']}"
                                         f"{':' + s['PASSWORD'] if s['PASSWORD'] else ''}"
                                         f"@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}"
                                         f"/{s['NAME']}")
    else:
        env.pop("VIGISANTE_DATABASE_URL", None)  # a fresh SQLite file in the data folder
    return env


def _run(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_two_worker_processes_send_each_transmission_once(tmp_path: Path):
    env = _env(tmp_path)
    if connection.vendor != "postgresql":
        _run([*CLI, "migrate", "-v", "0"], env)
    _run([sys.executable, str(SCRIPT), "setup", str(REPORTS)], env)
    workers = [subprocess.Popen([*CLI, "worker", "--batch"], env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for _ in range(2)]
    for proc in workers:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    # a sweep by each worker again, at once: nothing left to send, nothing sent twice
    sweep = [sys.executable, "-c", "import django; django.setup(); "
             "from vigisante.authorities import services; print(services.sweep())"]
    sweeps = [subprocess.Popen(sweep, env=env, text=True, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE) for _ in range(2)]
    for proc in sweeps:
        _out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    state = json.loads(_run([sys.executable, str(SCRIPT), "check"], env))
    expected = 3 * REPORTS  # the ARS, the HFDS and the DGS (care affected) for each report
    assert state == {"transmissions": expected, "states": ["sent"], "audited": expected,
                     "audited_twice": 0, "emails": [1]}
    # the file backend writes each message followed by a line of 79 dashes
    assert (tmp_path / "mail").is_dir()
    raw = "".join(p.read_text() for p in (tmp_path / "mail").glob("*.log"))
    messages = [email.message_from_string(m) for m in raw.split("-" * 79 + "\n") if m.strip()]
    transmissions = Counter(
        (m["To"], str(make_header(decode_header(m["Subject"])))) for m in messages
        if m["To"].split("@")[0] in ("ars", "hfds", "dgs"))
    assert sum(transmissions.values()) == expected and set(transmissions.values()) == {1}
    assert Counter(to for to, _subject in transmissions) == {
        "ars@example.org": REPORTS, "hfds@example.org": REPORTS, "dgs@example.org": REPORTS}
