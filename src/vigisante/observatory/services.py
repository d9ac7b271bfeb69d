"""Use cases of the observatory: build a report for a period and a source, internal or
public. Views, the API and the `observatory` command all go through `build_report`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

import vigisante
from vigisante.core.taxonomy import rsit
from vigisante.observatory import domain, external, queries, sector, sector_more, snapshot
from vigisante.observatory.tables import Section, apply_public, section_json
from vigisante.reports.models import Source

FORMAT_VERSION = 1
SOURCES = (Source.SECTOR, Source.VERIS, Source.HHS)


@dataclass
class ObservatoryReport:
    period: domain.Period
    source: str
    public: bool
    health_only: bool
    sections: list[Section]
    snapshot: str
    records: int
    meta: dict[str, Any] = field(default_factory=dict)

    def figures(self) -> dict[str, Any]:
        """Every number of every table, machine-readable (codes, not translated labels)."""
        return {"about": self.meta, "sections": [section_json(s) for s in self.sections]}


def time_zone() -> dt.tzinfo:
    return ZoneInfo(settings.TIME_ZONE)


def build_report(period: domain.Period, *, source: str = Source.SECTOR, public: bool = False,
                 health_only: bool = False) -> ObservatoryReport:
    """Compute every section of the report (a bounded number of aggregate queries)."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    tz = time_zone()
    qs = queries.reports_in(period, tz, source, health_only=health_only)
    ctx = sector.Context(period=period, tz=tz, source=source, internal=not public, qs=qs,
                         scalars=queries.scalars(qs), health_only=health_only)
    if source == Source.SECTOR:
        sections = _sector_sections(ctx)
    else:
        sections = external.build_sections(ctx)
    if public:
        apply_public(sections)
    digest, records = snapshot.snapshot(qs, source)
    report = ObservatoryReport(period, source, public, health_only, sections, digest, records)
    report.meta = _meta(report, tz)
    return report


def _sector_sections(ctx: sector.Context) -> list[Section]:
    kinds = queries.by_kind(ctx.qs)
    return [
        sector.totals(ctx), sector.structures(ctx), sector.categories(ctx),
        sector.regions(ctx), sector.origin(ctx, kinds), sector.malicious(ctx, kinds),
        sector.non_malicious(ctx, kinds), sector.operations(ctx),
        sector_more.patients(ctx), sector_more.data(ctx), sector_more.systems(ctx),
        sector_more.support(ctx), sector_more.detection(ctx), sector_more.clocks(ctx),
        sector_more.campaigns(ctx),
    ]


def _meta(report: ObservatoryReport, tz: dt.tzinfo) -> dict[str, Any]:
    prev = report.period.previous()
    meta: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "period": {"start": report.period.start.isoformat(),
                   "end": report.period.last.isoformat(),
                   "previous_start": prev.start.isoformat(),
                   "previous_end": prev.last.isoformat(),
                   "date": "received_at" if report.source == Source.SECTOR else "incident_date",
                   "time_zone": str(tz)},
        "source": report.source,
        "version": "public" if report.public else "internal",
        "snapshot": {"sha256": report.snapshot, "records": report.records},
        "taxonomy": {"name": "RSIT", "version": rsit().version},
        "software": {"name": "vigisante", "version": vigisante.__version__},
    }
    if report.health_only:
        meta["health_only"] = True
    if report.public:
        meta["suppression"] = {"threshold": domain.THRESHOLD, "primary": "< 5",
                               "secondary": "s"}
    return meta
