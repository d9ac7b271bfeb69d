"""Per-endpoint query counts: an exact number of SQL queries, whatever the size of the case.

Each read endpoint is measured on a fresh case, then again after the case has grown (40 notes,
messages and supports, so about 120 audit events): the count must not change, and it must be
exactly the number written here. A change that adds a query (an N+1, a second fetch of the
case) fails the test; a change that removes one updates the number, on purpose. Writes are
measured the same way, on the grown case. Counts include authentication; the audit journal's
own statements (core_audit* tables) and savepoints are left out: they are measured by the
audit's tests, and savepoints differ between databases.
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
REPORTS = "/api/v1/reports/"
GROWTH = 40

# endpoint: (method, path template, exact count) read by an analyst's token. The review measured
# qualify at 32 queries and the notes list at 11 (with 300 audit events loaded for nothing).
API_READS = {
    "case": ("get", CASES + "{pk}/", 8),
    "notes": ("get", CASES + "{pk}/notes/", 3),
    "messages": ("get", CASES + "{pk}/messages/", 3),
    "support": ("get", CASES + "{pk}/support/", 3),
    "queue": ("get", CASES, 4),
    "reports": ("get", REPORTS, 3),
    "report": ("get", REPORTS + "{pk}/", 4),
    "updates": ("get", REPORTS + "{pk}/updates/", 3),
    "attachments": ("get", REPORTS + "{pk}/attachments/", 3),
    "clocks": ("get", REPORTS + "{pk}/clocks/", 3),
    "drafts": ("get", REPORTS + "{pk}/drafts/", 10),
    "draft facts": ("get", REPORTS + "{pk}/drafts/facts/", 3),
    "me": ("get", "/api/v1/me/", 2),
    "alerts": ("get", "/api/v1/alerts/", 2),
    "campaigns": ("get", "/api/v1/campaigns/", 2),
    "indicators": ("get", "/api/v1/indicators/", 2),
    "published observatory": ("get", "/api/v1/observatory/published/", 1),
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
        for name, (method, path, _count) in API_READS.items():
            n, response = count(getattr(api, method), path.format(pk=report.pk))
            assert response.status_code == 200, (name, response.status_code)
            out[name] = n
        return out

    small = measure()
    grow(report, analyst, reporter_a)
    large = measure()
    assert large == small, "query counts grow with the case"
    assert large == {name: expected for name, (_m, _p, expected) in API_READS.items()}


def test_api_writes_have_a_fixed_number_of_queries(report, analyst, reporter_a):
    """Qualify, move, assign, and add a note, a message and a support through the API; the
    establishment's notification and update: each an exact count, on a grown case."""
    api = api_client_for(analyst)
    api.get(CASES)
    grow(report, analyst, reporter_a)

    def version() -> int:
        return Case.objects.get(report=report).version

    case = f"{CASES}{report.pk}/"
    reporter = api_client_for(reporter_a)
    reporter.get(REPORTS)
    # name: call(version of the case, read before measuring)
    writes = {
        "qualify": lambda v: api.post(case + "qualify/", {
            "version": v, "origin": "malicious", "kind": "ddos"}, format="json"),
        "transition": lambda v: api.post(case + "transition/", {
            "version": v, "to_state": "in_support"}, format="json"),
        "assign": lambda v: api.post(case + "assign/", {
            "version": v, "assigned_to": analyst.pk}, format="json"),
        "note": lambda v: api.post(case + "notes/", {"text": "x"}, format="json"),
        "message": lambda v: api.post(case + "messages/", {"text": "x"}, format="json"),
        "support": lambda v: api.post(case + "support/", {
            "type": "remote_advice", "started_at": timezone.now().isoformat()},
            format="json"),
        "notification": lambda v: reporter.patch(f"{REPORTS}{report.pk}/notification/", {
            "perimeter": "the imaging servers"}, format="json"),
        "update": lambda v: reporter.post(f"{REPORTS}{report.pk}/updates/", {
            "text": "backups restored"}, format="json"),
    }
    got = {}
    for name, call in writes.items():
        v = Case.objects.get(report=report).version
        n, response = count(call, v)
        assert response.status_code in (200, 201), (name, response.status_code,
                                                    getattr(response, "data", None))
        got[name] = n
    # qualify: token, the report (with the action), its case locked, the qualification, two
    # transitions and the reporters told of the acknowledgement, the case saved, its clocks,
    # the indicators' task queued, then the case detail answered (case and its 5 lists);
    # then the transmissions to the authorities (report, earlier transmissions, hold, the
    # summary's case, support and clocks, the insert, its audit event, the delivery task): 8.
    # Every recompute of the clocks reads the NIS2 stages recorded as sent through another
    # channel (drafts' reader, issue 13): one query each for qualify, transition, notification.
    assert got == {"qualify": 25, "transition": 13, "assign": 11, "note": 5, "message": 6,
                   "support": 5, "notification": 13, "update": 6}


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
    # 11, and the transmissions panel: its transmissions, holds and messages to authorities
    assert (small, large) == (14, 14)
