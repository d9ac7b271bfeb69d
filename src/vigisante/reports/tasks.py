"""Background tasks of reports (Django's tasks API, database backend), run by `vigisante worker`."""

from __future__ import annotations

from django_tasks import task

from vigisante.reports.notifications import send_report_received


@task()
def acknowledge_report(report_id: int) -> None:
    """Send the "report received" e-mails (author's receipt and CERT alert) of a new report."""
    send_report_received(report_id)
