"""Small periodic jobs of the worker that belong to no feature."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from vigisante.core.models import Heartbeat


def purge_heartbeats(older_than: timedelta = timedelta(days=7)) -> int:
    """Forget the heartbeats of workers gone for a week (each worker run has its own id)."""
    deleted, _ = Heartbeat.objects.filter(at__lt=timezone.now() - older_than).delete()
    return deleted
