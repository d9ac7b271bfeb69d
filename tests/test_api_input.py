"""Bad input to the reports API: a 4xx JSON error naming the field, nothing written, no 500."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import api_client_for
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigisante.core.models import AuditEvent
from vigisante.reports import services
from vigisante.reports.models import Attachment, IdempotencyKey, Report, ReportUpdate

pytestmark = pytest.mark.django_db

LIST = "/api/v1/reports/"


def valid(est) -> dict:
    return {
        "establishment": est.pk,
        "description": "Phishing wave on the laboratory mailboxes",
        "discovered_at": (timezone.now() - dt.timedelta(hours=1)).isoformat(),
        "ongoing": False,
        "suspected_malicious": "yes",
        "patient_care_affected": "no",
        "support_requested": False,
        "callback_phone": "01 23 45 67 89",
    }


def assert_nothing_written() -> None:
    assert Report.objects.count() == 0
    assert AuditEvent.objects.count() == 0
    assert IdempotencyKey.objects.count() == 0


@pytest.fixture
def client_a(reporter_a):
    return api_client_for(reporter_a)


def test_the_valid_payload_is_valid(client_a, est_a):
    assert client_a.post(LIST, valid(est_a), format="json").status_code == 201


@pytest.mark.parametrize("field,value", [
    ("ongoing", "maybe"),
    ("ongoing", [True]),
    ("support_requested", {"yes": 1}),
    ("discovered_at", 12),
    ("discovered_at", "last tuesday"),
    ("discovered_at", "2024-02-30T10:00:00"),
    ("discovered_at", None),
    ("establishment", "abc"),
    ("establishment", True),
    ("establishment", [1]),
    ("establishment", 1.5),
    ("establishment", None),
    ("establishment", 10**30),
    ("establishment", -1),
    ("description", {"text": "x"}),
    ("description", ["x"]),
    ("description", ""),
    ("description", "   "),
    ("description", None),
    ("suspected_malicious", "perhaps"),
    ("patient_care_affected", 1),
    ("callback_phone", "x" * 31),
])
def test_wrong_types_and_values(client_a, est_a, field, value):
    response = client_a.post(LIST, {**valid(est_a), field: value}, format="json",
                             HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert_nothing_written()


@pytest.mark.parametrize("field", ["establishment", "description", "discovered_at"])
def test_required_fields(client_a, est_a, field):
    payload = valid(est_a)
    del payload[field]
    response = client_a.post(LIST, payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert_nothing_written()


def test_unknown_establishment(client_a, est_a):
    response = client_a.post(LIST, {**valid(est_a), "establishment": est_a.pk + 999},
                             format="json")
    assert response.status_code == 400
    assert "establishment" in response.json()
    assert_nothing_written()


def test_establishment_of_another_organisation(client_a, est_a, est_b):
    response = client_a.post(LIST, {**valid(est_a), "establishment": est_b.pk}, format="json")
    assert response.status_code == 400
    assert "establishment" in response.json()
    # Same answer as for an establishment that does not exist: no existence oracle.
    unknown = client_a.post(LIST, {**valid(est_a), "establishment": est_b.pk + 999},
                            format="json")
    assert set(unknown.json()) == set(response.json()) == {"establishment"}
    assert_nothing_written()


def test_future_discovery(client_a, est_a):
    future = (timezone.now() + dt.timedelta(days=2)).isoformat()
    response = client_a.post(LIST, {**valid(est_a), "discovered_at": future}, format="json")
    assert response.status_code == 400
    assert "discovered_at" in response.json()
    assert_nothing_written()


def test_ancient_discovery(client_a, est_a):
    response = client_a.post(LIST, {**valid(est_a), "discovered_at": "0001-01-01T00:00:00Z"},
                             format="json")
    assert response.status_code == 400
    assert "discovered_at" in response.json()
    assert_nothing_written()


def test_megabyte_string(client_a, est_a):
    response = client_a.post(LIST, {**valid(est_a), "description": "x" * 1_000_000},
                             format="json")
    assert response.status_code == 400
    assert "description" in response.json()
    assert_nothing_written()


def test_body_larger_than_the_limit_is_refused_before_parsing(client_a, est_a):
    body = json.dumps({**valid(est_a), "description": "x" * 3_000_000})
    response = client_a.post(LIST, body, content_type="application/json")
    assert response.status_code == 413
    assert "detail" in response.json()
    assert_nothing_written()


@pytest.mark.parametrize("text", ["nul \x00 inside", "lone surrogate \ud800 inside"])
def test_forbidden_characters(client_a, est_a, text):
    body = json.dumps({**valid(est_a), "description": text})  # ASCII-escaped JSON
    response = client_a.post(LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert "description" in response.json()
    assert_nothing_written()


def test_invalid_utf8_body(client_a, est_a):
    body = json.dumps(valid(est_a)).replace("Phishing", "Phi\udcffing").encode(
        "utf-8", "surrogateescape")
    response = client_a.post(LIST, body, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert_nothing_written()


@pytest.mark.parametrize("body", ['{"establishment": 1,', "not json", "", "[1, 2]", '"text"',
                                  "null", "{'single': 'quotes'}", "NaN"])
def test_malformed_json(client_a, body):
    response = client_a.post(LIST, body, content_type="application/json")
    assert response.status_code == 400, response.content
    assert response.json()
    assert_nothing_written()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded",
                                          "application/xml", "multipart/form-data; boundary=x"])
def test_wrong_content_type(client_a, est_a, content_type):
    response = client_a.post(LIST, json.dumps(valid(est_a)), content_type=content_type)
    assert response.status_code == 415
    assert "detail" in response.json()
    assert_nothing_written()


def test_unknown_field(client_a, est_a):
    response = client_a.post(LIST, {**valid(est_a), "reference": "VS-2020-00001",
                                    "root_cause": "x"}, format="json")
    assert response.status_code == 400
    assert {"reference", "root_cause"} <= set(response.json())
    assert_nothing_written()


@pytest.mark.parametrize("key", ["x" * 201, "has space", "accentué", ""])
def test_bad_idempotency_key(client_a, est_a, key):
    response = client_a.post(LIST, valid(est_a), format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert_nothing_written()


# --- stages --------------------------------------------------------------------------------


@pytest.fixture
def report_a(reporter_a, early_warning_data):
    report = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    report.events_before = AuditEvent.objects.count()  # the trail is append-only
    return report


@pytest.mark.parametrize("stage,field,value", [
    ("notification", "systems_hit", ["toaster"]),
    ("notification", "systems_hit", "dpi"),
    ("notification", "operations_impact", "meh"),
    ("notification", "people_affected", -1),
    ("notification", "people_affected", 10**30),
    ("notification", "records_affected", "many"),
    ("notification", "complaint_filed_on", "2999-01-01"),
    ("notification", "complaint_filed_on", "2024-01-01T10:00:00"),
    ("notification", "degraded_since", "2999-01-01T00:00:00Z"),
    ("notification", "perimeter", "y" * 6000),
    ("notification", "patient_danger", "actual"),  # needs a narrative
    ("notification", "ransom_demanded", "perhaps"),
    ("notification", "root_cause", "a final-stage field"),
    ("final", "resolved_at", "2999-01-01T00:00:00Z"),
    ("final", "resolved_at", "2001-01-01T00:00:00Z"),  # before it was found
    ("final", "root_cause", "z" * 20_000),
    ("final", "complete", "sure"),
    ("final", "perimeter", "a notification field"),
])
def test_bad_stage_input(reporter_a, report_a, stage, field, value):
    client = api_client_for(reporter_a)
    response = client.patch(f"/api/v1/reports/{report_a.pk}/{stage}/", {field: value},
                            format="json")
    assert response.status_code == 400, response.content
    expected = "patient_danger_narrative" if field == "patient_danger" else field
    assert expected in response.json()
    assert AuditEvent.objects.count() == report_a.events_before
    report_a.refresh_from_db()
    assert report_a.version == 1


@pytest.mark.parametrize("body", ["{", "[]", "\"x\""])
def test_malformed_stage_body(reporter_a, report_a, body):
    response = api_client_for(reporter_a).patch(f"/api/v1/reports/{report_a.pk}/notification/",
                                                body, content_type="application/json")
    assert response.status_code == 400
    report_a.refresh_from_db()
    assert report_a.version == 1


# --- updates and attachments ---------------------------------------------------------------


@pytest.mark.parametrize("payload,field", [
    ({"text": ""}, "text"),
    ({"text": "   "}, "text"),
    ({"text": "u" * 10_001}, "text"),
    ({"text": "ok", "created_at": "2999-01-01T00:00:00Z"}, "created_at"),
    ({"text": "ok", "created_at": "soon"}, "created_at"),
    ({"text": ["list"]}, "text"),
    ({}, "text"),
])
def test_bad_updates(reporter_a, report_a, payload, field):
    response = api_client_for(reporter_a).post(f"/api/v1/reports/{report_a.pk}/updates/",
                                               payload, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert ReportUpdate.objects.count() == 0
    report_a.refresh_from_db()
    assert report_a.version == 1


@pytest.mark.parametrize("name,content", [
    ("malware.exe", b"MZ\x90\x00"),
    ("script.html", b"<script>alert(1)</script>"),
    ("fake.pdf", b"not a pdf"),
    ("binary.txt", b"\x00\x01\x02\xff\xfe"),
    ("empty.txt", b""),
])
def test_disallowed_attachments(reporter_a, report_a, name, content):
    response = api_client_for(reporter_a).post(
        f"/api/v1/reports/{report_a.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content)}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    assert Attachment.objects.count() == 0


def test_attachment_without_file(reporter_a, report_a):
    client = api_client_for(reporter_a)
    url = f"/api/v1/reports/{report_a.pk}/attachments/"
    response = client.post(url, {"other": "x"}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()
    as_json = client.post(url, {"file": "aGVsbG8="}, format="json")
    assert as_json.status_code == 415


@override_settings(MAX_ATTACHMENT_BYTES=1024)
def test_oversize_attachment(reporter_a, report_a):
    client = api_client_for(reporter_a)
    url = f"/api/v1/reports/{report_a.pk}/attachments/"
    # Slightly too large: checked by the service after upload.
    response = client.post(url, {"file": SimpleUploadedFile("big.txt", b"a" * 2048)},
                           format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    # Far too large: refused from Content-Length, before the upload is read.
    response = client.post(url, {"file": SimpleUploadedFile("huge.txt", b"a" * 200_000)},
                           format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    assert Attachment.objects.count() == 0


# --- generated input -----------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=5,
)
FIELDS = ["establishment", "description", "discovered_at", "ongoing", "suspected_malicious",
          "patient_care_affected", "support_requested", "callback_phone", "channel"]


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(overrides=st.dictionaries(st.sampled_from(FIELDS), json_values, min_size=1))
def test_generated_payloads_never_500(client_a, est_a, overrides):
    payload = {**valid(est_a), **overrides}
    before = Report.objects.count()
    response = client_a.post(LIST, payload, format="json")
    assert response.status_code in (201, 400), response.content
    if response.status_code == 400:
        assert set(response.json()) & set(overrides)
        assert Report.objects.count() == before
