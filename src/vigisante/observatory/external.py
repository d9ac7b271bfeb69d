"""The observatory of imported public records (VERIS Community Database, US HHS OCR breach
portal): counts by year, action or breach type, entity type, disclosure, ransomware, records
affected and geography. Every figure is computed by the database."""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Count, F, Min, Q, Sum
from django.utils.translation import gettext_lazy as _

from vigisante.observatory import domain, queries
from vigisante.observatory import labels as L
from vigisante.observatory.models import Dimension, Disclosure, ExternalAttribute
from vigisante.observatory.sector import TOTAL_ID, Context, _share_cols, totals
from vigisante.observatory.tables import Chart, Column, Row, Section, Table, distribution
from vigisante.reports.models import Report, Source

TOP = 25


def _field(ctx: Context, name: str) -> str:
    """The lookup of an incident column: on the record itself for HHS (its own table),
    through `external` (the ExternalIncident of a report) for VERIS."""
    return name if ctx.source == Source.HHS else f"external__{name}"


def build_sections(ctx: Context) -> list[Section]:
    """Every section of an imported source's observatory."""
    hhs = ctx.source == Source.HHS
    first = totals(ctx)
    if not hhs:
        first.notes += _schema_notes(ctx)
    return [
        first,
        years(ctx),
        attributes(ctx, 3, "actions", Dimension.BREACH_TYPE if hhs else Dimension.ACTION,
                   _("Type of breach") if hhs else _("Action")),
        attributes(ctx, 4, "varieties", Dimension.LOCATION if hhs else Dimension.VARIETY,
                   _("Location of breached information") if hhs else _("Action variety")),
        grouped(ctx, 5, "entity_types", _field(ctx, "entity_type"),
                _("Covered entity type") if hhs else _("Victim industry")),
        disclosure(ctx),
        ransomware(ctx),
        records(ctx),
        grouped(ctx, 9, "geography", "state" if hhs else "external__country",
                _("State") if hhs else _("Country")),
    ]


def _schema_notes(ctx: Context) -> list[str]:
    """How many of the period's VERIS records depart from the 1.4.1 schema (imported with
    their values as written), and how many records have no incident year (in no period)."""
    from django.utils.translation import gettext, ngettext

    notes = []
    outside = ctx.qs.filter(external__outside_schema=True).count()
    if outside:
        notes.append(ngettext(
            "%(n)d record of the period is outside the VERIS 1.4.1 schema: counted with its "
            "values as written.", "%(n)d records of the period are outside the VERIS 1.4.1 "
            "schema: counted with their values as written.", outside) % {"n": outside})
    undated = Report.objects.filter(source=ctx.source, external__year__isnull=True).count()
    if undated:
        notes.append(gettext("%(n)d imported records have no incident year and are in no "
                             "period.") % {"n": undated})
    return notes


def years(ctx: Context) -> Section:
    s = Section(2, "years", _("Records by year"))
    _start, end = ctx.period.bounds(ctx.tz)
    if ctx.source == Source.HHS:  # every HHS record has a date and is about health
        base = queries.hhs_records()
    else:
        base = Report.objects.filter(source=ctx.source,
                                     external__year__isnull=False)  # undated: in no year
        if ctx.health_only:
            base = base.filter(external__is_health=True)
    ransom, records_affected = _field(ctx, "ransomware"), _field(ctx, "records_affected")
    first = base.filter(created_at__lt=end).aggregate(first=Min("created_at"))["first"]
    last = ctx.period.last.year
    first_year = first.astimezone(ctx.tz).year if first else last
    # every year up to the period's end: most records, read in one pass over the table
    # (the records after the end are in no year) rather than through the date index
    rows = (base.annotate(y=queries.local_year("created_at", ctx.tz, first_year, last,
                                               until=end))
            .values("y")
            .annotate(n=Count("id"), ransomware=Count("id", filter=Q(**{ransom: True})),
                      known=Count("id", filter=Q(**{f"{records_affected}__isnull": False})),
                      records=Sum(records_affected)).order_by("y"))
    t = Table("02_years", _("Records, ransomware and records affected by year"), [
        Column("reports", L.COLUMNS["reports"]), Column("ransomware", _("Ransomware")),
        Column("records_known", _("Records with a count")),
        Column("records", _("Records affected (sum)"))])
    for r in rows:
        if r["y"] is None:  # after the period
            continue
        key = str(r["y"])
        t.rows.append(Row(key, key, {"reports": r["n"], "ransomware": r["ransomware"],
                                     "records_known": r["known"],
                                     "records": r["records"] or 0}))
        s.derived[t.cell_id(key, "records")] = (t.cell_id(key, "records_known"),)
    s.tables.append(t)
    s.charts.append(Chart("02_years", ("reports",), _("Records by year")))
    return s


def attributes(ctx: Context, number: int, key: str, dimension: str, title: Any) -> Section:
    s = Section(number, key, title)
    rows: list[dict[str, Any]]
    if ctx.source == Source.HHS:
        rows = _hhs_values(ctx, "breach_types" if dimension == Dimension.BREACH_TYPE
                           else "locations")
    else:
        rows = [dict(r) for r in ExternalAttribute.objects.filter(
            incident__report__in=ctx.qs.values("id"), dimension=dimension)
            .values("value").annotate(n=Count("id")).order_by("-n", "value")]
    t = Table(f"{number:02d}_{key}", title, _share_cols())
    for r in rows[:TOP]:
        t.rows.append(Row(r["value"], r["value"], {
            "reports": r["n"], "share": domain.share(r["n"], ctx.total)}))
        s.derived[t.cell_id(r["value"], "share")] = (t.cell_id(r["value"], "reports"), TOTAL_ID)
    s.tables.append(t)
    s.notes.append(_("A record can have several values: the counts overlap. At most %(n)d "
                     "values are shown.") % {"n": TOP})
    s.charts.append(Chart(t.id, ("reports",), title, horizontal=True))
    return s


def _hhs_values(ctx: Context, column: str) -> list[dict[str, Any]]:
    """Records per value of a multi-valued HHS column (a JSON list per record), most
    frequent first, counted by the database (SQLite's json_each, PostgreSQL's
    jsonb_array_elements_text) over the period's records."""
    inner, params = ctx.qs.values("id").query.sql_with_params()
    qn = connection.ops.quote_name
    table, col = qn(ctx.qs.model._meta.db_table), qn(column)
    each = ("jsonb_array_elements_text" if connection.vendor == "postgresql" else
            "json_each")
    value = "v.value" if connection.vendor != "postgresql" else "v"
    sql = (f"SELECT {value}, COUNT(*) FROM {table} b CROSS JOIN {each}(b.{col}) v "
           f"WHERE b.{qn('id')} IN ({inner}) GROUP BY {value} ORDER BY 2 DESC, 1")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [{"value": v, "n": n} for v, n in cursor.fetchall()]


def grouped(ctx: Context, number: int, key: str, field: str, title: Any) -> Section:
    s = Section(number, key, title)
    rows = list(ctx.qs.values(v=F(field)).annotate(n=Count("id")).order_by("-n", "v"))
    t = Table(f"{number:02d}_{key}", title, _share_cols())
    counts = {(r["v"] or "not_specified"): r["n"] for r in rows}
    order = [(k, L.NOT_SPECIFIED if k == "not_specified" else k) for k in counts]
    distribution(t, s, counts, order, TOTAL_ID, ctx.total)
    s.tables.append(t)
    s.charts.append(Chart(t.id, ("reports",), title, horizontal=True))
    return s


def disclosure(ctx: Context) -> Section:
    s = Section(6, "disclosure", _("Data disclosure"))
    if ctx.source == Source.HHS:  # every record of the portal is a disclosure
        rows = {"yes": ctx.total} if ctx.total else {}
    else:
        rows = {r["external__disclosure"] or "not_recorded": r["n"] for r in
                ctx.qs.values("external__disclosure").annotate(n=Count("id")).order_by()}
    order = [(k or "not_recorded", lab) for k, lab in Disclosure.choices]
    t = Table("06_disclosure", _("Was data disclosed?"), _share_cols())
    distribution(t, s, rows, order, TOTAL_ID, ctx.total)
    s.tables.append(t)
    if ctx.source == Source.HHS:
        s.notes.append(_("Every record of the HHS portal is a breach of health information."))
    s.charts.append(Chart("06_disclosure", ("reports",), _("Data disclosure")))
    return s


def ransomware(ctx: Context) -> Section:
    s = Section(7, "ransomware", _("Ransomware"))
    field = _field(ctx, "ransomware")
    agg = ctx.qs.aggregate(yes=Count("id", filter=Q(**{field: True})),
                           no=Count("id", filter=Q(**{field: False})),
                           unknown=Count("id", filter=Q(**{f"{field}__isnull": True})))
    t = Table("07_ransomware", _("Records involving ransomware"), _share_cols())
    distribution(t, s, agg, [("yes", _("Ransomware")), ("no", _("No ransomware")),
                             ("unknown", L.UNKNOWN)], TOTAL_ID, ctx.total)
    s.tables.append(t)
    if ctx.source == Source.HHS:
        s.notes.append(_("The HHS portal has no ransomware column: a record counts as "
                         "ransomware when its description mentions it, as unknown when it "
                         "has no description."))
    return s


def records(ctx: Context) -> Section:
    s = Section(8, "records", _("Records affected"))
    field = _field(ctx, "records_affected")
    agg: dict[str, Any] = {"n": Count("id", filter=Q(**{f"{field}__isnull": False})),
                           "total": Sum(field)}
    for key, low, high in domain.RECORD_BUCKETS:
        cond = Q(**{f"{field}__gte": low}) if high is None else Q(
            **{f"{field}__gte": low, f"{field}__lt": high})
        agg[key] = Count("id", filter=cond)
    out = ctx.qs.aggregate(**agg)
    median = None
    if out["n"]:
        lo, hi = domain.median_positions(out["n"])
        middle = list(ctx.qs.filter(**{f"{field}__isnull": False}).order_by(field)
                      .values_list(field, flat=True)[lo:hi + 1])
        median = (middle[0] + middle[-1]) / 2
    st = Table("08_records_stats", _("Records affected"), [Column("value", L.COLUMNS["value"])])
    st.rows = [Row("n", _("Records giving a count"), {"value": out["n"]}),
               Row("total", _("Sum"), {"value": out["total"] or 0}),
               Row("median", _("Median"), {"value": median})]
    s.derived[st.cell_id("total", "value")] = (st.cell_id("n", "value"),)
    s.derived[st.cell_id("median", "value")] = (st.cell_id("n", "value"),)
    h = Table("08_records_size", _("Records by number affected"),
              [Column("reports", L.COLUMNS["reports"])])
    size_labels = {"lt_500": _("under 500"), "500_9999": "500 – 9 999",
                   "10k_99k": "10 000 – 99 999", "100k_999k": "100 000 – 999 999",
                   "1m_plus": _("1 million or more")}
    distribution(h, s, {k: out[k] for k, *_r in domain.RECORD_BUCKETS},
                 [(k, size_labels[k]) for k, *_r in domain.RECORD_BUCKETS],
                 st.cell_id("n", "value"), None)
    s.tables += [st, h]
    s.charts.append(Chart("08_records_size", ("reports",), _("Records by number affected")))
    return s

