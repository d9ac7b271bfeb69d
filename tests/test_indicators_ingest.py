"""Ingestion: the reports services queue the indicators task; the worker stores and
correlates."""

from __future__ import annotations

import pytest
from django_tasks_db.models import DBTaskResult
from indicators_helpers import new_report

from vigisante.indicators.models import Campaign, Link
from vigisante.indicators.tasks import ingest_report_task
from vigisante.reports import services as report_services

pytestmark = pytest.mark.django_db


def test_each_change_of_a_report_queues_its_indicators(reporter_a, report_a):
    def queued():
        return DBTaskResult.objects.filter(task_path=ingest_report_task.module_path).count()

    assert queued() == 1
    report_services.add_update(actor=reporter_a, report_id=report_a.pk, text="news")
    report_services.save_notification(actor=reporter_a, report_id=report_a.pk,
                                      data={"supplier_involved": True, "supplier_name": "Acme"})
    assert queued() == 3


def test_the_worker_correlates_a_new_report(run_tasks):
    first = new_report(supplier_name="Acme Santé")
    second = new_report(supplier_name="ACME santé")
    run_tasks()
    assert Link.objects.filter(reason="supplier", report_a=first, report_b=second).exists()
    assert Campaign.objects.get().reports.count() == 2
