"""Sections 1-8 of the sector's observatory (the 15 tables of docs/domain.md): totals,
structures, categories, regions, origin, malicious kinds, non-malicious causes, operations.

Sections 9-15 are in sector_more.py. Each builder reads aggregated rows from `queries` and
lays them out as tables; nothing here loops over reports.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from vigisante.core.taxonomy import MALICIOUS_KINDS
from vigisante.establishments.models import Category, Sector
from vigisante.establishments.regions import REGIONS
from vigisante.observatory import domain, queries
from vigisante.observatory import labels as L
from vigisante.observatory.tables import (
    CHANGE,
    LABEL,
    SHARE,
    Chart,
    Column,
    Row,
    Section,
    Table,
    distribution,
)
from vigisante.reports.models import Report
from vigisante.triage.models import Case

TOTAL_ID = "01_totals:period:reports"
STRUCTURES_ID = "02_structures:structures:value"


@dataclass
class Context:
    period: domain.Period
    tz: dt.tzinfo
    source: str
    internal: bool
    qs: QuerySet
    scalars: dict[str, Any]
    health_only: bool = False

    @property
    def total(self) -> int:
        return self.scalars["reports"]


def _share_cols() -> list[Column]:
    return [Column("reports", L.COLUMNS["reports"]), Column("share", L.COLUMNS["share"], SHARE)]


def totals(ctx: Context) -> Section:
    s = Section(1, "totals", _("Reports: total, change on the previous period, monthly series"))
    previous = queries.total(queries.reports_in(ctx.period.previous(), ctx.tz, ctx.source,
                                                ctx.health_only))
    t = Table("01_totals", _("Reports received in the period and the previous period"), [
        Column("reports", L.COLUMNS["reports"]), Column("previous", L.COLUMNS["previous"]),
        Column("change", L.COLUMNS["change"], CHANGE)])
    t.rows.append(Row("period", _("Reports"), {
        "reports": ctx.total, "previous": previous,
        "change": domain.change(ctx.total, previous)}))
    s.derived["01_totals:period:change"] = ("01_totals:period:reports",
                                           "01_totals:period:previous")
    m = Table("01_monthly", _("Reports per month"), [Column("reports", L.COLUMNS["reports"])])
    counts = queries.monthly(ctx.qs, ctx.tz, ctx.period)
    distribution(m, s, counts, [(k, k) for k in ctx.period.months()], TOTAL_ID, None)
    s.tables += [t, m]
    s.charts.append(Chart("01_monthly", ("reports",), _("Reports per month")))
    return s


def structures(ctx: Context) -> Section:
    s = Section(2, "structures", _("Reporting structures and repeat reporters"))
    rows = queries.per_structure(ctx.qs, with_names=ctx.internal)
    rep = domain.repeat_counts(r["n"] for r in rows)
    t = Table("02_structures", _("Structures that reported, by number of reports"),
              [Column("value", L.COLUMNS["structures"])])
    t.rows = [
        Row("structures", _("Structures that reported"), {"value": len(rows)}, total=True),
        Row("1", _("1 report"), {"value": rep["1"]}),
        Row("2", _("2 reports"), {"value": rep["2"]}),
        Row("3", _("3 reports"), {"value": rep["3"]}),
        Row("4+", _("4 reports or more"), {"value": rep["4+"]}),
        Row("more_than_2", _("More than 2 reports"), {"value": rep["more_than_2"]}, total=True),
    ]
    s.group(STRUCTURES_ID, [t.cell_id(k, "value") for k in ("1", "2", "3", "4+")])
    s.group(t.cell_id("more_than_2", "value"), [t.cell_id(k, "value") for k in ("3", "4+")])
    # n structures with k reports account for at least k*n reports
    s.at_most([(t.cell_id(k, "value"), w) for k, w in (("1", 1), ("2", 2), ("3", 3), ("4+", 4))],
              TOTAL_ID)
    s.tables.append(t)
    if ctx.internal:
        cats, regions = dict(Category.choices), REGIONS
        top = Table("02_repeat", _("Structures with 4 reports or more (internal)"), [
            Column("category", L.COLUMNS["category"], LABEL, dict(cats)),
            Column("region", L.COLUMNS["region"], LABEL, dict(regions)),
            Column("reports", L.COLUMNS["reports"])], internal_only=True)
        for r in sorted((r for r in rows if r["n"] >= 4),
                        key=lambda r: (-r["n"], r["establishment__name"], r["establishment"])):
            top.rows.append(Row(str(r["establishment"]), r["establishment__name"], {
                "category": r["establishment__category"],
                "region": r["establishment__region"], "reports": r["n"]}))
        s.tables.append(top)
    s.charts.append(Chart("02_structures", ("value",), _("Structures by number of reports")))
    return s


def categories(ctx: Context) -> Section:
    s = Section(3, "categories", _("Reports by structure category and sector"))
    sectors = dict(Sector.choices)
    cat_rows = queries.by_category(ctx.qs)
    t = Table("03_category", _("Reports by category of structure"), [
        Column("sector", L.COLUMNS["sector"], LABEL, sectors), *_share_cols(),
        Column("structures", L.COLUMNS["structures"])])
    by_key = {(r["establishment__category"], r["establishment__sector"]): r for r in cat_rows}
    keys = [(c, Sector.MEDICO_SOCIAL if c in ("ehpad", "medico_social") else Sector.HEALTH)
            for c, _l in Category.choices]
    keys += sorted(k for k in by_key if k not in keys and k[0] is not None)
    cat_labels = dict(Category.choices)
    members: dict[str, list[str]] = {}
    for cat, sec in keys:
        r = by_key.get((cat, sec), {"n": 0, "s": 0})
        key = f"{cat}.{sec}"
        t.rows.append(Row(key, cat_labels.get(cat, cat), {
            "sector": sec, "reports": r["n"], "share": domain.share(r["n"], ctx.total),
            "structures": r["s"]}))
        members.setdefault(sec, []).append(key)
        s.at_most(t.cell_id(key, "structures"), t.cell_id(key, "reports"))
        s.derived[t.cell_id(key, "share")] = (t.cell_id(key, "reports"), TOTAL_ID)
    sec_rows = {r["establishment__sector"]: r for r in queries.by_sector(ctx.qs)}
    st = Table("03_sector", _("Reports by sector"), [*_share_cols(),
                                                     Column("structures",
                                                            L.COLUMNS["structures"])])
    for code, label in Sector.choices:
        r = sec_rows.get(code, {"n": 0, "s": 0})
        st.rows.append(Row(code, label, {"reports": r["n"], "share": domain.share(
            r["n"], ctx.total), "structures": r["s"]}))
        s.derived[st.cell_id(code, "share")] = (st.cell_id(code, "reports"), TOTAL_ID)
        s.at_most(st.cell_id(code, "structures"), st.cell_id(code, "reports"))
        for col in ("reports", "structures"):
            s.group(st.cell_id(code, col), [t.cell_id(k, col) for k in members.get(code, [])])
    s.group(TOTAL_ID, [st.cell_id(c, "reports") for c, _l in Sector.choices])
    s.group(STRUCTURES_ID, [st.cell_id(c, "structures") for c, _l in Sector.choices])
    s.tables += [t, st]
    s.charts.append(Chart("03_category", ("reports",), _("Reports by category"),
                          horizontal=True))
    return s


def regions(ctx: Context) -> Section:
    s = Section(4, "regions", _("Reports by region"))
    rows = {r["establishment__region"]: r for r in queries.by_region(ctx.qs)}
    t = Table("04_region", _("Reports by region"), [
        *_share_cols(), Column("structures", L.COLUMNS["structures"])])
    for code, name in sorted(REGIONS.items(), key=lambda kv: kv[1]):
        r = rows.get(code, {"n": 0, "s": 0})
        t.rows.append(Row(code, name, {"reports": r["n"], "share": domain.share(
            r["n"], ctx.total), "structures": r["s"]}))
        s.derived[t.cell_id(code, "share")] = (t.cell_id(code, "reports"), TOTAL_ID)
        s.at_most(t.cell_id(code, "structures"), t.cell_id(code, "reports"))
    s.group(TOTAL_ID, [t.cell_id(c, "reports") for c in REGIONS])
    s.group(STRUCTURES_ID, [t.cell_id(c, "structures") for c in REGIONS])
    s.tables.append(t)
    s.charts.append(Chart("04_region", ("reports",), _("Reports by region"), horizontal=True))
    return s


def origin(ctx: Context, kinds: list[dict[str, Any]]) -> Section:
    s = Section(5, "origin", _("Origin of the incidents, and its trend"))
    order = [*L.choices(Case, "origin"), ("not_qualified", L.NOT_QUALIFIED)]
    counts: dict[str, int] = {}
    for r in kinds:
        key = r["case__origin"] or "not_qualified"
        counts[key] = counts.get(key, 0) + r["n"]
    t = Table("05_origin", _("Reports by origin"), _share_cols())
    distribution(t, s, counts, order, TOTAL_ID, ctx.total)
    years = ctx.period.trend_years()
    trend: dict[int, dict[str, int]] = {y: {} for y in years}
    for r in queries.origin_trend(ctx.period, ctx.tz, ctx.source):
        if r["y"] in trend:
            key = r["case__origin"] or "not_qualified"
            trend[r["y"]][key] = trend[r["y"]].get(key, 0) + r["n"]
    tr = Table("05_trend", _("Origin by calendar year"), [
        *[Column(k, lab) for k, lab in order], Column("total", L.TOTAL),
        Column("malicious_share", _("Malicious share"), SHARE)])
    for y in years:
        c = trend[y]
        n = sum(c.values())
        tr.rows.append(Row(str(y), str(y), {**{k: c.get(k, 0) for k, _l in order},
                                            "total": n,
                                            "malicious_share": domain.share(
                                                c.get("malicious", 0), n)}))
        s.group(tr.cell_id(str(y), "total"), [tr.cell_id(str(y), k) for k, _l in order])
        s.derived[tr.cell_id(str(y), "malicious_share")] = (
            tr.cell_id(str(y), "malicious"), tr.cell_id(str(y), "total"))
    if ctx.period.is_calendar_year:
        y = str(ctx.period.start.year)
        for k, _l in order:
            s.same(t.cell_id(k, "reports"), tr.cell_id(y, k))
        s.same(TOTAL_ID, tr.cell_id(y, "total"))
    s.tables += [t, tr]
    s.charts += [Chart("05_origin", ("reports",), _("Reports by origin")),
                 Chart("05_trend", tuple(k for k, _l in order), _("Origin by year"))]
    return s


def malicious(ctx: Context, kinds: list[dict[str, Any]]) -> Section:
    s = Section(6, "malicious", _("Malicious incidents by kind, and ransomware extent"))
    kind_labels = L.choices(Case, "kind")
    order = [(k, lab) for k, lab in kind_labels if k in MALICIOUS_KINDS]
    counts: dict[str, int] = {}
    degraded: dict[str, int] = {}
    for r in kinds:
        key = r["case__kind"] if r["case__kind"] in MALICIOUS_KINDS else (
            "not_specified" if r["case__origin"] == "malicious" and not r["case__kind"]
            else None)
        if key:
            counts[key] = counts.get(key, 0) + r["n"]
            degraded[key] = degraded.get(key, 0) + r["degraded"]
    order.append(("not_specified", L.NOT_SPECIFIED))
    t = Table("06_kinds", _("Malicious incidents by kind"), [
        *_share_cols(), Column("degraded", L.COLUMNS["degraded"])])
    distribution(t, s, counts, order, None, sum(counts.values()), total_row=L.TOTAL,
                 extra={k: {"degraded": degraded.get(k, 0)} for k, _l in order})
    t.row("total").values["degraded"] = sum(degraded.values())
    s.group(t.cell_id("total", "degraded"), [t.cell_id(k, "degraded") for k, _l in order])
    for k, _l in [*order, ("total", None)]:
        s.at_most(t.cell_id(k, "degraded"), t.cell_id(k, "reports"))
    s.at_most(t.cell_id("total", "reports"), TOTAL_ID)
    ext = queries.ransomware_extent(ctx.qs)
    e = Table("06_ransomware_extent", _("Ransomware: extent at detection"), _share_cols())
    eorder = [*L.choices(Case, "ransomware_extent"), ("", L.NOT_SPECIFIED)]
    eorder = [(k or "not_specified", lab) for k, lab in eorder]
    ecounts = {(k or "not_specified"): v for k, v in ext.items()}
    distribution(e, s, ecounts, eorder, t.cell_id("ransomware", "reports"),
                 counts.get("ransomware", 0))
    s.tables += [t, e]
    s.charts += [Chart("06_kinds", ("reports",), _("Malicious incidents by kind"),
                       horizontal=True),
                 Chart("06_ransomware_extent", ("reports",), _("Ransomware extent"))]
    return s


def non_malicious(ctx: Context, kinds: list[dict[str, Any]]) -> Section:
    s = Section(7, "non_malicious", _("Non-malicious causes, and supplier incidents"))
    order = [(k, lab) for k, lab in L.choices(Case, "kind") if k not in MALICIOUS_KINDS]
    counts: dict[str, int] = {}
    for r in kinds:
        if r["case__kind"] and r["case__kind"] not in MALICIOUS_KINDS:
            counts[r["case__kind"]] = counts.get(r["case__kind"], 0) + r["n"]
        elif r["case__origin"] == "non_malicious" and not r["case__kind"]:
            counts["not_specified"] = counts.get("not_specified", 0) + r["n"]
    order.append(("not_specified", L.NOT_SPECIFIED))
    t = Table("07_kinds", _("Non-malicious incidents by cause"), _share_cols())
    distribution(t, s, counts, order, None, sum(counts.values()), total_row=L.TOTAL)
    s.at_most(t.cell_id("total", "reports"), TOTAL_ID)
    # malicious and non-malicious kinds are disjoint
    s.at_most([("06_kinds:total:reports", 1), (t.cell_id("total", "reports"), 1)], TOTAL_ID)
    rows = queries.suppliers(ctx.qs)
    sup = Table("07_suppliers", _("Incidents involving a supplier"),
                [Column("value", L.COLUMNS["value"])])
    named = [r for r in rows if r["skey"]]
    sup.rows = [
        Row("reports", _("Reports involving a supplier"),
            {"value": ctx.scalars["n_supplier_involved"]}),
        Row("suppliers", _("Distinct suppliers named"), {"value": len(named)}),
        Row("multi", _("Suppliers that reached 2 structures or more"),
            {"value": sum(1 for r in named if r["s"] >= 2)}),
    ]
    s.at_most(sup.cell_id("reports", "value"), TOTAL_ID)
    s.at_most(sup.cell_id("multi", "value"), sup.cell_id("suppliers", "value"))
    s.tables += [t, sup]
    if ctx.internal:
        by = Table("07_by_supplier", _("Supplier incidents by supplier (internal)"), [
            Column("reports", L.COLUMNS["reports"]),
            Column("structures", _("Structures reached"))], internal_only=True)
        for r in sorted(rows, key=lambda r: (-r["s"], -r["n"], r["skey"])):
            by.rows.append(Row(r["skey"] or "not_named", r["label"] or L.NOT_SPECIFIED,
                               {"reports": r["n"], "structures": r["s"]}))
        s.tables.append(by)
    s.charts.append(Chart("07_kinds", ("reports",), _("Non-malicious causes"),
                          horizontal=True))
    return s


def operations(ctx: Context) -> Section:
    s = Section(8, "operations", _("Impact on operations and on patient care"))
    sc = ctx.scalars
    order = [*L.choices(Report, "operations_impact"), ("unknown", L.NOT_SPECIFIED)]
    counts = {k: sc[f"ops_{k}"] for k, _l in order}
    t = Table("08_impact", _("Impact on operations"), _share_cols())
    distribution(t, s, counts, order, TOTAL_ID, ctx.total)
    care = Table("08_care", _("Patient care affected"), _share_cols())
    corder = L.choices(Report, "patient_care_affected")
    distribution(care, s, {k: sc[f"care_{k}"] for k, _l in corder}, corder, TOTAL_ID,
                 ctx.total)
    d = queries.duration_stats(ctx.qs, "degraded_since", "degraded_until",
                               domain.DURATION_BUCKETS)
    s.tables += [t, care, *_duration_tables("08_degraded", d, domain.DURATION_BUCKETS, s,
                                            _("Degraded-mode duration"))]
    s.charts += [Chart("08_impact", ("reports",), _("Impact on operations")),
                 Chart("08_degraded_duration", ("reports",), _("Degraded-mode duration"))]
    return s


BUCKET_LABELS = {
    "lt_1h": _("under 1 hour"), "1h_4h": _("1 to 4 hours"), "4h_24h": _("4 to 24 hours"),
    "lt_1d": _("under 1 day"), "1d_3d": _("1 to 3 days"), "3d_7d": _("3 to 7 days"),
    "7d_plus": _("7 days or more"), "1w_4w": _("1 to 4 weeks"), "4w_plus": _("4 weeks or more"),
}


def _duration_tables(prefix: str, d: dict[str, Any], buckets, s: Section,
                     caption: Any) -> list[Table]:
    stats = Table(f"{prefix}_stats", caption, [Column("value", L.COLUMNS["value"])])
    stats.rows = [
        Row("n", _("Reports with both dates"), {"value": d["n"]}),
        Row("mean_hours", _("Mean (hours)"), {"value": domain.hours(d["mean"])}),
        Row("median_hours", _("Median (hours)"), {"value": domain.hours(d["median"])}),
    ]
    for key in ("mean_hours", "median_hours"):
        s.derived[stats.cell_id(key, "value")] = (stats.cell_id("n", "value"),)
    s.at_most(stats.cell_id("n", "value"), TOTAL_ID)
    hist = Table(f"{prefix}_duration", caption, [Column("reports", L.COLUMNS["reports"])])
    distribution(hist, s, {k: d[k] for k, *_r in buckets},
                 [(k, BUCKET_LABELS[k]) for k, *_r in buckets], stats.cell_id("n", "value"),
                 None)
    return [stats, hist]

