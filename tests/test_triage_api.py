"""The triage API: staff only, same rules as the pages, 409 on a stale version."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import api_client_for
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from vigisante.reports import services as report_services
from vigisante.triage import services
from vigisante.triage.models import Case, Message, Note, Support

pytestmark = pytest.mark.django_db
BASE = "/api/v1/triage/cases/"


@pytest.fixture(autouse=True)
def english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def report(reporter_a, early_warning_data):
    return report_services.create_early_warning(actor=reporter_a, data=early_warning_data)


@pytest.fixture
def api(analyst):
    return api_client_for(analyst)


@pytest.mark.parametrize("who", ["reporter_a", "observer"])
def test_everything_is_404_for_non_staff(who, request, report):
    client = api_client_for(request.getfixturevalue(who))
    pk = report.pk
    for url in (BASE, f"{BASE}{pk}/", f"{BASE}{pk}/notes/", f"{BASE}{pk}/messages/",
                f"{BASE}{pk}/support/"):
        assert client.get(url).status_code == 404, url
    for url, body in ((f"{BASE}{pk}/qualify/", {"version": 1, "origin": "malicious",
                                                 "kind": "ddos"}),
                      (f"{BASE}{pk}/transition/", {"version": 1, "to_state": "acknowledged"}),
                      (f"{BASE}acknowledge/", {"report_ids": [pk]}),
                      (f"{BASE}{pk}/notes/", {"text": "x"})):
        assert client.post(url, body, format="json").status_code == 404, url
    assert Case.objects.get(report=report).version == 1 and not Note.objects.exists()


def test_anonymous_is_refused(client, report):
    assert client.get(BASE).status_code in (401, 403)


def test_queue_lists_and_filters(api, analyst, report, reporter_b, est_b):
    other = report_services.create_early_warning(actor=reporter_b, data=dict(
        establishment=est_b, description="Panne téléphonie",
        discovered_at=timezone.now() - dt.timedelta(hours=1)))
    data = api.get(BASE).json()
    assert data["count"] == 2
    assert [r["id"] for r in data["results"]] == [other.pk, report.pk]
    row = data["results"][1]
    assert row["state"] == "received" and row["version"] == 1
    assert row["establishment"]["finess"] == "750000011" and row["assigned_to"] is None
    assert api.get(BASE, {"region": "ARA"}).json()["count"] == 1
    assert api.get(BASE, {"category": "ehpad"}).json()["results"][0]["id"] == other.pk
    assert api.get(BASE, {"q": "téléphonie"}).json()["count"] == 1
    services.assign(actor=analyst, report_id=report.pk, assignee=analyst.pk)
    assert [r["id"] for r in api.get(BASE, {"assigned": "me"}).json()["results"]] == [report.pk]
    assert api.get(BASE, {"assigned": "none"}).json()["count"] == 1
    assert api.get(BASE, {"sort": "received", "limit": 1}).json()["results"][0]["id"] == \
        report.pk
    bad = api.get(BASE, {"state": "teleported", "sort": "password", "overdue": "maybe"})
    assert bad.status_code == 400 and {"state", "sort", "overdue"} <= set(bad.json())


def test_queue_queries_do_not_grow_with_the_page(api, analyst, reporter_a, early_warning_data):
    for _ in range(12):
        r = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
        services.assign(actor=analyst, report_id=r.pk, assignee=analyst.pk)
    api.get(BASE)  # warm up: the token's last use is recorded once a minute
    counts = []
    for limit in (2, 12):
        with CaptureQueriesContext(connection) as ctx:
            assert len(api.get(BASE, {"limit": limit}).json()["results"]) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 8


def test_case_detail_and_workflow(api, analyst, report):
    url = f"{BASE}{report.pk}/"
    data = api.get(url).json()
    assert data["state"] == "received" and data["allowed_transitions"] == [
        "acknowledged", "rejected", "duplicate"]
    assert data["suggestion"]["severity"] == "significant"  # patient care affected
    response = api.post(url + "qualify/", {"version": 1, "origin": "malicious",
                                           "kind": "ransomware",
                                           "ransomware_extent": "several_servers"},
                        format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["state"] == "qualified" and data["version"] == 2
    assert (data["rsit_class"], data["rsit_type"]) == ("malicious-code", "infected-system")
    assert len(data["qualifications"]) == 1 and len(data["transitions"]) == 2
    response = api.post(url + "transition/", {"version": 2, "to_state": "in_support"},
                        format="json")
    assert response.status_code == 200 and response.json()["state"] == "in_support"
    response = api.post(url + "assign/", {"version": 3, "assigned_to": analyst.pk},
                        format="json")
    assert response.json()["assigned_to"]["id"] == analyst.pk


def test_invalid_transitions_and_choices_are_400_naming_the_field(api, report):
    url = f"{BASE}{report.pk}/"
    response = api.post(url + "transition/", {"version": 1, "to_state": "closed"},
                        format="json")
    assert response.status_code == 400 and "cannot become" in response.json()["to_state"][0]
    response = api.post(url + "transition/", {"version": 1, "to_state": "nirvana"},
                        format="json")
    assert response.status_code == 400 and "to_state" in response.json()
    response = api.post(url + "qualify/", {"version": 1, "origin": "bad", "kind": 3,
                                           "severity": ["x"]}, format="json")
    assert response.status_code == 400 and {"origin", "kind", "severity"} <= set(
        response.json())
    response = api.post(url + "qualify/", {"origin": "malicious", "kind": "ddos"},
                        format="json")
    assert response.status_code == 400 and "version" in response.json()
    response = api.post(url + "qualify/", {"version": 1, "origin": "malicious",
                                           "kind": "telecom_loss"}, format="json")
    assert response.status_code == 400 and "origin" in response.json()
    response = api.post(url + "assign/", {"version": 1, "assigned_to": 2**62},
                        format="json")
    assert response.status_code == 400 and "assigned_to" in response.json()
    assert api.post(url + "qualify/", [1, 2], format="json").status_code == 400
    assert api.post(url + "qualify/", "garbage", content_type="application/json"
                    ).status_code == 400
    assert Case.objects.get(report=report).version == 1


def test_stale_version_is_409_and_nothing_is_overwritten(api, admin_user, analyst, report):
    theirs = api_client_for(admin_user)
    url = f"{BASE}{report.pk}/"
    assert theirs.post(url + "qualify/", {"version": 1, "origin": "malicious",
                                          "kind": "phishing"}, format="json").status_code == 200
    response = api.post(url + "qualify/", {"version": 1, "origin": "non_malicious",
                                           "kind": "human_error"}, format="json")
    assert response.status_code == 409
    assert "changed by admin" in response.json()["version"][0]
    response = api.post(url + "transition/", {"version": 1, "to_state": "rejected",
                                              "comment": "spam"}, format="json")
    assert response.status_code == 409
    case = Case.objects.get(report=report)
    assert (case.kind, case.state, case.version) == ("phishing", "qualified", 2)


def test_bulk_acknowledge(api, reporter_a, early_warning_data):
    ids = [report_services.create_early_warning(actor=reporter_a, data=early_warning_data).pk
           for _ in range(3)]
    response = api.post(f"{BASE}acknowledge/", {"report_ids": ids + [10**9]}, format="json")
    assert response.status_code == 200
    data = response.json()
    assert len(data["acknowledged"]) == 3 and data["skipped"][0]["report"] == str(10**9)
    assert api.post(f"{BASE}acknowledge/", {"report_ids": []}, format="json").status_code == 400
    assert api.post(f"{BASE}acknowledge/", {"report_ids": ["a"]},
                    format="json").status_code == 400
    assert api.post(f"{BASE}acknowledge/", {"report_ids": list(range(1, 600))},
                    format="json").status_code == 400


def test_notes_messages_support(api, report):
    url = f"{BASE}{report.pk}/"
    assert api.post(url + "notes/", {"text": "internal"}, format="json").status_code == 201
    assert api.get(url + "notes/").json()[0]["text"] == "internal"
    response = api.post(url + "messages/", {"text": "Hello"}, format="json")
    assert response.status_code == 201 and response.json()["from_cert"] is True
    response = api.post(url + "support/", {"type": "on_site",
                                           "started_at": "2025-06-07T10:00:00Z",
                                           "ended_at": "2025-06-07T15:00:00Z"}, format="json")
    assert response.status_code == 201 and response.json()["out_of_hours"] is True
    response = api.post(url + "support/", {"type": "on_site",
                                           "started_at": "2025-06-07T10:00:00Z",
                                           "ended_at": "2025-06-06T15:00:00Z"}, format="json")
    assert response.status_code == 400 and "ended_at" in response.json()
    assert api.post(url + "support/", {"type": "x", "started_at": "yesterday"},
                    format="json").status_code == 400
    for bad in ("", "x" * 10_001, None, ["list"]):
        assert api.post(url + "notes/", {"text": bad}, format="json").status_code == 400
    assert api.post(url + "notes/", {"text": "a\x00b"}, format="json").status_code == 400
    assert Note.objects.count() == 1 and Message.objects.count() == 1
    assert Support.objects.count() == 1


def test_huge_bodies_and_ids_never_500(api):
    big = {"text": "x" * 3_000_000}
    assert api.post(f"{BASE}1/notes/", big, format="json").status_code in (404, 413)
    assert api.get(f"{BASE}99999999999999999999999/").status_code == 404
    assert api.get(f"{BASE}abc/").status_code == 404


def test_huge_body_on_an_existing_case_is_refused(api, report):
    response = api.post(f"{BASE}{report.pk}/notes/", {"text": "x" * 3_000_000}, format="json")
    assert response.status_code in (400, 413)
    assert not Note.objects.exists()


def test_schema_builds(api):
    response = api.get("/api/schema/")
    assert response.status_code == 200
    assert b"/api/v1/triage/cases/{report_id}/qualify/" in response.content


def test_the_api_count_stops_at_the_cap(api, reporter_a, early_warning_data, monkeypatch):
    from vigisante.triage import queries

    for _ in range(4):
        report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    data = api.get(BASE).json()
    assert data["count"] == 3 and data["count_capped"] is True
    monkeypatch.setattr(queries, "COUNT_CAP", 10)
    data = api.get(BASE).json()
    assert data["count"] == 4 and data["count_capped"] is False
