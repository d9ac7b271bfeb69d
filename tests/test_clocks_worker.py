"""Reminders fire with nobody doing anything: the scan is enqueued and executed by the real
django-tasks-db worker (committed transactions, as in production), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_user
from django.core import mail
from django.core.management import call_command
from django.forms.models import model_to_dict
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from vigisante.accounts.models import Role, User
from vigisante.clocks import worker as worker_module
from vigisante.clocks.models import Clock, ClockReminder
from vigisante.clocks.tasks import recompute_establishment, scan_clocks
from vigisante.clocks.worker import ClockWorker
from vigisante.establishments.forms import EstablishmentForm
from vigisante.establishments.models import Establishment
from vigisante.reports import services as report_services
from vigisante.reports.models import Report

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gdpr_due_soon(reporter_a, analyst, early_warning_data):
    """A report whose GDPR clock (72 h to the CNIL) passes in about one hour."""
    early_warning_data["discovered_at"] = timezone.now() - dt.timedelta(hours=71)
    report = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    report_services.save_notification(actor=reporter_a, report_id=report.pk,
                                      data={"personal_data": True})
    clock = Clock.objects.get(report=report, regime="gdpr_breach")
    assert clock.state == "due"
    assert dt.timedelta(0) < clock.due_at - timezone.now() < dt.timedelta(hours=2)
    return report


def _reminders() -> list:
    return [m for m in mail.outbox if "Échéance" in m.subject]


def test_worker_batch_sends_the_reminders_once(gdpr_due_soon, reporter_a, analyst):
    mail.outbox.clear()
    call_command("worker", "--batch")
    sent = _reminders()
    gdpr = [m for m in sent if "CNIL" in m.subject]
    assert sorted(m.to[0] for m in gdpr) == sorted([reporter_a.email, analyst.email])
    assert all(m.subject.startswith("[Vigisanté] Échéance proche") for m in gdpr)
    # the scan really went through the task queue and the db worker
    runs = DBTaskResult.objects.filter(task_path=scan_clocks.module_path)
    assert [r.status for r in runs] == ["SUCCESSFUL"]
    assert runs[0].return_value["reminders"] >= 1
    count = len(mail.outbox)

    call_command("worker", "--batch")
    assert len(mail.outbox) == count  # not again
    assert DBTaskResult.objects.filter(task_path=scan_clocks.module_path,
                                       status="SUCCESSFUL").count() == 2
    assert ClockReminder.objects.filter(sent_at__isnull=False).count() >= 1


def test_worker_loop_schedules_scans_by_itself(gdpr_due_soon, reporter_a):
    mail.outbox.clear()
    worker = ClockWorker(interval=0, scan_every=0)
    worker.run(iterations=3)
    assert DBTaskResult.objects.filter(task_path=scan_clocks.module_path,
                                       status="SUCCESSFUL").count() == 3
    gdpr = [m for m in _reminders() if "CNIL" in m.subject]
    assert len([m for m in gdpr if m.to == [reporter_a.email]]) == 1

    # the deadline passes: one "overdue" reminder, then nothing more
    Report.objects.filter(pk=gdpr_due_soon.pk).update(
        discovered_at=timezone.now() - dt.timedelta(hours=72, minutes=5))
    mail.outbox.clear()
    ClockWorker(interval=0, scan_every=0).run(iterations=2)
    overdue = [m for m in mail.outbox if "CNIL" in m.subject]
    assert {m.to[0] for m in overdue} >= {reporter_a.email}
    assert all("Échéance dépassée" in m.subject for m in overdue)
    assert len([m for m in overdue if m.to == [reporter_a.email]]) == 1


def _insurance(report) -> str:
    return Clock.objects.get(report=report, regime="insurance_complaint").state


def _establishment_tasks() -> list:
    return list(DBTaskResult.objects.filter(task_path=recompute_establishment.module_path))


def test_an_establishment_change_is_recomputed_by_the_worker_not_the_request(
        reporter_a, est_a, early_warning_data, client_for, run_tasks):
    report = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    assert _insurance(report) == "not_applicable"  # not insured
    admin = make_user("root@example.org", Role.ADMIN)
    User.objects.filter(pk=admin.pk).update(is_staff=True, is_superuser=True)
    admin.refresh_from_db()
    data = {name: value for name, value in model_to_dict(est_a, fields=EstablishmentForm.Meta
                                                           .fields).items() if value}
    data.update({"insured": "on", "supplier_uses-TOTAL_FORMS": "0",
                 "supplier_uses-INITIAL_FORMS": "0"})
    response = client_for(admin).post(
        reverse("admin:establishments_establishment_change", args=[est_a.pk]), data)
    assert response.status_code == 302
    assert Establishment.objects.get(pk=est_a.pk).insured
    # the request only queued one task: the report's clocks are not recomputed yet
    assert _insurance(report) == "not_applicable"
    assert [t.status for t in _establishment_tasks()] == ["READY"]
    run_tasks()
    assert _insurance(report) == "due"
    assert [(t.status, t.return_value) for t in _establishment_tasks()] == [("SUCCESSFUL", 1)]


def test_an_import_that_changes_an_establishment_queues_its_recompute(
        tmp_path, reporter_a, est_a, est_b, early_warning_data, run_tasks):
    report = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    path = tmp_path / "registry.csv"
    columns = ["finess", "name", "category", "sector", "legal_status", "departement", "region",
               "nis2_status"]
    rows = [[str(getattr(e, c)) for c in columns] for e in (est_a, est_b)]
    rows[0].append("1")  # est_a becomes insured
    rows[1][1] += " (renamed)"
    rows[1].append("")
    path.write_text("\n".join(",".join(r) for r in [[*columns, "insured"], *rows]) + "\n",
                    encoding="utf-8")
    call_command("import_establishments", str(path))
    assert _insurance(report) == "not_applicable"
    # est_b changed too, but has no open report: no task for it
    assert [t.args_kwargs["args"] for t in _establishment_tasks()] == [[est_a.pk]]
    run_tasks()
    assert _insurance(report) == "due"


def test_scan_is_not_queued_twice():
    worker = ClockWorker(interval=0, scan_every=60)
    assert worker.enqueue_scan() is True
    assert worker.enqueue_scan() is False  # one already waiting
    worker.drain()
    assert worker.enqueue_scan() is True


def test_start_in_process_runs_until_stopped(gdpr_due_soon, reporter_a):
    mail.outbox.clear()
    worker = worker_module.start_in_process(interval=0.05, scan_every=0.05)
    try:
        assert worker_module.start_in_process() is worker  # idempotent
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("CNIL" in m.subject for m in mail.outbox):
            time.sleep(0.05)
    finally:
        worker_module.stop_in_process()
    assert worker.stopped
    assert any("CNIL" in m.subject and m.to == [reporter_a.email] for m in mail.outbox)


def test_iterations_must_be_positive():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("worker", "--iterations", "0")


@pytest.mark.skipif(os.environ.get("VIGISANTE_DATABASE_URL", "").startswith("postgres"),
                    reason="the subprocess gets its own SQLite database")
def test_vigisante_worker_stops_cleanly_on_sigterm(tmp_path: Path):
    env = {**os.environ, "VIGISANTE_DATA_DIR": str(tmp_path),
           "VIGISANTE_SECRET_KEY": "test-only", "DJANGO_SETTINGS_MODULE":
           "vigisante.config.settings", "VIGISANTE_EMAIL_BACKEND": "locmem"}
    env.pop("VIGISANTE_DATABASE_URL", None)
    cli = [sys.executable, "-m", "vigisante.cli"]
    subprocess.run([*cli, "migrate", "-v", "0"], env=env, check=True, timeout=300)
    proc = subprocess.Popen([*cli, "worker", "--interval", "0.1"], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdout.readline().startswith("worker: running")
        time.sleep(0.5)
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "SIGTERM received" in err and "worker: stopped" in out
