"""Per-endpoint query counts: a fixed number of SQL queries, whatever the size of the case.

Each endpoint is measured on a fresh case, then again after the case has grown (40 notes,
messages and supports, so about 120 audit events): the count must not change, and must stay
under the endpoint's budget. Budgets include authentication; the audit journal's own
statements (core_audit* tables and their savepoints, whose batches flush now and then) are
left out: they are measured by the audit's tests.
"""

from __future__ import annotations

import pytest
from conftest import api_client_for, login
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from vigisante.reports import services as report_services
from vigisante.triage import exchanges
from vigisante.triage.models import Case

pytestmark = pytest.mark.django_db
CASES = "/api/v1/triage/cases/"
GROWTH = 40

# endpoint: (method, path template, budget). The review measured qualify at 32 queries and the
# notes list at 11 (with 300 audit events loaded for nothing).
API_BUDGETS = {
    "case": ("get", CASES + "{pk}/", 12),
    "notes": ("get", CASES + "{pk}/notes/", 7),
    "messages": ("get", CASES + "{pk}/messages/", 7),
    "support": ("get", CASES + "{pk}/support/", 7),
    "queue": ("get", CASES, 8),
    "reports": ("get", "/api/v1/reports/", 7),
    "report": ("get", "/api/v1/reports/{pk}/", 8),
    "updates": ("get", "/api/v1/reports/{pk}/updates/", 7),
    "attachments": ("get", "/api/v1/reports/{pk}/attachments/", 7),
    "clocks": ("get", "/api/v1/reports/{pk}/clocks/", 8),
}


@pytest.fixture
def report(reporter_a, early_warning_data):
    return report_services.create_early_warning(actor=reporter_a, data=early_warning_data)


def grow(report, analyst, reporter_a) -> None:
    for i in range(GROWTH):
        exchanges.add_note(actor=analyst, report_id=report.pk, text=f"note {i}")
        exchanges.send_message(actor=analyst, report_id=report.pk, text=f"message {i}")
        exchanges.record_support(actor=analyst, report_id=report.pk, type="remote_advice",
                                 started_at=timezone.now() - timezone.timedelta(hours=1))
        report_services.add_update(actor=reporter_a, report_id=report.pk, text=f"update {i}")


def count(call, *args, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as ctx:
        response = call(*args, **kwargs)
    own = [q for q in ctx.captured_queries
           if "core_audit" not in q["sql"] and "SAVEPOINT" not in q["sql"]]
    return len(own), response


def test_api_reads_have_a_fixed_number_of_queries(report, analyst, reporter_a):
    api = api_client_for(analyst)
    api.get(CASES)  # warm-up: the first request of a process loads caches

    def measure() -> dict[str, int]:
        out = {}
        for name, (method, path, _budget) in API_BUDGETS.items():
            n, response = count(getattr(api, method), path.format(pk=report.pk))
            assert response.status_code == 200, (name, response.status_code)
            out[name] = n
        return out

    small = measure()
    grow(report, analyst, reporter_a)
    large = measure()
    assert large == small, "query counts grow with the case"
    over = {k: (n, API_BUDGETS[k][2]) for k, n in large.items() if n > API_BUDGETS[k][2]}
    assert not over, f"over budget (count, budget): {over}"


def test_api_writes_have_a_fixed_number_of_queries(report, analyst, reporter_a):
    api = api_client_for(analyst)
    api.get(CASES)
    grow(report, analyst, reporter_a)
    version = Case.objects.get(report=report).version
    n, response = count(lambda: api.post(f"{CASES}{report.pk}/qualify/", {
        "version": version, "origin": "malicious", "kind": "ddos"}, format="json"))
    assert response.status_code == 200
    assert n <= 26, f"qualify took {n} queries"
    n, response = count(lambda: api.post(f"{CASES}{report.pk}/notes/", {"text": "x"},
                                          format="json"))
    assert response.status_code == 201
    assert n <= 12, f"adding a note took {n} queries"


def test_case_page_has_a_fixed_number_of_queries(report, analyst, reporter_a):
    client = Client()
    login(client, analyst)
    url = f"/triage/{report.pk}/"
    client.get(url)
    small, response = count(lambda: client.get(url))
    assert response.status_code == 200
    grow(report, analyst, reporter_a)
    large, response = count(lambda: client.get(url))
    assert response.status_code == 200
    assert large == small and large <= 30, (small, large)
