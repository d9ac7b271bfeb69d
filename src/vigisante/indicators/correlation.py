"""Set-based correlation: one SQL statement per reason and batch, on SQLite and PostgreSQL.

Links are written with INSERT ... SELECT ... ON CONFLICT DO NOTHING (the partial unique
constraints of Link make a second run a no-op), so that adding a report with 50 indicators to a
database of a million costs a handful of indexed statements, and rebuilding every link is three
statements whatever the size.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.db import connection, connections

from vigisante.indicators.models import CorrelationKey, Indicator, Link, Sighting
from vigisante.reports.models import Report
from vigisante.triage.models import Case

IND = Indicator._meta.db_table
SIG = Sighting._meta.db_table
LINK = Link._meta.db_table
REP = Report._meta.db_table
CASE = Case._meta.db_table
KEY = CorrelationKey._meta.db_table
KEY_COLUMNS = "report_id, reason, key, detail, supplier_id, establishment_id, at"
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
                    indicator_ids: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Link the reports sharing a confirmed, not noisy indicator; returns the new pairs (not
    for a full rebuild)."""
    params: list = [now]
    if report_ids is not None or indicator_ids is not None:
        column = "s1.report_id" if report_ids is not None else "s1.indicator_id"
        ids = report_ids if report_ids is not None else indicator_ids
        if not ids:
            return []
        scope, more = _in(column, ids)
        params += more
        pair = f"{_least('s1.report_id', 's2.report_id')}, " \
               f"{_greatest('s1.report_id', 's2.report_id')}"
        other = "s2.report_id <> s1.report_id"
    else:
        scope, pair, other = "1 = 1", "s1.report_id, s2.report_id", "s2.report_id > s1.report_id"
    sql = (f"SELECT {pair}, 'indicator', s1.indicator_id, NULL, '', %s "
           f"FROM {SIG} s1 JOIN {IND} i ON i.id = s1.indicator_id "
           f"JOIN {SIG} s2 ON s2.indicator_id = s1.indicator_id AND {other} "
           f"WHERE {scope} AND i.status = 'confirmed' AND NOT i.noisy")
    return _insert_links(sql, params, returning=scope != "1 = 1")


# --- supplier and kind/system: correlation keys ----------------------------------------------

def _key_rows(scope: str) -> str:
    """A SELECT of (report_id, reason, key, detail, supplier_id, establishment_id, at): the
    correlation keys of the sector reports matching `scope` (a condition on r)."""
    vague = ", ".join(["%s"] * len(VAGUE_KINDS))
    name = "SUBSTR(TRIM(r.supplier_name), 1, 300)"
    return (
        f"SELECT r.id, 'kind_system', SUBSTR(c.kind || ':' || s.value, 1, 320), "
        f"SUBSTR(c.kind || ':' || s.value, 1, 300), NULL, r.establishment_id, r.created_at "
        f"FROM {REP} r JOIN {CASE} c ON c.report_id = r.id, {_systems('s', 'r')} "
        f"WHERE ({scope}) AND r.source = 'sector' AND r.establishment_id IS NOT NULL "
        f"AND c.kind NOT IN ({vague}) "
        f"UNION ALL SELECT r.id, 'supplier', 'id:' || CAST(r.supplier_id AS TEXT), {name}, "
        f"r.supplier_id, r.establishment_id, r.created_at FROM {REP} r "
        f"WHERE ({scope}) AND r.source = 'sector' AND r.establishment_id IS NOT NULL "
        f"AND r.supplier_id IS NOT NULL "
        f"UNION ALL SELECT r.id, 'supplier', 'name:' || LOWER({name}), {name}, NULL, "
        f"r.establishment_id, r.created_at FROM {REP} r "
        f"WHERE ({scope}) AND r.source = 'sector' AND r.establishment_id IS NOT NULL "
        f"AND TRIM(r.supplier_name) <> ''")


def refresh_keys(report_ids: Sequence[int] | None = None, *, using: str = "default") -> None:
    """Recompute the correlation keys of these reports (of every report: None), two statements."""
    if report_ids is None:
        scope, params, where = "1 = 1", [], ""
    else:
        if not report_ids:
            return
        scope, params = _in("r.id", report_ids)
        where, _p = _in("report_id", report_ids)
    one = [*params, *VAGUE_KINDS]
    with connections[using].cursor() as cursor:
        if report_ids is None:
            cursor.execute(f"DELETE FROM {KEY}")
        else:
            cursor.execute(f"DELETE FROM {KEY} WHERE {where}", list(report_ids))
        cursor.execute(f"INSERT INTO {KEY} ({KEY_COLUMNS}) {_key_rows(scope)}",
                       [*one, *params, *params])


def _link_keys_sql(scope: str, pair: tuple[str, str], other: str, within: str,
                   bucketed: bool) -> str:
    extra = ""
    if bucketed:
        # The whole table: an equality on (reason, key, period) against the neighbouring
        # periods lets the database hash-join instead of comparing every pair of a key.
        extra = ", (SELECT -1 AS d UNION ALL SELECT 0 UNION ALL SELECT 1) o"
    sql = (f"SELECT {pair[0]}, {pair[1]}, k1.reason, NULL, MAX(k1.supplier_id), "
           # the detail of either side, the same whichever report came first
           f"MIN(CASE WHEN k1.detail <= k2.detail THEN k1.detail ELSE k2.detail END), "
           f"%s FROM {KEY} k1{extra}, {KEY} k2 "
           f"WHERE ({scope}) AND k2.reason = k1.reason AND k2.key = k1.key AND {other} "
           f"AND k2.establishment_id <> k1.establishment_id AND {within} ")
    if bucketed:
        sql += f"AND {_bucket('k2.at')} = {_bucket('k1.at')} + o.d "
    return sql + f"GROUP BY {pair[0]}, {pair[1]}, k1.reason"


def link_keys(now, *, report_ids: Sequence[int] | None = None) -> list[tuple[int, int]]:
    """Link reports of different establishments received within the window that name the same
    supplier (by id or by name) or have the same qualified kind on a shared system; the detail
    names the supplier, or the kind and the first shared system. Returns the new pairs."""
    if report_ids is not None and not report_ids:
        return []
    refresh_keys(report_ids)
    within, wparams = _within("k2.at", "k1.at")
    if report_ids is not None:
        scope, sparams = _in("k1.report_id", report_ids)
        pair = (_least("k1.report_id", "k2.report_id"), _greatest("k1.report_id", "k2.report_id"))
        sql = _link_keys_sql(scope, pair, "k2.report_id <> k1.report_id", within, False)
        params = [now, *sparams, *wparams]
        return _insert_links(sql, params, returning=True)
    days = window_days()
    sql = _link_keys_sql("1 = 1", ("k1.report_id", "k2.report_id"),
                         "k2.report_id > k1.report_id", within, True)
    _insert_links(sql, [now, *wparams, days, days], returning=False)
    return []


def _bucket(col: str) -> str:
    """The number of the window-sized period a datetime falls in."""
    if _pg():
        return f"FLOOR(EXTRACT(EPOCH FROM {col}) / (86400.0 * %s))"
    return f"CAST(julianday({col}) / %s AS INTEGER)"


def _insert_links(select: str, params: list, *, returning: bool) -> list[tuple[int, int]]:
    """INSERT the links a SELECT gives (pairs already written are skipped); with `returning`,
    the pairs actually written."""
    sql = f"INSERT INTO {LINK} ({LINK_COLUMNS}) {select} ON CONFLICT DO NOTHING"
    if returning:
        sql += " RETURNING report_a_id, report_b_id"
    params = [connection.ops.adapt_datetimefield_value(p) if hasattr(p, "tzinfo") else p
              for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(a, b) for a, b in cursor.fetchall()] if returning else []


def correlate_reports(report_ids: Sequence[int], now) -> list[tuple[int, int]]:
    """Every link of these reports, by every reason (noise flagged first); the new pairs."""
    flag_noisy(report_ids=report_ids)
    return (link_indicators(now, report_ids=report_ids)
            + link_keys(now, report_ids=report_ids))


def correlate_indicators(indicator_ids: Sequence[int], now) -> list[tuple[int, int]]:
    """The links made by indicators just confirmed; the new pairs."""
    flag_noisy(indicator_ids=indicator_ids)
    return link_indicators(now, indicator_ids=indicator_ids)


REBUILD_STEPS = ("noise", "indicator", "keys", "indexes")


def rebuild_links(now, progress=None) -> int:
    """Drop and recompute every link from scratch (noise recomputed too): a few bulk
    statements. `progress(step_index, step_name)` is called before each step."""
    def step(i: int) -> None:
        if progress is not None:
            progress(i, REBUILD_STEPS[i])

    step(0)
    with connection.cursor() as cursor:
        if _pg():
            # Big one-off statements: compiling them (JIT) costs more than it saves.
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(f"TRUNCATE {LINK}")
        else:
            cursor.execute(f"DELETE FROM {LINK}")
        # Bulk load: the secondary indexes are dropped and built again once at the end (the
        # statements below write distinct rows into an empty table), which is several times
        # faster than maintaining them row by row. All of it inside the caller's transaction.
        indexes = _secondary_indexes(cursor, LINK)
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
        # Only the rows whose flag changes are written.
        seen_often = (f"SELECT indicator_id FROM {SIG} GROUP BY indicator_id "
                      f"HAVING COUNT(*) > %s")
        cursor.execute(f"UPDATE {IND} SET noisy = %s WHERE noisy AND id NOT IN ({seen_often})",
                       [False, noise_threshold()])
        cursor.execute(f"UPDATE {IND} SET noisy = %s WHERE NOT noisy AND id IN ({seen_often})",
                       [True, noise_threshold()])
    step(1)
    link_indicators(now)
    step(2)
    link_keys(now)
    step(3)
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute(f"SELECT COUNT(*) FROM {LINK}")
        return cursor.fetchone()[0]


def _secondary_indexes(cursor, table: str) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the indexes of a table that back no constraint (its
    primary key and constraints stay)."""
    if _pg():
        cursor.execute(
            "SELECT c.relname, pg_get_indexdef(ix.indexrelid) FROM pg_index ix "
            "JOIN pg_class c ON c.oid = ix.indexrelid WHERE ix.indrelid = %s::regclass "
            "AND NOT ix.indisprimary AND NOT EXISTS "
            "(SELECT 1 FROM pg_constraint k WHERE k.conindid = ix.indexrelid) ORDER BY 1",
            [table])
    else:
        cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                       "AND tbl_name = %s AND sql IS NOT NULL ORDER BY name", [table])
    return [(name, definition) for name, definition in cursor.fetchall()]
