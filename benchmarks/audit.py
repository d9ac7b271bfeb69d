"""Time and peak memory of `vigisante audit verify` over a long hash chain (default 1,000,000
events), against a naive verifier that loads the whole table first (the peer).

    .venv/bin/python benchmarks/audit.py [--sizes 100000,1000000]
        [--database-url postgres://postgres@127.0.0.1:5432/h6_bench] [--record]

Builds its own database (a fresh SQLite file, or the PostgreSQL database named in the URL,
dropped and created again), migrates it, then for each size appends events to reach it:
a correctly computed chain (the same `event_hash` as `audit.record`), inserted fast (COPY on
PostgreSQL, executemany on SQLite), with a deterministic seed. For each size it runs, each
in its own process, `vigisante audit verify` (streaming, keyset pages of 5,000) and the
peer, and reads each process's peak resident memory from the kernel (os.wait4). Prints one
JSON line per figure ({"name", "ours", "peer", "ratio", "unit", "n"}); --record rewrites
the "Audit" section of benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
COLUMNS = ("id", "at", "actor_id", "actor_repr", "action", "object_type", "object_id",
           "object_repr", "before", "after", "prev_hash", "hash")
ACTIONS = ["report.create", "report.notification", "report.final", "case.transition",
           "case.qualify", "attachment.download", "clock.state_changed", "user.login"]


# --- children (run inside a Django process) --------------------------------------------------

def _django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vigisante.config.settings")
    import django

    django.setup()


def _events(start: int, count: int, prev: str, seed: int):
    """Deterministic synthetic events, chained from `prev`; yields tuples in COLUMNS order."""
    from vigisante.core import audit

    rng = random.Random(seed * 1_000_003 + start)
    at = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=start * 37)
    for i in range(start + 1, start + count + 1):
        at += dt.timedelta(seconds=rng.randint(1, 60), microseconds=rng.randint(0, 999_999))
        actor = rng.randint(1, 400)
        report = rng.randint(1, 120_000)
        action = rng.choice(ACTIONS)
        before = {"state": "received", "version": rng.randint(1, 9)}
        after = {"state": rng.choice(["acknowledged", "qualified", "resolved"]),
                 "version": before["version"] + 1, "at": at.isoformat(),
                 "note": f"Écran de rançon sur le poste {rng.randint(1, 999)}"}
        fields = {"at": at.isoformat(timespec="microseconds"), "actor": actor,
                  "actor_repr": f"user{actor}@chu-exemple.fr", "action": action,
                  "object_type": "reports.report", "object_id": str(report),
                  "object_repr": f"VS-2025-{report:05d}", "before": before, "after": after}
        digest = audit.event_hash(prev, fields)
        yield (i, at, actor, fields["actor_repr"], action, "reports.report", str(report),
               fields["object_repr"], json.dumps(before), json.dumps(after), prev, digest)
        prev = digest


def child_populate(target: int, seed: int) -> None:
    """Append events until the chain holds `target`, then move the head."""
    _django()
    from django.db import connection, transaction

    from vigisante.core.models import AuditChainHead

    head = AuditChainHead.objects.get(id=1)
    start, prev = head.count, head.last_hash
    if target <= start:
        return
    rows = _events(start, target - start, prev, seed)
    last = prev
    started = time.perf_counter()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            raw = connection.connection
            with raw.cursor() as cur:
                with cur.copy(f"COPY core_auditevent ({', '.join(COLUMNS)}) FROM STDIN") as cp:
                    for row in rows:
                        cp.write_row(row)
                        last = row[-1]
                # the head only moves one event at a time (trigger): a bulk load is a
                # superuser's maintenance, done with the triggers off for this session
                cur.execute("SET LOCAL session_replication_role = replica")
                cur.execute("UPDATE core_auditchainhead SET count = %s, last_hash = %s "
                            "WHERE id = 1", (target, last))
                cur.execute("SELECT setval(pg_get_serial_sequence('core_auditevent', 'id'), "
                            "%s)", (target,))
        else:
            adapt = connection.ops.adapt_datetimefield_value
            sql = (f"INSERT INTO core_auditevent ({', '.join(COLUMNS)}) VALUES "
                   f"({', '.join(['%s'] * len(COLUMNS))})")
            with connection.cursor() as cur:
                batch = []
                for row in rows:
                    batch.append((row[0], adapt(row[1]), *row[2:]))
                    if len(batch) == 20_000:
                        cur.executemany(sql, batch)
                        last = batch[-1][-1]
                        batch = []
                if batch:
                    cur.executemany(sql, batch)
                    last = batch[-1][-1]
            AuditChainHead.objects.filter(id=1).update(count=target, last_hash=last)
    print(json.dumps({"inserted": target - start,
                      "seconds": round(time.perf_counter() - started, 2)}))


def child_naive() -> None:
    """The peer: read the whole table into memory, then check the chain."""
    _django()
    from vigisante.core import audit
    from vigisante.core.models import AuditEvent

    events = list(AuditEvent.objects.order_by("pk"))
    prev = audit.GENESIS
    for event in events:
        if event.prev_hash != prev or audit.event_hash(prev, audit._fields(event)) != event.hash:
            sys.exit(f"broken at {event.pk}")
        prev = event.hash
    print(json.dumps({"checked": len(events)}))


# --- parent ----------------------------------------------------------------------------------

def _env(url: str | None, data_dir: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGISANTE_") and k != "DJANGO_SETTINGS_MODULE"}
    env.update(VIGISANTE_DATA_DIR=data_dir, VIGISANTE_SECRET_KEY="benchmark-only",
               VIGISANTE_LOG_LEVEL="WARNING")
    if url:
        env["VIGISANTE_DATABASE_URL"] = url
    return env


def _run_measured(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) of exactly this child (os.wait4), and its stdout."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err.read()[-3000:]}")
        return wall, usage.ru_maxrss / 1024, out.read()


def _fresh_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    if not re.fullmatch(r"[a-z0-9_]+", name):
        sys.exit("use a plain database name (lower case, digits, _)")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}")
        conn.execute(f"CREATE DATABASE {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--database-url", default="")
    parser.add_argument("--seed", type=int, default=20250330)
    parser.add_argument("--no-peer", action="store_true")
    parser.add_argument("--record", action="store_true")
    parser.add_argument("--record-from", metavar="FILE",
                        help="Record the JSON lines a previous run printed (same --sizes and "
                             "--database-url), without measuring again.")
    parser.add_argument("--child", choices=["populate", "naive"], help=argparse.SUPPRESS)
    parser.add_argument("--target", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "populate":
        return child_populate(args.target, args.seed)
    if args.child == "naive":
        return child_naive()

    sizes = sorted(int(s) for s in args.sizes.split(","))
    url = args.database_url or None
    engine = "PostgreSQL" if url and url.startswith("postgres") else "SQLite"
    if args.record_from:
        lines = [json.loads(ln) for ln in Path(args.record_from).read_text().splitlines()
                 if ln.startswith("{")]
        return record(lines, args, engine)
    if url:
        _fresh_postgres(url)
    lines = []
    with tempfile.TemporaryDirectory(prefix="vigisante-audit-bench-") as tmp:
        env = _env(url, tmp)
        cli = [sys.executable, "-m", "vigisante.cli"]
        me = [sys.executable, __file__]
        subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True)
        _t, base_rss, _ = _run_measured([*cli, "check"], env)
        for n in sizes:
            _t, _r, out = _run_measured([*me, "--child", "populate", "--target", str(n),
                                         "--seed", str(args.seed)], env)
            print(f"# populated to {n}: {out.strip()}", file=sys.stderr)
            t_ours, rss_ours, out = _run_measured([*cli, "audit", "verify", "--json"], env)
            result = json.loads(out)
            if not result["ok"] or result["checked"] != n:
                sys.exit(f"verify did not pass: {result}")
            t_peer = rss_peer = None
            if not args.no_peer:
                t_peer, rss_peer, out = _run_measured([*me, "--child", "naive"], env)
                assert json.loads(out)["checked"] == n
            lines += [
                _line("audit_verify_seconds", t_ours, t_peer, "s", n),
                _line("audit_verify_peak_rss", rss_ours, rss_peer, "MiB", n),
                _line("audit_verify_events_per_second", n / t_ours,
                      n / t_peer if t_peer else None, "events/s", n),
            ]
        lines.append(_line("django_process_peak_rss_baseline", base_rss, None, "MiB", 0))
    for line in lines:
        print(json.dumps(line))
    if args.record:
        record(lines, args, engine)


def _line(name: str, ours: float, peer: float | None, unit: str, n: int) -> dict:
    return {"name": name, "ours": round(ours, 2),
            "peer": round(peer, 2) if peer is not None else None,
            "ratio": round(ours / peer, 3) if peer else None, "unit": unit, "n": n}


def record(lines: list[dict], args, engine: str) -> None:
    command = "`.venv/bin/python benchmarks/audit.py --sizes " + args.sizes
    if args.database_url:
        command += f" --database-url {args.database_url}"
    command += " --record`"
    rows = "\n".join(
        f"| {ln['name']} | {ln['n']:,} | {ln['ours']:,} | "
        f"{'' if ln['peer'] is None else format(ln['peer'], ',')} | "
        f"{'' if ln['ratio'] is None else ln['ratio']} | {ln['unit']} |" for ln in lines)
    sub = (
        f"### {engine}\n\n"
        f"{command} — {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores (shared, noisy).\n\n"
        "| figure | n | ours | peer | ratio (ours/peer) | unit |\n|---|---|---|---|---|---|\n"
        f"{rows}\n"
    )
    intro = (
        "## Audit\n\n"
        "`vigisante audit verify` (ours: streaming, keyset pages of 5,000 events) against the "
        "peer: the same check after loading the whole table "
        "(`list(AuditEvent.objects.order_by('pk'))`). Each runs in its own process; peak RSS "
        "from the kernel (os.wait4), Django's own start-up included (baseline line: "
        "`vigisante check`). Events: a correctly chained synthetic trail (deterministic seed), "
        "inserted with COPY (PostgreSQL) or executemany (SQLite).\n"
    )
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    found = re.search(r"^## Audit\n.*?(?=^## |\Z)", text, re.S | re.M)
    section = found.group(0) if found else intro
    subs = dict(re.findall(r"^### (\w+)\n(.*?)(?=^### |\Z)", section, re.S | re.M))
    subs = {k: f"### {k}\n{v.rstrip()}\n" for k, v in subs.items()}
    subs[engine] = sub
    new = intro + "\n" + "\n".join(subs[k] for k in sorted(subs))
    if found:
        text = text[:found.start()] + new.rstrip("\n") + "\n\n" + text[found.end():].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + new
    RESULTS.write_text(text.rstrip("\n") + "\n")


if __name__ == "__main__":
    main()
