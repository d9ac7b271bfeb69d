"""Background tasks of alerts, run by `vigisante worker`."""

from __future__ import annotations

from django_tasks import task

from vigisante.sharing import services


@task()
def email_alert(alert_id: int) -> None:
    """E-mail a sent alert to the reporters of the establishments it was delivered to."""
    services.email_alert(alert_id)
