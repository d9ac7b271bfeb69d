"""Background task of the observatory (Django's tasks API), run by `vigisante worker`."""

from __future__ import annotations

from django_tasks import task

from vigisante.observatory import services


@task()
def compute_snapshot(snapshot_id: int) -> str:
    """Compute a snapshot's report and store all of its files."""
    return services.compute_snapshot(snapshot_id)
