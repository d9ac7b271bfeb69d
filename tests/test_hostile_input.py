"""Hostile-input catalogue (issue 9): API bodies and queries, uploads, HTML forms and imports
(the establishments registry, suppliers, the HHS and VERIS data sets, MISP warning lists).
Each case answers a 4xx or a clear message (never a 500: the test client raises on one),
writes nothing partial when refused, and stored text comes back escaped on the pages."""

from __future__ import annotations

import io
import json

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


@pytest.mark.parametrize("name,filename,content,ctype", UPLOADS, ids=[u[0] for u in UPLOADS])
def test_web_upload_form_refuses_hostile_files(client_for, report_a, reporter_a, name, filename,
                                               content, ctype):
    upload = SimpleUploadedFile(filename, content, content_type=ctype)
    response = client_for(reporter_a).post(f"/reports/{report_a.pk}/attachments/",
                                           {"file": upload})
    assert response.status_code in (200, 400), (name, response.status_code)
    assert html(response).select(".errorlist"), name
    assert not Attachment.objects.exists()


QUERIES = [
    ("/api/v1/reports/", {"limit": "-1"}), ("/api/v1/reports/", {"offset": "1e99"}),
    ("/api/v1/reports/", {"created_after": "0001-01-01T00:00:00Z"}),
    ("/api/v1/reports/", {"created_before": "not a date"}),
    ("/api/v1/reports/", {"stage": "<script>"}), ("/api/v1/reports/", {"limit": "9" * 40}),
    ("/api/v1/observatory/", {"from": "0001-01-01", "to": "0001-12-31"}),
    ("/api/v1/observatory/", {"year": "99999999999999999999"}),
    ("/api/v1/observatory/", {"year": "2024", "from": "2024-01-01"}),
    ("/triage/", {"received_to": "9999-12-31"}),
    ("/triage/", {"received_from": "0001-01-01"}),
    ("/reports/incoming/", {"received_from": "0001-01-01"}),  # the old address: a redirect
    ("/triage/", {"sort": "case__assigned_to__password"}),
    ("/triage/", {"sort": "'; DROP TABLE x; --"}), ("/triage/", {"page": "-5"}),
    ("/observatory/", {"from": "9999-12-31", "to": "9999-12-31"}),
]


@pytest.mark.parametrize("url,params", QUERIES, ids=[f"{q[0]}{sorted(q[1])}" for q in QUERIES])
def test_hostile_query_parameters_never_fail(client_for, analyst, url, params):
    staff = client_for(analyst)
    response = staff.get(url, params, follow=True)  # (an old address redirects)
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


# --- HTML forms (the pages, as a reporter and without JavaScript) ---------------------------

def _early_warning(est, **changes):
    data = {"establishment": est.pk, "description": "Écrans noirs aux urgences",
            "discovered_at": "2026-11-30T08:00", "ongoing": "yes",
            "suspected_malicious": "yes", "patient_care_affected": "no",
            "support_requested": "no", "callback_phone": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


FORM_CASES = [
    ("empty form", {"establishment": None, "description": None, "discovered_at": None,
                    "ongoing": None, "suspected_malicious": None,
                    "patient_care_affected": None, "support_requested": None}),
    ("blank description", {"description": "   \n\t  "}),
    ("nul in description", {"description": "ransom\x00ware"}),
    ("description 200k", {"description": "x" * 200_000}),
    ("found in year 1", {"discovered_at": "0001-01-01T00:00"}),
    ("found in year 9999", {"discovered_at": "9999-12-31T23:59"}),
    ("found on no date", {"discovered_at": "2024-02-30T10:00"}),
    ("found: sql", {"discovered_at": "'; DROP TABLE reports_report; --"}),
    ("establishment sql", {"establishment": "1 OR 1=1"}),
    ("establishment negative", {"establishment": "-1"}),
    ("establishment huge", {"establishment": "9" * 40}),
    ("ongoing unknown", {"ongoing": "maybe"}),
    ("malicious script", {"suspected_malicious": "<script>alert(1)</script>"}),
    ("phone script", {"callback_phone": "<script>alert(1)</script>"}),
    ("help without phone", {"support_requested": "yes", "callback_phone": ""}),
]


@pytest.mark.parametrize("name,changes", FORM_CASES, ids=[c[0] for c in FORM_CASES])
def test_early_warning_form_refuses_hostile_input_with_a_message(client_for, reporter_a,
                                                                 est_a, name, changes):
    response = client_for(reporter_a).post("/reports/new/", _early_warning(est_a, **changes))
    assert response.status_code in (200, 400), (name, response.status_code)
    assert html(response).select(".errorlist"), name
    assert Report.objects.count() == 0


def test_early_warning_form_for_another_establishment_is_refused(client_for, reporter_a,
                                                                 est_a, est_b):
    response = client_for(reporter_a).post("/reports/new/", _early_warning(est_b))
    assert response.status_code in (200, 400) and html(response).select(".errorlist")
    assert Report.objects.count() == 0


def test_a_form_without_its_csrf_token_is_refused(reporter_a, est_a):
    from conftest import login
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    login(browser, reporter_a)
    assert browser.post("/reports/new/", _early_warning(est_a)).status_code == 403
    assert Report.objects.count() == 0


NOTIFICATION_FORM_CASES = [
    ("people negative", {"people_affected": "-5"}),
    ("records not a number", {"records_affected": "1e9999"}),
    ("system unknown", {"systems_hit": ["<script>"]}),
    ("complaint year 1", {"complaint_filed_on": "0001-01-01"}),
    ("stale version", {"version": "0"}),
    ("version sql", {"version": "1; DROP TABLE x"}),
]


@pytest.mark.parametrize("name,changes", NOTIFICATION_FORM_CASES,
                         ids=[c[0] for c in NOTIFICATION_FORM_CASES])
def test_notification_form_refuses_hostile_input_and_writes_nothing(client_for, reporter_a,
                                                                    report_a, name, changes):
    data = {"version": str(report_a.version), "operations_impact": "none",
            "patient_danger": "none", **changes}
    version = report_a.version
    response = client_for(reporter_a).post(f"/reports/{report_a.pk}/notification/", data)
    assert response.status_code in (200, 400, 409), (name, response.status_code)
    assert html(response).select(".errorlist, .error, [role=alert]"), name
    report_a.refresh_from_db()
    assert report_a.version == version and report_a.notification_at is None


LOGIN_CASES = [
    ("e-mail 10k", {"username": "a" * 10_000 + "@x.org", "password": "x"}),
    ("nul in password", {"username": "reporter.a@example.org", "password": "a\x00b"}),
    ("sql e-mail", {"username": "' OR '1'='1' --", "password": "' OR '1'='1"}),
    ("empty", {}),
]


@pytest.mark.parametrize("name,data", LOGIN_CASES, ids=[c[0] for c in LOGIN_CASES])
def test_login_form_refuses_hostile_input(client, reporter_a, name, data):
    response = client.post("/accounts/login/", data)
    assert response.status_code in (200, 400, 429), (name, response.status_code)
    assert "_auth_user_id" not in client.session


# --- imports: the registry, suppliers, public data sets, MISP warning lists ----------------

REGISTRY_HEADER = (
    "finess,name,category,sector,legal_status,departement,region,nis2_status,insured\n")
GOOD_ROW = "750000011,CHU Paris (synthetic),chu,,public,75,,essential,1\n"

REGISTRY_CASES = [
    ("binary", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))),
    ("empty", b""),
    ("header only", REGISTRY_HEADER.encode()),
    ("no finess column", b"name,category\nCHU,chu\n"),
    ("nul in a cell", (REGISTRY_HEADER + "750000011,CHU\x00Paris,chu,,public,75,,,1\n").encode()),
    ("one bad row among good", (REGISTRY_HEADER + GOOD_ROW
                                + "75000001,Short finess,chu,,public,75,,essential,0\n").encode()),
    ("finess twice", (REGISTRY_HEADER + GOOD_ROW + GOOD_ROW).encode()),
    ("cell 200k", (REGISTRY_HEADER + "750000011," + "x" * 200_000
                   + ",chu,,public,75,,essential,1\n").encode()),
    ("unterminated quote", (REGISTRY_HEADER + '750000011,"CHU,chu,,public,75,,,1\n').encode()),
    ("too many columns", (REGISTRY_HEADER + GOOD_ROW.strip() + ",extra,more\n").encode()),
    ("unknown category", (REGISTRY_HEADER
                          + "750000011,CHU,<script>,,public,75,,essential,1\n").encode()),
    ("utf-16 without bom", (REGISTRY_HEADER + GOOD_ROW).encode("utf-16-le")),
]


@pytest.mark.parametrize("name,data", REGISTRY_CASES, ids=[c[0] for c in REGISTRY_CASES])
def test_registry_import_refuses_hostile_files_whole(tmp_path, name, data):
    from django.core.management import CommandError, call_command

    from vigisante.establishments.models import Establishment

    path = tmp_path / "registry.csv"
    path.write_bytes(data)
    before = Establishment.objects.count()
    with pytest.raises(CommandError) as refusal:
        call_command("import_establishments", str(path), stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert str(refusal.value).strip(), name
    assert Establishment.objects.count() == before


SUPPLIER_CASES = [
    ("binary", b"\x00\x01\x02\xff" * 100),
    ("empty", b""),
    ("unknown finess", b"finess,supplier\n999999999,Evil Corp\n"),
    ("no supplier column", b"finess,product\n750000011,DPI\n"),
    ("nul", b"finess,supplier\n750000011,Evil\x00Corp\n"),
]


@pytest.mark.parametrize("name,data", SUPPLIER_CASES, ids=[c[0] for c in SUPPLIER_CASES])
def test_supplier_import_refuses_hostile_files_whole(tmp_path, est_a, name, data):
    from django.core.management import CommandError, call_command

    from vigisante.establishments.models import Supplier, SupplierUse

    path = tmp_path / "suppliers.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError) as refusal:
        call_command("import_suppliers", str(path), stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert str(refusal.value).strip(), name
    assert not Supplier.objects.exists() and not SupplierUse.objects.exists()


HHS_CASES = [
    ("binary", b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
    ("empty", b""),
    ("wrong columns", b"a,b,c\n1,2,3\n"),
    ("nul", b"Name of Covered Entity,State\nCH\x00X,CA\n"),
]


@pytest.mark.parametrize("name,data", HHS_CASES, ids=[c[0] for c in HHS_CASES])
def test_hhs_import_refuses_hostile_files(tmp_path, name, data):
    from django.core.management import CommandError, call_command

    from vigisante.observatory.models import HhsBreach

    path = tmp_path / "breach_report.csv"
    path.write_bytes(data)
    with pytest.raises(CommandError) as refusal:
        call_command("import_hhs", str(path), "--quiet", stdout=io.StringIO(),
                     stderr=io.StringIO())
    assert str(refusal.value).strip(), name
    assert not HhsBreach.objects.exists()


VERIS_CASES = [
    ("not json", b"{nope"),
    ("nested 1000", b"[" * 1000 + b"]" * 1000),
    ("array", b"[1, 2, 3]"),
    ("binary", b"\x00\xff" * 500),
    ("object without incident", b'{"evil": "<script>alert(1)</script>"}'),
    # an incident whose action nests just under json's own limit: too deep for the rest
    ("incident nested 900", b'{"summary": "x", "action": ' + b'{"a":' * 900 + b"1"
     + b"}" * 901),
]


@pytest.mark.parametrize("name,data", VERIS_CASES, ids=[c[0] for c in VERIS_CASES])
def test_veris_import_skips_hostile_files_with_a_reason(tmp_path, name, data):
    from django.core.management import call_command

    from vigisante.observatory.models import ExternalIncident

    folder = tmp_path / "veris"
    folder.mkdir()
    (folder / "incident.json").write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_veris", str(folder), stdout=out, stderr=err)
    assert "incident.json" in err.getvalue() or "skipped" in out.getvalue().lower(), name
    assert not ExternalIncident.objects.exists()


MISP_CASES = [
    ("not json", b"{nope"),
    ("nested 1000", b"[" * 1000 + b"]" * 1000),
    ("nested objects", b'{"a":' * 3000 + b"1" + b"}" * 3000),
    ("array", b"[]"),
    ("binary", b"\x89PNG\r\n\x1a\n" + bytes(range(256))),
    ("invalid utf-8", b'{"name": "\xff\xfe", "list": ["example.org"]}'),
    ("no list", b'{"name": "x"}'),
    ("list not a list", b'{"name": "x", "list": "example.org"}'),
    ("only junk values", b'{"name": "x", "list": ["<script>", "", "   "]}'),
    ("no name", b'{"list": ["example.org"]}'),
]


@pytest.mark.parametrize("name,data", MISP_CASES, ids=[c[0] for c in MISP_CASES])
def test_misp_warning_list_import_refuses_hostile_files_whole(client_for, analyst, name,
                                                              data):
    from vigisante.indicators.models import WarningListEntry

    upload = SimpleUploadedFile("list.json", data, content_type="application/json")
    response = client_for(analyst).post("/indicators/warninglists/import/", {"file": upload})
    assert response.status_code == 400, (name, response.status_code)
    assert html(response).select(".errorlist, .error, [role=alert]"), name
    assert not WarningListEntry.objects.exists()


def test_imported_hostile_names_are_rendered_escaped(client_for, analyst, reporter_a, tmp_path):
    """A registry name and a warning-list name full of markup are stored as text and shown
    escaped."""
    from django.core.management import call_command

    from vigisante.establishments.models import Establishment

    path = tmp_path / "registry.csv"
    name = 'CH <script>alert(1)</script><img src=x onerror=alert(2)> (synthetic)'
    path.write_text(REGISTRY_HEADER + f'750000011,"{name}",chu,,public,75,,essential,1\n')
    call_command("import_establishments", str(path), stdout=io.StringIO())
    est = Establishment.objects.get(finess="750000011")
    assert est.name == name
    reporter_a.establishments.add(est)
    upload = SimpleUploadedFile("list.json", json.dumps(
        {"name": XSS, "list": ["example.org"]}).encode())
    staff = client_for(analyst)
    assert staff.post("/indicators/warninglists/import/", {"file": upload}).status_code == 302
    pages = [client_for(reporter_a).get("/reports/new/"), staff.get("/indicators/warninglists/")]
    for response in pages:
        assert response.status_code == 200
        assert not html(response).select("script:not([src]), img[onerror], svg[onload]")
        assert "<script>alert(1)" not in response.content.decode()
