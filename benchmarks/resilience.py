"""Resilience benchmark: clients keep filing early warnings while PostgreSQL restarts and a
server process is killed; afterwards every acknowledged report is there exactly once.

Starts its own PostgreSQL (`initdb` in a temporary folder, its own port, run as the
`postgres` user when started as root), so that its restarts touch nothing else on the machine;
then `vigisante serve` (gunicorn, 2 processes x 4 threads) on it. C client threads POST early
warnings for D seconds, each with an Idempotency-Key; any failure (connection error, 5xx) is
retried with the same key and body after a short pause, until acknowledged (201). At 1/3 of the
run PostgreSQL is restarted (`pg_ctl restart -m fast`); at 2/3 one server process is killed
(SIGKILL; gunicorn starts another).

Two servers, each in its own run on a fresh database: ours (the site as shipped) and the peer,
the same site without `DatabaseRetryMiddleware` (the behaviour before it). For each: requests
sent, errors seen by clients (by kind), HTTP 500s, acknowledged reports lost (not in the
database) and duplicated (more than one row for one operation), and the time to recover from
each disruption (from its start to the next acknowledged report). Prints one JSON line per
figure and exits 1 when ours lost or duplicated anything.

    .venv/bin/python benchmarks/resilience.py [--clients 16] [--seconds 60] [--only ours]
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake import SETUP, Server  # noqa: E402

VIGISANTE = str(Path(sys.executable).with_name("vigisante"))
HOST = "127.0.0.1"
PEER_SETTINGS = '''
from vigisante.config.settings import *  # noqa: F403
MIDDLEWARE = [m for m in MIDDLEWARE  # noqa: F405
              if m != "vigisante.core.middleware.DatabaseRetryMiddleware"]
'''
CHECK = """
import json
from django.db.models import Count
from vigisante.reports.models import Report
ops = json.load(open({path!r}))
rows = dict(Report.objects.filter(description__startswith="resilience ")
            .values_list("description").annotate(n=Count("id")))
acked = ops["acked"]
print(json.dumps({{
    "rows": sum(rows.values()),
    "lost": sum(1 for d in acked if rows.get(d, 0) == 0),
    "duplicated": sum(1 for d, n in rows.items() if n > 1),
    "acked_present_once": sum(1 for d in acked if rows.get(d, 0) == 1),
    "unacked_present": sum(1 for d in ops["unacked"] if rows.get(d, 0) >= 1),
}}))
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class Postgres:
    """A throw-away PostgreSQL cluster: initdb in a temporary folder, its own port."""

    def __init__(self, root: Path):
        self.dir = root / "pg"
        self.port = free_port()
        self.log = root / "postgres.log"
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root
            self.prefix = [shutil.which("runuser") or "runuser", "-u", "postgres", "--"]
            os.chmod(root, 0o755)
            os.chmod(root.parent, 0o755)  # postgres must reach its folder
            self.log.touch()
            shutil.chown(self.log, "postgres")
        self.dir.mkdir(mode=0o700)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres")
        self._run(["initdb", "-D", str(self.dir), "-U", "postgres", "--auth=trust",
                   "-E", "UTF8", "--no-sync"])

    def _run(self, cmd: list[str]) -> None:
        tool = shutil.which(cmd[0]) or cmd[0]
        done = subprocess.run([*self.prefix, tool, *cmd[1:]], capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"{cmd[0]} failed: {done.stderr or done.stdout}")

    def _ctl(self, action: str, *extra: str) -> None:
        opts = f"-p {self.port} -k {self.dir} -c listen_addresses={HOST} -c fsync=off"
        self._run(["pg_ctl", "-D", str(self.dir), "-l", str(self.log), "-o", opts, "-w",
                   "-t", "60", *extra, action])

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def stop(self) -> None:
        with contextlib.suppress(SystemExit):
            self._ctl("stop", "-m", "immediate")

    @property
    def url(self) -> str:
        return f"postgres://postgres@{HOST}:{self.port}"


@dataclass
class Run:
    name: str
    sent: int = 0
    errors: Counter = field(default_factory=Counter)
    acked: list[str] = field(default_factory=list)
    unacked: list[str] = field(default_factory=list)
    ack_times: list[float] = field(default_factory=list)
    error_times: list[tuple[float, str]] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)
    elapsed: float = 0.0

    def errors_after(self, event: str, until: str) -> int:
        """Errors of requests sent once the disruption was over (the database answered
        again), before the next disruption."""
        done, end = self.events.get(event + "_done"), self.events.get(until, float("inf"))
        return sum(1 for t, _kind in self.error_times if done is not None and done < t < end)

    def recovery(self, event: str) -> float | None:
        start = self.events.get(event)
        if start is None:
            return None
        after = [t for t in self.ack_times if t >= self.events.get(event + "_done", start)]
        return round(min(after) - start, 2) if after else None


def gunicorn_workers(master: int) -> list[int]:
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == master:
                pids.append(int(stat.parent.name))
    return sorted(pids)


def client(run: Run, port: int, token: str, est: int, stop: threading.Event, lock,
           t0: float, number: int) -> None:
    conn = None
    n = 0
    while not stop.is_set():
        n += 1
        description = f"resilience c{number} op{n} {uuid.uuid4().hex[:8]}"
        key = uuid.uuid4().hex
        body = json.dumps({
            "establishment": est, "description": description,
            "discovered_at": "2026-01-01T08:00:00+01:00", "ongoing": True,
            "suspected_malicious": "yes", "patient_care_affected": "no",
            "support_requested": False, "callback_phone": "+33 6 12 34 56 78"}).encode()
        headers = {"Authorization": f"Token {token}", "Content-Type": "application/json",
                   "Accept": "application/json", "Idempotency-Key": key}
        deadline = time.monotonic() + 60
        acked = False
        while time.monotonic() < deadline:
            kind = None
            sent_at = time.monotonic() - t0
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, port, timeout=30)
                conn.request("POST", "/api/v1/reports/", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    run.sent += 1
                if response.status == 201:
                    acked = True
                    break
                kind = f"http_{response.status}"
                if response.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    run.sent += 1
                kind = type(exc).__name__
                with contextlib.suppress(Exception):
                    conn.close()
                conn = None
            with lock:
                run.errors[kind] += 1
                run.error_times.append((sent_at, kind))
            time.sleep(0.2)
        with lock:
            if acked:
                run.acked.append(description)
                run.ack_times.append(time.monotonic() - t0)
            else:
                run.unacked.append(description)


def one_run(name: str, args, root: Path) -> tuple[Run, dict]:
    work = root / name
    work.mkdir()
    pg = Postgres(work)
    pg.start()
    server = None
    try:
        subprocess.run([*pg.prefix, shutil.which("createdb") or "createdb", "-h", HOST,
                        "-p", str(pg.port), "-U", "postgres", "vigisante"], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGISANTE_")}
        env.update(VIGISANTE_DATA_DIR=str(work / "data"), VIGISANTE_SECRET_KEY="bench-only",
                   VIGISANTE_DATABASE_URL=f"{pg.url}/vigisante", VIGISANTE_LOG_LEVEL="WARNING",
                   VIGISANTE_LOG_FORMAT="json", VIGISANTE_EMAIL_BACKEND="locmem",
                   # the clients share one token: throttling (429) is not what is measured
                   VIGISANTE_API_RATE="100000/minute", VIGISANTE_API_IP_RATE="100000/minute")
        if name == "peer":
            (work / "peer_settings.py").write_text(PEER_SETTINGS)
            env["PYTHONPATH"] = f"{work}{os.pathsep}{env.get('PYTHONPATH', '')}"
            env["DJANGO_SETTINGS_MODULE"] = "peer_settings"
        subprocess.run([VIGISANTE, "migrate", "-v", "0"], env=env, check=True)
        setup = json.loads(subprocess.run([VIGISANTE, "shell", "-c", SETUP], env=env,
                                          check=True, capture_output=True, text=True)
                           .stdout.strip().splitlines()[-1])
        port = free_port()
        server = Server(env, port, work / "server.log", workers=2)
        server.wait_ready(setup["token"], timeout=600)  # start-up is not measured
        run = Run(name)
        stop, lock = threading.Event(), threading.Lock()
        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(run, port, setup["token"],
                                                         setup["establishment"], stop, lock,
                                                         t0, i)) for i in range(args.clients)]
        for t in threads:
            t.start()
        time.sleep(args.seconds / 3)
        run.events["db_restart"] = time.monotonic() - t0
        pg.restart()
        run.events["db_restart_done"] = time.monotonic() - t0
        time.sleep(max(0.0, 2 * args.seconds / 3 - (time.monotonic() - t0)))
        victims = gunicorn_workers(server.proc.pid)
        run.events["worker_kill"] = time.monotonic() - t0
        if victims:
            os.kill(victims[0], signal.SIGKILL)
        time.sleep(max(0.0, args.seconds - (time.monotonic() - t0)))
        stop.set()
        for t in threads:
            t.join(120)
        run.elapsed = time.monotonic() - t0
        ops = work / "ops.json"
        ops.write_text(json.dumps({"acked": run.acked, "unacked": run.unacked}))
        out = subprocess.run([VIGISANTE, "shell", "-c", CHECK.format(path=str(ops))], env=env,
                             check=True, capture_output=True, text=True).stdout
        check = json.loads(out.strip().splitlines()[-1])
        server.stop()
        log = (work / "server.log").read_text(errors="replace")
        check["server_retries"] = log.count("retrying once")
        check["server_errors_logged"] = log.count('"level": "ERROR"')
        if args.keep_logs:
            Path(args.keep_logs).mkdir(parents=True, exist_ok=True)
            shutil.copy(work / "server.log", Path(args.keep_logs) / f"resilience-{name}.log")
        return run, check
    finally:
        if server is not None:
            server.stop()
        pg.stop()


def line(name: str, ours, peer, unit: str, n: int) -> dict:
    ratio = None
    if isinstance(ours, int | float) and isinstance(peer, int | float) and peer:
        ratio = round(ours / peer, 3)
    return {"name": name, "ours": ours, "peer": peer, "ratio": ratio, "unit": unit, "n": n}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--only", choices=["ours", "peer"], default=None)
    parser.add_argument("--keep-logs", metavar="DIR", help="Copy the server logs there.")
    args = parser.parse_args()
    for tool in ("initdb", "pg_ctl", "createdb"):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} not found: install the PostgreSQL server binaries")
    names = [args.only] if args.only else ["ours", "peer"]
    results = {}
    with tempfile.TemporaryDirectory(prefix="vigisante-resilience-") as tmp:
        for name in names:
            results[name] = one_run(name, args, Path(tmp))
            run, check = results[name]
            print(f"# {name}: {run.sent} requests, {len(run.acked)} acknowledged, errors "
                  f"{dict(run.errors)}, check {check}, events {run.events}", file=sys.stderr)
    ours, peer = results.get("ours"), results.get("peer")

    def val(result, fn):
        return fn(*result) if result else None

    n = args.clients
    lines = [
        line("resilience_requests_sent", val(ours, lambda r, c: r.sent),
             val(peer, lambda r, c: r.sent), "requests", n),
        line("resilience_reports_acknowledged", val(ours, lambda r, c: len(r.acked)),
             val(peer, lambda r, c: len(r.acked)), "reports", n),
        line("resilience_client_errors", val(ours, lambda r, c: sum(r.errors.values())),
             val(peer, lambda r, c: sum(r.errors.values())), "answers", n),
        line("resilience_http_500", val(ours, lambda r, c: r.errors.get("http_500", 0)),
             val(peer, lambda r, c: r.errors.get("http_500", 0)), "answers", n),
        line("resilience_http_503", val(ours, lambda r, c: r.errors.get("http_503", 0)),
             val(peer, lambda r, c: r.errors.get("http_503", 0)), "answers", n),
        line("resilience_lost", val(ours, lambda r, c: c["lost"]),
             val(peer, lambda r, c: c["lost"]), "reports", n),
        line("resilience_duplicated", val(ours, lambda r, c: c["duplicated"]),
             val(peer, lambda r, c: c["duplicated"]), "reports", n),
        line("resilience_errors_after_db_back",
             val(ours, lambda r, c: r.errors_after("db_restart", "worker_kill")),
             val(peer, lambda r, c: r.errors_after("db_restart", "worker_kill")), "answers", n),
        line("resilience_recovery_db_restart", val(ours, lambda r, c: r.recovery("db_restart")),
             val(peer, lambda r, c: r.recovery("db_restart")), "s", n),
        line("resilience_recovery_worker_kill",
             val(ours, lambda r, c: r.recovery("worker_kill")),
             val(peer, lambda r, c: r.recovery("worker_kill")), "s", n),
    ]
    for item in lines:
        print(json.dumps(item))
    for name, (run, check) in results.items():
        print(f"{name}: errors by kind {dict(run.errors)}; database check {check}; "
              f"time to recover: database restart {run.recovery('db_restart')} s, "
              f"server process killed {run.recovery('worker_kill')} s")
    if ours and (ours[1]["lost"] or ours[1]["duplicated"]):
        sys.exit(1)


if __name__ == "__main__":
    main()
