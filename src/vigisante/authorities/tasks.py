"""Background tasks of the chain of authorities, run by `vigisante worker`."""

from __future__ import annotations

from django_tasks import task

from vigisante.authorities import services

#: Ahead of the other tasks (indicator extraction, e-mails): telling the authorities "without
#: delay" is a regulatory obligation with its own clock.
PRIORITY = 50


@task(priority=PRIORITY)
def deliver_report(report_id: int) -> int:
    """Send the pending transmissions of a report (each once, whatever the workers)."""
    return services.deliver(report_id=report_id)
