"""Background tasks (Django's tasks API, database backend), run by `vigisante worker`."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from vigisante.clocks import services


@task()
def scan_clocks() -> dict[str, int]:
    """Send the reminders that fall due: before a deadline and when it passes."""
    return services.scan_and_remind(now=timezone.now(), worker="scan_clocks")


@task()
def recompute_establishment(establishment_id: int) -> int:
    """The clocks of an establishment's open reports, after its NIS2 status or insurance
    changed (queued by `services.on_establishment_changed`)."""
    return services.recompute_for_establishment(establishment_id)
