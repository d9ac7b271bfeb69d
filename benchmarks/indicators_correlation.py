"""Correlation benchmark (PostgreSQL): adding a report with 50 indicators to a database of
1,000,000 indicators over 100,000 reports, and rebuilding every link from scratch.

    .venv/bin/python benchmarks/indicators_correlation.py \\
        --database-url postgres://postgres@127.0.0.1:5432/vs_correlate_bench \\
        [--reports 100000] [--indicators 1000000] [--adds 50] [--reuse]

Builds its own database (dropped and created again unless --reuse finds it filled), migrates
it and loads deterministic synthetic data with COPY: 1,000 establishments, the reports
(2019-2025, 5 % naming one of 200 suppliers), one qualified case per report (kind, systems
hit), the indicators (90 % confirmed) and their sightings: each indicator seen once, and 2 %
of them seen again in about ten other reports (the shared ones that make links).

Figures, in one run on the same data (one JSON line each, {"name","ours","peer","ratio",
"unit","n"}):

- `add_report_50_indicators_p50` / `_p99` (ms): a new report with 50 indicators (10 already
  known and shared, 40 new) stored as sightings, correlated (noise, indicator, supplier and
  kind/system links) and attached to campaigns, in one transaction, as the worker does; peer:
  the same work done the row-by-row way (one query per indicator and per candidate report,
  the way MISP correlates attribute by attribute), ratio = peer / ours;
- `rebuild_links` (links/s): every link dropped and recomputed (noise flags included), then
  the proposals rebuilt; peer: MISP's published rebuild rate on large instances, 64 rows/s
  (ratio = ours / peer, the aim is 1,000); `rebuild_links_rowwise` measures the row-by-row
  peer on the first reports in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time

SYSTEMS = ["dpi", "prescription", "laboratory", "imaging", "email", "directory", "vpn",
           "telephony", "network", "website", "administration", "biomedical"]
KINDS = ["ransomware", "account_compromise", "system_compromise", "phishing",
         "vulnerability_exploit", "malware", "data_leak", "fraud", "ddos", "supplier_failure"]
MISP_ROWS_PER_S = 64.0
START = dt.datetime(2019, 1, 1, tzinfo=dt.UTC)
SPAN_S = 6 * 365 * 86400


def _django(url: str, data_dir: str) -> None:
    os.environ.update(
        DJANGO_SETTINGS_MODULE="vigisante.config.settings", VIGISANTE_DATABASE_URL=url,
        VIGISANTE_DATA_DIR=data_dir, VIGISANTE_SECRET_KEY="benchmark-only",
        VIGISANTE_LOG_LEVEL="WARNING", VIGISANTE_EMAIL_BACKEND="locmem")
    import django

    django.setup()


def _fresh_postgres(url: str) -> None:
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    if not re.fullmatch(r"[a-z0-9_]+", name):
        sys.exit("use a plain database name (lower case, digits, _)")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def _copy(table: str, columns: list[str], rows) -> int:
    from django.db import connection

    n = 0
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
                n += 1
        if "id" in columns or '"id"' in columns:
            cursor.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                           f"(SELECT MAX(id) FROM {table}))")
    return n


def _model_copy(model, objs) -> int:
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    return _copy(model._meta.db_table, [connection.ops.quote_name(f.column) for f in fields],
                 ([f.get_db_prep_save(getattr(o, f.attname), connection) for f in fields]
                  for o in objs))


def value_of(i: int) -> tuple[str, str]:
    """The i-th synthetic indicator (deterministic, unique)."""
    k = i % 4
    if k == 0:
        return "domain", f"d{i:07d}.bad-{i % 97}.example"
    if k == 1:
        return "ipv4", f"{10 + i // 16777216 % 200}.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"
    if k == 2:
        return "sha256", f"{i:064x}"
    return "url", f"http://u{i:07d}.example/p/{i % 1000}"


def build(n_reports: int, n_indicators: int, seed: int) -> dict:
    from django.db import connection

    from vigisante.establishments.models import Establishment
    from vigisante.indicators.models import Indicator, Sighting
    from vigisante.reports.models import Report
    from vigisante.triage.models import Case

    rnd = random.Random(seed)
    regions = [("IDF", "75"), ("ARA", "69"), ("BRE", "35"), ("OCC", "31"), ("PAC", "13"),
               ("HDF", "59"), ("NAQ", "33"), ("GES", "67")]
    ests = []
    for i in range(1000):
        reg, dep = regions[i % len(regions)]
        ests.append(Establishment(
            id=i + 1, finess=f"{dep}{i:07d}", name=f"Établissement {i} (synthetic)",
            category=rnd.choice(["ch", "chu", "clinic", "ehpad", "lab"]), sector="health",
            legal_status="public", region=reg, departement=dep, synthetic=True,
            created_at=START))
    suppliers = [f"Fournisseur {i} (synthetic)" for i in range(200)]
    reports, cases = [], []
    for i in range(n_reports):
        at = START + dt.timedelta(seconds=SPAN_S * i // n_reports)
        reports.append(Report(
            id=i + 1, reference=f"VS-B-{i:07d}", establishment_id=rnd.randint(1, 1000),
            channel="web", created_at=at, updated_at=at, description="Incident (synthetic)",
            discovered_at=at, systems_hit=rnd.sample(SYSTEMS, rnd.randint(1, 2)),
            supplier_name=rnd.choice(suppliers) if rnd.random() < 0.05 else ""))
        cases.append(Case(id=i + 1, report_id=i + 1, state="qualified", kind=rnd.choice(KINDS),
                          state_changed_at=at))
    counts = {"establishments": _model_copy(Establishment, ests),
              "reports": _model_copy(Report, reports), "cases": _model_copy(Case, cases)}
    first = START.isoformat()
    counts["indicators"] = _copy(
        Indicator._meta.db_table,
        ["id", "type", "value", "status", "tlp", "confidence", "noisy", "first_seen",
         "last_seen"],
        ((i + 1, *value_of(i), "confirmed" if i % 10 else "pending", "amber", 50, False,
          first, first) for i in range(n_indicators)))
    shared = max(1, n_indicators // 50)

    def sightings():
        # Each indicator once, spread over the reports ...
        for i in range(n_indicators):
            yield (i % n_reports + 1, i + 1, "report", first)
        # ... and the shared ones again in about ten reports each.
        seen = set()
        for k in range(shared * 10):
            ind = k % shared + 1
            rep = rnd.randint(1, n_reports)
            if (rep, ind) in seen or rep == (ind - 1) % n_reports + 1:
                continue
            seen.add((rep, ind))
            yield (rep, ind, "report", first)

    counts["sightings"] = _copy(Sighting._meta.db_table,
                                ["report_id", "indicator_id", "source", "created_at"],
                                sightings())
    from vigisante.indicators import correlation

    correlation.refresh_keys(None)  # what the migration does for reports already there
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return counts


# --- measures ----------------------------------------------------------------------------------

def _new_report(i: int, n_reports: int):
    from vigisante.reports.models import Report
    from vigisante.triage.models import Case

    rnd = random.Random(i)
    at = START + dt.timedelta(seconds=SPAN_S * rnd.randint(0, n_reports - 1) // n_reports)
    report = Report.objects.create(
        reference=f"VS-N-{i:06d}-{time.time_ns() % 10**6:06d}",
        establishment_id=rnd.randint(1, 1000),
        channel="web", created_at=at, description="New (synthetic)", discovered_at=at,
        systems_hit=rnd.sample(SYSTEMS, 2), supplier_name=f"Fournisseur {i % 200} (synthetic)")
    # A report saved directly (not through the reports services) gets no case by itself.
    Case.objects.create(report=report, state="qualified", kind=rnd.choice(KINDS),
                        state_changed_at=at)
    return Report.objects.select_related("case").get(pk=report.pk)


def _values(i: int, n_indicators: int) -> list[tuple[str, str]]:
    shared = max(1, n_indicators // 50)
    known = [value_of((i * 37 + k * 101) % shared) for k in range(10)]
    fresh = [value_of(n_indicators + i * 50 + k) for k in range(40)]
    return known + fresh


def _ours(report, values) -> None:
    from django.utils import timezone

    from vigisante.indicators import services
    from vigisante.indicators.models import SightingSource

    now = timezone.now()
    services._store(report, {v: (SightingSource.REPORT, None) for v in values}, now)
    services._correlate([report.pk], now)


def _rowwise(report, values) -> None:
    """The peer: the same result, one query per indicator and per candidate report."""
    from django.conf import settings
    from django.utils import timezone

    from vigisante.indicators import campaigns
    from vigisante.indicators.models import Indicator, Link, Sighting
    from vigisante.reports.models import Report

    now = timezone.now()
    window = dt.timedelta(days=settings.CORRELATION_WINDOW_DAYS)
    for t, v in values:
        ind, _ = Indicator.objects.get_or_create(type=t, value=v, defaults=dict(
            first_seen=now, last_seen=now))
        Sighting.objects.get_or_create(report=report, indicator=ind,
                                       defaults=dict(source="report", created_at=now))
        if ind.status != "confirmed" or ind.noisy:
            continue
        if Sighting.objects.filter(indicator=ind).count() > settings.CORRELATION_NOISE_REPORTS:
            Indicator.objects.filter(pk=ind.pk).update(noisy=True)
            continue
        for other in Sighting.objects.filter(indicator=ind).exclude(report=report):
            a, b = sorted((report.pk, other.report_id))
            Link.objects.get_or_create(report_a_id=a, report_b_id=b, reason="indicator",
                                       indicator=ind, defaults=dict(created_at=now))
    near = Report.objects.filter(created_at__range=(report.created_at - window,
                                                    report.created_at + window))
    for other in near.exclude(pk=report.pk).exclude(establishment=report.establishment_id) \
            .select_related("case"):
        a, b = sorted((report.pk, other.pk))
        if other.supplier_name.strip().lower() == report.supplier_name.strip().lower():
            Link.objects.get_or_create(report_a_id=a, report_b_id=b, reason="supplier",
                                       defaults=dict(created_at=now,
                                                     detail=report.supplier_name))
        shared = set(other.systems_hit) & set(report.systems_hit)
        if other.case.kind == report.case.kind and shared:
            Link.objects.get_or_create(report_a_id=a, report_b_id=b, reason="kind_system",
                                       defaults=dict(created_at=now, detail=min(shared)))
    campaigns.attach_new_links(Link.objects.filter(created_at=now)
                               .values_list("report_a_id", "report_b_id"), now)


def _cpu() -> float:
    """CPU seconds used so far by this process and by its PostgreSQL backend (when the server
    runs on this machine: /proc), to give figures that do not depend on the machine's load."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    backend = 0.0
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        backend = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass
    return time.process_time() + backend


CPU_MS: dict[str, list[float]] = {"ours": [], "peer": []}
COMMIT_MS: dict[str, list[float]] = {"ours": [], "peer": []}


def _timed(fn, report, values, who: str = "ours") -> float:
    from django.db import transaction

    c0 = _cpu()
    t0 = time.perf_counter()
    with transaction.atomic():
        fn(report, values)
        t1 = time.perf_counter()
    end = time.perf_counter()
    wall = (end - t0) * 1000
    COMMIT_MS[who].append((end - t1) * 1000)  # the commit: the WAL flush to the disk
    CPU_MS[who].append((_cpu() - c0) * 1000)
    return wall


def _pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p * (len(xs) - 1))))]


def _line(name, ours, peer, unit, n, ratio) -> dict:
    line = {"name": name, "ours": round(ours, 3), "peer": round(peer, 3),
            "ratio": round(ratio, 2), "unit": unit, "n": n,
            # the machine's load when the figure was taken (1, 5, 15 minutes)
            "load": [round(x, 2) for x in os.getloadavg()]}
    print(json.dumps(line), flush=True)
    return line


def measure_adds(adds: int, n_reports: int, n_indicators: int) -> list[dict]:
    ours, peer = [], []
    for i in range(adds):
        ours.append(_timed(_ours, _new_report(i, n_reports), _values(i, n_indicators)))
        j = adds + i
        peer.append(_timed(_rowwise, _new_report(j, n_reports), _values(j, n_indicators),
                           "peer"))
    p50o, p50p = statistics.median(ours), statistics.median(peer)
    p99o, p99p = _pct(ours, 0.99), _pct(peer, 0.99)
    # The kernel counts a process's CPU in ticks (10 ms): a mean over the adds, not a median.
    cmo, cmp_ = statistics.fmean(CPU_MS["ours"]), statistics.fmean(CPU_MS["peer"])
    return [_line("add_report_50_indicators_p50", p50o, p50p, "ms", adds, p50p / p50o),
            _line("add_report_50_indicators_p99", p99o, p99p, "ms", adds, p99p / p99o),
            _line("add_report_50_indicators_cpu_mean (client + database backend CPU)", cmo,
                  cmp_, "ms", adds, cmp_ / max(cmo, 1e-9)),
            _line("add_report_50_indicators_commit_p50 (part of the wall p50)",
                  statistics.median(COMMIT_MS["ours"]), statistics.median(COMMIT_MS["peer"]),
                  "ms", adds, 0.0)]


def measure_rebuild(rowwise_reports: int) -> list[dict]:
    from django.db import connection, transaction
    from django.utils import timezone

    from vigisante.indicators import campaigns, correlation
    from vigisante.indicators.models import Link
    from vigisante.reports.models import Report

    # Timed to the commit (deferred checks and the WAL flush included).
    c0 = _cpu()
    t0 = time.perf_counter()
    with transaction.atomic():
        now = timezone.now()
        links = correlation.rebuild_links(now)
    t_links = time.perf_counter() - t0
    cpu_links = _cpu() - c0
    t0 = time.perf_counter()
    with transaction.atomic():
        proposals = campaigns.rebuild_campaigns(timezone.now())
    t_campaigns = time.perf_counter() - t0
    cpu_total = _cpu() - c0
    total = t_links + t_campaigns
    out = [_line("rebuild_links", links / t_links, MISP_ROWS_PER_S, "links/s", links,
                 links / t_links / MISP_ROWS_PER_S),
           _line("rebuild_links_per_cpu_second (client + database backend CPU)",
                 links / max(cpu_links, 1e-9), MISP_ROWS_PER_S, "links/s", links,
                 links / max(cpu_links, 1e-9) / MISP_ROWS_PER_S),
           _line("rebuild_links_and_campaigns", links / total, MISP_ROWS_PER_S, "links/s",
                 proposals, links / total / MISP_ROWS_PER_S),
           _line("rebuild_links_and_campaigns_per_cpu_second (client + database backend CPU)",
                 links / max(cpu_total, 1e-9), MISP_ROWS_PER_S, "links/s", proposals,
                 links / max(cpu_total, 1e-9) / MISP_ROWS_PER_S),
           _line("rebuild_campaigns_step_seconds (wall)", t_campaigns, 0.0, "s", proposals,
                 0.0)]
    # The row-by-row peer on the first reports, into an emptied link table.
    ids = list(Report.objects.order_by("id").values_list("id", flat=True)[:rowwise_reports])
    from vigisante.indicators.models import Sighting

    with transaction.atomic():
        Link.objects.all().delete()
        t0 = time.perf_counter()
        for rid in ids:
            report = Report.objects.select_related("case").get(pk=rid)
            values = list(Sighting.objects.filter(report=report)
                          .values_list("indicator__type", "indicator__value"))
            _rowwise(report, values)
        row_time = time.perf_counter() - t0
        row_links = Link.objects.count()
        t0 = time.perf_counter()
        Link.objects.all().delete()
        now = timezone.now()
        ours_sub = len(correlation.correlate_reports(ids, now))
        sub_time = time.perf_counter() - t0
        transaction.set_rollback(True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    out.append(_line("rebuild_links_rowwise_peer", ours_sub / sub_time, row_links / row_time,
                     "links/s", len(ids), (ours_sub / sub_time) / max(row_links / row_time,
                                                                       1e-9)))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url",
                        default="postgres://postgres@127.0.0.1:5432/vs_correlate_bench")
    parser.add_argument("--reports", type=int, default=100_000)
    parser.add_argument("--indicators", type=int, default=1_000_000)
    parser.add_argument("--adds", type=int, default=50)
    parser.add_argument("--rowwise-reports", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20261130)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    run(args)


def run(args) -> list[dict]:
    if not args.database_url.startswith("postgres"):
        sys.exit("this benchmark runs on PostgreSQL (--database-url postgres://...)")
    data_dir = tempfile.mkdtemp(prefix="vs-corr-bench-")
    reuse = False
    if args.reuse:
        try:
            _django(args.database_url, data_dir)
            from vigisante.reports.models import Report

            reuse = Report.objects.count() >= args.reports
        except Exception:  # noqa: BLE001 - no such database yet: build it
            reuse = False
        if reuse:  # the schema of this version (indexes, correlation keys)
            from django.core.management import call_command

            call_command("migrate", verbosity=0)
    if not reuse:
        _fresh_postgres(args.database_url)
        _django(args.database_url, data_dir)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        t0 = time.perf_counter()
        counts = build(args.reports, args.indicators, args.seed)
        print(json.dumps({"built": counts, "seconds": round(time.perf_counter() - t0, 1)}),
              file=sys.stderr, flush=True)
    lines = measure_rebuild(args.rowwise_reports)
    lines += measure_adds(args.adds, args.reports, args.indicators)
    return lines


if __name__ == "__main__":
    main()
