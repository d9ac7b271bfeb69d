"""Audit write path: events per second when T threads record reads of case data at once.

Peer (the path before): `audit.record`, one chained event per read, each taking the lock of
the chain head (SELECT ... FOR UPDATE, INSERT, UPDATE, COMMIT), so the writers queue.
Ours: `audit.journal` on the request path (one INSERT, no lock), and `audit.flush` chaining
the journaled events in batches (what the worker does every second); the flush time is
included in our events/s, so both figures are "events in the verified chain per second".
Also the time one request spends writing its event (p50, p95). Each engine on a fresh
database; afterwards `audit.verify()` must pass with every event in the chain.

    .venv/bin/python benchmarks/audit_write.py [--events 4000] [--threads 8]
        [--database-url postgres://postgres@127.0.0.1:5432/vs_resilience_bench]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path


def child(mode: str, events: int, threads: int) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigisante.config.settings")
    import django

    django.setup()
    from django.db import connection

    from vigisante.core import audit
    from vigisante.core.api_views import write_transaction

    per_thread = events // threads
    latencies: list[float] = []
    lock = threading.Lock()
    barrier = threading.Barrier(threads + 1)

    def work(number: int) -> None:
        mine = []
        barrier.wait()
        for i in range(per_thread):
            t0 = time.perf_counter()
            with write_transaction():
                kwargs = dict(actor=None, action="report.view", object_type="reports.report",
                              object_id=str(number * 100_000 + i),
                              after={"ip": "10.0.0.1", "path": f"/reports/{i}/",
                                     "request_id": f"{number:04d}{i:08d}", "status": 200})
                if mode == "record":
                    audit.record(**kwargs)
                else:
                    audit.journal(**kwargs)
            mine.append(time.perf_counter() - t0)
        connection.close()
        with lock:
            latencies.extend(mine)

    pool = [threading.Thread(target=work, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in pool:
        t.join()
    written = time.perf_counter() - started
    flushed = audit.flush() if mode == "journal" else 0
    total = time.perf_counter() - started
    result = audit.verify()
    assert result.ok and result.checked == per_thread * threads, result
    latencies.sort()
    print(json.dumps({
        "events": per_thread * threads, "flushed": flushed, "seconds": total,
        "write_seconds": written, "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95) - 1] * 1000,
    }))


def fresh(url: str | None, tmp: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGISANTE_")}
    env.update(VIGISANTE_DATA_DIR=tmp, VIGISANTE_SECRET_KEY="bench-only",
               VIGISANTE_LOG_LEVEL="WARNING")
    if url:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["VIGISANTE_DATABASE_URL"] = url
    cli = str(Path(sys.executable).with_name("vigisante"))
    subprocess.run([cli, "migrate", "-v", "0"], env=env, check=True)
    return env


def measure(mode: str, args, url: str | None) -> dict:
    with tempfile.TemporaryDirectory(prefix="vigisante-audit-write-") as tmp:
        env = fresh(url, tmp)
        out = subprocess.run([sys.executable, __file__, "--child", mode, "--events",
                              str(args.events), "--threads", str(args.threads)],
                             env=env, check=True, capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--child", choices=["record", "journal"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.events, args.threads)
    engines = [("sqlite", None)]
    if args.database_url:
        engines.append(("postgresql", args.database_url))
    for engine, url in engines:
        ours = measure("journal", args, url)
        peer = measure("record", args, url)
        n = ours["events"]
        for name, o, p, unit in [
            ("events_per_second", n / ours["seconds"], n / peer["seconds"], "events/s"),
            ("request_write_p50", ours["p50_ms"], peer["p50_ms"], "ms"),
            ("request_write_p95", ours["p95_ms"], peer["p95_ms"], "ms"),
        ]:
            print(json.dumps({"name": f"audit_write_{engine}_{name}", "ours": round(o, 2),
                              "peer": round(p, 2), "ratio": round(o / p, 3), "unit": unit,
                              "n": n}))
        print(f"# {engine}: ours {ours}; peer {peer}", file=sys.stderr)


if __name__ == "__main__":
    main()
