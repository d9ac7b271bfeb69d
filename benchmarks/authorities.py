"""Transmission benchmark: how long after a report arrives are the authorities told?

Starts `vigisante serve` (gunicorn) and `vigisante worker` as subprocesses on a fresh database
(SQLite in a fresh VIGISANTE_DATA_DIR, and/or PostgreSQL in a fresh database), creates an
establishment (Île-de-France), a reporter with an API token and the authority accounts (the
ARS, the HFDS, the DGS), then files N early warnings through the API, one every `--every`
seconds. Each report is decided at once (the ARS, the HFDS, the DGS: care affected) and sent
by the worker.

Figures, from the database's own timestamps at the end (no polling granularity):
- ours: report received (`created_at`) -> its last transmission sent (`sent_at`);
- peer: the same report's "report received" e-mail task, queued in the same transaction and
  run by the same worker (`DBTaskResult.finished_at - enqueued_at`): what the platform
  already does after every report.
One JSON line per figure: {"name", "ours", "peer", "ratio", "unit", "n"}, p50 and p99 in ms,
ratio = peer / ours (1.0: as fast as the acknowledgement). Aim: p99 under 5,000 ms. Checks
that every report has its three transmissions, each sent once; exits 1 otherwise.

    .venv/bin/python benchmarks/authorities.py                  # SQLite, N=200
    .venv/bin/python benchmarks/authorities.py --db both --n 300 --every 0.2
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake import HOST, VIGISANTE, Server, drop_postgres, fresh_postgres, run, shell  # noqa: E402

SETUP = """
import json
from vigisante.accounts.models import ApiToken, Membership, Role, User
from vigisante.authorities.models import AuthorityAccount
from vigisante.establishments.models import Establishment
est, _ = Establishment.objects.get_or_create(finess="750000099", defaults=dict(
    name="Benchmark hospital (synthetic)", category="ch", sector="health",
    legal_status="public", region="IDF", departement="75", nis2_status="essential",
    synthetic=True))
user, _ = User.objects.get_or_create(email="bench@example.org", defaults=dict(role=Role.REPORTER))
Membership.objects.get_or_create(user=user, establishment=est)
for email, authority, region in (("ars@example.org", "ars", "IDF"),
                                 ("hfds@example.org", "hfds", ""),
                                 ("dgs@example.org", "dgs", "")):
    a, _ = User.objects.get_or_create(email=email, defaults=dict(role=Role.AUTHORITY))
    AuthorityAccount.objects.get_or_create(user=a, defaults=dict(authority=authority,
                                                                 region=region))
print(json.dumps({"establishment": est.pk, "token": ApiToken.issue(user, "bench")[1]}))
"""

MEASURE = """
import json
from django.db.models import Count, Max
from django_tasks_db.models import DBTaskResult
from vigisante.authorities.models import Transmission
from vigisante.core.models import AuditEvent
from vigisante.reports.models import Report
from vigisante.reports.tasks import acknowledge_report
reports = {r.pk: r.created_at for r in Report.objects.all()}
sent = {row["report_id"]: row for row in Transmission.objects.values("report_id").annotate(
    n=Count("id"), last=Max("sent_at")).order_by()}
ours = [(sent[pk]["last"] - at).total_seconds() for pk, at in reports.items()
        if pk in sent and sent[pk]["last"] is not None]
peer = []
for task in DBTaskResult.objects.filter(task_path=acknowledge_report.module_path,
                                        finished_at__isnull=False):
    peer.append((task.finished_at - task.enqueued_at).total_seconds())
audited = AuditEvent.objects.filter(action="transmission.sent").count()
print(json.dumps({"reports": len(reports), "ours": ours, "peer": peer,
                  "transmissions": Transmission.objects.count(),
                  "unsent": Transmission.objects.exclude(state="sent").count(),
                  "audited_sent": audited,
                  "per_report": sorted({row["n"] for row in sent.values()})}))
"""


class Worker:
    """`vigisante worker` in its own process group."""

    def __init__(self, env: dict[str, str], log: Path, interval: float):
        self.log = log.open("w")
        self.proc = subprocess.Popen([VIGISANTE, "worker", "--interval", str(interval)],
                                     env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def pct(values: list[float], q: float) -> float:
    data = sorted(values)
    if not data:
        return float("nan")
    return data[min(len(data) - 1, max(0, round(q / 100 * len(data)) - 1))] * 1000


def bench(db: str, args) -> bool:
    data_dir = Path(tempfile.mkdtemp(prefix=f"vs-bench-authorities-{db}-"))
    env = {**os.environ, "VIGISANTE_DATA_DIR": str(data_dir), "VIGISANTE_LOG_LEVEL": "WARNING",
           "VIGISANTE_EMAIL_BACKEND": args.email_backend, "VIGISANTE_LOG_FORMAT": "text"}
    env.pop("VIGISANTE_DATABASE_URL", None)
    if db == "postgres":
        env["VIGISANTE_DATABASE_URL"] = fresh_postgres(args.pg_url, args.pg_name)
    port = args.port + (1 if db == "postgres" else 0)
    server = worker = None
    try:
        run([VIGISANTE, "migrate", "-v", "0"], env)
        setup = shell(SETUP, env)
        server = Server(env, port, data_dir / "server.log", args.workers)
        server.wait_ready(setup["token"], timeout=300)
        worker = Worker(env, data_dir / "worker.log", args.interval)
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        headers = {"Authorization": f"Token {setup['token']}",
                   "Content-Type": "application/json"}
        errors = 0
        for i in range(args.n):
            body = json.dumps({
                "establishment": setup["establishment"], "description": f"Benchmark {i}",
                "discovered_at": "2026-01-02T08:00:00+01:00", "ongoing": True,
                "suspected_malicious": "yes", "patient_care_affected": "yes"})
            conn.request("POST", "/api/v1/reports/", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            errors += response.status != 201
            time.sleep(args.every)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # let the worker finish the last ones
            state = shell(MEASURE, env)
            if state["unsent"] == 0 and len(state["peer"]) >= state["reports"]:
                break
            time.sleep(1)
    finally:
        for proc in (worker, server):
            if proc is not None:
                proc.stop()
    n = state["reports"]
    for q in (50, 99):
        ours, peer = pct(state["ours"], q), pct(state["peer"], q)
        print(json.dumps({"name": f"authorities_transmission_p{q}_{db}", "ours": round(ours),
                          "peer": round(peer), "ratio": round(peer / ours, 2) if ours else None,
                          "unit": "ms", "n": n}))
    ok = (errors == 0 and n == args.n and state["unsent"] == 0
          and state["transmissions"] == 3 * n and state["audited_sent"] == 3 * n
          and state["per_report"] == [3])
    print(json.dumps({"name": f"authorities_check_{db}", "http_errors": errors,
                      "reports": n, "transmissions": state["transmissions"],
                      "audited_sent": state["audited_sent"], "unsent": state["unsent"],
                      "ok": ok}))
    if db == "postgres" and not args.keep:
        drop_postgres(args.pg_url, args.pg_name)
    if not args.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200, help="reports filed (200)")
    parser.add_argument("--every", type=float, default=0.25,
                        help="seconds between two reports (0.25)")
    parser.add_argument("--interval", type=float, default=1.0,
                        help="the worker's --interval: seconds between two looks at the "
                             "queue (1, its default)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--port", type=int, default=8140)
    parser.add_argument("--workers", type=int, default=2, help="server processes (2)")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--pg-name", default="vs_auth_bench")
    parser.add_argument("--email-backend", default="locmem")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"# load average before: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    ok = all([bench(db, args) for db in dbs])
    print(f"# load average after: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
