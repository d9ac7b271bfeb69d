"""Background work of TAXII, run by `vigisante worker`: publishing into the collections and
polling the subscriptions. `schedule_*` are periodic jobs (settings.PERIODIC_JOBS): they
queue the task unless one is already waiting."""

from __future__ import annotations

import logging

from django.db import transaction
from django_tasks import task
from django_tasks_db.models import DBTaskResult

log = logging.getLogger(__name__)


def _waiting(t) -> bool:
    return DBTaskResult.objects.filter(status="READY", task_path=t.module_path).exists()


@task()
def publish_task() -> None:
    """Bring every collection up to date with alerts, campaigns and confirmed indicators."""
    from vigisante.taxii import publication

    publication.publish()


@task()
def poll_task(subscription_id: int) -> None:
    from vigisante.taxii import client
    from vigisante.taxii.models import Subscription

    sub = Subscription.objects.filter(pk=subscription_id, enabled=True).first()
    if sub is not None:
        client.poll(sub)


def schedule_publication() -> None:
    if not _waiting(publish_task):
        publish_task.enqueue()


def publication_needed(**payload) -> None:
    """Event handler (alert sent, incoming intelligence accepted, indicator reviewed, added or
    found noisy, campaign changed): queue the publication once the change commits, unless one
    is already waiting (ten rejections in a row queue one publication). Never breaks the
    service that emitted the event."""
    def queue() -> None:
        try:
            schedule_publication()
        except Exception:  # noqa: BLE001 - the periodic job catches up
            log.exception("could not queue the TAXII publication")

    transaction.on_commit(queue)


def schedule_polls() -> None:
    from vigisante.taxii import client

    subs = client.due()
    if subs and not _waiting(poll_task):
        for sub in subs:
            poll_task.enqueue(sub.pk)
