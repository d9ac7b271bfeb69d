"""The analyst queue's filters on the demo's data (issue 10, item 11): is "overdue only" as
fast as the others?

    .venv/bin/python benchmarks/queue_filters.py [--runs 15] [--database-url URL]

Loads `vigisante demo --no-serve` into a fresh data folder (SQLite by default; PostgreSQL
with --database-url, a throw-away database that is emptied first by the demo's migrations),
then, in this process, requests the queue page through Django's test client as the demo
analyst (second factor passed) with each filter, `--runs` times, and prints one JSON line per
figure ({"name", "ours", "peer", "ratio", "unit", "n"}), medians in milliseconds:

- `queue_page_<filter>`: the whole page (peer: the unfiltered page, the queue's default);
- `overdue_filter_sql`: the count of reports with an overdue clock, ours (a semi-join on the
  overdue clocks) against the former correlated EXISTS (peer), same database, same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FILTERS = [("default", {}), ("all_states", {"state": "all"}),
           ("received", {"state": "received"}), ("overdue", {"overdue": "on"}),
           ("overdue_all_states", {"overdue": "on", "state": "all"}),
           ("search_accents", {"q": "rancon", "state": "all"}),
           ("support_requested", {"support_requested": "yes", "state": "all"})]


def load_demo(env: dict) -> None:
    done = subprocess.run([sys.executable, "-m", "vigisante.cli", "demo", "--no-serve",
                           "--json"], env=env, capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        sys.exit(f"demo failed:\n{done.stderr[-3000:]}")


def median_ms(fn, runs: int) -> float:
    fn()  # warm
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def line(name: str, ours: float, peer: float, n: int) -> None:
    print(json.dumps({"name": name, "ours": ours, "peer": peer,
                      "ratio": round(ours / peer, 3) if peer else None, "unit": "ms", "n": n}),
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--database-url", default="")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="vigisante-queue-bench-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGISANTE_")}
    env["VIGISANTE_DATA_DIR"] = str(Path(tmp) / "data")
    if args.database_url:
        env["VIGISANTE_DATABASE_URL"] = args.database_url
    load_demo(env)
    os.environ.update({k: v for k, v in env.items() if k.startswith("VIGISANTE_")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigisante.config.settings"
    os.environ["VIGISANTE_LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.db.models import Exists, OuterRef
    from django.test import Client
    from django.utils import timezone
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from vigisante.accounts.models import User
    from vigisante.clocks.models import Clock, ClockState
    from vigisante.reports.models import Report

    analyst = User.objects.get(email="analyste@demo.example.org")
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(analyst)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.filter(user=analyst).first().persistent_id
    session.save()

    def page(params):
        def get():
            response = client.get("/triage/", params)
            assert response.status_code == 200, response.status_code
        return get

    base = median_ms(page({}), args.runs)
    for name, params in FILTERS:
        ours = base if name == "default" else median_ms(page(params), args.runs)
        line(f"queue_page_{name}", ours, base, args.runs)

    now = timezone.now()
    reports = Report.objects.filter(source="sector")
    ours = median_ms(lambda: reports.filter(pk__in=Clock.objects.filter(
        state=ClockState.DUE, due_at__lt=now).values("report_id")).count(), args.runs)
    peer = median_ms(lambda: reports.filter(Exists(Clock.objects.filter(
        report=OuterRef("pk"), state=ClockState.DUE, due_at__lt=now))).order_by(
        "-created_at")[:1001].count(), args.runs)
    line("overdue_filter_sql", ours, peer, args.runs)


if __name__ == "__main__":
    main()
