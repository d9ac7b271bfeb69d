"""Sections 9-15 of the sector's observatory: patient danger, data impact, services
disrupted, support, detection, regulatory clocks, campaigns."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from vigisante.establishments.models import Category
from vigisante.observatory import domain, queries
from vigisante.observatory import labels as L
from vigisante.observatory.sector import TOTAL_ID, Context, _duration_tables, _share_cols
from vigisante.observatory.tables import LABEL, SHARE, TEXT, Chart, Column, Row, Section, Table
from vigisante.observatory.tables import distribution as dist
from vigisante.reports.models import Report, System
from vigisante.triage.models import Case


def patients(ctx: Context) -> Section:
    s = Section(9, "patients", _("Danger to patients: potential and actual"))
    order = [*L.choices(Report, "patient_danger"), ("unknown", L.NOT_SPECIFIED)]
    t = Table("09_danger", _("Danger to patients"), _share_cols())
    dist(t, s, {k: ctx.scalars[f"danger_{k}"] for k, _l in order}, order, TOTAL_ID, ctx.total)
    s.tables.append(t)
    if ctx.internal:
        n = Table("09_narratives", _("What happened to patients (anonymised, internal)"), [
            Column("danger", _("Danger"), LABEL, dict(L.choices(Report, "patient_danger"))),
            Column("category", L.COLUMNS["category"], LABEL, dict(Category.choices)),
            Column("narrative", _("Narrative"), TEXT)], internal_only=True)
        for i, r in enumerate(queries.narratives(ctx.qs), start=1):
            names = (r["establishment__name"], r["establishment__finess"], r["supplier_name"],
                     r["supplier__name"], r["callback_phone"])
            n.rows.append(Row(f"n{i}", str(i), {
                "danger": r["patient_danger"], "category": r["establishment__category"],
                "narrative": domain.anonymise(r["patient_danger_narrative"], names)}))
        s.tables.append(n)
    else:
        s.notes.append(_("The public version shows no narratives."))
    s.charts.append(Chart("09_danger", ("reports",), _("Danger to patients")))
    return s


def data(ctx: Context) -> Section:
    s = Section(10, "data", _("Impact on data: availability, integrity, confidentiality"))
    sc = ctx.scalars
    t = Table("10_data", _("Reports with an impact on data"), _share_cols())
    order = [("availability", _("Availability")), ("integrity", _("Integrity")),
             ("confidentiality", _("Confidentiality")), ("any", _("At least one of them")),
             ("none", _("No impact on data"))]
    for key, label in order:
        n = sc[f"impact_{key}"]
        t.rows.append(Row(key, label, {"reports": n, "share": domain.share(n, ctx.total)},
                          total=key == "any"))
        s.derived[t.cell_id(key, "share")] = (t.cell_id(key, "reports"), TOTAL_ID)
    s.group(TOTAL_ID, [t.cell_id("any", "reports"), t.cell_id("none", "reports")])
    d = Table("10_disclosure", _("Disclosures"), _share_cols())
    for key, label, n in (
            ("disclosed", _("Data disclosed (confidentiality)"), sc["impact_confidentiality"]),
            ("personal", _("Personal data disclosed"), sc["disclosed_personal"]),
            ("health", _("Health data disclosed"), sc["disclosed_health"]),
            ("dpa_notified", _("Data-protection authority notified"), sc["dpa_notified"])):
        d.rows.append(Row(key, label, {"reports": n, "share": domain.share(n, ctx.total)}))
        s.derived[d.cell_id(key, "share")] = (d.cell_id(key, "reports"), TOTAL_ID)
    s.same(t.cell_id("confidentiality", "reports"), d.cell_id("disclosed", "reports"))
    r = Table("10_records", _("Records and people affected"),
              [Column("value", L.COLUMNS["value"])])
    r.rows = [
        Row("records_known", _("Reports giving the number of records"),
            {"value": sc["records_known"]}),
        Row("records_total", _("Records affected (sum)"), {"value": sc["records_sum"] or 0}),
        Row("people_known", _("Reports giving the number of people"),
            {"value": sc["people_known"]}),
        Row("people_total", _("People affected (sum)"), {"value": sc["people_sum"] or 0}),
    ]
    s.derived[r.cell_id("records_total", "value")] = (r.cell_id("records_known", "value"),)
    s.derived[r.cell_id("people_total", "value")] = (r.cell_id("people_known", "value"),)
    s.tables += [t, d, r]
    s.charts.append(Chart("10_data", ("reports",), _("Impact on data"), horizontal=True))
    return s


def systems(ctx: Context) -> Section:
    s = Section(11, "systems", _("Services disrupted"))
    counts = queries.systems_hit(ctx.qs)
    order = list(System.choices)
    order += sorted((k, k) for k in counts if k not in dict(order))
    t = Table("11_systems", _("Reports by system hit (a report can name several)"),
              _share_cols())
    for key, label in order:
        n = counts.get(key, 0)
        t.rows.append(Row(key, label, {"reports": n, "share": domain.share(n, ctx.total)}))
        s.derived[t.cell_id(key, "share")] = (t.cell_id(key, "reports"), TOTAL_ID)
    s.tables.append(t)
    s.charts.append(Chart("11_systems", ("reports",), _("Services disrupted"),
                          horizontal=True))
    return s


def support(ctx: Context) -> Section:
    s = Section(12, "support", _("Support: requests, interventions, out of hours, escalations"))
    sp = queries.supports(ctx.qs)
    t = Table("12_support", _("Support given by the CERT"),
              [Column("value", L.COLUMNS["value"])])
    rows: list[tuple[str, Any, int, bool]] = [
        ("requested", _("Reports asking for support"), ctx.scalars["n_support_requested"], False),
        ("supported_cases", _("Reports supported"), sp["supported_cases"], False),
        ("supports", _("Support actions"), sp["supports"], True),
        ("remote_advice", _("Remote advice"), sp["remote_advice"], False),
        ("technical_help", _("Technical help"), sp["technical_help"], False),
        ("on_site", _("On-site interventions"), sp["on_site"], False),
        ("escalation", _("Escalations to the national agency (ANSSI)"), sp["escalation"],
         False),
        ("interventions", _("Technical interventions (technical help and on site)"),
         sp["technical_help"] + sp["on_site"], True),
        ("technical_structures", _("Structures given technical support"),
         sp["technical_structures"], False),
        ("out_of_hours", _("Support actions out of hours"), sp["ooh"], False),
        ("out_of_hours_cases", _("Reports supported out of hours"), sp["ooh_cases"],
         False),
        ("escalated_cases", _("Reports escalated"), sp["escalated_cases"], False),
    ]
    t.rows = [Row(k, lab, {"value": v}, total=tot) for k, lab, v, tot in rows]
    s.group(t.cell_id("supports", "value"), [t.cell_id(k, "value") for k in (
        "remote_advice", "technical_help", "on_site", "escalation")])
    s.group(t.cell_id("interventions", "value"),
            [t.cell_id(k, "value") for k in ("technical_help", "on_site")])
    s.tables.append(t)
    s.notes.append(_("Alerts sent to establishments are not available yet (the sharing "
                     "module does not exist yet)."))
    s.charts.append(Chart("12_support", ("value",), _("Support given"), horizontal=True))
    return s


def detection(ctx: Context) -> Section:
    s = Section(13, "detection", _("Detection: source, stage, and delay before reporting"))
    rows = queries.detection(ctx.qs)
    src: dict[str, int] = {}
    stage: dict[str, int] = {}
    for r in rows:
        a = r["case__detection_source"] or "not_specified"
        b = r["case__detection_stage"] or "not_specified"
        src[a] = src.get(a, 0) + r["n"]
        stage[b] = stage.get(b, 0) + r["n"]
    t = Table("13_source", _("Who detected the incident"), _share_cols())
    dist(t, s, src, [*L.choices(Case, "detection_source"), ("not_specified", L.NOT_SPECIFIED)],
         TOTAL_ID, ctx.total)
    st = Table("13_stage", _("Stage of the attack when detected"), _share_cols())
    dist(st, s, stage, [*L.choices(Case, "detection_stage"),
                        ("not_specified", L.NOT_SPECIFIED)], TOTAL_ID, ctx.total)
    d = queries.duration_stats(ctx.qs, "discovered_at", "created_at", domain.DELAY_BUCKETS)
    s.tables += [t, st, *_duration_tables("13_delay", d, domain.DELAY_BUCKETS, s,
                                          _("Delay from detection to report"))]
    s.charts += [Chart("13_source", ("reports",), _("Detection source"), horizontal=True),
                 Chart("13_delay_duration", ("reports",), _("Delay from detection to report"))]
    return s


CLOCK_STATES = [("done_on_time", _("On time")), ("done_late", _("Late")),
                ("due", _("Still due")), ("not_applicable", _("Not applicable"))]


def clocks(ctx: Context) -> Section:
    s = Section(14, "clocks", _("Compliance: clocks met on time, per regime"))
    rows = queries.clocks(ctx.qs)
    if rows is None:
        s.available = False
        s.notes.append(_("Regulatory clocks are not available in this installation."))
        return s
    model = queries.clock_model()
    field = model._meta.get_field("regime")
    regimes = [(k, v) for k, v in (field.choices or []) if k]
    found = sorted({r["regime"] for r in rows} - {k for k, _v in regimes})
    regimes += [(k, k) for k in found]
    counts: dict[tuple[str, str], int] = {(r["regime"], r["state"]): r["n"] for r in rows}
    t = Table("14_clocks", _("Clocks by regime and outcome"), [
        *[Column(k, lab) for k, lab in CLOCK_STATES], Column("total", L.TOTAL),
        Column("on_time_share", _("Share met on time"), SHARE)])
    for regime, label in regimes:
        values = {k: counts.get((regime, k), 0) for k, _l in CLOCK_STATES}
        values["total"] = sum(values[k] for k, _l in CLOCK_STATES)
        done = values["done_on_time"] + values["done_late"]
        values["on_time_share"] = domain.share(values["done_on_time"], done)
        t.rows.append(Row(regime, label, values))
        s.group(t.cell_id(regime, "total"), [t.cell_id(regime, k) for k, _l in CLOCK_STATES])
        s.derived[t.cell_id(regime, "on_time_share")] = (
            t.cell_id(regime, "done_on_time"), t.cell_id(regime, "done_late"))
    s.tables.append(t)
    s.notes.append(_("Share met on time = clocks done on time / clocks done (on time or "
                     "late); clocks still due are not counted in it."))
    s.charts.append(Chart("14_clocks", ("on_time_share",), _("Share of clocks met on time"),
                          horizontal=True, percent=True))
    return s


def campaigns(ctx: Context) -> Section:
    """Campaigns confirmed by the CERT with reports of the period from two establishments or
    more: one aggregate query (reports, establishments and regions counted in the database)."""
    from django.db.models import Count, Min

    from vigisante.indicators.models import CampaignReport, CampaignStatus

    s = Section(15, "campaigns", _("Campaigns that hit several establishments"))
    rows = list(
        CampaignReport.objects.filter(
            report__in=ctx.qs.values("pk"),
            campaign__status__in=(CampaignStatus.CONFIRMED, CampaignStatus.CLOSED))
        .values("campaign_id", "campaign__name")
        .annotate(reports=Count("report_id", distinct=True),
                  establishments=Count("report__establishment_id", distinct=True),
                  regions=Count("report__establishment__region", distinct=True),
                  first=Min("report__created_at"))
        .filter(establishments__gte=2).order_by("first", "campaign_id"))
    t = Table("15_campaigns", _("Campaigns confirmed by the CERT, reports of the period"), [
        Column("establishments", _("Establishments hit")), Column("reports", L.COLUMNS["reports"]),
        Column("regions", _("Regions"))])
    for i, r in enumerate(rows, start=1):
        label = r["campaign__name"] if ctx.internal and r["campaign__name"] else \
            _("Campaign %(n)d") % {"n": i}
        t.rows.append(Row(f"c{i}", label, {k: r[k] for k in ("establishments", "reports",
                                                            "regions")}))
    s.tables.append(t)
    s.notes.append(_("Linked by the CERT from shared indicators, a shared supplier or the same "
                     "kind of incident on the same system, then confirmed by an analyst; one row "
                     "per campaign."))
    return s
