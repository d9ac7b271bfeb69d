"""Every e-mail in the recipient's language, Paris time and that language's one date format
(issue 10, item 10): 01/12/2026 10:30 in French, 1 Dec 2026, 10:30 in English; never an ISO
date, a UTC time, a 12-hour time, a weekday-and-month-name form beside the short one."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from conftest import make_user
from django.core import mail
from django.test import Client
from django.utils import timezone

from vigisante.clocks import services as clocks
from vigisante.notifications import services as notifications
from vigisante.notifications.models import NotificationPreference
from vigisante.reports import services as reports
from vigisante.triage import exchanges

pytestmark = pytest.mark.django_db

TEMPLATES = Path(notifications.__file__).resolve().parents[1] / "templates"
# 09:30 UTC in winter is 10:30 in Paris.
FOUND = dt.datetime(2026, 11, 30, 9, 30, tzinfo=dt.UTC)
FR_DATE = re.compile(r"\b\d{2}/\d{2}/\d{4}( \d{2}:\d{2})?\b")
EN_DATE = re.compile(r"\b\d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"
                     r"(, \d{2}:\d{2})?\b")
MONTHS = ("janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|"
          "décembre|January|February|March|April|June|July|August|September|October|"
          "November|December|lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|Monday|"
          "Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday")


def check(text: str, lang: str) -> None:
    """The one format of the language, and nothing else that looks like a date or time."""
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), f"ISO date: {text}"
    assert "UTC" not in text and "+00:00" not in text, text
    assert not re.search(r"\b\d{1,2}(:\d{2})? ?(AM|PM|am|pm|a\.m\.|p\.m\.)", text), text
    assert not re.search(rf"\b({MONTHS})\b", text), f"long date form: {text}"
    other = EN_DATE if lang == "fr" else FR_DATE
    assert not other.search(text), f"the other language's format: {text}"
    # every clock time belongs to a date of the language's format
    mine = FR_DATE if lang == "fr" else EN_DATE
    times = re.findall(r"\b\d{2}:\d{2}\b", text)
    dated = [m.group(0) for m in mine.finditer(text) if m.group(2 if lang == "en" else 1)]
    assert len(times) == len(dated), (times, dated, text)


@pytest.fixture
def report(reporter_a, early_warning_data):
    data = {**early_warning_data, "discovered_at": FOUND}
    return reports.create_early_warning(actor=reporter_a, data=data)


def test_every_template_uses_the_language_format_not_one_of_its_own():
    for path in sorted((TEMPLATES / "notifications" / "email").glob("*.txt")) + [
            TEMPLATES / "accounts" / "email" / "invitation_body.txt",
            TEMPLATES / "registration" / "password_reset_email.txt"]:
        source = path.read_text(encoding="utf-8")
        for fmt in re.findall(r'\|date:"([^"]*)"', source):
            assert fmt in ("DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATE_FORMAT",
                           "SHORT_DATETIME_FORMAT", "TIME_FORMAT"), (path.name, fmt)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_clock_and_receipt_e_mails_in_paris_time_and_one_format(report, reporter_a, analyst,
                                                                 lang):
    NotificationPreference.objects.create(user=reporter_a, language=lang)
    now = FOUND + dt.timedelta(hours=70)
    sent = []
    for clock in clocks.clocks_for(report):
        if clock.state != "due" or clock.due_at is None:
            continue
        for event in ("clock_reminder", "clock_overdue"):
            mail.outbox.clear()
            notifications.notify(event=event, recipients=[reporter_a], raise_errors=True,
                                 context={"report": report, "clock": clock, "now": now,
                                          "kind": "h1"})
            sent += mail.outbox[:]
    mail.outbox.clear()
    notifications.notify(event="report_received", recipients=[reporter_a], raise_errors=True,
                         context={"report": report, "actor": reporter_a})
    sent += mail.outbox[:]
    assert len(sent) >= 3
    for message in sent:
        check(message.subject + "\n" + message.body, lang)
    found = "30/11/2026 10:30" if lang == "fr" else "30 Nov 2026, 10:30"
    reminders = [m.body for m in sent if "09:30" not in m.body]
    assert len(reminders) == len(sent)  # never the UTC hour
    gdpr = next(m.body for m in sent if "CNIL" in m.body)
    assert found in gdpr
    assert ("Court depuis la découverte, le" in gdpr) if lang == "fr" else (
        "Runs from when the incident was found, on" in gdpr)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_nis2_final_report_says_it_runs_from_the_notification(report, reporter_a, lang):
    from vigisante.clocks.models import Clock

    NotificationPreference.objects.create(user=reporter_a, language=lang)
    clock = Clock(report=report, regime="nis2_final", recipient="CERT Santé / ANSSI (CSIRT)",
                  starts_at=FOUND + dt.timedelta(hours=72),
                  due_at=FOUND + dt.timedelta(days=34), state="due")
    mail.outbox.clear()
    notifications.notify(event="clock_reminder", recipients=[reporter_a], raise_errors=True,
                         context={"report": report, "clock": clock, "now": FOUND,
                                  "kind": "d7"})
    body = mail.outbox[0].body
    check(body, lang)
    assert ("l'échéance de la notification" in body) if lang == "fr" else (
        "the notification's deadline" in body)
    assert "découverte" not in body and "was found" not in body


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_message_and_acknowledgement_e_mails(report, reporter_a, analyst, lang,
                                             django_capture_on_commit_callbacks):
    NotificationPreference.objects.create(user=reporter_a, language=lang)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        exchanges.send_message(actor=analyst, report_id=report.pk, text="Bonjour")
    assert mail.outbox
    for message in mail.outbox:
        check(message.subject + "\n" + message.body, lang)
        assert ("Le CERT vous a écrit" in message.body) if lang == "fr" else (
            "The CERT wrote to you" in message.body)


@pytest.mark.french
def test_invitation_in_both_languages_each_in_its_format(analyst, est_a):
    from zoneinfo import ZoneInfo

    from vigisante.accounts import services as accounts

    mail.outbox.clear()
    invitation = accounts.invite(actor=analyst, email="new@example.org", establishments=[est_a])
    body = mail.outbox[0].body
    local = timezone.localtime(invitation.expires_at, ZoneInfo("Europe/Paris"))
    assert local.strftime("%d/%m/%Y %H:%M") in body
    assert f"{local.day} {local.strftime('%b')} {local.year}, {local.strftime('%H:%M')}" in body
    assert not re.search(r"\d{4}-\d{2}-\d{2}|UTC|\b(AM|PM)\b", body)


@pytest.mark.parametrize(("chosen", "page", "expected"), [
    ("en", "fr", "Someone (probably you)"), ("fr", "en", "Quelqu'un"), (None, "en",
                                                                         "Someone")])
def test_password_reset_in_the_recipient_s_language(chosen, page, expected):
    user = make_user("reset@example.org")
    if chosen:
        NotificationPreference.objects.create(user=user, language=chosen)
    mail.outbox.clear()
    client = Client()
    client.cookies["django_language"] = page
    client.post("/accounts/password-reset/", {"email": user.email}, HTTP_ACCEPT_LANGUAGE=page)
    assert len(mail.outbox) == 1
    assert expected in mail.outbox[0].body, mail.outbox[0].body


def test_every_page_template_uses_the_language_formats():
    """One format per language on every page: a template names the language's format
    (`DATETIME_FORMAT`...) or writes the machine form `c` in a datetime attribute."""
    named = {"DATETIME_FORMAT", "DATE_FORMAT", "SHORT_DATE_FORMAT", "SHORT_DATETIME_FORMAT",
             "TIME_FORMAT", "c", "Y"}
    wrong = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        name = str(path.relative_to(TEMPLATES))
        for fmt in re.findall(r"""\|date:["']([^"']*)["']""", path.read_text(encoding="utf-8")):
            if fmt not in named:
                wrong.append((name, fmt))
    assert wrong == []
