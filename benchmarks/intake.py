"""Intake benchmark: early warnings POSTed through the API by concurrent clients.

Starts `vigisante serve` (gunicorn) as a subprocess on a fresh database -- SQLite in a fresh
VIGISANTE_DATA_DIR, and PostgreSQL in a fresh database -- creates an establishment, a reporter
and an API token, then has C client threads (http.client, keep-alive) send N requests of each
kind:

- `ping`: GET /api/v1/ping/, the cheapest authenticated API request (the peer: the framework's
  own limit on this machine and server);
- `intake`: POST /api/v1/reports/ (an early warning, distinct text each time);
- `intake_keyed`: the same with an Idempotency-Key header, then a burst of retries of some of
  those requests, which must be replayed and create nothing.

Prints one JSON line per figure: {"name", "ours", "peer", "ratio", "unit", "n"}.
Throughput lines: ours = intake req/s, peer = ping req/s, ratio = ours / peer.
Latency lines (p50, p99, in ms) and server CPU time per request (ms, the `vigisante serve`
processes only; PostgreSQL's own processes are not counted): ratio = peer / ours, so that for
every line 1.0 means "as good as the trivial endpoint" and the aim is ratio >= 0.5. CPU time is
less sensitive than wall time to other work on the machine.
Then checks zero errors and zero duplicate references (HTTP answers and database), and exits 1
if either fails.

    .venv/bin/python benchmarks/intake.py                 # both databases, N=2000, 16 clients
    .venv/bin/python benchmarks/intake.py --db sqlite --n 500
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
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

VIGISANTE = str(Path(sys.executable).with_name("vigisante"))
HOST = "127.0.0.1"
SETUP = """
import json
from vigisante.accounts.models import ApiToken, Membership, Role, User
from vigisante.establishments.models import Establishment
est, _ = Establishment.objects.get_or_create(finess="750000099", defaults=dict(
    name="Benchmark hospital (synthetic)", category="ch", sector="health",
    legal_status="public", region="IDF", departement="75", nis2_status="essential",
    synthetic=True))
user, created = User.objects.get_or_create(email="bench@example.org",
                                           defaults=dict(role=Role.REPORTER))
if created:
    user.set_unusable_password()
    user.save()
Membership.objects.get_or_create(user=user, establishment=est)
print(json.dumps({"establishment": est.pk, "token": ApiToken.issue(user, "bench")[1]}))
"""
COUNT = """
import json
from django.db.models import Count
from vigisante.reports.models import Report
refs = Report.objects.values("reference")
print(json.dumps({"reports": Report.objects.count(),
                  "distinct_references": refs.distinct().count(),
                  "duplicated": list(refs.annotate(n=Count("id")).filter(n__gt=1)[:5])}))
"""


@dataclass
class Phase:
    name: str
    latencies: list[float] = field(default_factory=list)  # seconds, successes only
    errors: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    replayed: int = 0
    elapsed: float = 0.0
    server_cpu: float = 0.0  # seconds of CPU used by the server's processes

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu / self.ok * 1000 if self.ok else float("nan")

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def pct(self, q: float) -> float:
        """Latency percentile in milliseconds."""
        data = sorted(self.latencies)
        if not data:
            return float("nan")
        index = min(len(data) - 1, max(0, round(q / 100 * len(data)) - 1))
        return data[index] * 1000


def run(cmd: list[str], env: dict[str, str], **kwargs) -> str:
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, **kwargs)
    if done.returncode:
        raise SystemExit(f"{' '.join(cmd[:3])} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def shell(code: str, env: dict[str, str]) -> dict:
    out = run([VIGISANTE, "shell", "-c", code], env)
    return json.loads(out.strip().splitlines()[-1])


def fresh_postgres(url: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{url}/{name}"


def drop_postgres(url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Server:
    """`vigisante serve` in its own process group, stopped at the end whatever happens."""

    def __init__(self, env: dict[str, str], port: int, log: Path, workers: int | None):
        cmd = [VIGISANTE, "serve", "--host", HOST, "--port", str(port)]
        if workers:
            cmd += ["--workers", str(workers)]
        self.log = log.open("w")
        self.proc = subprocess.Popen(cmd, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        self.port = port

    def wait_ready(self, token: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"the server stopped; see {self.log.name}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("GET", "/api/v1/ping/", headers={"Authorization": f"Token {token}"})
                if conn.getresponse().status == 200:
                    return
            time.sleep(0.3)
        raise SystemExit(f"the server did not answer within {timeout}s; see {self.log.name}")

    def cpu_seconds(self) -> float:
        """CPU time (user + system) of the server's processes so far (Linux /proc)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, ValueError, IndexError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == self.proc.pid:  # process group of `vigisante serve`
                    total += int(fields[11]) + int(fields[12])
        return total / tick

    def stop(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def drive(server: Server, token: str, phase: Phase,
          requests: list[tuple[str, str, bytes, dict]], clients: int, expect: int) -> Phase:
    """Send `requests` from `clients` threads, each with one keep-alive connection."""
    port = server.port
    lock = threading.Lock()
    position = iter(range(len(requests)))
    start = threading.Barrier(clients + 1)

    def worker() -> None:
        conn = http.client.HTTPConnection(HOST, port, timeout=60)
        base = {"Authorization": f"Token {token}", "Accept": "application/json"}
        start.wait()
        while True:
            with lock:
                i = next(position, None)
            if i is None:
                break
            method, path, body, headers = requests[i]
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body or None, headers={**base, **headers})
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                conn.close()
                with lock:
                    phase.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - t0
            with lock:
                if response.status != expect:
                    phase.errors.append(f"{response.status}: {payload[:200]!r}")
                    continue
                phase.latencies.append(elapsed)
                if response.getheader("Idempotent-Replayed") == "true":
                    phase.replayed += 1
                if method == "POST":
                    phase.references.append(json.loads(payload)["reference"])
        conn.close()

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    cpu0 = server.cpu_seconds()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    phase.elapsed = time.perf_counter() - t0
    phase.server_cpu = server.cpu_seconds() - cpu0
    return phase


def early_warning(establishment: int, i: int, key: str | None = None):
    body = json.dumps({
        "establishment": establishment,
        "description": f"Benchmark incident {i}: ransom notes on the imaging workstations",
        "discovered_at": "2025-01-15T08:30:00+01:00",
        "ongoing": True, "suspected_malicious": "yes", "patient_care_affected": "unknown",
        "support_requested": i % 2 == 0, "callback_phone": "+33 6 12 34 56 78",
    }).encode()
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    return ("POST", "/api/v1/reports/", body, headers)


def bench(db: str, args) -> bool:
    """One database: returns True when there was no error and no duplicate."""
    data_dir = Path(tempfile.mkdtemp(prefix=f"vigisante-bench-{db}-"))
    env = {**os.environ, "VIGISANTE_DATA_DIR": str(data_dir),
           "VIGISANTE_SECRET_KEY": "benchmark-only-secret-key-0123456789abcdef",
           "VIGISANTE_EMAIL_BACKEND": args.email_backend, "VIGISANTE_LOG_LEVEL": "WARNING",
           "DJANGO_SETTINGS_MODULE": "vigisante.config.settings"}
    env.pop("VIGISANTE_DATABASE_URL", None)
    if db == "postgres":
        env["VIGISANTE_DATABASE_URL"] = fresh_postgres(args.pg_url, args.pg_name)
    port = args.port + (1 if db == "postgres" else 0)
    server = None
    try:
        run([VIGISANTE, "migrate", "--no-input", "-v", "0"], env)
        setup = shell(SETUP, env)
        token, est = setup["token"], setup["establishment"]
        server = Server(env, port, data_dir / "server.log", args.workers)
        server.wait_ready(token)
        n, c = args.n, args.clients
        # Warm every worker and thread up (imports, URL resolver, connections).
        warm = [early_warning(est, -i) for i in range(1, 4 * c + 1)]
        warm_phase = drive(server, token, Phase("warmup"), warm, c, 201)
        drive(server, token, Phase("warmup"), [("GET", "/api/v1/ping/", b"", {})] * (8 * c), c, 200)

        ping = drive(server, token, Phase("ping"), [("GET", "/api/v1/ping/", b"", {})] * n, c, 200)
        intake = drive(server, token, Phase("intake"),
                       [early_warning(est, i) for i in range(n)], c, 201)
        keyed_requests = [early_warning(est, n + i, str(uuid.uuid4())) for i in range(n)]
        keyed = drive(server, token, Phase("intake_keyed"), keyed_requests, c, 201)
        retries = drive(server, token, Phase("retries"), keyed_requests[: max(c, n // 10)], c, 201)
        counts = shell(COUNT, env)
    finally:
        if server is not None:
            server.stop()
        if db == "postgres" and not args.keep:
            with contextlib.suppress(Exception):
                drop_postgres(args.pg_url, args.pg_name)
        log = data_dir / "server.log"
        if log.exists():  # kept for a look at any error
            shutil.copy(log, Path(tempfile.gettempdir()) / f"vigisante-bench-{db}-server.log")
        if not args.keep:
            shutil.rmtree(data_dir, ignore_errors=True)

    def line(name: str, ours: float, peer: float, ratio: float | None, unit: str) -> None:
        print(json.dumps({"name": f"{name}_{db}", "ours": round(ours, 2),
                          "peer": round(peer, 2),
                          "ratio": None if ratio is None else round(ratio, 3),
                          "unit": unit, "n": n}), flush=True)

    for phase in (intake, keyed):
        line(f"{phase.name}_throughput", phase.throughput, ping.throughput,
             phase.throughput / ping.throughput if ping.throughput else None, "req/s")
        for q in (50, 99):
            ours, peer = phase.pct(q), ping.pct(q)
            line(f"{phase.name}_p{q}", ours, peer, peer / ours if ours else None, "ms")
        ours, peer = phase.cpu_ms_per_request, ping.cpu_ms_per_request
        line(f"{phase.name}_server_cpu_per_request", ours, peer,
             peer / ours if ours else None, "ms")
    created = warm_phase.ok + intake.ok + keyed.ok
    refs = warm_phase.references + intake.references + keyed.references
    errors = (len(warm_phase.errors) + len(ping.errors) + len(intake.errors) + len(keyed.errors)
              + len(retries.errors))
    duplicates = (len(refs) - len(set(refs))) + (counts["reports"] - counts["distinct_references"])
    replay_ok = retries.replayed == retries.ok and set(retries.references) <= set(keyed.references)
    line("errors", errors, 0, None, "count")
    line("duplicate_references", duplicates, 0, None, "count")
    line("replayed_retries", retries.replayed, len(retries.references), None, "count")
    problems = []
    if errors:
        problems.append(f"errors: {(warm_phase.errors + ping.errors + intake.errors + keyed.errors + retries.errors)[:5]}")  # noqa: E501
    if duplicates:
        problems.append(f"duplicate references: {counts['duplicated']}")
    if counts["reports"] != created:
        problems.append(f"{counts['reports']} reports in the database, {created} acknowledged")
    if not replay_ok:
        problems.append("a retried keyed request was not replayed")
    for p in problems:
        print(f"# {db}: {p}", file=sys.stderr)
    return not problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="requests per phase (2000)")
    parser.add_argument("--clients", type=int, default=16, help="client threads (16)")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--port", type=int, default=8473,
                        help="server port (SQLite; PostgreSQL uses port + 1)")
    parser.add_argument("--workers", type=int, default=None,
                        help="server processes (default: vigisante serve's own default)")
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432",
                        help="PostgreSQL server (a database is created and dropped there)")
    parser.add_argument("--pg-name", default="vigisante_bench")
    parser.add_argument("--email-backend", default="locmem",
                        help="VIGISANTE_EMAIL_BACKEND of the server (locmem: no mail I/O)")
    parser.add_argument("--keep", action="store_true", help="keep the data dir and database")
    args = parser.parse_args()
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"# load average before: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    ok = all([bench(db, args) for db in dbs])
    print(f"# load average after: {os.getloadavg()[0]:.1f}", file=sys.stderr)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
