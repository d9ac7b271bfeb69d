"""The chain of authorities end to end: transmissions decided on the domain events of the
reports and triage services, delivered by the worker, e-mailed with the summary only, held
back and released by an analyst, read by the authorities; what each authority sees."""

from __future__ import annotations

import datetime as dt

import pytest
from authorities_world import make_authority
from conftest import api_client_for, html, make_establishment
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from vigisante.authorities import services
from vigisante.authorities.models import State, Transmission, TransmissionReminder
from vigisante.core.models import AuditEvent
from vigisante.reports import services as reports
from vigisante.triage import services as triage

# the real worker (run_tasks) closes a connection left in a transaction (PostgreSQL)
pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "Zq7Secret ransom note text on the PACS servers"
PHONE = "+33 6 99 88 77 66"


@pytest.fixture
def ars_idf(db):
    return make_authority("ars.idf@example.org", "ars", "IDF")


@pytest.fixture
def ars_ara(db):
    return make_authority("ars.ara@example.org", "ars", "ARA")


@pytest.fixture
def hfds(db):
    return make_authority("hfds@example.org", "hfds")


@pytest.fixture
def dgs(db):
    return make_authority("dgs@example.org", "dgs")


@pytest.fixture
def defence(db):
    return make_authority("defence@example.org", "defence")


@pytest.fixture
def authorities(ars_idf, ars_ara, hfds, dgs, defence):
    return {"ars_idf": ars_idf, "ars_ara": ars_ara, "hfds": hfds, "dgs": dgs,
            "defence": defence}


@pytest.fixture
def army(db):
    return make_establishment("130000099", "Hôpital d'instruction des armées (synthetic)",
                              category="army", region="PAC", departement="13")


@pytest.fixture
def arrived(reporter_a, early_warning_data, authorities):
    """A report of establishment A (Île-de-France), care affected, just arrived."""
    return reports.create_early_warning(actor=reporter_a, data={
        **early_warning_data, "description": SECRET, "callback_phone": PHONE})


def pairs(report, **filters):
    return sorted(Transmission.objects.filter(report=report, **filters)
                  .values_list("authority", "region", "trigger", "rule"))


def test_arrival_decides_transmissions_the_worker_sends_them_once(arrived, run_tasks):
    assert pairs(arrived) == [
        ("ars", "IDF", "received", "ars_region"),
        ("dgs", "", "received", "dgs_health_impact"),
        ("hfds", "", "received", "hfds_always")]
    assert set(Transmission.objects.values_list("state", flat=True)) == {State.PENDING}
    mail.outbox.clear()
    run_tasks()
    sent = Transmission.objects.filter(report=arrived)
    assert {t.state for t in sent} == {State.SENT}
    assert all(t.sent_at and t.emailed_at and t.emails == 1 for t in sent)
    to = sorted(m.to[0] for m in mail.outbox if "transmission" in m.subject.lower()
                or "Transmission" in m.subject)
    assert to == ["ars.idf@example.org", "dgs@example.org", "hfds@example.org"]
    # a second run, and a second decision for the same arrival, send nothing more
    assert services.deliver() == 0
    assert services.transmit(report_id=arrived.pk, trigger="received") == []
    assert Transmission.objects.filter(report=arrived).count() == 3
    events = AuditEvent.objects.filter(action="transmission.sent")
    assert events.count() == 3


def test_the_email_carries_the_summary_and_a_link_only(arrived, run_tasks, ars_idf):
    mail.outbox.clear()
    run_tasks()
    message = next(m for m in mail.outbox if m.to == [ars_idf.email])
    body = message.body
    assert arrived.reference in message.subject and arrived.reference in body
    assert arrived.establishment.name in body
    link = f"/authorities/reports/{arrived.pk}/"
    assert link in body
    for secret in (SECRET, PHONE, "reporter.a@example.org"):
        assert secret not in body and secret not in message.subject


def test_an_army_hospital_goes_to_defence_never_to_the_ars(army, reporter_a, analyst,
                                                          early_warning_data, authorities):
    report = reports.create_early_warning(actor=analyst, channel="phone", data={
        **early_warning_data, "establishment": army, "patient_care_affected": "no"})
    assert pairs(report) == [("defence", "", "received", "defence_army"),
                             ("hfds", "", "received", "hfds_always")]


def test_each_step_of_the_case_is_transmitted(arrived, analyst, reporter_a, run_tasks):
    run_tasks()
    case = triage.qualify(actor=analyst, report_id=arrived.pk, origin="malicious",
                          kind="ransomware")
    other = "minor" if case.severity != "minor" else "major"
    triage.qualify(actor=analyst, report_id=arrived.pk, origin="malicious",
                   kind="ransomware", severity=other, comment="Contained in an hour",
                   expected_version=case.version)
    reports.save_notification(actor=reporter_a, report_id=arrived.pk, data={
        "operations_impact": "stopped", "patient_danger": "actual",
        "patient_danger_narrative": "A delayed transfer"})
    triage.transition(actor=analyst, report_id=arrived.pk, to_state="in_support")
    triage.transition(actor=analyst, report_id=arrived.pk, to_state="resolved")
    triggers = sorted(Transmission.objects.filter(report=arrived, authority="hfds")
                      .values_list("trigger", flat=True))
    assert triggers == sorted(["received", "qualified", "qualified", "severity_changed",
                               "impact_changed", "resolved"])
    # the DGS follows the report through every step (care affected from the start)
    assert Transmission.objects.filter(report=arrived, authority="dgs").count() == 6
    # resolving twice (closing after resolving) transmits the resolution once
    triage.transition(actor=analyst, report_id=arrived.pk, to_state="closed")
    assert Transmission.objects.filter(report=arrived, trigger="resolved").count() == 3
    run_tasks()
    assert not Transmission.objects.exclude(state=State.SENT).exists()


def test_the_dgs_hears_when_patients_come_into_danger(reporter_a, early_warning_data,
                                                     authorities, run_tasks):
    report = reports.create_early_warning(actor=reporter_a, data={
        **early_warning_data, "patient_care_affected": "no"})
    assert not Transmission.objects.filter(report=report, authority="dgs").exists()
    reports.save_notification(actor=reporter_a, report_id=report.pk, data={
        "operations_impact": "degraded", "degraded_since": report.discovered_at,
        "patient_danger": "potential", "patient_danger_narrative": "Lab results late"})
    assert pairs(report, authority="dgs") == [
        ("dgs", "", "impact_changed", "dgs_health_impact")]


def test_hold_is_recorded_shown_and_keeps_the_clock_running(arrived, analyst, ars_idf,
                                                           client_for, run_tasks, settings):
    held = services.hold(actor=analyst, report_id=arrived.pk,
                         reason="Judicial investigation: wait for the prosecutor")
    assert set(Transmission.objects.values_list("state", flat=True)) == {State.HELD}
    run_tasks()
    assert services.sweep(now=timezone.now() + dt.timedelta(minutes=5))["delivered"] == 0
    assert not Transmission.objects.filter(state=State.SENT).exists()
    # the authority sees nothing of a held report
    c = client_for(ars_idf)
    assert c.get(reverse("authorities:report", args=[arrived.pk])).status_code == 404
    assert arrived.reference not in c.get(reverse("authorities:dashboard")).content.decode()
    # steps decided while held are held too
    triage.qualify(actor=analyst, report_id=arrived.pk, origin="malicious", kind="ransomware")
    assert not Transmission.objects.exclude(state=State.HELD).exists()
    # the case page says so, with the reason
    page = html(client_for(analyst).get(reverse("triage:case", args=[arrived.pk])))
    panel = page.select_one("#transmissions")
    assert "Judicial investigation" in panel.select_one(".hold-active").get_text()
    assert {r["data-state"] for r in panel.select("tr.transmission")} == {"held"}
    # the CERT is reminded before the target and when it passes, once each
    mail.outbox.clear()
    due = Transmission.objects.order_by("due_at").first().due_at
    assert services.remind(now=due - dt.timedelta(minutes=10)) > 0
    assert services.remind(now=due - dt.timedelta(minutes=9)) == 0
    assert services.remind(now=due + dt.timedelta(minutes=1)) > 0
    kinds = set(TransmissionReminder.objects.values_list("kind", flat=True))
    assert kinds == {"before_15m", "overdue"}
    assert mail.outbox and all(m.to == [analyst.email] for m in mail.outbox)
    # a second hold is refused; release sends them all, late
    with pytest.raises(Exception, match="already held"):
        services.hold(actor=analyst, report_id=arrived.pk, reason="again")
    assert services.release(actor=analyst, report_id=arrived.pk, note="Prosecutor agreed") \
        == Transmission.objects.count()
    run_tasks()
    assert not Transmission.objects.exclude(state=State.SENT).exists()
    held.refresh_from_db()
    assert held.released_by == analyst and held.release_note == "Prosecutor agreed"
    actions = list(AuditEvent.objects.filter(action__startswith="transmission.")
                   .values_list("action", flat=True))
    assert "transmission.held" in actions and "transmission.released" in actions


def test_hold_needs_a_reason_and_staff(arrived, analyst, reporter_a, ars_idf, client_for):
    with pytest.raises(Exception, match="Say why"):
        services.hold(actor=analyst, report_id=arrived.pk, reason="   ")
    for user in (reporter_a, ars_idf):
        response = client_for(user).post(reverse("authorities:hold", args=[arrived.pk]),
                                         {"reason": "no"})
        assert response.status_code == 404
    response = client_for(analyst).post(reverse("authorities:hold", args=[arrived.pk]),
                                        {"reason": ""})
    assert response.status_code == 302
    assert not Transmission.objects.filter(state=State.HELD).exists()
    response = client_for(analyst).post(reverse("authorities:hold", args=[arrived.pk]),
                                        {"reason": "x" * 2001})
    assert not Transmission.objects.filter(state=State.HELD).exists()
    response = client_for(analyst).post(reverse("authorities:hold", args=[arrived.pk]),
                                        {"reason": "Wait for the establishment"})
    assert Transmission.objects.filter(state=State.HELD).count() == 3


def test_what_an_authority_sees(arrived, analyst, reporter_a, ars_idf, ars_ara, hfds,
                                client_for, run_tasks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vigisante.triage import exchanges

    reports.add_update(actor=reporter_a, report_id=arrived.pk, text="Zq7Update backups ok")
    reports.add_attachment(actor=reporter_a, report_id=arrived.pk, uploaded=SimpleUploadedFile(
        "Zq7firewall.log", b"deny 10.0.0.1"))
    exchanges.add_note(actor=analyst, report_id=arrived.pk, text="Zq7Note same actor")
    run_tasks()
    services.send_message(actor=analyst, report_id=arrived.pk, to="ars:IDF",
                          text="Zq7ToArs please call the director")
    c = client_for(ars_idf)
    page = c.get(reverse("authorities:report", args=[arrived.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert arrived.reference in body and arrived.establishment.name in body
    assert "Zq7ToArs" in body
    for secret in (SECRET, PHONE, "reporter.a@example.org", "Zq7Update", "Zq7firewall",
                   "Zq7Note", "deny 10.0.0.1"):
        assert secret not in body, secret
    # opening it is reading it: recorded, by whom
    read = Transmission.objects.get(report=arrived, authority="ars")
    assert read.read_by == ars_idf and read.read_at is not None
    assert Transmission.objects.get(report=arrived, authority="hfds").read_at is None
    # the report's own pages stay closed to authorities
    for name in ("reports:detail", "triage:case", "reports:notification"):
        assert c.get(reverse(name, args=[arrived.pk])).status_code == 404, name
    # another region's ARS sees nothing; the HFDS does not see the ARS's messages
    assert client_for(ars_ara).get(
        reverse("authorities:report", args=[arrived.pk])).status_code == 404
    hfds_page = client_for(hfds).get(reverse("authorities:report", args=[arrived.pk]))
    assert hfds_page.status_code == 200 and "Zq7ToArs" not in hfds_page.content.decode()
    # the API: the own scope only, no secret
    api = api_client_for(ars_idf).get("/api/v1/transmissions/")
    assert api.status_code == 200
    results = api.json()["results"]
    assert [r["reference"] for r in results] == [arrived.reference]
    assert results[0]["summary"]["establishment"]["region"] == "IDF"
    for secret in (SECRET, PHONE, "reporter.a@example.org", "Zq7"):
        assert secret not in api.content.decode()
    assert api_client_for(ars_ara).get("/api/v1/transmissions/").json()["results"] == []
    other = Transmission.objects.get(report=arrived, authority="hfds")
    assert api_client_for(ars_idf).get(
        f"/api/v1/transmissions/{other.pk}/").status_code == 404
    assert api_client_for(ars_idf).post(
        f"/api/v1/transmissions/{other.pk}/read/").status_code == 404


def test_the_api_marks_read_and_filters(arrived, hfds, run_tasks):
    run_tasks()
    client = api_client_for(hfds)
    t = Transmission.objects.get(report=arrived, authority="hfds")
    assert client.get("/api/v1/transmissions/", {"unread": "true"}).json()["count"] == 1
    answer = client.post(f"/api/v1/transmissions/{t.pk}/read/")
    assert answer.status_code == 200 and answer.json()["read_by"] == hfds.email
    first = answer.json()["read_at"]
    assert client.post(f"/api/v1/transmissions/{t.pk}/read/").json()["read_at"] == first
    assert client.get("/api/v1/transmissions/", {"unread": "true"}).json()["count"] == 0
    assert client.get("/api/v1/transmissions/",
                      {"reference": arrived.reference}).json()["count"] == 1
    for bad in ({"unread": "maybe"}, {"since": "yesterday"}, {"reference": "x" * 50}):
        assert client.get("/api/v1/transmissions/", bad).status_code == 400, bad


def test_staff_see_every_transmission_reporters_and_observers_none(arrived, analyst,
                                                                   reporter_a, observer,
                                                                   client_for, run_tasks):
    run_tasks()
    assert api_client_for(analyst).get("/api/v1/transmissions/").json()["count"] == 3
    for user in (reporter_a, observer):
        assert api_client_for(user).get("/api/v1/transmissions/").status_code == 404
        assert client_for(user).get(reverse("authorities:dashboard")).status_code == 404


def test_dashboard_open_incidents_care_first(reporter_a, early_warning_data, ars_idf,
                                            analyst, client_for, run_tasks):
    quiet = reports.create_early_warning(actor=reporter_a, data={
        **early_warning_data, "patient_care_affected": "no"})
    urgent = reports.create_early_warning(actor=reporter_a, data=early_warning_data)
    later = reports.create_early_warning(actor=reporter_a, data={
        **early_warning_data, "patient_care_affected": "no"})
    done = reports.create_early_warning(actor=reporter_a, data=early_warning_data)
    run_tasks()
    triage.transition(actor=analyst, report_id=done.pk, to_state="rejected",
                      comment="Test report")
    page = html(client_for(ars_idf).get(reverse("authorities:dashboard")))
    listed = [a.get_text() for a in page.select(".open-incidents a")]
    assert listed == [urgent.reference, later.reference, quiet.reference]
    assert page.select(".open-incidents li")[0]["data-care"] == "1"


def test_authorities_pass_a_second_factor(ars_idf, client):
    from conftest import PASSWORD

    response = client.post(reverse("accounts:login"), {"username": ars_idf.email,
                                                       "password": PASSWORD})
    assert response.status_code == 302 and "/accounts/two-factor/" in response["Location"]
    assert client.get(reverse("authorities:dashboard")).status_code == 302
    assert client.get("/api/v1/transmissions/").status_code in (401, 403)


def test_only_authority_users_get_a_scope_in_the_admin(admin_user, client_for, reporter_a):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from vigisante.accounts.models import Role, User

    user = User.objects.create_user(email="new.ars@example.org", password="x" * 12,
                                    role=Role.AUTHORITY)
    TOTPDevice.objects.get_or_create(user=admin_user, name="tests",
                                     defaults={"confirmed": True})
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    c = client_for(admin_user)
    url = reverse("admin:authorities_authorityaccount_add")
    refused = c.post(url, {"user": user.pk, "authority": "ars", "region": ""})
    assert refused.status_code == 200 and not user.__class__.objects.filter(
        authority_account__isnull=False).exists()
    refused = c.post(url, {"user": reporter_a.pk, "authority": "hfds", "region": ""})
    assert refused.status_code == 200
    ok = c.post(url, {"user": user.pk, "authority": "ars", "region": "BRE"})
    assert ok.status_code == 302
    assert user.authority_account.scope == ("ars", "BRE")
    assert AuditEvent.objects.filter(action="admin.create").exists()


def test_messages_go_only_to_authorities_told(arrived, analyst, run_tasks, client_for):
    with pytest.raises(Exception, match="Choose an authority"):
        services.send_message(actor=analyst, report_id=arrived.pk, to="ars:IDF", text="x")
    run_tasks()
    for to in ("ars:ARA", "defence:", "nonsense", ""):
        with pytest.raises(Exception, match="Choose an authority"):
            services.send_message(actor=analyst, report_id=arrived.pk, to=to, text="x")
    c = client_for(analyst)
    response = c.post(reverse("authorities:message", args=[arrived.pk]),
                      {"to": "dgs:", "text": "Zq7 the DGS is told"})
    assert response.status_code == 302
    page = html(c.get(reverse("triage:case", args=[arrived.pk])))
    assert "Zq7 the DGS is told" in page.select_one("#transmissions").get_text()


def test_dashboard_figures_come_from_the_published_observatory(admin_user, run_tasks,
                                                               client_for, client):
    """The ARS gets its region's row, the defence chain the army hospitals', the HFDS the
    national total: the numbers of the published snapshot (one publication, three users)."""
    from test_observatory_data import build

    from vigisante.observatory import services as observatory

    users = {scope: make_authority(f"{scope[0]}.duty@example.org", *scope)
             for scope in (("ars", "IDF"), ("hfds", ""), ("defence", ""))}
    page = html(client_for(users["hfds", ""]).get(reverse("authorities:dashboard")))
    assert page.select_one(".figures") is None  # nothing published yet
    build()
    snap = observatory.prepare_publication(actor=admin_user, year=2023, now=timezone.now())
    run_tasks()
    observatory.publish(actor=admin_user, snapshot_id=snap.pk, now=timezone.now())
    published = client.get("/api/v1/observatory/published/2023/").json()
    for scope, user in users.items():
        table, key = {"ars": ("04_region", "IDF"), "defence": ("03_category", "army.health"),
                      "hfds": ("01_totals", "period")}[scope[0]]
        row = next(r for s in published["sections"] for t in s["tables"] if t["id"] == table
                   for r in t["rows"] if r["key"] == key)
        page = html(client_for(user).get(reverse("authorities:dashboard")))
        figures = page.select_one(".figures")
        assert figures.select_one("dd").get_text(strip=True) == str(row["reports"]), scope
        assert page.select_one('a[href="/observatory/published/2023/"]')


def test_lists_have_a_fixed_number_of_queries(reporter_a, early_warning_data, ars_idf,
                                              client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(ars_idf)
    api = api_client_for(ars_idf)
    api.get("/api/v1/ping/")  # the token's last use is written once a minute: not counted
    counts = []
    for _round in range(2):
        for _ in range(3):
            reports.create_early_warning(actor=reporter_a, data=early_warning_data)
        services.deliver()
        seen = []
        for call in (lambda: c.get(reverse("authorities:dashboard")),
                     lambda: api.get("/api/v1/transmissions/")):
            with CaptureQueriesContext(connection) as queries:
                assert call().status_code == 200
            seen.append(len(queries))
        counts.append(seen)
    assert counts[0] == counts[1], counts
