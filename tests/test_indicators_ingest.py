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


@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks
def test_the_worker_correlates_a_new_report(run_tasks):
    first = new_report(supplier_name="Acme Santé")
    second = new_report(supplier_name="ACME santé")
    run_tasks()
    assert Link.objects.filter(reason="supplier", report_a=first, report_b=second).exists()
    assert Campaign.objects.get().reports.count() == 2


@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks
def test_texts_updates_and_text_attachments_are_extracted_as_pending(run_tasks, analyst):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vigisante.indicators import services
    from vigisante.indicators.models import Indicator, Sighting

    report = new_report(description="Lien reçu : hxxps://portail-rh[.]ru/login et 185.220.101.4")
    user = report.created_by
    report_services.add_update(actor=user, report_id=report.pk,
                               text="Le poste contactait aussi c2-update[.]top")
    report_services.add_attachment(actor=user, report_id=report.pk, uploaded=SimpleUploadedFile(
        "proxy.log", b"GET http://dl.malware-cdn.xyz/a.exe 200\n"))
    report_services.add_attachment(actor=user, report_id=report.pk, uploaded=SimpleUploadedFile(
        "scan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100))
    run_tasks()
    seen = {(s.indicator.type, s.indicator.value): s.source
            for s in Sighting.objects.filter(report=report).select_related("indicator")}
    assert seen[("url", "https://portail-rh.ru/login")] == "report"
    assert seen[("ipv4", "185.220.101.4")] == "report"
    assert seen[("domain", "c2-update.top")] == "update"
    assert seen[("url", "http://dl.malware-cdn.xyz/a.exe")] == "attachment"
    assert set(Indicator.objects.values_list("status", flat=True)) == {"pending"}
    assert not Link.objects.exists()
    # A second report with the same IP: linked once an analyst confirms it.
    other = new_report(description="Connexions vers 185.220.101.4 depuis le VPN")
    run_tasks()
    ip = Indicator.objects.get(value="185.220.101.4")
    assert ip.sightings.count() == 2 and not Link.objects.exists()
    services.review(actor=analyst, indicator=ip, status="confirmed", tlp="amber", confidence=70)
    assert Link.objects.filter(indicator=ip, report_a=report, report_b=other).exists()


def test_analyst_adds_an_indicator_and_bad_values_are_refused(analyst):
    from django.core.exceptions import ValidationError

    from vigisante.indicators import services
    from vigisante.indicators.models import Indicator

    r1, r2 = new_report(), new_report()
    ind = services.add_indicator(actor=analyst, report=r1, type_="", value="hxxp://bad[.]ru/x")
    assert (ind.type, ind.value, ind.status) == ("url", "http://bad.ru/x", "confirmed")
    services.add_indicator(actor=analyst, report=r2, type_="url", value="http://BAD.ru/x")
    assert Link.objects.filter(indicator=ind).count() == 1
    for type_, value in (("", ""), ("domain", "a" * 10_000 + ".ru"), ("bogus", "x.ru"),
                         ("ipv4", "999.1.1.1"), ("domain", "xn--invalid-.ru"),
                         ("", "\x00\x01")):
        with pytest.raises(ValidationError):
            services.add_indicator(actor=analyst, report=r1, type_=type_, value=value)
    assert Indicator.objects.count() == 1


@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks
def test_warning_listed_and_own_domains_are_not_stored(run_tasks):
    from vigisante.indicators.models import Indicator, WarningListEntry

    WarningListEntry.objects.create(list_name="analyst", type="domain", value="microsoft.com",
                                    origin="analyst")
    report = new_report(description="Mail de rssi@hopital7.fr vers login.microsoft.com puis "
                                    "evil-login.ru")
    user = report.created_by
    user.email = "rssi@hopital7.fr"
    user.save()
    run_tasks()
    assert set(Indicator.objects.values_list("value", flat=True)) == {"evil-login.ru"}


@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks
def test_qualifying_cases_links_them_by_kind_and_system(run_tasks, analyst):
    from vigisante.reports.models import Report
    from vigisante.triage import services as triage_services

    first, second = new_report(days_ago=1), new_report(days_ago=0)
    Report.objects.filter(pk__in=[first.pk, second.pk]).update(systems_hit=["imaging"])
    run_tasks()
    assert not Link.objects.filter(reason="kind_system").exists()  # not qualified yet
    for report in (first, second):
        triage_services.qualify(actor=analyst, report_id=report.pk, origin="malicious",
                                kind="ransomware")
    run_tasks()
    assert Link.objects.filter(reason="kind_system", report_a=first, report_b=second).exists()
