"""Report pages: early warning, acknowledgement, detail, notification, final report."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from conftest import html, make_establishment, make_user
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from vigisante.accounts.models import Membership
from vigisante.reports import services
from vigisante.reports.models import Channel, Report, Stage

pytestmark = pytest.mark.django_db


def early_warning_post(est, **extra) -> dict:
    data = {
        "establishment": str(est.pk),
        "description": "Rançongiciel : écrans noirs aux urgences",
        "discovered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "ongoing": "yes", "suspected_malicious": "yes", "patient_care_affected": "unknown",
        "support_requested": "yes", "callback_phone": "+33 6 12 34 56 78",
        "submission": str(uuid.uuid4()),
    }
    data.update(extra)
    return data


# --- Early warning ----------------------------------------------------------------------


def test_early_warning_page_has_eight_labelled_fields(client_for, reporter_a, est_a):
    page = html(client_for(reporter_a).get(reverse("reports:early_warning")))
    form = page.select_one("main form")
    names = {el["name"] for el in form.select("input, select, textarea")
             if el.get("type") not in ("hidden", "submit")}
    assert names == set(services.EARLY_WARNING_FIELDS) - {"establishment"}
    for el in form.select("input:not([type=hidden]):not([type=radio]):not([type=submit]), "
                          "select, textarea"):
        assert form.select_one(f"label[for={el['id']}]"), el["name"]
    for radio in form.select("input[type=radio]"):
        assert radio.find_parent("fieldset").legend.get_text(strip=True)
    # A single establishment: no choice to make (issue 10); the page says which one.
    assert form.select_one("input[type=hidden][name=establishment]")["value"] == str(est_a.pk)
    assert not form.select("select#id_establishment, #id_establishment option")
    assert est_a.name in form.select_one(".for-establishment").get_text()
    # "When" defaults to now, Paris time.
    value = form.select_one("#id_discovered_at")["value"]
    shown = timezone.make_aware(dt.datetime.strptime(value, "%Y-%m-%dT%H:%M"))
    assert abs(timezone.now() - shown) < dt.timedelta(minutes=2)
    assert form.select_one("#id_callback_phone")["type"] == "tel"
    assert not form.select("[name=channel]")


def test_reporter_of_two_establishments_chooses(client_for, est_a, est_b):
    user = make_user("two@example.org", establishments=[est_a, est_b])
    page = html(client_for(user).get(reverse("reports:early_warning")))
    values = [o["value"] for o in page.select("#id_establishment option")]
    assert values[0] == "" and set(values[1:]) == {str(est_a.pk), str(est_b.pk)}


def test_reporter_without_establishment_is_told_to_call(client_for, db):
    user = make_user("alone@example.org")
    page = html(client_for(user).get(reverse("reports:early_warning")))
    assert page.select_one("main .notice") and not page.select("main form")


@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks, as in production
def test_early_warning_filed_then_acknowledged(client_for, reporter_a, est_a,
                                               run_tasks):
    client = client_for(reporter_a)
    response = client.post(reverse("reports:early_warning"), early_warning_post(est_a))
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:acknowledgement", args=[report.pk])
    assert report.channel == Channel.WEB and report.created_by == reporter_a
    assert report.suspected_malicious == "yes" and report.support_requested is True
    assert report.patient_care_affected == "unknown" and report.ongoing is True
    run_tasks()  # the worker sends the acknowledgement
    assert [m.to for m in mail.outbox if reporter_a.email in m.to]

    page = html(client.get(response["Location"]))
    assert page.select_one(".reference-box .reference").get_text(strip=True) == report.reference
    links = {a["href"] for a in page.select("main a")}
    assert reverse("reports:notification", args=[report.pk]) in links
    assert reverse("reports:detail", args=[report.pk]) in links


def test_double_tap_files_one_report(client_for, reporter_a, est_a):
    client = client_for(reporter_a)
    data = early_warning_post(est_a)
    first = client.post(reverse("reports:early_warning"), data)
    second = client.post(reverse("reports:early_warning"), data)
    assert Report.objects.count() == 1
    assert first["Location"] == second["Location"]
    # A new filling of the form (new submission id) with the same answers is "Back" then
    # "Send": the page asks first (tests/test_ux_experience.py); confirmed, a new report.
    assert client.post(reverse("reports:early_warning"), early_warning_post(est_a)
                       ).status_code == 409
    client.post(reverse("reports:early_warning"), early_warning_post(est_a, confirm_new="1"))
    assert Report.objects.count() == 2
    # So is the old form, reused after "back", with other answers.
    data["description"] = "Un autre incident"
    client.post(reverse("reports:early_warning"), data)
    assert Report.objects.count() == 3
    assert "no-store" in client.get(reverse("reports:early_warning"))["Cache-Control"]


def test_support_without_phone_asks_for_one(client_for, reporter_a, est_a):
    response = client_for(reporter_a).post(
        reverse("reports:early_warning"), early_warning_post(est_a, callback_phone=""))
    page = html(response)
    assert response.status_code == 400 and not Report.objects.exists()
    field = page.select_one(".field-error #id_callback_phone")
    assert field.has_attr("autofocus") and field["aria-invalid"] == "true"
    assert page.select_one("#id_callback_phone_error li")
    # What was typed is kept.
    assert "écrans noirs" in page.select_one("#id_description").get_text()


def test_first_error_gets_the_focus_and_the_summary_links_it(client_for, reporter_a, est_a):
    data = early_warning_post(est_a, description="", suspected_malicious="")
    page = html(client_for(reporter_a).post(reverse("reports:early_warning"), data))
    focused = page.select("[autofocus]")
    assert [el["id"] for el in focused] == ["id_description"]
    hrefs = [a["href"] for a in page.select(".error-summary a")]
    assert hrefs == ["#id_description", "#id_suspected_malicious_0"]
    assert page.select_one(".field-error legend").get_text(strip=True).startswith("Do you")


def test_analyst_records_a_phone_report_for_any_establishment(client_for, analyst, est_b):
    client = client_for(analyst)
    page = html(client.get(reverse("reports:early_warning")))
    channels = [i["value"] for i in page.select("input[name=channel]")]
    assert channels == [Channel.PHONE, Channel.EMAIL, Channel.WEB]
    # ~800 establishments: a search box, not a list (issue 10).
    assert page.select_one("input[type=search]#id_establishment")
    assert not page.select("#id_establishment option")
    response = client.post(reverse("reports:early_warning"),
                           early_warning_post(est_b, channel="phone"))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.channel == Channel.PHONE and report.establishment == est_b
    assert report.created_by == analyst


def test_reporter_cannot_choose_a_channel(client_for, reporter_a, est_a):
    client_for(reporter_a).post(reverse("reports:early_warning"),
                                early_warning_post(est_a, channel="phone"))
    assert Report.objects.get().channel == Channel.WEB


def test_observer_has_no_report_pages(client_for, observer, report_a):
    client = client_for(observer)
    for url in (reverse("reports:early_warning"), reverse("reports:my_reports"),
                reverse("triage:queue"), reverse("reports:detail", args=[report_a.pk])):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("reports:incoming"), follow=True).status_code == 404


def test_anonymous_is_sent_to_login(client, report_a):
    for url in (reverse("reports:early_warning"), reverse("reports:detail", args=[report_a.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


# --- Detail ------------------------------------------------------------------------------


def test_detail_shows_facts_stages_to_complete_timeline_and_files(client_for, reporter_a,
                                                                   report_a):
    services.add_update(actor=reporter_a, report_id=report_a.pk, text="VPN coupé")
    response = client_for(reporter_a).get(reverse("reports:detail", args=[report_a.pk]))
    page = html(response)
    early = page.select_one("#stage-early_warning dl.facts")
    facts = {dt_.get_text(strip=True): dt_.find_next_sibling("dd").get_text(" ", strip=True)
             for dt_ in early.select("dt")}
    assert facts["What is happening"] == report_a.description
    assert facts["Call-back phone"] == "+33 6 12 34 56 78"
    todo = [a["href"] for a in page.select(".todo a")]
    assert todo == [reverse("reports:notification", args=[report_a.pk]),
                    reverse("reports:final", args=[report_a.pk])]
    assert "VPN coupé" in page.select_one("#timeline ol.history").get_text()
    assert page.select_one("#attachments form[enctype='multipart/form-data'] input[type=file]")
    assert page.select_one("#timeline form textarea[name=text]")


def test_other_establishment_gets_404_everywhere(client_for, reporter_b, report_a):
    client = client_for(reporter_b)
    pk = report_a.pk
    for name in ("detail", "acknowledgement", "notification", "final"):
        assert client.get(reverse(f"reports:{name}", args=[pk])).status_code == 404, name
    assert client.post(reverse("reports:add_update", args=[pk]),
                       {"text": "intrusion"}).status_code == 404
    assert client.post(reverse("reports:notification", args=[pk]),
                       {"version": "1", "perimeter": "x", "action": "draft"}).status_code == 404
    assert client.post(reverse("reports:final", args=[pk]),
                       {"version": "1", "root_cause": "x", "action": "draft"}).status_code == 404
    report_a.refresh_from_db()
    assert report_a.version == 1 and not report_a.updates.exists()


def test_analyst_sees_any_report(client_for, analyst, report_a):
    response = client_for(analyst).get(reverse("reports:detail", args=[report_a.pk]))
    assert response.status_code == 200


# --- Notification and final report ------------------------------------------------------


def notification_post(version: int, action: str = "draft", **fields) -> dict:
    data = {"version": str(version), "action": action}
    data.update(fields)
    return data


def test_notification_draft_then_submit(client_for, reporter_a, report_a):
    client = client_for(reporter_a)
    url = reverse("reports:notification", args=[report_a.pk])
    page = html(client.get(url))
    assert page.select_one("input[type=hidden][name=version]")["value"] == "1"
    systems = [i["value"] for i in page.select("input[type=checkbox][name=systems_hit]")]
    assert "dpi" in systems and "telephony" in systems
    assert [i["value"] for i in page.select("input[name=operations_impact]")] == [
        "none", "partial", "degraded", "stopped"]

    response = client.post(url, notification_post(1, systems_hit=["dpi", "vpn"],
                                                   perimeter="Urgences", ransom_demanded="on"))
    assert response.status_code == 302 and response["Location"] == url
    report_a.refresh_from_db()
    assert report_a.systems_hit == ["dpi", "vpn"] and report_a.ransom_demanded
    assert report_a.stage == Stage.EARLY_WARNING and report_a.version == 2
    # The saved draft is shown again, ready to be continued.
    page = html(client.get(url))
    assert page.select_one("#id_perimeter").get_text(strip=True) == "Urgences"
    assert page.select_one("input[name=systems_hit][value=dpi]").has_attr("checked")

    since = (timezone.localtime() - dt.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, notification_post(
        2, "submit", systems_hit=["dpi", "vpn"], perimeter="Urgences", ransom_demanded="on",
        operations_impact="degraded", degraded_since=since, patient_danger="potential",
        patient_danger_narrative="Retard de prise en charge", data_availability="on",
        personal_data="on", health_data="on", people_affected="1200",
        records_affected="35000", supplier_involved="on", supplier_name="Infogéreur X",
        measures_taken="Isolement", causes="VPN", complaint_filed_on=str(timezone.localdate()),
        dpa_notified_on=str(timezone.localdate())))
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:detail", args=[report_a.pk])
    report_a.refresh_from_db()
    assert report_a.stage == Stage.NOTIFICATION and report_a.notification_at
    assert report_a.people_affected == 1200 and report_a.supplier_name == "Infogéreur X"
    page = html(client.get(response["Location"]))
    facts = page.select_one("#stage-notification dl.facts").get_text(" ", strip=True)
    assert "Degraded mode" in facts and "Infogéreur X" in facts
    assert [a["href"] for a in page.select(".todo a")] == [
        reverse("reports:final", args=[report_a.pk])]


def test_submit_without_impact_is_refused_and_nothing_written(client_for, reporter_a, report_a):
    url = reverse("reports:notification", args=[report_a.pk])
    response = client_for(reporter_a).post(url, notification_post(1, "submit", perimeter="X"))
    page = html(response)
    assert response.status_code == 400
    assert page.select_one(".field-error #id_operations_impact")
    assert page.select_one("#id_operations_impact_error li")
    assert page.select_one("#id_operations_impact_0").has_attr("autofocus")
    report_a.refresh_from_db()
    assert report_a.version == 1 and report_a.perimeter == ""


def test_degraded_needs_a_start_and_danger_a_narrative(client_for, reporter_a, report_a):
    url = reverse("reports:notification", args=[report_a.pk])
    response = client_for(reporter_a).post(url, notification_post(
        1, operations_impact="degraded", patient_danger="actual"))
    assert response.status_code == 400
    page = html(response)
    assert page.select_one("#id_degraded_since_error")
    assert page.select_one("#id_patient_danger_narrative_error")
    report_a.refresh_from_db()
    assert report_a.version == 1


def test_concurrent_edit_is_a_conflict_that_keeps_the_input(client_for, reporter_a, analyst,
                                                          report_a):
    url = reverse("reports:notification", args=[report_a.pk])
    client_for(analyst).post(url, notification_post(1, perimeter="Saisie de l'analyste"))
    response = client_for(reporter_a).post(
        url, notification_post(1, perimeter="Saisie du déclarant", measures_taken="Coupure"))
    page = html(response)
    assert response.status_code == 409  # an edit conflict, as on the analysts' case page
    assert page.select_one(".conflict[role=alert]")
    assert page.select_one("#id_perimeter").get_text(strip=True) == "Saisie du déclarant"
    assert page.select_one("#id_measures_taken").get_text(strip=True) == "Coupure"
    report_a.refresh_from_db()
    assert report_a.perimeter == "Saisie de l'analyste" and report_a.measures_taken == ""
    assert report_a.version == 2


def test_final_report_needs_the_notification_first(client_for, reporter_a, report_a):
    client = client_for(reporter_a)
    url = reverse("reports:final", args=[report_a.pk])
    resolved = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    fields = dict(root_cause="VPN non patché", resolved_at=resolved,
                  final_impact="3 jours en mode dégradé", lessons_learned="MFA partout")
    page = html(client.post(url, notification_post(1, "submit", **fields)))
    assert "notification" in page.select_one(".error-summary").get_text()
    report_a.refresh_from_db()
    assert report_a.root_cause == "" and report_a.stage == Stage.EARLY_WARNING

    assert client.post(url, notification_post(1, **fields)).status_code == 302
    services.save_notification(actor=reporter_a, report_id=report_a.pk, complete=True,
                               data={"operations_impact": "partial"})
    response = client.post(url, notification_post(3, "submit", **fields))
    assert response.status_code == 302
    report_a.refresh_from_db()
    assert report_a.stage == Stage.FINAL and report_a.ongoing is False
    assert report_a.lessons_learned == "MFA partout"


def test_final_cannot_be_resolved_before_found(client_for, reporter_a, report_a):
    url = reverse("reports:final", args=[report_a.pk])
    before = (timezone.localtime(report_a.discovered_at) - dt.timedelta(days=1))
    page = html(client_for(reporter_a).post(url, notification_post(
        1, root_cause="x", resolved_at=before.strftime("%Y-%m-%dT%H:%M"))))
    assert page.select_one("#id_resolved_at_error")


# --- Updates and attachments -------------------------------------------------------------


def test_update_added_to_timeline(client_for, reporter_a, report_a):
    client = client_for(reporter_a)
    response = client.post(reverse("reports:add_update", args=[report_a.pk]),
                           {"text": "Messagerie rétablie"})
    assert response.status_code == 302 and response["Location"].endswith("#timeline")
    assert report_a.updates.get().text == "Messagerie rétablie"
    page = html(client.post(reverse("reports:add_update", args=[report_a.pk]), {"text": "  "}))
    assert page.select_one("#timeline .field-error #id_text")
    assert report_a.updates.count() == 1
    assert client.get(reverse("reports:add_update", args=[report_a.pk])).status_code == 405


def test_attachment_upload_and_download(client_for, reporter_a, analyst, reporter_b,
                                        report_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vigisante.core.models import AuditEvent

    content = b"%PDF-1.4\n% rapport\n"
    client = client_for(reporter_a)
    response = client.post(reverse("reports:add_attachment", args=[report_a.pk]),
                           {"file": SimpleUploadedFile("Rapport d'incident.pdf", content,
                                                       "application/pdf")})
    assert response.status_code == 302 and response["Location"].endswith("#attachments")
    att = report_a.attachments.get()
    page = html(client.get(reverse("reports:detail", args=[report_a.pk])))
    link = page.select_one("#attachments table a")
    assert link.get_text(strip=True) == "Rapport d'incident.pdf"
    assert link["href"] == reverse("reports:download_attachment", args=[report_a.pk, att.pk])

    download = client_for(analyst).get(link["href"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == content
    assert download["Content-Type"] == "application/pdf"
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Disposition"].startswith("attachment;")
    assert AuditEvent.objects.filter(action="attachment.download").count() == 1

    assert client_for(reporter_b).get(link["href"]).status_code == 404
    other = reverse("reports:download_attachment", args=[report_a.pk, att.pk + 1])
    assert client.get(other).status_code == 404
    assert AuditEvent.objects.filter(action="attachment.download").count() == 1


# --- Home --------------------------------------------------------------------------------


def test_home_sends_each_role_to_its_page(client_for, reporter_a, analyst):
    assert client_for(reporter_a).get("/")["Location"] == reverse("reports:my_reports")
    # Staff start on their one list of reports: triage's queue.
    assert client_for(analyst).get("/")["Location"] == reverse("triage:queue")


def test_membership_removed_means_404(client_for, reporter_a, report_a):
    Membership.objects.filter(user=reporter_a).delete()
    client = client_for(reporter_a)
    assert client.get(reverse("reports:detail", args=[report_a.pk])).status_code == 404


def test_establishment_of_a_reporter_added_later(client_for, est_a):
    user = make_user("late@example.org")
    est_c = make_establishment("130000033", "Clinique C (synthetic)", region="PAC")
    Membership.objects.create(user=user, establishment=est_c)
    page = html(client_for(user).get(reverse("reports:early_warning")))
    assert page.select_one("input[name=establishment]")["value"] == str(est_c.pk)
