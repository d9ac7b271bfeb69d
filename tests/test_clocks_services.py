"""Clocks on the real database: derived when a report or its case changes, audited, shown,
served by the API, and reminders sent once (the scan called directly; the worker is in
test_clocks_worker)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import api_client_for, html
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from vigisante.clocks import services
from vigisante.clocks.models import Clock, ClockReminder, ClockState, Regime
from vigisante.core import audit, taxonomy
from vigisante.core.models import AuditEvent
from vigisante.reports import services as report_services
from vigisante.reports.models import Report, Source
from vigisante.triage import services as triage
from vigisante.triage.models import Case

pytestmark = pytest.mark.django_db


def clocks(report) -> dict[str, Clock]:
    return {c.regime: c for c in Clock.objects.filter(report=report)}


@pytest.fixture
def report(reporter_a, early_warning_data):
    return report_services.create_early_warning(actor=reporter_a, data=early_warning_data)


def test_a_new_report_gets_its_six_clocks(report):
    got = clocks(report)
    assert set(got) == set(Regime.values)
    assert got[Regime.CERT_RESOLUTION].state == ClockState.DUE
    assert got[Regime.GDPR_BREACH].state == ClockState.DUE  # may apply: the data are unknown
    assert got[Regime.GDPR_BREACH].may_apply
    # establishment A is an essential entity; ransom screens on care: significant
    assert got[Regime.NIS2_EARLY_WARNING].state == ClockState.DONE_ON_TIME
    assert got[Regime.NIS2_NOTIFICATION].state == ClockState.DUE
    assert got[Regime.NIS2_NOTIFICATION].due_at == report.discovered_at + dt.timedelta(hours=72)
    assert got[Regime.INSURANCE_COMPLAINT].na_reason  # not insured
    for regime, clock in got.items():
        if regime != Regime.NIS2_FINAL:  # runs from the notification (or its deadline)
            assert clock.starts_at == report.discovered_at


def test_imported_records_get_no_clocks(est_a):
    imported = Report.objects.create(
        reference="VERIS-9", source=Source.VERIS, source_id="v9", channel="import",
        created_at=timezone.now(), description="imported", discovered_at=timezone.now())
    assert not Clock.objects.filter(report=imported).exists()


def test_recompute_is_idempotent(report):
    before = AuditEvent.objects.count()
    first = [(c.regime, c.state, c.due_at) for c in services.recompute(report.pk)]
    second = [(c.regime, c.state, c.due_at) for c in services.recompute(report.pk)]
    assert first == second and len(first) == 6
    assert Clock.objects.filter(report=report).count() == 6
    assert AuditEvent.objects.count() == before


def test_facts_recorded_close_clocks_and_each_change_is_audited(report, reporter_a):
    today = timezone.localdate()
    report_services.save_notification(
        actor=reporter_a, report_id=report.pk, complete=True,
        data={"operations_impact": "degraded", "degraded_since": report.discovered_at,
              "personal_data": True, "health_data": True, "dpa_notified_on": today})
    got = clocks(report)
    assert got[Regime.GDPR_BREACH].state == ClockState.DONE_ON_TIME
    assert got[Regime.NIS2_NOTIFICATION].state == ClockState.DONE_ON_TIME
    assert got[Regime.NIS2_FINAL].state == ClockState.DUE
    changes = AuditEvent.objects.filter(action="clock.state_changed", object_id=str(report.pk))
    assert {e.after["regime"] for e in changes} == {"gdpr_breach", "nis2_notification"}
    gdpr = next(e for e in changes if e.after["regime"] == "gdpr_breach")
    assert gdpr.before["state"] == "due" and gdpr.after["state"] == "done_on_time"
    assert gdpr.actor_repr == "system"
    report_services.save_final(actor=reporter_a, report_id=report.pk, complete=True,
                               data={"root_cause": "VPN", "resolved_at": timezone.now()})
    got = clocks(report)
    assert got[Regime.NIS2_FINAL].state == ClockState.DONE_ON_TIME
    assert got[Regime.CERT_RESOLUTION].state == ClockState.DONE_ON_TIME
    assert audit.verify().ok


def test_a_deadline_met_by_a_date_shows_the_day_not_midnight(report, reporter_a, client_for):
    """The CNIL notified "on" a day has no hour: the panel says the day (issue 10, item 10),
    while a deadline met by a timed act (the NIS2 notification) keeps its time."""
    today = timezone.localdate()
    report_services.save_notification(
        actor=reporter_a, report_id=report.pk, complete=True,
        data={"operations_impact": "degraded", "degraded_since": report.discovered_at,
              "personal_data": True, "health_data": True, "dpa_notified_on": today})
    page = html(client_for(reporter_a).get(reverse("reports:detail", args=[report.pk]),
                                           HTTP_ACCEPT_LANGUAGE="fr"))
    gdpr = page.select_one('li.clock[data-regime="gdpr_breach"] .clock-left').get_text(
        " ", strip=True)
    assert gdpr.endswith(today.strftime("%d/%m/%Y")), gdpr
    nis2 = page.select_one('li.clock[data-regime="nis2_notification"] .clock-left').get_text(
        " ", strip=True)
    assert ":" in nis2.split()[-1], nis2  # an hour, HH:MM


def test_qualification_as_minor_makes_nis2_not_applicable(report, analyst):
    # the triage service calls the clocks explicitly when the case's facts change
    kind = next(k for k in taxonomy.kinds_of("non_malicious")
                if taxonomy.origin_of(k) == "non_malicious")
    triage.qualify(actor=analyst, report_id=report.pk, origin="non_malicious", kind=kind,
                   severity="minor", comment="a test, nothing more")
    got = clocks(report)
    assert got[Regime.NIS2_NOTIFICATION].state == ClockState.NOT_APPLICABLE
    assert "minor" in got[Regime.NIS2_NOTIFICATION].na_reason
    # a change of unrelated columns (the assignee) does not recompute
    Clock.objects.filter(report=report).update(state="due")
    triage.assign(actor=analyst, report_id=report.pk, assignee=analyst.pk)
    assert clocks(report)[Regime.NIS2_NOTIFICATION].state == ClockState.DUE
    # the clocks read the case through the reader triage registered (scan, backfill...)
    services.recompute(report.pk)
    assert clocks(report)[Regime.NIS2_NOTIFICATION].state == ClockState.NOT_APPLICABLE


def test_a_saved_establishment_no_longer_recomputes_in_the_save(report, est_a):
    # no save signal does cross-app work: the admin and the importer emit
    # `establishment.changed`, and the worker recomputes (see test_clocks_worker)
    est_a.insured = True
    est_a.save()
    assert clocks(report)[Regime.INSURANCE_COMPLAINT].state == ClockState.NOT_APPLICABLE
    services.recompute_for_establishment(est_a.pk)
    assert clocks(report)[Regime.INSURANCE_COMPLAINT].state == ClockState.DUE
    Report.objects.filter(pk=report.pk).update(complaint_filed_on=timezone.localdate())
    services.recompute(report.pk)
    assert clocks(report)[Regime.INSURANCE_COMPLAINT].state == ClockState.DONE_ON_TIME


def test_backfill_command(report):
    Clock.objects.all().delete()
    call_command("clocks", "recompute", "--missing")
    assert Clock.objects.filter(report=report).count() == 6


# --- display ---------------------------------------------------------------------------------

def test_report_page_shows_the_clocks_panel(report, reporter_a, client_for):
    page = html(client_for(reporter_a).get(reverse("reports:detail", args=[report.pk])))
    rows = page.select("section#clocks li.clock")
    assert {r["data-regime"] for r in rows} == {"nis2_early_warning", "nis2_notification",
                                                 "nis2_final", "cert_resolution",
                                                 "gdpr_breach"}
    # Early warning: the GDPR clock "may apply", its 72 h running (issue 10, item 1).
    gdpr = page.select_one('li.clock[data-regime="gdpr_breach"]')
    assert gdpr["data-may-apply"] == "1" and gdpr.select_one(".clock-due time")
    assert gdpr.select_one(".clock-condition")
    due = page.select_one('li.clock[data-regime="nis2_notification"]')
    assert due["data-state"] == "due"
    assert due.select_one(".clock-due time")["datetime"].endswith(("+01:00", "+02:00"))
    assert due.select_one(".clock-left").get_text(strip=True)
    na = page.select("section#clocks details.clocks-na li")
    assert {li["data-regime"] for li in na} == {"insurance_complaint"}


def test_analyst_sees_the_same_panel_with_overdue_marked(report, analyst, client_for):
    Report.objects.filter(pk=report.pk).update(
        discovered_at=timezone.now() - dt.timedelta(hours=80))
    services.recompute(report.pk)
    page = html(client_for(analyst).get(reverse("reports:detail", args=[report.pk])))
    row = page.select_one('section#clocks li.clock[data-regime="nis2_notification"]')
    assert row.get("data-overdue") == "1"
    assert row.select_one(".badge.danger")


# --- API -------------------------------------------------------------------------------------

def test_api_lists_the_clocks_of_a_visible_report(report, reporter_a):
    response = api_client_for(reporter_a).get(f"/api/v1/reports/{report.pk}/clocks/")
    assert response.status_code == 200
    data = {c["regime"]: c for c in response.json()}
    assert set(data) == set(Regime.values)
    note = data["nis2_notification"]
    assert note["state"] == "due" and note["recipient"] == "CERT Santé / ANSSI (CSIRT)"
    assert 0 < note["seconds_left"] <= 72 * 3600
    assert note["due_at_paris"].endswith(("+01:00", "+02:00"))
    assert note["overdue"] is False
    assert data["gdpr_breach"]["na_reason"] and data["gdpr_breach"]["state"] == "due"
    assert data["insurance_complaint"]["state"] == "not_applicable"


def test_api_tenancy(report, reporter_b, observer, analyst):
    assert api_client_for(reporter_b).get(f"/api/v1/reports/{report.pk}/clocks/"
                                          ).status_code == 404
    assert api_client_for(observer).get(f"/api/v1/reports/{report.pk}/clocks/"
                                        ).status_code == 404
    assert api_client_for(analyst).get(f"/api/v1/reports/{report.pk}/clocks/"
                                       ).status_code == 200
    assert api_client_for(analyst).get("/api/v1/reports/999999/clocks/").status_code == 404
    from rest_framework.test import APIClient

    assert APIClient().get(f"/api/v1/reports/{report.pk}/clocks/").status_code in (401, 403)


def test_api_query_count_is_bounded(report, analyst, django_assert_max_num_queries):
    client = api_client_for(analyst)
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/reports/{report.pk}/clocks/").status_code == 200


# --- reminders (scan called directly) -------------------------------------------------------

def _gdpr_due_in(report, hours: float) -> Clock:
    Report.objects.filter(pk=report.pk).update(
        personal_data=True, discovered_at=timezone.now() - dt.timedelta(hours=72 - hours))
    services.recompute(report.pk)
    return clocks(report)[Regime.GDPR_BREACH]


def test_scan_sends_each_reminder_once(report, reporter_a, analyst):
    _gdpr_due_in(report, 1.5)
    mail.outbox.clear()
    result = services.scan_and_remind()
    # GDPR (1.5 h left) is reminded; NIS2 notification shares its deadline
    subjects = sorted(m.subject for m in mail.outbox)
    assert result["reminders"] == 2 and result["emails"] == 4
    assert all("Échéance proche" in s for s in subjects)
    assert {tuple(m.to) for m in mail.outbox} == {(reporter_a.email,), (analyst.email,)}
    assert services.scan_and_remind()["reminders"] == 0
    assert len(mail.outbox) == 4
    kinds = set(ClockReminder.objects.values_list("kind", flat=True))
    assert kinds == {"before_2h"}


def test_scan_does_not_chase_a_deadline_already_met(report):
    _gdpr_due_in(report, 1)
    # recorded without any signal (a bulk update): the scan derives again first
    Report.objects.filter(pk=report.pk).update(dpa_notified_on=timezone.localdate(),
                                               notification_at=timezone.now())
    mail.outbox.clear()
    assert services.scan_and_remind()["reminders"] == 0
    assert mail.outbox == []


def test_overdue_reminder_then_nothing_more(report, analyst):
    _gdpr_due_in(report, -3)
    mail.outbox.clear()
    services.scan_and_remind()
    assert mail.outbox and all("Échéance dépassée" in m.subject for m in mail.outbox)
    count = len(mail.outbox)
    services.scan_and_remind(now=timezone.now() + dt.timedelta(hours=1))
    assert len(mail.outbox) == count


def test_a_claimed_reminder_is_not_sent_by_another_worker(report):
    clock = _gdpr_due_in(report, 1)
    ClockReminder.objects.create(clock=clock, kind="before_2h", claimed_at=timezone.now(),
                                 worker="other")
    mail.outbox.clear()
    services.scan_and_remind()
    assert not any("CNIL" in m.body for m in mail.outbox)


def test_an_interrupted_reminder_is_retried_later(report):
    clock = _gdpr_due_in(report, 1)
    ClockReminder.objects.create(clock=clock, kind="before_2h", worker="crashed",
                                 claimed_at=timezone.now() - dt.timedelta(hours=1))
    mail.outbox.clear()
    services.scan_and_remind()
    reminder = ClockReminder.objects.get(clock=clock, kind="before_2h")
    assert reminder.sent_at is not None and reminder.attempts == 2
    assert any("CNIL" in m.body for m in mail.outbox)


def test_reminders_go_to_the_assignee_only_when_assigned(report, analyst, admin_user,
                                                         reporter_a):
    Case.objects.filter(report=report).update(assigned_to=admin_user)
    _gdpr_due_in(report, 1)
    mail.outbox.clear()
    services.scan_and_remind()
    assert {m.to[0] for m in mail.outbox} == {reporter_a.email, admin_user.email}
