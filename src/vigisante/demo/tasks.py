"""Background task of the demo (Django's tasks API), run by the demo's worker."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from vigisante.accounts.models import User
from vigisante.observatory import services


@task()
def compute_and_publish(snapshot_id: int, admin_id: int) -> str:
    """The demo's publications: compute a draft, then publish it as the demo admin."""
    result = services.compute_snapshot(snapshot_id)
    admin = User.objects.filter(pk=admin_id).first()
    snap = services.snapshot_or_none(snapshot_id)
    if admin is None or snap is None or snap.is_published or snap.state != "done":
        return result
    services.publish(actor=admin, snapshot_id=snapshot_id, now=timezone.now())
    return "published"
