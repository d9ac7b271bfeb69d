"""Two analysts changing the same case at the same time, for real: threads, each with its own
database connection, on PostgreSQL (row locks). The second writer gets the conflict message
and nothing is overwritten."""

from __future__ import annotations

import threading

import pytest
from conftest import api_client_for, login
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from vigisante.reports import services as report_services
from vigisante.triage import services
from vigisante.triage.models import Case, Qualification, Transition

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="row locks under real concurrency: PostgreSQL"),
]


def run_together(*calls):
    """Start every call at the same instant in its own thread; return results/exceptions."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def worker(i, call):
        try:
            with translation.override("en"):
                barrier.wait()
                results[i] = call()
        except Exception as exc:  # noqa: BLE001 - returned to the test
            results[i] = exc
        finally:
            from django.db import connections

            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.fixture
def report(reporter_a, early_warning_data):
    return report_services.create_early_warning(actor=reporter_a, data=early_warning_data)


@pytest.mark.parametrize("round_", range(3))
def test_two_analysts_qualify_at_once_one_wins_one_is_told(round_, report, analyst,
                                                           admin_user):
    results = run_together(
        lambda: services.qualify(actor=analyst, report_id=report.pk, origin="malicious",
                                 kind="ransomware", expected_version=1),
        lambda: services.qualify(actor=admin_user, report_id=report.pk,
                                 origin="non_malicious", kind="telecom_loss",
                                 expected_version=1),
    )
    wins = [r for r in results if isinstance(r, Case)]
    losses = [r for r in results if isinstance(r, ValidationError)]
    assert len(wins) == 1 and len(losses) == 1, results
    message = losses[0].message_dict["version"][0]
    winner = wins[0].updated_by
    assert str(winner) in message and "reload" in message.lower()
    case = Case.objects.get(report=report)
    assert case.version == 2 and case.kind == wins[0].kind
    assert Qualification.objects.filter(case=case).count() == 1
    assert Transition.objects.filter(case=case).count() == 2


def test_web_and_api_at_once(report, analyst, admin_user):
    web = Client()
    login(web, analyst)
    api = api_client_for(admin_user)
    results = run_together(
        lambda: web.post(reverse("triage:transition", args=[report.pk]), {
            "version": 1, "to_state": "acknowledged"}, HTTP_ACCEPT_LANGUAGE="en"),
        lambda: api.post(f"/api/v1/triage/cases/{report.pk}/transition/", {
            "version": 1, "to_state": "rejected", "comment": "Not an incident"},
            format="json", HTTP_ACCEPT_LANGUAGE="en"),
    )
    codes = sorted(r.status_code for r in results)
    assert codes in ([200, 409], [302, 409]), codes
    case = Case.objects.get(report=report)
    assert case.version == 2
    assert Transition.objects.filter(case=case).count() == 1
    loser = next(r for r in results if r.status_code == 409)
    assert b"changed by" in loser.content


def test_bulk_acknowledge_by_two_analysts_acknowledges_each_report_once(
        reporter_a, early_warning_data, analyst, admin_user):
    ids = [report_services.create_early_warning(actor=reporter_a, data=early_warning_data).pk
           for _ in range(6)]
    results = run_together(
        lambda: services.bulk_acknowledge(actor=analyst, report_ids=ids),
        lambda: services.bulk_acknowledge(actor=admin_user, report_ids=list(reversed(ids))),
    )
    assert not any(isinstance(r, Exception) for r in results), results
    done = [ref for r in results for ref in r.acknowledged]
    assert len(done) == len(set(done)) == 6
    assert Transition.objects.count() == 6
    assert set(Case.objects.values_list("version", flat=True)) == {2}
