"""Set-based correlation: one SQL statement per reason and batch, on SQLite and PostgreSQL.

Links are written with INSERT ... SELECT ... ON CONFLICT DO NOTHING (the partial unique
constraints of Link make a second run a no-op), so that adding a report with 50 indicators to a
database of a million costs a handful of indexed statements, and rebuilding every link is three
statements whatever the size.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, connections

from vigisante.core import events
from vigisante.indicators.models import (
    Campaign,
    CampaignReport,
    CorrelationKey,
    Indicator,
    Link,
    Sighting,
)
from vigisante.reports.models import Report
from vigisante.triage.models import Case

IND = Indicator._meta.db_table
SIG = Sighting._meta.db_table
LINK = Link._meta.db_table
REP = Report._meta.db_table
CASE = Case._meta.db_table
KEY = CorrelationKey._meta.db_table
MEMBER = CampaignReport._meta.db_table
CAMPAIGN = Campaign._meta.db_table
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

def _noise_changed(ids: Sequence[int]) -> None:
    """Indicators found noisy (or no longer so): what is shared changes (the TAXII
    publication, queued by its handler, withdraws or shares them again without waiting for its
    periodic run)."""
    if ids:
        events.emit("indicator.noisy", indicator_ids=sorted(ids))


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
        _noise_changed(ids)
    return ids


# --- links -------------------------------------------------------------------------------------

def link_indicators(now, *, report_ids: Sequence[int] | None = None,
                    indicator_ids: Sequence[int] | None = None):
    """Link the reports sharing a confirmed, not noisy indicator; returns the new pairs (for
    every report, neither given: the number of links written)."""
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


def link_keys(now, *, report_ids: Sequence[int] | None = None):
    """Link reports of different establishments received within the window that name the same
    supplier (by id or by name) or have the same qualified kind on a shared system; the detail
    names the supplier, or the kind and the first shared system. Returns the new pairs (for
    every report, None: the number of links written)."""
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
    written = _insert_links(sql, [now, *wparams, days, days], returning=False)
    return written


def _bucket(col: str) -> str:
    """The number of the window-sized period a datetime falls in."""
    if _pg():
        return f"FLOOR(EXTRACT(EPOCH FROM {col}) / (86400.0 * %s))"
    return f"CAST(julianday({col}) / %s AS INTEGER)"


def _insert_links(select: str, params: list, *, returning: bool):
    """INSERT the links a SELECT gives. With `returning` (one report's links), the pairs
    already written are skipped and the pairs actually written are returned. Without (the
    rebuild's bulk load into the emptied table, where each statement gives distinct rows of
    its own reasons), no conflict can arise: the rows are written without the per-row
    conflict check, and their number is returned."""
    sql = f"INSERT INTO {LINK} ({LINK_COLUMNS}) {select}"
    if returning:
        sql += " ON CONFLICT DO NOTHING RETURNING report_a_id, report_b_id"
    params = [connection.ops.adapt_datetimefield_value(p) if hasattr(p, "tzinfo") else p
              for p in params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [(a, b) for a, b in cursor.fetchall()] if returning else cursor.rowcount


def correlate_reports(report_ids: Sequence[int], now) -> list[tuple[int, int]]:
    """Every link of these reports, by every reason (noise flagged first); the new pairs."""
    if len(report_ids) == 1 and _pg():
        pairs, _members = correlate_report(report_ids[0], now)
        return pairs
    flag_noisy(report_ids=report_ids)
    return (link_indicators(now, report_ids=report_ids)
            + link_keys(now, report_ids=report_ids))


@functools.cache
def _one_report_sql() -> str:
    """The whole correlation of one report as one PostgreSQL statement (data-modifying CTEs):
    the same steps as `flag_noisy`, `link_indicators`, `refresh_keys` and `link_keys`, in one
    round trip and one plan. Every CTE sees the database as it was before the statement, so
    the indicators turning noisy are excluded explicitly and the report's new keys are joined
    from the CTE that writes them. Returns the new pairs ('pair', a, b), the active
    campaigns of their reports ('member', report, campaign, status, reviewed, created), which
    the campaigns step needs next, and the indicators it found noisy ('noisy', id)."""
    within, _params = _within("k2.at", "k1.at")
    vague = ", ".join(f"'{k}'" for k in VAGUE_KINDS)
    placeholders = ", ".join(["%s"] * len(VAGUE_KINDS))
    keys = _key_rows("r.id = %(report)s").replace(f"NOT IN ({placeholders})",
                                                  f"NOT IN ({vague})")
    assert "%s" not in keys
    within = within.replace("%s", "%(days)s")
    return (
        f"WITH noisy AS (SELECT s.indicator_id FROM {SIG} s JOIN {IND} i ON i.id = s.indicator_id "
        f"WHERE s.indicator_id IN (SELECT indicator_id FROM {SIG} WHERE report_id = %(report)s) "
        f"AND NOT i.noisy GROUP BY s.indicator_id HAVING COUNT(*) > %(noise)s), "
        f"flagged AS (UPDATE {IND} SET noisy = TRUE WHERE id IN "
        f"(SELECT indicator_id FROM noisy) RETURNING id), "
        f"unlinked AS (DELETE FROM {LINK} WHERE reason = 'indicator' AND indicator_id IN "
        f"(SELECT indicator_id FROM noisy) RETURNING id), "
        f"by_indicator AS (INSERT INTO {LINK} ({LINK_COLUMNS}) "
        f"SELECT LEAST(s1.report_id, s2.report_id), GREATEST(s1.report_id, s2.report_id), "
        f"'indicator', s1.indicator_id, NULL, '', %(now)s "
        f"FROM {SIG} s1 JOIN {IND} i ON i.id = s1.indicator_id "
        f"JOIN {SIG} s2 ON s2.indicator_id = s1.indicator_id AND s2.report_id <> s1.report_id "
        f"WHERE s1.report_id = %(report)s AND i.status = 'confirmed' AND NOT i.noisy "
        f"AND s1.indicator_id NOT IN (SELECT indicator_id FROM noisy) "
        f"ON CONFLICT DO NOTHING RETURNING report_a_id, report_b_id), "
        f"old_keys AS (DELETE FROM {KEY} WHERE report_id = %(report)s RETURNING id), "
        f"new_keys AS (INSERT INTO {KEY} ({KEY_COLUMNS}) {keys} RETURNING {KEY_COLUMNS}), "
        f"by_key AS (INSERT INTO {LINK} ({LINK_COLUMNS}) "
        f"SELECT LEAST(k1.report_id, k2.report_id), GREATEST(k1.report_id, k2.report_id), "
        f"k1.reason, NULL, MAX(k1.supplier_id), "
        f"MIN(CASE WHEN k1.detail <= k2.detail THEN k1.detail ELSE k2.detail END), %(now)s "
        f"FROM new_keys k1 JOIN {KEY} k2 ON k2.reason = k1.reason AND k2.key = k1.key "
        f"AND k2.report_id <> k1.report_id AND k2.establishment_id <> k1.establishment_id "
        f"AND {within} "
        f"GROUP BY 1, 2, k1.reason ON CONFLICT DO NOTHING RETURNING report_a_id, report_b_id), "
        f"pairs AS (SELECT report_a_id, report_b_id FROM by_indicator "
        f"UNION ALL SELECT report_a_id, report_b_id FROM by_key) "
        f"SELECT 'pair', report_a_id, report_b_id, NULL, NULL, NULL FROM pairs "
        # From each linked report to its memberships (an index lookup each), never from
        # a campaign to its members: a campaign may hold a hundred thousand reports.
        f"UNION ALL SELECT 'member', m.report_id, m.campaign_id, m.status, m.reviewed, "
        f"m.created_at FROM (SELECT report_a_id AS id FROM pairs UNION "
        f"SELECT report_b_id FROM pairs) linked CROSS JOIN LATERAL ("
        f"SELECT cr.report_id, cr.campaign_id, c.status, c.reviewed_at IS NOT NULL AS reviewed, "
        f"c.created_at FROM {MEMBER} cr JOIN {CAMPAIGN} c ON c.id = cr.campaign_id "
        f"WHERE cr.report_id = linked.id AND c.status IN ('proposed', 'confirmed') "
        f"OFFSET 0) m "  # OFFSET 0: kept as a per-report lookup, not flattened into a join
        f"UNION ALL SELECT 'noisy', id, NULL, NULL, NULL, NULL FROM flagged")


def correlate_report(report_id: int, now) -> tuple[list[tuple[int, int]], list[tuple]]:
    """PostgreSQL: correlate one report in one statement (see `_one_report_sql`); returns the
    new pairs and the memberships (report, campaign, status, reviewed, created) of the active
    campaigns of their reports (and emits `indicator.noisy` for the indicators it flagged)."""
    params = {"report": int(report_id), "noise": noise_threshold(), "days": window_days(),
              "now": now}
    pairs: list[tuple[int, int]] = []
    members: list[tuple] = []
    noisy: list[int] = []
    for kind, a, b, status, reviewed, created in prepared(_one_report_sql(), params):
        if kind == "pair":
            pairs.append((a, b))
        elif kind == "noisy":
            noisy.append(a)
        else:
            members.append((a, b, status, reviewed, created))
    _noise_changed(noisy)
    return pairs, members


def prepared(sql: str, params: dict) -> list[tuple]:
    """PostgreSQL: run a statement of the add path as a server-side prepared statement, on
    Django's connection and in its transaction. Django binds parameters on the client, so
    PostgreSQL would parse and plan these large statements at every call (5-15 ms under
    load); prepared, that happens once per connection (the worker keeps its connection)."""
    import psycopg

    connection.ensure_connection()
    raw = connection.connection
    if raw.prepare_threshold is None:
        # Django disables preparing (None), which also ignores `prepare=True`. Django's own
        # cursors bind on the client and never prepare anyway: a threshold no statement
        # reaches lets only the explicit `prepare=True` below prepare.
        raw.prepare_threshold = 2**31 - 1
    with psycopg.Cursor(raw) as cursor:
        cursor.execute(sql, params, prepare=True)
        return cursor.fetchall() if cursor.description else []


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
        changed = []
        for value, which in ((False, "noisy AND id NOT IN"), (True, "NOT noisy AND id IN")):
            cursor.execute(f"UPDATE {IND} SET noisy = %s WHERE {which} ({seen_often}) "
                           f"RETURNING id", [value, noise_threshold()])
            changed += [row[0] for row in cursor.fetchall()]
    _noise_changed(changed)
    step(1)
    written = link_indicators(now)
    step(2)
    written += link_keys(now)
    step(3)
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
    return written


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
