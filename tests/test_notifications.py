"""E-mail notifications: each user's language and choices, every event's templates, the
preferences page, and the report-received e-mails moved onto notify()."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import html, make_user
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from vigisante.accounts.models import Role
from vigisante.clocks import services as clock_services
from vigisante.clocks.models import Clock
from vigisante.core.models import AuditEvent
from vigisante.notifications.events import EVENTS, events_for
from vigisante.notifications.models import NotificationPreference
from vigisante.notifications.services import notify
from vigisante.reports import services as report_services
from vigisante.reports.tasks import acknowledge_report
from vigisante.triage.models import Case

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(reporter_a, early_warning_data):
    return report_services.create_early_warning(actor=reporter_a, data=early_warning_data)


def _context(report, event: str) -> dict:
    case = Case.objects.filter(report=report).first()
    clock = Clock.objects.get(report=report, regime="nis2_notification")
    context = {"report": report, "case": case, "actor": report.created_by, "clock": clock,
               "now": timezone.now(), "message": None}
    if event.startswith("transmission"):
        from vigisante.authorities.models import Transmission

        transmission = Transmission.objects.filter(report=report).first()
        context.update(transmission=transmission, summary=transmission.summary,
                       overdue=False, kind="before_15m")
    return context


def test_french_by_default(report, reporter_a):
    mail.outbox.clear()
    assert notify(event="acknowledged", recipients=[reporter_a],
                  context=_context(report, "acknowledged")) == 1
    msg = mail.outbox[0]
    assert msg.to == [reporter_a.email]
    assert msg.subject == f"[Vigisanté] Signalement {report.reference} pris en charge par le CERT"
    assert "Le CERT a pris en charge votre signalement" in msg.body
    assert "/notifications/preferences/" in msg.body


def test_english_for_a_user_who_chose_it(report, reporter_a):
    NotificationPreference.objects.create(user=reporter_a, language="en")
    mail.outbox.clear()
    notify(event="acknowledged", recipients=[reporter_a], context=_context(report, "x"))
    assert mail.outbox[0].subject.endswith("taken in charge by the CERT")


def test_each_recipient_gets_their_own_language(report, reporter_a, analyst):
    NotificationPreference.objects.create(user=analyst, language="en")
    mail.outbox.clear()
    ctx = _context(report, "clock_reminder")
    assert notify(event="clock_reminder", recipients=[reporter_a, analyst], context=ctx) == 2
    by_to = {m.to[0]: m for m in mail.outbox}
    fr, en = by_to[reporter_a.email], by_to[analyst.email]
    assert fr.subject.startswith("[Vigisanté] Échéance proche : NIS2 : notification")
    assert "heure de Paris" in fr.body and "tombe dans" in fr.body
    assert en.subject.startswith("[Vigisanté] Deadline near: NIS2: incident notification")
    assert "Paris time" in en.body


def test_a_user_who_opted_out_gets_nothing(report, reporter_a):
    NotificationPreference.objects.create(user=reporter_a, message=False)
    mail.outbox.clear()
    assert notify(event="message", recipients=[reporter_a], context=_context(report, "m")) == 0
    assert notify(event="acknowledged", recipients=[reporter_a],
                  context=_context(report, "a")) == 1


@pytest.mark.french  # the CERT's mailbox gets the site's default language
def test_inactive_observers_duplicates_and_addresses(report, reporter_a, observer):
    gone = make_user("gone@example.org")
    gone.is_active = False
    gone.save()
    mail.outbox.clear()
    sent = notify(event="message", context=_context(report, "m"),
                  recipients=[reporter_a, reporter_a, observer, gone, None,
                              "CERT@example.org", "cert@example.org", " "])
    assert sent == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["CERT@example.org", reporter_a.email]
    cert = next(m for m in mail.outbox if m.to == ["CERT@example.org"])
    assert "Nouveau message de" in cert.subject  # an address is the CERT's side, in French


def test_unknown_event_is_a_programming_error(report):
    with pytest.raises(ValueError):
        notify(event="nope", recipients=[], context={})


def test_a_mail_outage_is_logged_not_raised(report, reporter_a, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    assert notify(event="message", recipients=[reporter_a], context=_context(report, "m")) == 0
    with pytest.raises(OSError):
        notify(event="message", recipients=[reporter_a], context=_context(report, "m"),
               raise_errors=True)


# The e-mails about a report; the alert e-mail is tested in test_sharing.py.
@pytest.mark.parametrize("event", [e for e in EVENTS if e != "alert"])
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_template_renders_in_both_languages_for_both_sides(event, lang, report,
                                                                 reporter_a, analyst):
    for user in (reporter_a, analyst):
        NotificationPreference.objects.create(user=user, language=lang)
    Clock.objects.filter(report=report).update(
        due_at=timezone.now() - dt.timedelta(hours=2))
    mail.outbox.clear()
    assert notify(event=event, recipients=[reporter_a, analyst],
                  context=_context(report, event)) == 2
    for msg in mail.outbox:
        text = msg.subject + msg.body
        assert report.reference in text
        assert "{{" not in text and "{%" not in text
        assert "&#x27;" not in text and "&quot;" not in text and "&amp;" not in text
        assert "\n" not in msg.subject and msg.subject.startswith("[Vigisanté]")
    markers = {"fr": (" le ", " la ", " de "), "en": (" the ", " to ", " from ", " on ")}[lang]
    assert all(any(w in m.body for w in markers) for m in mail.outbox)


@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks, as in production
@pytest.mark.french  # the CERT's mailbox gets the site's default language
def test_report_received_goes_to_author_staff_and_cert_mailbox(
        reporter_a, analyst, admin_user, early_warning_data, run_tasks):
    NotificationPreference.objects.create(user=admin_user, report_received=False)
    mail.outbox.clear()
    report = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    assert mail.outbox == []  # queued: the worker sends it, not the request
    run_tasks()
    runs = DBTaskResult.objects.filter(task_path=acknowledge_report.module_path)
    assert [r.status for r in runs] == ["SUCCESSFUL"]
    by_to = {m.to[0]: m for m in mail.outbox}
    assert set(by_to) == {reporter_a.email, analyst.email, settings.CERT_EMAIL}
    receipt = by_to[reporter_a.email]
    assert receipt.subject == f"[Vigisanté] Signalement {report.reference} reçu"
    assert "a bien été reçu par le CERT" in receipt.body
    assert "un analyste va vous rappeler (+33 6 12 34 56 78)" in receipt.body
    assert "Échéances réglementaires en cours" in receipt.body
    alert = by_to[settings.CERT_EMAIL]
    assert alert.subject.startswith(f"[Vigisanté] Nouveau signalement {report.reference}")
    assert early_warning_data["description"] in alert.body
    assert "Malveillance suspectée : oui" in alert.body


def test_clock_reminder_e_mail_in_french(report, reporter_a):
    Clock.objects.filter(report=report).delete()
    report.personal_data = True
    report.discovered_at = timezone.now() - dt.timedelta(hours=71)
    report.save()  # a direct save: no service, so the clocks are derived explicitly
    clock_services.recompute(report.pk)
    mail.outbox.clear()
    clock_services.scan_and_remind()
    msg = next(m for m in mail.outbox if m.to == [reporter_a.email] and "CNIL" in m.subject)
    assert msg.subject == (f"[Vigisanté] Échéance proche : RGPD : notification de la violation "
                           f"de données à la CNIL – {report.reference}")
    assert "Destinataire : CNIL" in msg.body
    assert "Notifiez la CNIL" in msg.body


# --- preferences page ------------------------------------------------------------------------

def test_events_offered_depend_on_the_role(reporter_a, analyst, observer):
    assert "assignment" not in events_for(reporter_a)
    assert "acknowledged" not in events_for(analyst)
    assert events_for(observer) == []


def test_preferences_page_lists_the_role_s_events(reporter_a, client_for):
    response = client_for(reporter_a).get("/notifications/preferences/")
    assert response.status_code == 200
    page = html(response)
    names = {i["name"] for i in page.select("form#notification-preferences input[type=checkbox]")}
    assert names == set(events_for(reporter_a))
    assert all(i.has_attr("checked") for i in page.select("input[type=checkbox]"))
    assert page.select_one('input[name=language][value=fr]').has_attr("checked")
    assert reverse("notifications:preferences") == "/notifications/preferences/"


def test_saving_preferences(reporter_a, client_for):
    client = client_for(reporter_a)
    response = client.post("/notifications/preferences/",
                           {"language": "en", "acknowledged": "on", "clock_overdue": "on"})
    assert response.status_code == 302
    pref = NotificationPreference.objects.get(user=reporter_a)
    assert pref.language == "en" and pref.acknowledged and pref.clock_overdue
    assert not pref.message and not pref.clock_reminder and not pref.report_received
    assert pref.assignment  # not offered to a reporter: untouched default
    event = AuditEvent.objects.get(action="notifications.preferences")
    assert event.after["language"] == "en"
    page = html(client.get("/notifications/preferences/"))
    assert not page.select_one("input[name=message]").has_attr("checked")


def test_bad_input_is_refused_next_to_the_field(reporter_a, client_for):
    client = client_for(reporter_a)
    response = client.post("/notifications/preferences/", {"language": "de"})
    assert response.status_code == 400
    page = html(response)
    assert page.select_one(".field-error .errorlist")
    assert not NotificationPreference.objects.filter(user=reporter_a).exists()
    response = client.post("/notifications/preferences/", {})
    assert response.status_code == 400


def test_staff_page_and_anonymous_redirect(analyst, client_for, client):
    page = html(client_for(analyst).get("/notifications/preferences/"))
    names = {i["name"] for i in page.select("input[type=checkbox]")}
    assert "assignment" in names and "acknowledged" not in names
    response = client.get("/notifications/preferences/")
    assert response.status_code == 302 and "login" in response["Location"]


def test_observer_has_nothing_to_choose(observer, client_for):
    page = html(client_for(make_user("obs2@example.org", Role.OBSERVER)).get(
        "/notifications/preferences/"))
    assert not page.select("input[type=checkbox]")
    assert page.select_one(".notice")
