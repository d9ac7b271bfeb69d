"""Hostile-input catalogue (issue 9): forms, API, uploads. Each case answers a 4xx or a clear
message (never a 500: the test client raises on one), writes nothing partial when refused, and
stored text comes back escaped on the pages."""

from __future__ import annotations

import pytest
from conftest import api_client_for, html
from django.core.files.uploadedfile import SimpleUploadedFile

from vigisante.reports.models import Attachment, Report, ReportUpdate

pytestmark = pytest.mark.django_db

XSS = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'><svg onload=alert(3)>{{7*7}}'

# Bodies refused by the API of early warnings: (name, body, content type)
BAD_BODIES = [
    ("empty", "", "application/json"),
    ("not json", "{nope", "application/json"),
    ("array", "[]", "application/json"),
    ("string", '"x"', "application/json"),
    ("number", "42", "application/json"),
    ("null", "null", "application/json"),
    ("nan", '{"description": NaN}', "application/json"),
    ("infinity", '{"description": Infinity}', "application/json"),
    ("nested 1000", "[" * 1000 + "]" * 1000, "application/json"),
    ("nested objects", '{"a":' * 3000 + "1" + "}" * 3000, "application/json"),
    ("lone surrogate", '{"description": "\\ud800"}', "application/json"),
    ("nul", '{"description": "a\\u0000b"}', "application/json"),
    ("invalid utf-8", b'{"description": "\xff\xfe"}', "application/json"),
    ("xml", "<report/>", "application/xml"),
    ("text", "description=x", "text/plain"),
    ("unknown field only", '{"evil": 1}', "application/json"),
    ("establishment as list", '{"establishment": [1]}', "application/json"),
    ("establishment as dict", '{"establishment": {"id": 1}}', "application/json"),
    ("huge id", '{"establishment": 100000000000000000000000000000}', "application/json"),
    ("negative id", '{"establishment": -1}', "application/json"),
    ("year 0001", '{"discovered_at": "0001-01-01T00:00:00Z"}', "application/json"),
    ("year 9999", '{"discovered_at": "9999-12-31T23:59:59Z"}', "application/json"),
    ("bad date", '{"discovered_at": "2024-02-30T00:00:00Z"}', "application/json"),
    ("date as number", '{"discovered_at": 1700000000}', "application/json"),
    ("bool as string", '{"ongoing": "maybe"}', "application/json"),
    ("mass assignment stage", '{"stage": "final"}', "application/json"),
    ("mass assignment reference", '{"reference": "VS-1"}', "application/json"),
    ("mass assignment created_by", '{"created_by": 1}', "application/json"),
    ("duplicate keys", '{"description": "a", "description": "b"}', "application/json"),
    ("long description", '{"description": "' + "x" * 200_000 + '"}', "application/json"),
]


@pytest.mark.parametrize("name,body,content_type", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
def test_api_early_warning_refuses_hostile_bodies(reporter_a, est_a, name, body, content_type):
    api = api_client_for(reporter_a)
    response = api.generic("POST", "/api/v1/reports/", body, content_type=content_type)
    assert 400 <= response.status_code < 500, (name, response.status_code)
    assert Report.objects.count() == 0


PATCHES = [
    ("systems duplicated", {"systems_hit": ["dpi", "dpi"]}),
    ("systems unknown", {"systems_hit": ["<script>"]}),
    ("systems not a list", {"systems_hit": "dpi"}),
    ("people negative", {"people_affected": -1}),
    ("records huge", {"records_affected": 10 ** 30}),
    ("degraded year 1", {"degraded_since": "0001-01-01T00:00:00Z"}),
    ("complaint future", {"complaint_filed_on": "2999-01-01"}),
    ("impact unknown", {"operations_impact": "'; DROP TABLE reports_report; --"}),
    ("danger without narrative", {"patient_danger": "actual", "patient_danger_narrative": ""}),
    ("supplier without name", {"supplier_involved": True, "supplier_name": ""}),
    ("text with nul", {"perimeter": "a\x00b"}),
    ("stage forced", {"stage": "final"}),
]


@pytest.mark.parametrize("name,data", PATCHES, ids=[p[0] for p in PATCHES])
def test_api_notification_refuses_hostile_values_and_keeps_the_report(report_a, reporter_a,
                                                                       name, data):
    version = report_a.version
    response = api_client_for(reporter_a).patch(f"/api/v1/reports/{report_a.pk}/notification/",
                                                data, format="json")
    assert 400 <= response.status_code < 500, (name, response.status_code)
    report_a.refresh_from_db()
    assert report_a.version == version and report_a.notification_at is None


UPLOADS = [
    ("html", "x.html", b"<html><script>alert(1)</script></html>", "text/html"),
    ("svg", "x.svg", b"<svg onload=alert(1)></svg>", "image/svg+xml"),
    ("double extension", "x.txt.html", b"<script>", "text/plain"),
    ("exe", "x.exe", b"MZ\x90\x00", "application/octet-stream"),
    ("pdf lie", "x.pdf", b"<script>alert(1)</script>", "application/pdf"),
    ("empty", "x.txt", b"", "text/plain"),
    ("path in name", "../../etc/passwd", b"root:x:0:0", "text/plain"),
]


@pytest.mark.parametrize("name,filename,content,ctype", UPLOADS, ids=[u[0] for u in UPLOADS])
def test_api_upload_refuses_hostile_files(report_a, reporter_a, name, filename, content, ctype):
    upload = SimpleUploadedFile(filename, content, content_type=ctype)
    response = api_client_for(reporter_a).post(f"/api/v1/reports/{report_a.pk}/attachments/",
                                               {"file": upload}, format="multipart")
    assert 400 <= response.status_code < 500, (name, response.status_code)
    assert not Attachment.objects.exists()


QUERIES = [
    ("/api/v1/reports/", {"limit": "-1"}), ("/api/v1/reports/", {"offset": "1e99"}),
    ("/api/v1/reports/", {"created_after": "0001-01-01T00:00:00Z"}),
    ("/api/v1/reports/", {"created_before": "not a date"}),
    ("/api/v1/reports/", {"stage": "<script>"}), ("/api/v1/reports/", {"limit": "9" * 40}),
    ("/api/v1/observatory/", {"from": "0001-01-01", "to": "0001-12-31"}),
    ("/api/v1/observatory/", {"year": "99999999999999999999"}),
    ("/api/v1/observatory/", {"year": "2024", "from": "2024-01-01"}),
    ("/reports/incoming/", {"received_to": "9999-12-31"}),
    ("/reports/incoming/", {"received_from": "0001-01-01"}),
    ("/reports/incoming/", {"sort": "case__assigned_to__password"}),
    ("/triage/", {"sort": "'; DROP TABLE x; --"}), ("/triage/", {"page": "-5"}),
    ("/observatory/", {"from": "9999-12-31", "to": "9999-12-31"}),
]


@pytest.mark.parametrize("url,params", QUERIES, ids=[f"{q[0]}{sorted(q[1])}" for q in QUERIES])
def test_hostile_query_parameters_never_fail(client_for, analyst, url, params):
    staff = client_for(analyst)
    response = staff.get(url, params)
    assert response.status_code < 500
    assert response.status_code in (200, 400, 404)


def test_stored_hostile_text_is_rendered_escaped_everywhere(client_for, reporter_a, analyst,
                                                            report_a):
    api = api_client_for(reporter_a)
    assert api.post(f"/api/v1/reports/{report_a.pk}/updates/", {"text": XSS},
                    format="json").status_code == 201
    assert api.patch(f"/api/v1/reports/{report_a.pk}/notification/",
                     {"perimeter": XSS, "supplier_involved": True, "supplier_name": XSS},
                     format="json").status_code == 200
    pages = [client_for(reporter_a).get(f"/reports/{report_a.pk}/"),
             client_for(analyst).get(f"/triage/{report_a.pk}/")]
    for response in pages:
        assert response.status_code == 200
        text = response.content.decode()
        assert "<script>alert(1)" not in text and "onerror=alert" not in text.replace(
            "&lt;img src=x onerror=alert", "")
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
        assert not html(response).select("img[onerror], svg[onload]")
    assert ReportUpdate.objects.filter(report=report_a, text=XSS).exists()
