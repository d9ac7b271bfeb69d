"""Background tasks of indicators (django-tasks, database backend), run by `vigisante worker`."""

from __future__ import annotations

from django_tasks import task


@task()
def ingest_report_task(report_id: int) -> None:
    """Extract, store and correlate the indicators of one report."""
    from vigisante.indicators import services
    from vigisante.reports.models import Report

    if Report.objects.filter(pk=report_id).exists():
        services.ingest_report(report_id)


@task()
def rebuild_task(run_id: int) -> str:
    """Recompute every link and proposal (a rebuild queued from the page)."""
    from vigisante.indicators import services

    return services.run_rebuild(run_id).state
