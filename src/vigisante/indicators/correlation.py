"""Set-based correlation: one SQL statement per reason and batch, on SQLite and PostgreSQL.

Links are written with INSERT ... SELECT ... ON CONFLICT DO NOTHING (the partial unique
constraints of Link make a second run a no-op), so that adding a report with 50 indicators to a
database of a million costs a handful of indexed statements, and rebuilding every link is three
statements whatever the size.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import connection

from vigisante.indicators.models import Indicator, Link, Sighting
from vigisante.reports.models import Report
from vigisante.triage.models import Case

IND = Indicator._meta.db_table
SIG = Sighting._meta.db_table
LINK = Link._meta.db_table
REP = Report._meta.db_table
CASE = Case._meta.db_table
LINK_COLUMNS = "report_a_id, report_b_id, reason, indicator_id, supplier_id, detail, created_at"
# Kinds too vague to say two reports are the same attack.
VAGUE_KINDS = ("", "other")


def window_days() -> int:
    return int(settings.CORRELATION_WINDOW_DAYS)


def noise_threshold() -> int:
    return int(settings.CORRELATION_NOISE_REPORTS)


def _pg() -> bool:
    return connection.vendor == "postgresql"


def _least(a: str, b: str) -> str:
    return f"LEAST({a}, {b})" if _pg() else f"MIN({a}, {b})"


def _greatest(a: str, b: str) -> str:
    return f"GREATEST({a}, {b})" if _pg() else f"MAX({a}, {b})"


def _within(col: str, ref: str) -> tuple[str, list]:
    """`col` is within the correlation window around `ref` (two datetime columns)."""
    days = window_days()
    if _pg():
        return (f"{col} BETWEEN {ref} - %s * INTERVAL '1 day' AND {ref} + %s * INTERVAL '1 day'",
                [days, days])
    # SQLite keeps datetimes as ISO text in UTC: datetime() shifts and compares as text.
    return (f"{col} BETWEEN datetime({ref}, %s) AND datetime({ref}, %s)",
            [f"-{days} days", f"+{days} days"])


def _systems(alias: str, report: str) -> str:
    """A FROM item with one row per system hit by `report` (column `value`)."""
    col = f"{report}.systems_hit"
    if _pg():
        return (f"LATERAL jsonb_array_elements_text(CASE WHEN jsonb_typeof({col}) = 'array' "
                f"THEN {col} ELSE '[]'::jsonb END) AS {alias}(value)")
    return f"json_each(CASE WHEN json_type({col}) = 'array' THEN {col} ELSE '[]' END) AS {alias}"


def _in(column: str, ids: Sequence[int]) -> tuple[str, list]:
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


def _execute(sql: str, params: list) -> int:
    # The link's timestamp, stored as Django stores it (naive UTC text on SQLite).
    params = [connection.ops.adapt_datetimefield_value(p) if hasattr(p, "tzinfo") else p
              for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- noise -----------------------------------------------------------------------------------

def flag_noisy(*, report_ids: Sequence[int] | None = None,
               indicator_ids: Sequence[int] | None = None) -> list[int]:
    """Flag the indicators of these reports (or these indicators) seen in more reports than the
    threshold, and drop the links they made. Returns the newly flagged ids."""
    if report_ids is not None:
        if not report_ids:
            return []
        scope, params = _in("report_id", report_ids)
        scope = f"s.indicator_id IN (SELECT indicator_id FROM {SIG} WHERE {scope})"
    elif indicator_ids is not None:
        if not indicator_ids:
            return []
        scope, params = _in("s.indicator_id", indicator_ids)
    else:
        scope, params = "1 = 1", []
    sql = (f"SELECT s.indicator_id FROM {SIG} s JOIN {IND} i ON i.id = s.indicator_id "
           f"WHERE {scope} AND NOT i.noisy GROUP BY s.indicator_id HAVING COUNT(*) > %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, noise_threshold()])
        ids = [row[0] for row in cursor.fetchall()]
    if ids:
        Indicator.objects.filter(pk__in=ids).update(noisy=True)
        Link.objects.filter(reason="indicator", indicator_id__in=ids).delete()
    return ids


# --- links -------------------------------------------------------------------------------------

def link_indicators(now, *, report_ids: Sequence[int] | None = None,
                    indicator_ids: Sequence[int] | None = None) -> int:
    """Link the reports sharing a confirmed, not noisy indicator."""
    params: list = [now]
    if report_ids is not None or indicator_ids is not None:
        column = "s1.report_id" if report_ids is not None else "s1.indicator_id"
        ids = report_ids if report_ids is not None else indicator_ids
        if not ids:
            return 0
        scope, more = _in(column, ids)
        params += more
        pair = f"{_least('s1.report_id', 's2.report_id')}, " \
               f"{_greatest('s1.report_id', 's2.report_id')}"
        other = "s2.report_id <> s1.report_id"
    else:
        scope, pair, other = "1 = 1", "s1.report_id, s2.report_id", "s2.report_id > s1.report_id"
    # A full rebuild writes into an empty table, one row per pair and indicator: no conflict.
    conflict = "ON CONFLICT DO NOTHING" if scope != "1 = 1" else ""
    sql = (f"INSERT INTO {LINK} ({LINK_COLUMNS}) "
           f"SELECT {pair}, 'indicator', s1.indicator_id, NULL, '', %s "
           f"FROM {SIG} s1 JOIN {IND} i ON i.id = s1.indicator_id "
           f"JOIN {SIG} s2 ON s2.indicator_id = s1.indicator_id AND {other} "
           f"WHERE {scope} AND i.status = 'confirmed' AND NOT i.noisy {conflict}")
    return _execute(sql, params)


def _supplier_key(r: str) -> str:
    return f"LOWER(TRIM({r}.supplier_name))"


def link_suppliers(now, *, report_ids: Sequence[int] | None = None) -> int:
    """Link reports of different establishments naming the same supplier within the window."""
    within, wparams = _within("r2.created_at", "r1.created_at")
    same = (f"((r1.supplier_id IS NOT NULL AND r2.supplier_id = r1.supplier_id) "
            f"OR (TRIM(r1.supplier_name) <> '' "
            f"AND {_supplier_key('r2')} = {_supplier_key('r1')}))")
    if report_ids is not None:
        if not report_ids:
            return 0
        scope, sparams = _in("r1.id", report_ids)
        pair = f"{_least('r1.id', 'r2.id')}, {_greatest('r1.id', 'r2.id')}"
        other = "r2.id <> r1.id"
    else:
        # The whole table: an equality on the supplier's name lets the database hash-join.
        scope, sparams = "TRIM(r1.supplier_name) <> '' OR r1.supplier_id IS NOT NULL", []
        pair, other = "r1.id, r2.id", "r2.id > r1.id"
        same = (f"COALESCE(CAST(r1.supplier_id AS TEXT), {_supplier_key('r1')}) = "
                f"COALESCE(CAST(r2.supplier_id AS TEXT), {_supplier_key('r2')})")
    sql = (f"INSERT INTO {LINK} ({LINK_COLUMNS}) "
           f"SELECT {pair}, 'supplier', NULL, "
           f"CASE WHEN r1.supplier_id = r2.supplier_id THEN r1.supplier_id END, "
           f"SUBSTR(TRIM(r1.supplier_name), 1, 300), %s "
           f"FROM {REP} r1 JOIN {REP} r2 ON {other} AND {same} "
           f"WHERE ({scope}) AND r1.source = 'sector' AND r2.source = 'sector' "
           f"AND r2.establishment_id <> r1.establishment_id AND {within} "
           f"ON CONFLICT DO NOTHING")
    return _execute(sql, [now, *sparams, *wparams])


def link_kind_system(now, *, report_ids: Sequence[int] | None = None) -> int:
    """Link reports of different establishments of the same kind (qualified by the CERT) on
    the same system within the window; the detail names the kind and the first shared system."""
    within, wparams = _within("r2.created_at", "r1.created_at")
    if report_ids is not None:
        if not report_ids:
            return 0
        scope, sparams = _in("r1.id", report_ids)
        pair = (_least("r1.id", "r2.id"), _greatest("r1.id", "r2.id"))
        other = "r2.id <> r1.id"
    else:
        scope, sparams = "1 = 1", []
        pair, other = ("r1.id", "r2.id"), "r2.id > r1.id"
    vague = ", ".join(["%s"] * len(VAGUE_KINDS))
    sql = (f"INSERT INTO {LINK} ({LINK_COLUMNS}) "
           f"SELECT {pair[0]}, {pair[1]}, 'kind_system', NULL, NULL, "
           f"MIN(c1.kind || ':' || s1.value), %s "
           f"FROM {REP} r1, {CASE} c1, {_systems('s1', 'r1')}, "
           f"{REP} r2, {CASE} c2, {_systems('s2', 'r2')} "
           f"WHERE ({scope}) AND c1.report_id = r1.id AND c2.report_id = r2.id "
           f"AND c1.kind NOT IN ({vague}) AND c2.kind = c1.kind AND s2.value = s1.value "
           f"AND {other} AND r1.source = 'sector' AND r2.source = 'sector' "
           f"AND r2.establishment_id <> r1.establishment_id AND {within} "
           f"GROUP BY {pair[0]}, {pair[1]} "
           f"ON CONFLICT DO NOTHING")
    return _execute(sql, [now, *sparams, *VAGUE_KINDS, *wparams])


def _bucket(col: str) -> str:
    """The number of the window-sized period a datetime falls in."""
    if _pg():
        return f"FLOOR(EXTRACT(EPOCH FROM {col}) / (86400.0 * %s))"
    return f"CAST(julianday({col}) / %s AS INTEGER)"


def _rebuild_kind_system(now) -> int:
    """Every kind/system link at once: an equality join on (kind, system, period) with the
    neighbouring periods, then the exact window; the database hash-joins instead of comparing
    every pair of reports received within the window."""
    within, wparams = _within("k2.at", "k1.at")
    vague = ", ".join(["%s"] * len(VAGUE_KINDS))
    sql = (f"WITH ks AS (SELECT r.id, r.establishment_id AS est, r.created_at AS at, c.kind, "
           f"s.value AS system, {_bucket('r.created_at')} AS bucket "
           f"FROM {REP} r JOIN {CASE} c ON c.report_id = r.id, {_systems('s', 'r')} "
           f"WHERE r.source = 'sector' AND c.kind NOT IN ({vague})) "
           f"INSERT INTO {LINK} ({LINK_COLUMNS}) "
           f"SELECT k1.id, k2.id, 'kind_system', NULL, NULL, MIN(k1.kind || ':' || k1.system), "
           f"%s FROM ks k1, (SELECT -1 AS d UNION ALL SELECT 0 UNION ALL SELECT 1) o, ks k2 "
           f"WHERE k2.kind = k1.kind AND k2.system = k1.system AND k2.bucket = k1.bucket + o.d "
           f"AND k2.id > k1.id AND k2.est <> k1.est AND {within} "
           f"GROUP BY k1.id, k2.id")
    return _execute(sql, [window_days(), *VAGUE_KINDS, now, *wparams])


def correlate_reports(report_ids: Sequence[int], now) -> int:
    """Every link of these reports, by every reason (noise flagged first)."""
    flag_noisy(report_ids=report_ids)
    return (link_indicators(now, report_ids=report_ids)
            + link_suppliers(now, report_ids=report_ids)
            + link_kind_system(now, report_ids=report_ids))


def correlate_indicators(indicator_ids: Sequence[int], now) -> int:
    """The links made by indicators just confirmed."""
    flag_noisy(indicator_ids=indicator_ids)
    return link_indicators(now, indicator_ids=indicator_ids)


def rebuild_links(now) -> int:
    """Drop and recompute every link from scratch (noise recomputed too)."""
    if _pg():
        with connection.cursor() as cursor:
            # Big one-off statements: compiling them (JIT) costs more than it saves.
            cursor.execute("SET LOCAL jit = off")
            # TRUNCATE refuses pending deferred foreign-key checks (links written earlier in
            # this transaction): run them now, then defer again (Django's default).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"TRUNCATE {LINK}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    else:
        Link.objects.all().delete()
    threshold = noise_threshold()
    Indicator.objects.filter(noisy=True).update(noisy=False)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {IND} SET noisy = %s WHERE id IN (SELECT indicator_id FROM {SIG} "
                       f"GROUP BY indicator_id HAVING COUNT(*) > %s)", [True, threshold])
    link_indicators(now)
    link_suppliers(now)
    _rebuild_kind_system(now)
    return Link.objects.count()
