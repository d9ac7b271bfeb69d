"""The database side of the sector's observatory: every figure is a GROUP BY, an aggregate
or a conditional Count (filter=Q) computed by the database; Python only ever sees
aggregated rows (a few dozen), never the reports themselves.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.apps import apps
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import (
    Coalesce,
    Lower,
    NullIf,
    Trim,
)

from vigisante.observatory import domain
from vigisante.reports.models import Report, Source

EXCLUDED_CASE_STATES = ("duplicate", "rejected")  # not incidents of their own
TECHNICAL_SUPPORT = ("technical_help", "on_site")
MAX_NARRATIVES = 30


def reports_in(period: domain.Period, tz: dt.tzinfo, source: str = Source.SECTOR,
               health_only: bool = False) -> QuerySet:
    """The records a report counts: received in the period, of one source; for the sector,
    without reports the CERT marked duplicate or rejected."""
    start, end = period.bounds(tz)
    if source == Source.HHS:  # every HHS record is about health
        return hhs_records().filter(created_at__gte=start, created_at__lt=end)
    qs = Report.objects.filter(source=source, created_at__gte=start, created_at__lt=end)
    if source == Source.SECTOR:
        qs = qs.exclude(case__state__in=EXCLUDED_CASE_STATES)
    elif health_only:
        qs = qs.filter(external__is_health=True)
    return qs


def hhs_records() -> QuerySet:
    """The HHS records: their own lean table (observatory.HhsBreach), not reports."""
    from vigisante.observatory.models import HhsBreach

    return HhsBreach.objects.all()


def scalars(qs: QuerySet) -> dict[str, Any]:
    """Every single-number figure of the report, in one aggregate query."""
    if qs.model is not Report:  # HHS records: only their number is a scalar figure
        return {"reports": qs.count()}
    c = lambda **q: Count("id", filter=Q(**q))  # noqa: E731
    return qs.aggregate(
        reports=Count("id"),
        structures=Count("establishment", distinct=True),
        care_yes=c(patient_care_affected="yes"), care_no=c(patient_care_affected="no"),
        care_unknown=c(patient_care_affected="unknown"),
        ops_none=c(operations_impact="none"), ops_partial=c(operations_impact="partial"),
        ops_degraded=c(operations_impact="degraded"), ops_stopped=c(operations_impact="stopped"),
        ops_unknown=c(operations_impact=""),
        danger_none=c(patient_danger="none"), danger_potential=c(patient_danger="potential"),
        danger_actual=c(patient_danger="actual"), danger_unknown=c(patient_danger=""),
        impact_availability=c(data_availability=True),
        impact_integrity=c(data_integrity=True),
        impact_confidentiality=c(data_confidentiality=True),
        impact_any=Count("id", filter=Q(data_availability=True) | Q(data_integrity=True)
                       | Q(data_confidentiality=True)),
        impact_none=c(data_availability=False, data_integrity=False, data_confidentiality=False),
        disclosed_personal=c(data_confidentiality=True, personal_data=True),
        disclosed_health=c(data_confidentiality=True, health_data=True),
        records_known=c(records_affected__isnull=False),
        records_sum=Sum("records_affected"),
        people_known=c(people_affected__isnull=False),
        people_sum=Sum("people_affected"),
        dpa_notified=c(dpa_notified_on__isnull=False),
        n_support_requested=c(support_requested=True),
        n_supplier_involved=c(supplier_involved=True),
        n_ransom_demanded=c(ransom_demanded=True),
    )


def total(qs: QuerySet) -> int:
    return qs.count()


def _local_start(year: int, month: int, tz: dt.tzinfo) -> dt.datetime:
    return dt.datetime(year, month, 1, tzinfo=tz)


def local_year(field: str, tz: dt.tzinfo, first: int, last: int,
               then: Any = None, until: dt.datetime | None = None) -> Case:
    """The calendar year in `tz` of `field`, for values from the start of year `first` to
    the end of year `last` (the caller's filter keeps the others out), as comparisons with
    each year's end: the database compares stored times instead of converting each one to
    local time (on SQLite a Python function called per row, about 4 us). `then(year)` gives
    each year's value instead of the year (a nested CASE, say); values from `until` on are
    in no year (NULL)."""
    whens = [When(**{f"{field}__gte": until}, then=Value(None))] if until else []
    whens += [When(**{f"{field}__lt": _local_start(y + 1, 1, tz)},
                   then=Value(y) if then is None else then(y))
              for y in range(first, last + 1)]
    return Case(*whens, output_field=IntegerField())


def local_month(field: str, tz: dt.tzinfo, period: domain.Period) -> Case:
    """year * 100 + month in `tz` of `field`, for values in `period` (see local_year): a
    CASE of years, each a CASE of its months (at most 12 + the years' comparisons a row)."""
    first, last = period.start, period.last

    def months(year: int) -> Case:
        lo = first.month if year == first.year else 1
        hi = last.month if year == last.year else 12
        return Case(*[When(**{f"{field}__lt": _local_start(year + m // 12, m % 12 + 1, tz)},
                           then=Value(year * 100 + m)) for m in range(lo, hi + 1)],
                    output_field=IntegerField())

    return local_year(field, tz, first.year, last.year, then=months)


def monthly(qs: QuerySet, tz: dt.tzinfo, period: domain.Period) -> dict[str, int]:
    """Records per local month ("YYYY-MM") of `qs`, the records of `period`."""
    rows = (qs.annotate(ym=local_month("created_at", tz, period)).values("ym")
            .annotate(n=Count("id")).order_by())
    return {f"{r['ym'] // 100:04d}-{r['ym'] % 100:02d}": r["n"] for r in rows}


def per_structure(qs: QuerySet, with_names: bool) -> list[dict[str, Any]]:
    """Reports per reporting structure (one aggregated row per structure)."""
    fields = ["establishment"]
    if with_names:
        fields += ["establishment__name", "establishment__category", "establishment__region"]
    return list(qs.filter(establishment__isnull=False).values(*fields)
                .annotate(n=Count("id")).order_by())


def by_category(qs: QuerySet) -> list[dict[str, Any]]:
    return list(qs.values("establishment__category", "establishment__sector")
                .annotate(n=Count("id"), s=Count("establishment", distinct=True)).order_by())


def by_sector(qs: QuerySet) -> list[dict[str, Any]]:
    return list(qs.values("establishment__sector")
                .annotate(n=Count("id"), s=Count("establishment", distinct=True)).order_by())


def by_region(qs: QuerySet) -> list[dict[str, Any]]:
    return list(qs.values("establishment__region")
                .annotate(n=Count("id"), s=Count("establishment", distinct=True)).order_by())


def by_kind(qs: QuerySet) -> list[dict[str, Any]]:
    """Origin and kind of every qualified report, with how many ran in degraded mode."""
    return list(qs.values("case__origin", "case__kind").annotate(
        n=Count("id"),
        degraded=Count("id", filter=Q(operations_impact__in=("degraded", "stopped"))),
    ).order_by())


def ransomware_extent(qs: QuerySet) -> dict[str, int]:
    rows = (qs.filter(case__kind="ransomware").values("case__ransomware_extent")
            .annotate(n=Count("id")).order_by())
    return {r["case__ransomware_extent"] or "": r["n"] for r in rows}


def origin_trend(period: domain.Period, tz: dt.tzinfo, source: str) -> list[dict[str, Any]]:
    years = period.trend_years()
    span = domain.Period(dt.date(years[0], 1, 1), dt.date(years[-1] + 1, 1, 1))
    return list(reports_in(span, tz, source)
                .annotate(y=local_year("created_at", tz, years[0], years[-1]))
                .values("y", "case__origin").annotate(n=Count("id")).order_by())


def suppliers(qs: QuerySet) -> list[dict[str, Any]]:
    """Supplier incidents grouped by supplier (registry name, else the name typed), with how
    many distinct structures each one reached."""
    name = Coalesce("supplier__name", NullIf(Trim("supplier_name"), Value("")))
    return list(qs.filter(supplier_involved=True).annotate(sname=name)
                .annotate(skey=Lower(Coalesce("sname", Value(""))))
                .values("skey").annotate(label=Min("sname"), n=Count("id"),
                                         s=Count("establishment", distinct=True)).order_by())


def duration_stats(qs: QuerySet, start: str, end: str,
                   buckets: tuple[tuple[str, dt.timedelta, dt.timedelta | None], ...]
                   ) -> dict[str, Any]:
    """Count, mean, exact median and a histogram of `end - start`, all in the database.

    The difference is computed once per row in a subquery and aggregated around it (on
    SQLite it is a Python function: repeating it in every bucket's filter would call it once
    per bucket); the median is read with ORDER BY + OFFSET at the middle position."""
    d = ExpressionWrapper(F(end) - F(start), output_field=DurationField())
    base = (qs.filter(**{f"{start}__isnull": False, f"{end}__isnull": False,
                         f"{end}__gte": F(start)}).annotate(d=d))
    inner, inner_params = base.values("d").query.sql_with_params()
    field = DurationField()
    select, params = ["COUNT(*)", "AVG(d)"], []
    for _key, low, high in buckets:
        cond = "d >= %s" if high is None else "d >= %s AND d < %s"
        select.append(f"SUM(CASE WHEN {cond} THEN 1 ELSE 0 END)")
        params += [field.get_db_prep_value(v, connection) for v in (low, high) if v is not None]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(select)} FROM ({inner}) sub",
                       [*params, *inner_params])
        row = cursor.fetchone()
    out: dict[str, Any] = {"n": row[0] or 0, "mean": _as_timedelta(row[1]), "median": None}
    for (key, _low, _high), n in zip(buckets, row[2:], strict=True):
        out[key] = int(n or 0)
    if out["n"]:
        lo, hi = domain.median_positions(out["n"])
        middle = list(base.order_by("d").values_list("d", flat=True)[lo:hi + 1])
        values = [_as_timedelta(v) for v in middle]
        out["median"] = (values[0] + values[-1]) / 2
    return out


def _as_timedelta(value: Any) -> dt.timedelta | None:
    # SQLite gives microseconds for duration arithmetic; PostgreSQL gives an interval.
    if value is None or isinstance(value, dt.timedelta):
        return value
    return dt.timedelta(microseconds=float(value))


def systems_hit(qs: QuerySet) -> dict[str, int]:
    """Reports per system named in the JSON list `systems_hit`, counted by the database
    (jsonb_array_elements_text on PostgreSQL, json_each on SQLite)."""
    sub_sql, params = qs.values("id").query.sql_with_params()
    table = Report._meta.db_table
    if connection.vendor == "postgresql":
        sql = (f"SELECT e.value, COUNT(DISTINCT r.id) FROM {table} r CROSS JOIN LATERAL "
               "jsonb_array_elements_text(CASE WHEN jsonb_typeof(r.systems_hit) = 'array' "
               "THEN r.systems_hit ELSE '[]'::jsonb END) AS e(value) "
               f"WHERE r.id IN ({sub_sql}) GROUP BY e.value")
    else:
        sql = (f"SELECT j.value, COUNT(DISTINCT r.id) FROM {table} r, "
               "json_each(CASE WHEN json_type(r.systems_hit) = 'array' THEN r.systems_hit "
               f"ELSE '[]' END) AS j WHERE r.id IN ({sub_sql}) GROUP BY j.value")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {str(value): n for value, n in cursor.fetchall()}


def supports(qs: QuerySet) -> dict[str, Any]:
    from vigisante.triage.models import Support

    c = lambda **q: Count("id", filter=Q(**q))  # noqa: E731
    return Support.objects.filter(case__report__in=qs.values("id")).aggregate(
        supports=Count("id"),
        remote_advice=c(type="remote_advice"), technical_help=c(type="technical_help"),
        on_site=c(type="on_site"), escalation=c(type="escalation"),
        supported_cases=Count("case", distinct=True),
        escalated_cases=Count("case", distinct=True, filter=Q(type="escalation")),
        ooh=c(out_of_hours=True),
        ooh_cases=Count("case", distinct=True, filter=Q(out_of_hours=True)),
        technical_structures=Count("case__report__establishment", distinct=True,
                                   filter=Q(type__in=TECHNICAL_SUPPORT)),
    )


def detection(qs: QuerySet) -> list[dict[str, Any]]:
    return list(qs.values("case__detection_source", "case__detection_stage")
                .annotate(n=Count("id")).order_by())


def clock_model():
    """The regulatory clock model when the clocks app is installed, else None."""
    try:
        return apps.get_model("clocks", "Clock")
    except LookupError:
        return None


def clocks(qs: QuerySet) -> list[dict[str, Any]] | None:
    model = clock_model()
    if model is None:
        return None
    return list(model.objects.filter(report__in=qs.values("id")).values("regime", "state")
                .annotate(n=Count("id")).order_by())


def narratives(qs: QuerySet) -> list[dict[str, Any]]:
    """The patient-danger narratives (internal version only), oldest first, at most
    MAX_NARRATIVES, with what is needed to anonymise them."""
    return list(qs.filter(patient_danger__in=("potential", "actual"))
                .exclude(patient_danger_narrative="")
                .values("patient_danger", "patient_danger_narrative", "establishment__name",
                        "establishment__finess", "establishment__category", "supplier_name",
                        "supplier__name", "callback_phone")
                .order_by("created_at", "id")[:MAX_NARRATIVES])
