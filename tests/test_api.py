"""The reports API: create, list, read, complete stages, updates, attachments, tenancy."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import PASSWORD, api_client_for, make_user
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from vigisante.core.models import AuditEvent
from vigisante.reports import services
from vigisante.reports.models import Attachment, Report, ReportUpdate, Stage

pytestmark = pytest.mark.django_db

LIST = "/api/v1/reports/"


def detail(pk: int) -> str:
    return f"/api/v1/reports/{pk}/"


def ew_payload(est, **extra) -> dict:
    payload = {
        "establishment": est.pk,
        "description": "Ransomware notes on the emergency department's workstations",
        "discovered_at": (timezone.now() - dt.timedelta(hours=2)).isoformat(),
        "ongoing": True,
        "suspected_malicious": "yes",
        "patient_care_affected": "unknown",
        "support_requested": True,
        "callback_phone": "+33 6 12 34 56 78",
    }
    payload.update(extra)
    return payload


@pytest.fixture
def report_a(reporter_a, early_warning_data) -> Report:
    return services.create_early_warning(actor=reporter_a, data=early_warning_data)


@pytest.fixture
def report_b(reporter_b, est_b, early_warning_data) -> Report:
    return services.create_early_warning(actor=reporter_b,
                                         data={**early_warning_data, "establishment": est_b})


# --- ping and authentication --------------------------------------------------------------


def test_ping_needs_a_token(reporter_a):
    assert APIClient().get("/api/v1/ping/").status_code in (401, 403)
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token vs_not-a-real-token")
    assert bad.get("/api/v1/ping/").status_code in (401, 403)
    response = api_client_for(reporter_a).get("/api/v1/ping/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_revoked_token_is_refused(reporter_a):
    from vigisante.accounts.models import ApiToken

    token, raw = ApiToken.issue(reporter_a, "revoked")
    token.revoke()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert client.get(LIST).status_code in (401, 403)


def test_staff_session_without_second_factor_is_refused(analyst, report_a):
    client = APIClient()
    assert client.login(email=analyst.email, password=PASSWORD)
    response = client.get(LIST)
    assert response.status_code in (401, 403)
    assert "results" not in response.json()
    # A token is its own credential.
    assert api_client_for(analyst).get(LIST).json()["count"] == 1


def test_reporter_session_can_use_the_api(reporter_a, report_a):
    client = APIClient()
    assert client.login(email=reporter_a.email, password=PASSWORD)
    assert client.get(LIST).json()["count"] == 1


# --- create --------------------------------------------------------------------------------


def test_reporter_files_an_early_warning(reporter_a, est_a, mailoutbox):
    client = api_client_for(reporter_a)
    response = client.post(LIST, ew_payload(est_a), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    report = Report.objects.get()
    assert body["id"] == report.pk
    assert body["reference"] == report.reference
    assert body["reference"].startswith(f"VS-{timezone.localtime().year}-")
    assert body["channel"] == "api" and report.channel == "api"
    assert body["establishment"] == {"id": est_a.pk, "finess": est_a.finess, "name": est_a.name}
    assert body["stage"] == "early_warning"
    assert body["version"] == 1
    assert body["missing_stages"] == ["notification", "final"]
    assert body["updates"] == [] and body["attachments"] == []
    assert response["Location"].endswith(detail(report.pk))
    assert response["ETag"] == '"1"'
    assert report.created_by == reporter_a
    assert AuditEvent.objects.filter(action="report.create").count() == 1


def test_defaults_apply_to_optional_fields(reporter_a, est_a):
    payload = {k: v for k, v in ew_payload(est_a).items()
               if k in ("establishment", "description", "discovered_at")}
    response = api_client_for(reporter_a).post(LIST, payload, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["suspected_malicious"] == "unknown"
    assert response.json()["callback_phone"] == ""


def test_analyst_records_a_phone_report_on_behalf(analyst, est_b):
    response = api_client_for(analyst).post(LIST, ew_payload(est_b, channel="phone"),
                                            format="json")
    assert response.status_code == 201, response.content
    assert Report.objects.get().channel == "phone"
    assert Report.objects.get().establishment == est_b


@pytest.mark.parametrize("channel", ["phone", "email", "web", "import"])
def test_reporter_cannot_choose_another_channel(reporter_a, est_a, channel):
    response = api_client_for(reporter_a).post(LIST, ew_payload(est_a, channel=channel),
                                               format="json")
    assert response.status_code == 400
    assert "channel" in response.json()
    assert Report.objects.count() == 0


def test_analyst_cannot_use_import_channel(analyst, est_a):
    response = api_client_for(analyst).post(LIST, ew_payload(est_a, channel="import"),
                                            format="json")
    assert response.status_code == 400 and "channel" in response.json()


def test_observer_cannot_file(observer, est_a):
    """The policy gives observers no "create" on reports: the route does not exist for them."""
    response = api_client_for(observer).post(LIST, ew_payload(est_a), format="json")
    assert response.status_code == 404
    assert Report.objects.count() == 0


# --- list ----------------------------------------------------------------------------------


def test_list_shows_only_visible_reports(reporter_a, reporter_b, analyst, observer,
                                         report_a, report_b):
    refs_a = [r["reference"] for r in api_client_for(reporter_a).get(LIST).json()["results"]]
    assert refs_a == [report_a.reference]
    refs_b = [r["reference"] for r in api_client_for(reporter_b).get(LIST).json()["results"]]
    assert refs_b == [report_b.reference]
    everything = api_client_for(analyst).get(LIST).json()
    assert everything["count"] == 2
    assert [r["reference"] for r in everything["results"]] == [report_b.reference,
                                                               report_a.reference]
    nothing = api_client_for(observer).get(LIST)  # observers see figures only
    assert nothing.status_code == 404
    assert APIClient().get(LIST).status_code in (401, 403)


def test_reporter_of_two_establishments_sees_both_once(est_a, est_b, early_warning_data):
    both = make_user("both@example.org", establishments=[est_a, est_b])
    services.create_early_warning(actor=both, data=early_warning_data)
    services.create_early_warning(actor=both, data={**early_warning_data, "establishment": est_b})
    body = api_client_for(both).get(LIST).json()
    assert body["count"] == 2 and len(body["results"]) == 2


def test_list_filters(analyst, reporter_a, est_a, est_b, report_a, report_b):
    client = api_client_for(analyst)
    services.save_notification(actor=reporter_a, report_id=report_a.pk,
                               data={"operations_impact": "partial"}, complete=True)

    def refs(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.content
        return {r["reference"] for r in response.json()["results"]}

    assert refs(stage="notification") == {report_a.reference}
    assert refs(stage="early_warning") == {report_b.reference}
    assert refs(establishment=est_b.pk) == {report_b.reference}
    assert refs(created_after=(timezone.now() - dt.timedelta(minutes=5)).isoformat()) == {
        report_a.reference, report_b.reference}
    Report.objects.filter(pk=report_a.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    yesterday = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert refs(created_before=yesterday) == {report_a.reference}
    assert refs(created_after=yesterday) == {report_b.reference}
    # A reporter filtering on another establishment gets nothing, not an error.
    assert api_client_for(reporter_a).get(LIST, {"establishment": est_b.pk}).json()["count"] == 0


@pytest.mark.parametrize("params,field", [
    ({"stage": "closed"}, "stage"),
    ({"establishment": "abc"}, "establishment"),
    ({"created_after": "yesterday"}, "created_after"),
    ({"created_before": "2024-13-45"}, "created_before"),
])
def test_bad_filters_are_400(analyst, params, field):
    response = api_client_for(analyst).get(LIST, params)
    assert response.status_code == 400
    assert field in response.json()


def test_list_is_paginated(analyst, reporter_a, early_warning_data):
    for _ in range(7):
        services.create_early_warning(actor=reporter_a, data=early_warning_data)
    body = api_client_for(analyst).get(LIST, {"limit": 3, "offset": 3}).json()
    assert body["count"] == 7
    assert len(body["results"]) == 3
    assert body["next"] and body["previous"]


@pytest.mark.parametrize("role", ["reporter", "analyst"])
def test_list_has_a_bounded_number_of_queries(role, reporter_a, analyst, early_warning_data,
                                              django_assert_max_num_queries):
    user = reporter_a if role == "reporter" else analyst
    client = api_client_for(user)
    client.get(LIST)  # token's last use recorded once
    for n in (2, 25):
        while Report.objects.count() < n:
            services.create_early_warning(actor=reporter_a, data=early_warning_data)
        with django_assert_max_num_queries(5):  # 4 + the audit journal's INSERT
            response = client.get(LIST)
        assert response.json()["count"] == n


# --- detail --------------------------------------------------------------------------------


def test_detail_has_everything(reporter_a, report_a):
    services.add_update(actor=reporter_a, report_id=report_a.pk, text="Backups restored")
    services.add_attachment(actor=reporter_a, report_id=report_a.pk,
                            uploaded=SimpleUploadedFile("log.txt", b"suspicious lines\n"))
    report_a.refresh_from_db()
    response = api_client_for(reporter_a).get(detail(report_a.pk))
    assert response.status_code == 200
    body = response.json()
    assert body["reference"] == report_a.reference
    assert body["version"] == report_a.version
    assert response["ETag"] == f'"{report_a.version}"'
    assert body["missing_stages"] == ["notification", "final"]
    assert [u["text"] for u in body["updates"]] == ["Backups restored"]
    assert body["updates"][0]["author"] == str(reporter_a)
    [att] = body["attachments"]
    assert att["name"] == "log.txt" and att["size"] == 17 and att["content_type"] == "text/plain"
    assert att["url"].endswith(f"{detail(report_a.pk)}attachments/{att['id']}/")
    for key in ("systems_hit", "operations_impact", "root_cause", "lessons_learned",
                "callback_phone", "notification_at", "final_at"):
        assert key in body


def test_detail_has_a_bounded_number_of_queries(reporter_a, report_a,
                                                django_assert_max_num_queries):
    for i in range(5):
        services.add_update(actor=reporter_a, report_id=report_a.pk, text=f"update {i}")
        services.add_attachment(actor=reporter_a, report_id=report_a.pk,
                                uploaded=SimpleUploadedFile(f"f{i}.txt", b"text\n"))
    client = api_client_for(reporter_a)
    client.get(LIST)
    with django_assert_max_num_queries(5):  # 4 + the audit journal's INSERT
        assert client.get(detail(report_a.pk)).status_code == 200


def test_detail_of_another_establishment_is_404_like_a_missing_one(
        reporter_b, observer, report_a):
    for user in (reporter_b, observer):
        client = api_client_for(user)
        hidden = client.get(detail(report_a.pk))
        missing = client.get(detail(report_a.pk + 1000))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json() == missing.json()
        assert report_a.reference not in hidden.content.decode()


def test_analyst_reads_any_report(analyst, report_a):
    assert api_client_for(analyst).get(detail(report_a.pk)).json()["reference"] == \
        report_a.reference


# --- stages and versions -------------------------------------------------------------------


def test_notification_in_several_saves_then_complete(reporter_a, report_a):
    client = api_client_for(reporter_a)
    url = f"{detail(report_a.pk)}notification/"
    first = client.patch(url, {"systems_hit": ["dpi", "email"], "perimeter": "Emergency"},
                         format="json")
    assert first.status_code == 200, first.content
    assert first.json()["version"] == 2 and first.json()["stage"] == "early_warning"
    assert first["ETag"] == '"2"'
    second = client.patch(url, {"operations_impact": "degraded",
                                "degraded_since": timezone.now().isoformat(),
                                "version": 2, "complete": True}, format="json")
    assert second.status_code == 200, second.content
    body = second.json()
    assert body["stage"] == "notification" and body["version"] == 3
    assert body["systems_hit"] == ["dpi", "email"]
    assert body["missing_stages"] == ["final"]
    assert body["notification_at"]


def test_completing_notification_needs_the_impact(reporter_a, report_a):
    response = api_client_for(reporter_a).patch(f"{detail(report_a.pk)}notification/",
                                                {"complete": True}, format="json")
    assert response.status_code == 400
    assert "operations_impact" in response.json()
    report_a.refresh_from_db()
    assert report_a.version == 1 and report_a.stage == Stage.EARLY_WARNING


def test_final_report_closes_the_report(reporter_a, report_a):
    client = api_client_for(reporter_a)
    early = client.patch(f"{detail(report_a.pk)}final/",
                         {"root_cause": "VPN without MFA",
                          "resolved_at": timezone.now().isoformat(), "complete": True},
                         format="json")
    assert early.status_code == 400 and "stage" in early.json()
    client.patch(f"{detail(report_a.pk)}notification/",
                 {"operations_impact": "partial", "complete": True}, format="json")
    done = client.patch(f"{detail(report_a.pk)}final/",
                        {"root_cause": "VPN without MFA",
                         "resolved_at": timezone.now().isoformat(),
                         "lessons_learned": "MFA everywhere", "complete": True}, format="json")
    assert done.status_code == 200, done.content
    body = done.json()
    assert body["stage"] == "final" and body["ongoing"] is False
    assert body["missing_stages"] == []


def test_stale_version_is_409_and_writes_nothing(reporter_a, report_a):
    client = api_client_for(reporter_a)
    url = f"{detail(report_a.pk)}notification/"
    assert client.patch(url, {"perimeter": "Lab", "version": 1}, format="json").status_code == 200
    events = AuditEvent.objects.count()
    stale = client.patch(url, {"perimeter": "Whole hospital", "version": 1}, format="json",
                         HTTP_ACCEPT_LANGUAGE="en")
    assert stale.status_code == 409
    body = stale.json()
    assert "changed by someone else" in body["detail"]
    assert body["version"] and body["current_version"] == 2
    report_a.refresh_from_db()
    assert report_a.perimeter == "Lab" and report_a.version == 2
    assert AuditEvent.objects.count() == events


def test_if_match_header(reporter_a, report_a):
    client = api_client_for(reporter_a)
    url = f"{detail(report_a.pk)}final/"
    etag = client.get(detail(report_a.pk))["ETag"]
    ok = client.patch(url, {"root_cause": "Phishing"}, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200
    stale = client.patch(url, {"root_cause": "Something else"}, format="json",
                         HTTP_IF_MATCH=etag)
    assert stale.status_code == 409
    weak = client.patch(url, {"root_cause": "Weak tag"}, format="json",
                        HTTP_IF_MATCH=f'W/{ok["ETag"]}')
    assert weak.status_code == 200
    report_a.refresh_from_db()
    assert report_a.root_cause == "Weak tag"


@pytest.mark.parametrize("headers,body,field", [
    ({"HTTP_IF_MATCH": '"abc"'}, {}, "If-Match"),
    ({"HTTP_IF_MATCH": '"1"'}, {"version": 7}, "version"),
    ({}, {"version": "one"}, "version"),
    ({}, {"version": 0}, "version"),
])
def test_bad_versions_are_400(reporter_a, report_a, headers, body, field):
    response = api_client_for(reporter_a).patch(f"{detail(report_a.pk)}notification/",
                                                {"perimeter": "x", **body}, format="json",
                                                **headers)
    assert response.status_code == 400
    assert field in response.json()
    report_a.refresh_from_db()
    assert report_a.version == 1 and report_a.perimeter == ""


def test_other_establishment_cannot_patch(reporter_b, observer, report_a):
    for user in (reporter_b, observer):
        for stage in ("notification", "final"):
            response = api_client_for(user).patch(f"{detail(report_a.pk)}{stage}/",
                                                  {"perimeter": "pwned", "root_cause": "x"},
                                                  format="json")
            assert response.status_code == 404
    report_a.refresh_from_db()
    assert report_a.version == 1 and report_a.perimeter == ""


# --- updates -------------------------------------------------------------------------------


def test_updates_timeline(reporter_a, analyst, report_a):
    client = api_client_for(reporter_a)
    url = f"{detail(report_a.pk)}updates/"
    earlier = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    first = client.post(url, {"text": "Servers isolated", "created_at": earlier}, format="json")
    assert first.status_code == 201, first.content
    assert first.json()["text"] == "Servers isolated"
    api_client_for(analyst).post(url, {"text": "CERT called back"}, format="json")
    listing = client.get(url)
    assert [u["text"] for u in listing.json()] == ["Servers isolated", "CERT called back"]
    report_a.refresh_from_db()
    assert report_a.version == 3


def test_updates_of_another_establishment_are_404(reporter_b, observer, reporter_a, report_a):
    services.add_update(actor=reporter_a, report_id=report_a.pk, text="secret progress")
    for user in (reporter_b, observer):
        client = api_client_for(user)
        url = f"{detail(report_a.pk)}updates/"
        assert client.get(url).status_code == 404
        assert client.post(url, {"text": "hello"}, format="json").status_code == 404
    assert ReportUpdate.objects.count() == 1


# --- attachments ---------------------------------------------------------------------------


def test_attachment_upload_list_and_download(reporter_a, report_a):
    client = api_client_for(reporter_a)
    url = f"{detail(report_a.pk)}attachments/"
    content = b"%PDF-1.4\n% synthetic ransom note\n"
    response = client.post(url, {"file": SimpleUploadedFile("ransom note.pdf", content)},
                           format="multipart")
    assert response.status_code == 201, response.content
    att = response.json()
    assert att["name"] == "ransom note.pdf" and att["content_type"] == "application/pdf"
    assert att["size"] == len(content)
    assert [a["id"] for a in client.get(url).json()] == [att["id"]]
    download = client.get(att["url"], HTTP_ACCEPT="application/octet-stream")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert AuditEvent.objects.filter(action="attachment.download").count() == 1


def test_attachment_of_another_establishment_is_404(reporter_b, observer, reporter_a,
                                                    report_a, report_b):
    att = services.add_attachment(actor=reporter_a, report_id=report_a.pk,
                                  uploaded=SimpleUploadedFile("a.txt", b"A's secret\n"))
    for user in (reporter_b, observer):
        client = api_client_for(user)
        assert client.get(f"{detail(report_a.pk)}attachments/{att.pk}/").status_code == 404
        # The attachment id of A under B's own report does not work either.
        assert client.get(f"{detail(report_b.pk)}attachments/{att.pk}/").status_code == 404
        assert client.get(f"{detail(report_a.pk)}attachments/").status_code == 404
        upload = client.post(f"{detail(report_a.pk)}attachments/",
                             {"file": SimpleUploadedFile("x.txt", b"x\n")}, format="multipart")
        assert upload.status_code == 404
    assert Attachment.objects.count() == 1


def test_missing_file_on_disk_is_404_not_500(reporter_a, report_a):
    att = services.add_attachment(actor=reporter_a, report_id=report_a.pk,
                                  uploaded=SimpleUploadedFile("a.txt", b"hello\n"))
    att.file.storage.delete(att.file.name)
    response = api_client_for(reporter_a).get(f"{detail(report_a.pk)}attachments/{att.pk}/")
    assert response.status_code == 404


def test_fast_rendering_matches_the_declared_serializer(reporter_a, report_a, rf):
    """The report outputs skip DRF's field machinery for speed: same JSON as the fields."""
    from rest_framework import serializers as drf

    from vigisante.reports import serializers as s

    services.add_update(actor=reporter_a, report_id=report_a.pk, text="Backups restored")
    services.add_attachment(actor=reporter_a, report_id=report_a.pk,
                            uploaded=SimpleUploadedFile("log.txt", b"lines\n"))
    services.save_notification(actor=reporter_a, report_id=report_a.pk, complete=True, data={
        "systems_hit": ["dpi"], "operations_impact": "degraded",
        "degraded_since": timezone.now() - dt.timedelta(minutes=30), "people_affected": 12,
        "records_affected": 3_000_000_000, "complaint_filed_on": timezone.localdate(),
        "patient_danger": "potential", "patient_danger_narrative": "Delayed lab results"})
    services.save_final(actor=reporter_a, report_id=report_a.pk, complete=True, data={
        "root_cause": "VPN", "resolved_at": timezone.now()})
    report = Report.objects.get(pk=report_a.pk)
    request = rf.get("/")
    for cls in (s.ReportSummary, s.ReportDetail):
        serializer = cls(report, context={"request": request})
        fast = serializer.data
        slow = drf.ModelSerializer.to_representation(serializer, report)
        assert fast == slow
        assert list(fast) == list(slow)


@pytest.mark.skipif(connection.vendor != "sqlite",
                    reason="the writers' queue exists on SQLite only")
@pytest.mark.django_db(transaction=True)
def test_sqlite_writers_queue_is_released_at_commit_and_on_error(settings):
    """Writers wait on an flock; it is free again when on-commit work runs, and after errors."""
    import fcntl
    from pathlib import Path

    from django.db import transaction

    from vigisante.core.api_views import write_transaction

    path = Path(settings.DATA_DIR) / "sqlite-writers.lock"

    def lock_is_free() -> bool:
        with path.open("a+b") as other:  # another open file: conflicts like another process
            try:
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(other, fcntl.LOCK_UN)
            return True

    seen = []
    with write_transaction():
        assert not lock_is_free()
        with write_transaction():  # nested: a savepoint, same holder
            assert not lock_is_free()
        transaction.on_commit(lambda: seen.append(lock_is_free()))
    assert seen == [True]
    with pytest.raises(RuntimeError), write_transaction():
        raise RuntimeError("boom")
    assert lock_is_free()
