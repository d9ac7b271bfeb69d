"""Helpers of the indicators tests: reports of several establishments, stored sightings."""

from __future__ import annotations

from conftest import make_establishment, make_user
from django.utils import timezone

from vigisante.indicators import services
from vigisante.indicators.models import Indicator, SightingSource
from vigisante.reports import services as report_services
from vigisante.reports.models import Report
from vigisante.triage.models import Case

_counter = iter(range(1, 10_000))


def new_report(est=None, *, days_ago: float = 0, description="Incident", **fields) -> Report:
    """A sector report of `est` (a new establishment if None), received `days_ago` days ago."""
    n = next(_counter)
    if est is None:
        est = make_establishment(f"75{n:07d}", f"Établissement {n} (synthetic)")
    user = est.memberships.first().user if est.memberships.exists() else make_user(
        f"rep{n}@hopital{n}.example.org", establishments=[est])
    report = report_services.create_early_warning(actor=user, data=dict(
        establishment=est, description=description,
        discovered_at=timezone.now() - timezone.timedelta(days=days_ago, hours=1)))
    at = timezone.now() - timezone.timedelta(days=days_ago)
    Report.objects.filter(pk=report.pk).update(created_at=at, **fields)
    report.refresh_from_db()
    return report


def qualify(report: Report, kind: str, systems: list[str]) -> None:
    Report.objects.filter(pk=report.pk).update(systems_hit=systems)
    Case.objects.filter(report=report).update(kind=kind)


def sight(report: Report, *values: tuple[str, str], status: str = "pending") -> list[Indicator]:
    """Store sightings of (type, value) in a report as ingestion would (no correlation)."""
    now = timezone.now()
    ids = services._store(report, {v: (SightingSource.REPORT, None) for v in values}, now)
    if status != "pending":
        Indicator.objects.filter(pk__in=ids).update(status=status)
    return list(Indicator.objects.filter(pk__in=ids))
