"""Keep the clocks in step: recompute a report's clocks whenever it, its case or its
establishment is saved (inside the same transaction, so the audit trail sees it too)."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

from vigisante.clocks import services
from vigisante.establishments.models import Establishment
from vigisante.reports.models import Report
from vigisante.triage.models import Case


def _touches(update_fields, relevant: frozenset[str]) -> bool:
    return update_fields is None or bool(set(update_fields) & relevant)


@receiver(post_save, sender=Report, dispatch_uid="clocks.report_saved")
def report_saved(sender, instance: Report, created: bool = False, raw: bool = False,
                 update_fields=None, **kwargs) -> None:
    if raw or not services.has_clocks(instance):
        return
    if created:
        services.create_for_new_report(instance)
    elif _touches(update_fields, services.REPORT_FIELDS):
        services.recompute(instance)


@receiver(post_save, sender=Case, dispatch_uid="clocks.case_saved")
def case_saved(sender, instance: Case, created: bool, raw: bool = False, update_fields=None,
               **kwargs) -> None:
    # A new case has no qualification yet: the report's own save derives the clocks.
    if raw or created:
        return
    if _touches(update_fields, services.CASE_FIELDS):
        services.recompute(instance.report_id, case=instance)


@receiver(post_save, sender=Establishment, dispatch_uid="clocks.establishment_saved")
def establishment_saved(sender, instance: Establishment, created: bool, raw: bool = False,
                        update_fields=None, **kwargs) -> None:
    if raw or created:
        return
    if _touches(update_fields, frozenset({"nis2_status", "insured"})):
        services.recompute_for_establishment(instance.pk)
