"""Every sector report gets its triage case the moment it is created."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from vigisante.reports.models import Report, Source
from vigisante.triage.models import Case


@receiver(post_save, sender=Report, dispatch_uid="triage.case_for_new_report")
def create_case(sender, instance: Report, created: bool, raw: bool = False, **kwargs) -> None:
    """Open the case of a new sector report (imports of VERIS/HHS records get none)."""
    if raw or not created or instance.source != Source.SECTOR:
        return
    # The report row was inserted just now in this transaction: no case can exist for it yet
    # (the one-to-one still guarantees one case at most). Creating it also caches it on
    # `instance.case`, which the clocks receiver then reads without a query.
    Case.objects.create(report=instance, state_changed_at=instance.created_at)
