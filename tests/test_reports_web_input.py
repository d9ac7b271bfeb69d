"""Bad input on every report form: a clear message next to the field, nothing written, no 500."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from conftest import html
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from vigisante.core.models import AuditEvent
from vigisante.reports.models import Attachment, Report, ReportUpdate

pytestmark = pytest.mark.django_db
MEGABYTE_TEXT = "é" * 1_000_000


def valid_early_warning(est) -> dict:
    return {
        "establishment": str(est.pk), "description": "Panne totale du DPI",
        "discovered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "ongoing": "yes",
        "suspected_malicious": "unknown", "patient_care_affected": "yes",
        "support_requested": "no", "callback_phone": "", "submission": str(uuid.uuid4()),
    }


def assert_field_error(response, field: str) -> None:
    """A refused form answers 400 with the same page: the message next to the field."""
    assert response.status_code == 400, response.status_code
    page = html(response)
    assert page.select_one(f"#id_{field}_error li"), f"no error next to {field}"
    assert page.select_one(".error-summary[role=alert]")


@pytest.mark.parametrize("field, value", [
    ("discovered_at", "2999-01-01T10:00"),
    ("discovered_at", "1999-12-31T10:00"),
    ("discovered_at", "2024-02-30T10:00"),
    ("discovered_at", "demain"),
    ("discovered_at", ""),
    ("description", MEGABYTE_TEXT),
    ("description", "Nul\x00byte"),
    ("description", "   "),
    ("ongoing", "perhaps"),
    ("suspected_malicious", "maybe"),
    ("patient_care_affected", ""),
    ("support_requested", "1"),
    ("establishment", "abc"),
    ("establishment", "99999999999999999999999"),
    ("callback_phone", "<script>alert(1)</script>"),
    ("callback_phone", "0" * 31),
    ("callback_phone", "12"),
])
def test_early_warning_rejects(client_for, reporter_a, est_a, field, value):
    data = valid_early_warning(est_a)
    data[field] = value
    response = client_for(reporter_a).post(reverse("reports:early_warning"), data)
    assert_field_error(response, field)
    assert not Report.objects.exists()


def test_early_warning_establishment_left_empty(client_for, reporter_a, est_a, est_b):
    """One establishment: nothing to choose (issue 10), the report is for it; two: say which."""
    from conftest import make_user

    data = valid_early_warning(est_a)
    data["establishment"] = ""
    two = make_user("two@example.org", establishments=[est_a, est_b])
    assert_field_error(client_for(two).post(reverse("reports:early_warning"), data),
                       "establishment")
    assert not Report.objects.exists()
    response = client_for(reporter_a).post(reverse("reports:early_warning"), data)
    assert response.status_code == 302 and Report.objects.get().establishment == est_a


def test_early_warning_for_another_establishment(client_for, reporter_a, est_a, est_b):
    data = valid_early_warning(est_a)
    data["establishment"] = str(est_b.pk)
    response = client_for(reporter_a).post(reverse("reports:early_warning"), data)
    assert_field_error(response, "establishment")
    assert not Report.objects.exists()


def test_nonexistent_local_time_is_explained(client_for, reporter_a, est_a):
    data = valid_early_warning(est_a)
    data["discovered_at"] = "2025-03-30T02:30"  # skipped by the spring DST change in Paris
    response = client_for(reporter_a).post(reverse("reports:early_warning"), data)
    assert_field_error(response, "discovered_at")


def test_text_error_is_clear(client_for, reporter_a, est_a):
    data = valid_early_warning(est_a)
    data["description"] = "x" * 6000
    page = html(client_for(reporter_a).post(reverse("reports:early_warning"), data))
    message = page.select_one("#id_description_error").get_text()
    assert "5000" in message and "6000" in message


@pytest.mark.parametrize(("lang", "title", "limit"), [
    ("fr", "Trop de données envoyées d'un coup", "2,0\xa0Mio"),
    ("en", "Too much sent at once", "2.0\xa0MB")])
def test_body_over_the_upload_limit_is_a_413_page_that_says_so(client_for, reporter_a, est_a,
                                                              lang, title, limit):
    # A 10 MB text pasted in the early warning: not "request not understood" (a 400 that
    # said nothing of the size), but what happened, the limit and what to do.
    data = valid_early_warning(est_a)
    data["description"] = "x" * 10_000_000
    response = client_for(reporter_a).post(reverse("reports:early_warning"), data,
                                           HTTP_ACCEPT_LANGUAGE=lang)
    assert response.status_code == 413
    page = html(response)
    assert page.select_one("h1").get_text() == title
    lead = page.select_one(".error-page .lead").get_text()
    assert limit in lead and ("fichier joint" in lead if lang == "fr" else "attached file" in lead)
    assert page.select_one(f"a[href='{reverse('reports:early_warning')}']")
    assert not Report.objects.exists()


def test_invalid_utf8_in_the_body_is_not_a_500(client_for, reporter_a, est_a):
    data = valid_early_warning(est_a)
    fields = [f"{k}={v}" for k, v in data.items() if k != "description"]
    body = ("&".join(fields) + "&description=").encode() + b"Rapport \xff\xfe\xc3( fin"
    response = client_for(reporter_a).post(
        reverse("reports:early_warning"), body,
        content_type="application/x-www-form-urlencoded")
    # Django decodes a body that is not UTF-8 as Latin-1: garbled, stored as text, no 500.
    assert response.status_code == 302
    assert Report.objects.get().description == "Rapport ÿþÃ( fin"


def test_invalid_percent_encoded_utf8_is_not_a_500(client_for, reporter_a, report_a):
    client = client_for(reporter_a)
    response = client.post(reverse("reports:add_update", args=[report_a.pk]),
                           b"text=%FF%FE%C3%28", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 302
    assert report_a.updates.get().text == "\ufffd\ufffd\ufffd("
    url = reverse("reports:notification", args=[report_a.pk])
    response = client.post(url, b"version=%FF&perimeter=%C3&action=draft",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400  # the version is refused: the page says so
    assert html(response).select_one("#id_version_error li, .error-summary[role=alert]")
    report_a.refresh_from_db()
    assert report_a.version == 2  # the update above; the notification saved nothing


def test_invalid_utf8_in_a_query_string_is_not_a_500(client_for, analyst):
    response = client_for(analyst).get(reverse("triage:queue") + "?q=%FF%FE&region=%C3")
    assert response.status_code in (200, 400)  # the bad region is explained
    old = client_for(analyst).get(reverse("reports:incoming") + "?q=%FF%FE&region=%C3",
                                  follow=True)
    assert old.status_code in (200, 400)


@pytest.mark.parametrize("field, value", [
    ("people_affected", "-1"),
    ("people_affected", "1e99"),
    ("people_affected", "99999999999999999999999"),
    ("records_affected", "99999999999999999999999"),
    ("systems_hit", "teleporter"),
    ("operations_impact", "exploded"),
    ("patient_danger", "extreme"),
    ("complaint_filed_on", "2999-01-01"),
    ("dpa_notified_on", "31/02/2024"),
    ("degraded_since", "2999-01-01T00:00"),
    ("degraded_until", "not a date"),
    ("measures_taken", MEGABYTE_TEXT),
    ("perimeter", "a\x00b"),
    ("supplier_name", "s" * 201),
])
def test_notification_rejects(client_for, reporter_a, report_a, field, value):
    data = {"version": "1", "action": "draft", "perimeter": "Urgences", field: value}
    response = client_for(reporter_a).post(
        reverse("reports:notification", args=[report_a.pk]), data)
    assert_field_error(response, field)
    report_a.refresh_from_db()
    assert report_a.version == 1 and report_a.perimeter == ""


@pytest.mark.parametrize("version", ["", "abc", "0", "-3"])
def test_notification_bad_version_writes_nothing(client_for, reporter_a, report_a, version):
    response = client_for(reporter_a).post(
        reverse("reports:notification", args=[report_a.pk]),
        {"version": version, "perimeter": "X", "action": "submit"})
    assert response.status_code == 400
    assert html(response).select_one(".error-summary[role=alert] li")
    report_a.refresh_from_db()
    assert report_a.version == 1


def test_degraded_end_before_start(client_for, reporter_a, report_a):
    now = timezone.localtime()
    response = client_for(reporter_a).post(
        reverse("reports:notification", args=[report_a.pk]), {
            "version": "1", "action": "draft", "operations_impact": "degraded",
            "degraded_since": now.strftime("%Y-%m-%dT%H:%M"),
            "degraded_until": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")})
    assert_field_error(response, "degraded_until")


def test_a_count_past_the_databases_limit_says_so_in_words(client_for, reporter_a, report_a):
    """A count too large for the database is a typing error: the message says so, in French
    by default, without the limit's nineteen digits."""
    response = client_for(reporter_a).post(
        reverse("reports:notification", args=[report_a.pk]), {
            "version": "1", "action": "draft", "people_affected": "99999999999",
            "records_affected": "99999999999999999999"}, HTTP_ACCEPT_LANGUAGE="fr")
    page = html(response)
    assert response.status_code == 400
    assert "trop grand pour un nombre de personnes" in page.select_one(
        "#id_people_affected_error").text
    records = page.select_one("#id_records_affected_error").text
    assert "trop grand pour un nombre d'enregistrements" in records
    assert "9223372036854775807" not in page.text and "2147483647" not in page.text


def test_notification_shows_every_error_in_one_round(client_for, reporter_a, report_a):
    """A field the form refuses (a negative count) and errors only saving would find (an end
    of degraded mode before its start, a CNIL date before the incident was found): all shown
    at once, not one round after another; nothing saved."""
    now = timezone.localtime()
    response = client_for(reporter_a).post(
        reverse("reports:notification", args=[report_a.pk]), {
            "version": "1", "action": "submit", "people_affected": "-1",
            "operations_impact": "degraded",
            "degraded_since": now.strftime("%Y-%m-%dT%H:%M"),
            "degraded_until": (now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "dpa_notified_on": "1800-01-01"})
    for field in ("people_affected", "degraded_until", "dpa_notified_on"):
        assert_field_error(response, field)
    summary = html(response).select(".error-summary[role=alert] li")
    assert len(summary) >= 3
    report_a.refresh_from_db()
    assert report_a.version == 1 and report_a.degraded_since is None


def test_final_report_shows_every_error_in_one_round(client_for, reporter_a, report_a):
    before = timezone.localtime(report_a.discovered_at) - dt.timedelta(days=30)
    response = client_for(reporter_a).post(reverse("reports:final", args=[report_a.pk]), {
        "version": "1", "action": "draft", "resolved_at": before.strftime("%Y-%m-%dT%H:%M"),
        "root_cause": "x" * 200_000})
    assert_field_error(response, "resolved_at")
    assert_field_error(response, "root_cause")


@pytest.mark.parametrize("field, value", [
    ("resolved_at", "2999-01-01T00:00"),
    ("root_cause", MEGABYTE_TEXT),
    ("lessons_learned", "\x00"),
])
def test_final_rejects(client_for, reporter_a, report_a, field, value):
    response = client_for(reporter_a).post(reverse("reports:final", args=[report_a.pk]),
                                           {"version": "1", "action": "draft", field: value})
    assert_field_error(response, field)
    report_a.refresh_from_db()
    assert report_a.version == 1


@pytest.mark.parametrize("text", [MEGABYTE_TEXT, "", "\x00"])
def test_update_rejects(client_for, reporter_a, report_a, text):
    response = client_for(reporter_a).post(reverse("reports:add_update", args=[report_a.pk]),
                                           {"text": text})
    assert_field_error(response, "text")
    assert not ReportUpdate.objects.exists()


@pytest.mark.parametrize("name, content", [
    ("malware.exe", b"MZ\x90\x00"),
    ("page.html", b"<html><script>alert(1)</script>"),
    ("image.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
    ("fake.pdf", b"MZ not a pdf"),
    ("photo.png", b"GIF89a"),
    ("notes.txt", b"\x00\x01\x02binary"),
    ("empty.pdf", b""),
    ("no-extension", b"%PDF-1.4"),
])
def test_disallowed_attachments_are_refused(client_for, reporter_a, report_a, name, content):
    response = client_for(reporter_a).post(
        reverse("reports:add_attachment", args=[report_a.pk]),
        {"file": SimpleUploadedFile(name, content)})
    assert_field_error(response, "file")
    assert not Attachment.objects.exists()


def test_oversized_attachment_is_refused(client_for, reporter_a, report_a, settings):
    settings.MAX_ATTACHMENT_BYTES = 1024 * 1024
    response = client_for(reporter_a).post(
        reverse("reports:add_attachment", args=[report_a.pk]),
        {"file": SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (1024 * 1024 + 1))})
    assert_field_error(response, "file")
    assert "too large" in html(response).select_one("#id_file_error").get_text()
    assert not Attachment.objects.exists()


def test_missing_file_is_explained(client_for, reporter_a, report_a):
    response = client_for(reporter_a).post(
        reverse("reports:add_attachment", args=[report_a.pk]), {})
    assert_field_error(response, "file")


def test_attachment_name_cannot_escape(client_for, reporter_a, report_a):
    client_for(reporter_a).post(
        reverse("reports:add_attachment", args=[report_a.pk]),
        {"file": SimpleUploadedFile("../../etc/passwd.txt", b"root:x:0:0")})
    att = Attachment.objects.get()
    assert att.original_name == "passwd.txt"
    assert ".." not in att.file.name and att.file.name.startswith(f"{report_a.pk}/")


def test_attachment_of_another_establishment(client_for, reporter_b, report_a):
    response = client_for(reporter_b).post(
        reverse("reports:add_attachment", args=[report_a.pk]),
        {"file": SimpleUploadedFile("a.pdf", b"%PDF-1.4")})
    assert response.status_code == 404
    assert not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action="report.attachment_added").exists()


@pytest.mark.parametrize("path", [
    "/reports/99999999999999999999999/",
    "/reports/99999999999999999999999/notification/",
    "/reports/0/final/",
    "/reports/1/attachments/99999999999999999999999/",
])
def test_huge_or_unknown_ids_are_404(client_for, reporter_a, report_a, path):
    assert client_for(reporter_a).get(path).status_code == 404
