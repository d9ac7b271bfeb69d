"""Background task of the observatory (Django's tasks API), run by `vigisante worker`."""

from __future__ import annotations

from django_tasks import task

from vigisante.observatory import services


@task()
def compute_snapshot(snapshot_id: int) -> str:
    """Compute a snapshot's report and store all of its files."""
    return services.compute_snapshot(snapshot_id)


@task()
def compute_and_publish(snapshot_id: int, admin_id: int) -> str:
    """The demo's publications: compute a draft, then publish it as the demo admin."""
    from django.utils import timezone

    from vigisante.accounts.models import User

    result = services.compute_snapshot(snapshot_id)
    admin = User.objects.filter(pk=admin_id).first()
    snap = services.snapshot_or_none(snapshot_id)
    if admin is None or snap is None or snap.is_published or snap.state != "done":
        return result
    services.publish(actor=admin, snapshot_id=snapshot_id, now=timezone.now())
    return "published"
