"""Benchmark of the observatory: the full annual report over N synthetic sector reports on
SQLite and PostgreSQL, and the imports of VERIS files and of an HHS-format CSV.

    python benchmarks/observatory.py --n 100000 --db both            # report, both engines
    python benchmarks/observatory.py --task publish --n 100000 --db both
    python benchmarks/observatory.py --task veris --veris-n 100000 --db sqlite
    python benchmarks/observatory.py --task hhs --hhs-rows 1000000 --db sqlite

Prints one JSON line per figure: {"name", "ours", "peer", "ratio", "unit", "n"}.
- report: ours = building every table of the report (all queries, suppression), peer = the
  same SQL statements run bare through a cursor (fetching every row), median of --repeat
  runs; "full" adds the charts, the HTML and figures.json (and the PDF with --pdf); peak
  memory is the Python heap peak (tracemalloc) during one full report.
- veris: ours = the import (files/s), peer = reading + json parsing + jsonschema validation
  of the same files without any database work; peak memory is the process's max RSS.
- hhs: ours = the import (rows/s), peer = a bare csv.reader pass over the same file.
Each engine and task runs in a child process (own settings, own database: a temporary
SQLite file, or the PostgreSQL database --pg-db, dropped and created).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = 20240601


def emit(name: str, ours, peer, unit: str, n: int) -> None:
    """One figure, with the machine's load averages (1, 5, 15 min) when it was written."""
    ratio = round(ours / peer, 3) if ours is not None and peer else None
    print(json.dumps({"name": name, "ours": _r(ours), "peer": _r(peer), "ratio": ratio,
                      "unit": unit, "n": n,
                      "load": [round(x, 2) for x in os.getloadavg()]}), flush=True)


def backend_cpu() -> float:
    """CPU seconds used so far by this connection's PostgreSQL server process (the server
    runs on this machine; its parallel workers, when a plan has some, are not counted), or
    0 on SQLite (which works in this process)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_now() -> float:
    """CPU seconds of this process, of its children that ended (the process that prints
    one of the PDFs) and of its PostgreSQL server process."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime + backend_cpu()


def _r(x):
    return None if x is None else round(x, 4)


def setup_django(db: str, pg_url: str, pg_db: str, data_dir: str) -> None:
    os.environ["VIGISANTE_DATA_DIR"] = data_dir
    os.environ.setdefault("VIGISANTE_SECRET_KEY", "benchmark-only-secret-key-0123456789")
    os.environ["DJANGO_SETTINGS_MODULE"] = "vigisante.config.settings"
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{pg_url}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{pg_db}"')
            conn.execute(f'CREATE DATABASE "{pg_db}"')
        os.environ["VIGISANTE_DATABASE_URL"] = f"{pg_url}/{pg_db}"
    else:
        os.environ.pop("VIGISANTE_DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def run_bare(statements: list[str]) -> None:
    """Run captured SQL statements as they are: the peer of a report (its SQL, without the
    Python around it)."""
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
            if cursor.description is not None:
                cursor.fetchall()


def max_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- synthetic sector data ---------------------------------------------------------------------

def generate_sector(n: int) -> None:
    """N reports over 2019-2023 (60 % in 2023) from 1,200 structures, with cases, support
    records and regulatory clocks, written with executemany (not timed)."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    from django.db import connection
    from django.utils import timezone

    from vigisante.clocks.models import Clock
    from vigisante.core.taxonomy import Kind, origin_of
    from vigisante.establishments.models import Category, Establishment
    from vigisante.establishments.regions import DEPARTEMENTS
    from vigisante.observatory.importers import fast_insert
    from vigisante.reports.models import Report, System
    from vigisante.triage.models import Case, Support

    rng = random.Random(SEED)
    now = timezone.now()
    paris = ZoneInfo("Europe/Paris")
    depts = sorted(d for d in DEPARTEMENTS if d.isdigit())
    cats = [c for c, _l in Category.choices]
    ests = []
    for i in range(1200):
        dept = depts[i % len(depts)]
        cat = rng.choice(cats)
        ests.append({"finess": f"{dept}{i:07d}", "name": f"Structure {i}", "category": cat,
                     "sector": "medico_social" if cat in ("ehpad", "medico_social")
                     else "health", "legal_status": "public",
                     "region": DEPARTEMENTS[dept][1], "departement": dept,
                     "nis2_status": "unknown", "insured": False, "synthetic": True})
    fast_insert(Establishment, ests, now)
    est_ids = list(Establishment.objects.values_list("id", flat=True))
    systems = [s for s, _l in System.choices]
    kinds = [k for k, _l in Kind.choices]
    reports = []
    for i in range(n):
        year = 2023 if rng.random() < 0.6 else rng.choice([2019, 2020, 2021, 2022])
        created = dt.datetime(year, 1, 1, tzinfo=paris) + dt.timedelta(
            seconds=rng.randrange(365 * 86400))
        ops = rng.choice(["none", "partial", "degraded", "stopped", ""])
        degraded = ops in ("degraded", "stopped")
        reports.append({
            "reference": f"VS-B-{i:08d}", "establishment_id": rng.choice(est_ids),
            "channel": "web", "source": "sector", "source_id": "", "stage": "notification",
            "created_at": created, "description": f"Synthetic incident {i}",
            "discovered_at": created - dt.timedelta(minutes=rng.randrange(1, 20000)),
            "suspected_malicious": rng.choice(["yes", "no", "unknown"]),
            "patient_care_affected": rng.choice(["yes", "no", "unknown"]),
            "support_requested": rng.random() < 0.3,
            "systems_hit": rng.sample(systems, rng.randrange(0, 4)), "operations_impact": ops,
            "degraded_since": created if degraded else None,
            "degraded_until": created + dt.timedelta(hours=rng.randrange(1, 900))
            if degraded else None,
            "patient_danger": rng.choice(["none", "none", "potential", "actual", ""]),
            "patient_danger_narrative": "Patient transferred." if rng.random() < 0.05 else "",
            "data_availability": rng.random() < 0.4, "data_integrity": rng.random() < 0.1,
            "data_confidentiality": rng.random() < 0.2, "health_data": rng.random() < 0.3,
            "records_affected": rng.choice([None, None, 10, 2000]),
            "supplier_involved": rng.random() < 0.3,
            "supplier_name": rng.choice(["", "Supplier A", "Supplier B", "Supplier C"]),
        })
        if len(reports) == 5000:
            fast_insert(Report, reports, now)
            reports = []
    fast_insert(Report, reports, now)
    ids = list(Report.objects.order_by("id").values_list("id", flat=True))
    cases, supports, clocks = [], [], []
    regimes = [r for r, _l in Clock._meta.get_field("regime").choices]
    states = ["done_on_time", "done_late", "due", "not_applicable"]
    for rid in ids:
        kind = rng.choice(kinds + [""])
        cases.append({"report_id": rid, "state": rng.choice(["qualified"] * 9 + ["duplicate"]),
                      "origin": origin_of(kind) if kind else "", "kind": kind,
                      "ransomware_extent": rng.choice(["one_server", "several_servers", ""])
                      if kind == "ransomware" else "",
                      "detection_source": rng.choice(["user", "internal_tool", ""]),
                      "detection_stage": rng.choice(["initial_access", "after_impact", ""])})
        for regime in rng.sample(regimes, 2):
            clocks.append({"report_id": rid, "regime": regime, "recipient": "CERT",
                           "starts_at": now, "state": rng.choice(states)})
    fast_insert(Case, cases, now)
    fast_insert(Clock, clocks, now)
    case_ids = list(Case.objects.values_list("id", flat=True))
    for cid in rng.sample(case_ids, len(case_ids) // 3):
        supports.append({"case_id": cid, "type": rng.choice(
            ["remote_advice", "technical_help", "on_site", "escalation"]),
            "started_at": now, "out_of_hours": rng.random() < 0.2, "notes": ""})
    fast_insert(Support, supports, now)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def task_report(args) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import translation

    from vigisante.observatory import domain, render, services

    generate_sector(args.n)
    period = domain.Period.year(2023)
    translation.activate("fr")
    services.build_report(period)  # warm-up (caches, first plans)

    def figures():
        services.build_report(period)

    def full():
        report = services.build_report(period)
        ctx = render.context(report)
        render.html(report, ctx)
        render.figures_json(report)
        render.csv_files(report)
        if args.pdf:
            render.pdf(report, ctx)

    with CaptureQueriesContext(connection) as ctx:
        figures()
    # a streaming (server-side) cursor is logged as DECLARE ... FOR <select>: run the select
    statements = [re.sub(r"^DECLARE .*? CURSOR (WITH(OUT)? HOLD )?FOR ", "", q["sql"],
                         flags=re.DOTALL) for q in ctx.captured_queries]

    def bare_sql():
        run_bare(statements)

    if args.query_times:  # which statements cost what (stderr, for diagnosis)
        with connection.cursor() as cursor:
            for sql in statements:
                start = time.perf_counter()
                cursor.execute(sql)
                if cursor.description is not None:
                    cursor.fetchall()
                print(f"{time.perf_counter() - start:8.3f}s {sql[:160]}", file=sys.stderr)
    # interleaved, so that a change in the machine's load hits the three alike
    runs: dict = {"sql": [], "fig": [], "full": []}
    for _ in range(args.repeat):
        for key, fn in (("sql", bare_sql), ("fig", figures), ("full", full)):
            runs[key].append(median_time(fn, 1))
    t_sql, t_fig, t_full = (statistics.median(runs[k]) for k in ("sql", "fig", "full"))
    tracemalloc.start()
    full()
    _cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    db = connection.vendor
    emit(f"observatory_report_figures_{db}", t_fig, t_sql, "s", args.n)
    emit(f"observatory_report_full{'_pdf' if args.pdf else ''}_{db}", t_full, t_sql, "s",
         args.n)
    emit(f"observatory_report_queries_{db}", len(statements), None, "queries", args.n)
    emit(f"observatory_report_peak_heap_{db}", peak / 2**20, None, "MiB", args.n)


def task_publish(args) -> None:
    """Published snapshots: computing one (the public report with its audited suppression,
    against the bare SQL of the same report), serving it (page and API, p50 over
    --serve-n requests, against reading the stored bytes), and the attack's running time."""
    import io as _io
    from contextlib import redirect_stderr

    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone, translation

    from vigisante.accounts.models import Role, User
    from vigisante.observatory import domain, services, tables
    from vigisante.observatory.models import SnapshotFile

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    import logging

    logging.getLogger("vigisante").setLevel(logging.WARNING)  # no request log on stdout
    if not args.pdf:
        settings.OBSERVATORY_PDF_LANGUAGES = ()
    generate_sector(args.n)
    period = domain.Period.year(2023)
    translation.activate("fr")
    services.build_report(period)  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        services.build_report(period, public=True, published={})
    statements = [re.sub(r"^DECLARE .*? CURSOR (WITH(OUT)? HOLD )?FOR ", "", q["sql"],
                         flags=re.DOTALL) for q in ctx.captured_queries]

    def bare_sql():
        run_bare(statements)

    ours = median_time(lambda: services.build_report(period, public=True, published={}),
                       args.repeat)
    peer = median_time(bare_sql, args.repeat)
    emit(f"snapshot_public_figures_{connection.vendor}", ours, peer, "s", args.n)
    admin = User.objects.create_user(email="bench-admin@example.org", password="x",
                                     role=Role.ADMIN)
    start, cpu = time.perf_counter(), cpu_now()
    snap = services.prepare_publication(actor=admin, year=2023, now=timezone.now())
    with redirect_stderr(_io.StringIO()):
        services.compute_snapshot(snap.pk)
    compute, compute_cpu = time.perf_counter() - start, cpu_now() - cpu
    peer = (peer + median_time(bare_sql, 1)) / 2  # before and after: the load drifts
    suffix = "_pdf" if args.pdf else ""
    emit(f"snapshot_compute_all_files{suffix}_{connection.vendor}", compute, peer, "s",
         args.n)
    # CPU time: this process's, plus on PostgreSQL its server process's (same machine);
    # what the work costs whatever else the machine is doing
    cpu = cpu_now()
    bare_sql()
    emit(f"snapshot_compute_all_files{suffix}_cpu_{connection.vendor}", compute_cpu,
         cpu_now() - cpu, "s CPU", args.n)
    services.publish(actor=admin, snapshot_id=snap.pk, now=timezone.now())
    client = Client(HTTP_ACCEPT_LANGUAGE="fr")
    page_url = "/observatory/published/2023/"
    api_url = "/api/v1/observatory/published/2023/"
    assert client.get(page_url).status_code == 200 and client.get(api_url).status_code == 200

    def p50(fn) -> tuple[float, float]:
        """(wall-clock p50, CPU-time p50) in ms: on a shared machine the wall clock counts
        the time other processes hold the cores; the CPU time is this request's own work."""
        times, cpu = [], []
        for _ in range(args.serve_n):
            t, c = time.perf_counter(), time.process_time()
            fn()
            times.append(time.perf_counter() - t)
            cpu.append(time.process_time() - c)
        return statistics.median(times) * 1000, statistics.median(cpu) * 1000

    def read_bytes():
        bytes(SnapshotFile.objects.filter(snapshot=snap, name="page.fr.html")
              .values_list("content", flat=True).get())

    floor, floor_cpu = p50(read_bytes)
    vendor = connection.vendor
    for what, url in (("page", page_url), ("api", api_url)):
        # counted by a wrapper: the request's start resets connection.queries
        statements: list[str] = []

        def count(execute, sql, params, many, context, statements=statements):
            statements.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(count):
            client.get(url)
        wall, cpu = p50(lambda url=url: client.get(url))
        emit(f"serve_published_{what}_p50_{vendor}", wall, floor, "ms", args.n)
        emit(f"serve_published_{what}_cpu_p50_{vendor}", cpu, floor_cpu, "ms CPU", args.n)
        emit(f"serve_published_{what}_queries_{vendor}", len(statements), None,
             "queries", args.n)
    emit(f"published_page_bytes_{vendor}", len(client.get(page_url).content),
         None, "bytes", args.n)
    # the attack, on everything anyone can fetch of this publication (tests/observatory_attack)
    sys.path.insert(0, str(ROOT / "tests"))
    from observatory_attack import (
        Knowledge,
        attack,
        code_relations,
        own_relations,
        read_csv_zip,
        read_figures,
        read_html,
        read_pdf,
    )

    start = time.perf_counter()
    k = Knowledge()
    figures = client.get(api_url).json()
    base = "/observatory/published/2023/v1/"
    read_figures(k, "2023v1", figures)
    read_figures(k, "2023v1", json.loads(client.get(base + "figures.json").content))
    pdf_cells = 0
    for lang in ("fr", "en"):
        read_csv_zip(k, "2023v1", client.get(base + f"tables.{lang}.zip").content)
        html = client.get(base + f"report.{lang}.html").content.decode()
        read_html(k, "2023v1", html, figures)
        pdf = client.get(base + f"report.{lang}.pdf")
        if pdf.status_code == 200:
            pdf_cells += read_pdf(k, "2023v1", pdf.content, html, figures)
    read_html(k, "2023v1", client.get(page_url).content.decode(), figures)
    assert not k.conflicts, k.conflicts[:3]
    rels = code_relations("2023v1", tables.relations_of(services.build_report(period).sections))
    rels += own_relations("2023v1", {c for (_p, c) in k.values})
    findings, hidden = attack(k, rels)
    emit(f"attack_seconds_{vendor}", time.perf_counter() - start, None,
         f"s (fetch + read every file, PDF text: {pdf_cells} cells; {hidden} hidden cells, "
         f"{len(findings)} recovered)", args.n)


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# -- imports -------------------------------------------------------------------------------------

def make_veris_files(folder: Path, n: int) -> None:
    templates = [json.loads(p.read_text()) for p in sorted(
        (ROOT / "tests" / "data" / "veris").glob("v1_*/*.json"))]
    rng = random.Random(SEED)
    for i in range(n):
        doc = json.loads(json.dumps(templates[i % len(templates)]))
        doc["incident_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        doc["timeline"]["incident"]["year"] = 2013 + i % 12
        sub = folder / f"{i // 1000:04d}"
        sub.mkdir(exist_ok=True)
        (sub / f"{doc['incident_id']}.json").write_text(json.dumps(doc))


def task_veris(args) -> None:
    from vigisante.observatory import veris, veris_import

    with tempfile.TemporaryDirectory(prefix="vigisante-veris-") as tmp:
        folder = Path(tmp)
        make_veris_files(folder, args.veris_n)

        def peer():
            for path in veris_import.iter_files(folder):
                veris.validation_errors(veris.upgrade(json.loads(path.read_bytes())))

        t_peer = median_time(peer, 1)
        start = time.perf_counter()
        stats = veris_import.import_veris(folder, on_skip=lambda *a: None)
        t_ours = time.perf_counter() - start
        t_peer = min(t_peer, median_time(peer, 1))  # best of two: the machine is noisy
        assert stats.created == args.veris_n, stats
        emit("import_veris_files_per_s", args.veris_n / t_ours, args.veris_n / t_peer,
             "files/s", args.veris_n)
        emit("import_veris_peak_rss", max_rss_mib(), None, "MiB", args.veris_n)


def make_hhs_csv(path: Path, rows: int) -> None:
    """The rows of both real exports (archive and under investigation, 6,279 rows),
    repeated with the entity's name varied (#k) up to `rows`."""
    import csv

    folder = ROOT.parent / "shared" / "data" / "hhs-ocr"
    real: list[list[str]] = []
    for name in ("hhs_ocr_archive_2009-10-21_to_2024-04-26.csv",
                 "hhs_ocr_under_investigation_as_of_2024-06-28.csv"):
        with open(folder / name, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            real += list(reader)
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, quoting=csv.QUOTE_ALL)
        w.writerow(header)
        for i in range(rows):
            row = list(real[i % len(real)])
            row[0] = f"{row[0]} #{i // len(real)}"
            w.writerow(row)


def task_hhs(args) -> None:
    import csv

    from vigisante.observatory import hhs_import

    with tempfile.TemporaryDirectory(prefix="vigisante-hhs-") as tmp:
        path = Path(tmp) / "hhs.csv"
        make_hhs_csv(path, args.hhs_rows)

        def peer():
            with open(path, encoding="utf-8", newline="") as f:
                for _row in csv.reader(f):
                    pass

        t_peer = median_time(peer, 1)
        def cpu_all() -> float:  # this process and its finished children (the reader)
            t = os.times()
            return t.user + t.system + t.children_user + t.children_system

        start, cpu = time.perf_counter(), cpu_all()
        stats = hhs_import.import_hhs(path, on_skip=lambda *a: None,
                                      reader=args.hhs_reader)
        t_ours, cpu_ours = time.perf_counter() - start, cpu_all() - cpu
        t_peer = min(t_peer, median_time(peer, 1))  # best of two: the machine is noisy
        cpu = time.process_time()
        peer()
        cpu_peer = time.process_time() - cpu
        assert stats.created == args.hhs_rows, stats
        emit("import_hhs_rows_per_s", args.hhs_rows / t_ours, args.hhs_rows / t_peer,
             "rows/s", args.hhs_rows)
        # CPU seconds of this process (SQLite runs in it) and of the reading process: what
        # the import costs whatever else the machine is doing; a shared machine inflates
        # the wall-clock figure above
        emit("import_hhs_rows_per_cpu_s", args.hhs_rows / cpu_ours,
             args.hhs_rows / max(cpu_peer, 1e-9), "rows per CPU second", args.hhs_rows)
        emit("import_hhs_peak_rss", max_rss_mib(), None, "MiB", args.hhs_rows)
        # the reading process (the largest of this process's finished children)
        emit("import_hhs_reader_peak_rss",
             resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, None, "MiB",
             args.hhs_rows)
        # the HHS observatory over what was imported: one year's report (every table)
        # against the same report's SQL run bare
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from vigisante.observatory import domain, services
        period = domain.Period.year(2023)

        cpu, t0 = time.process_time(), time.perf_counter()
        with CaptureQueriesContext(connection) as captured:
            report = services.build_report(period, source="hhs")
        t_report, cpu_report = time.perf_counter() - t0, time.process_time() - cpu
        statements = [q["sql"] for q in captured.captured_queries
                      if not q["sql"].upper().startswith(
                          ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))]

        def bare_sql():
            run_bare(statements)

        cpu, t0 = time.process_time(), time.perf_counter()
        bare_sql()
        t_bare, cpu_bare = time.perf_counter() - t0, time.process_time() - cpu
        emit("hhs_year_report_s", t_report, t_bare,
             f"s (peer: the same report's {len(statements)} SQL statements run bare)",
             report.records)
        emit("hhs_year_report_cpu_s", cpu_report, cpu_bare, "CPU s", report.records)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", choices=["report", "publish", "veris", "hhs", "all"],
                   default="report")
    p.add_argument("--serve-n", type=int, default=50, help="requests per serving figure")
    p.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    p.add_argument("--n", type=int, default=100_000, help="synthetic sector reports")
    p.add_argument("--veris-n", type=int, default=100_000, help="VERIS files")
    p.add_argument("--hhs-rows", type=int, default=1_000_000, help="HHS CSV rows")
    p.add_argument("--hhs-reader", choices=["auto", "process", "thread", "inline"],
                   default="auto", help="who parses the HHS file while the import writes "
                   "(auto: a second process for a large file; the others for comparison)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--pdf", action="store_true", help="include the PDF in the full report")
    p.add_argument("--query-times", action="store_true",
                   help="print the time of each SQL statement on stderr")
    p.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432")
    p.add_argument("--pg-db", default="h7_bench")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if not args.child:
        tasks = ["report", "publish", "veris", "hhs"] if args.task == "all" else [args.task]
        dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
        for task in tasks:
            for db in dbs:
                cmd = [sys.executable, __file__, "--child", "--task", task, "--db", db,
                       *sys.argv[1:]]
                cmd = [c for i, c in enumerate(cmd) if not _is_overridden(cmd, i)]
                subprocess.run(cmd, check=True)
        return
    sys.path.insert(0, str(ROOT / "src"))
    with tempfile.TemporaryDirectory(prefix="vigisante-bench-") as data_dir:
        setup_django(args.db, args.pg_url, args.pg_db, data_dir)
        {"report": task_report, "publish": task_publish, "veris": task_veris,
         "hhs": task_hhs}[args.task](args)


def _is_overridden(cmd: list[str], i: int) -> bool:
    """Drop the parent's own --task/--db (and their values) after the child's ones."""
    if i < 7:
        return False
    return cmd[i] in ("--task", "--db") or (i > 7 and cmd[i - 1] in ("--task", "--db"))


if __name__ == "__main__":
    main()
