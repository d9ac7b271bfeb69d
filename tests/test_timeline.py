"""A report's timeline (issue 10, item 9): sentences in the reader's language, never a raw
audit code, a column name, a Python value or a UTC time; the establishment never sees what
is the CERT's alone; an audit code nobody described still reads as a sentence."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from conftest import html
from django.template.loader import render_to_string
from django.utils import timezone, translation

from vigisante.core import audit, timeline
from vigisante.core.models import AuditEvent
from vigisante.core.timeline import CERT, ESTABLISHMENT
from vigisante.drafts import services as drafts
from vigisante.reports import services as reports
from vigisante.reports.timeline import report_timeline
from vigisante.triage import exchanges
from vigisante.triage import services as triage

pytestmark = pytest.mark.django_db
PARIS = ZoneInfo("Europe/Paris")

NOTE = "Piste interne : compte VPN du prestataire"
MESSAGE = "Isolez les serveurs d'imagerie."


def _codes() -> set[str]:
    """Every audit code in the database and every code the timeline knows."""
    return set(AuditEvent.objects.values_list("action", flat=True)) | set(timeline._KINDS)


def _text(fragment: str) -> str:
    return html_text(fragment)


def html_text(markup: str) -> str:
    from bs4 import BeautifulSoup

    return " ".join(BeautifulSoup(markup, "html.parser").get_text(" ").split())


def _assert_readable(text: str) -> None:
    """No raw audit code, column name, Python value or UTC/ISO time in the visible text."""
    for code in _codes():
        assert code not in text, f"raw audit code {code!r} shown: {text[:3000]}"
    for raw in ("_id", "None", "True", "False", "UTC", "+00:00", "T00:", "[]", "{'"):
        assert raw not in text, f"{raw!r} shown: {text[:3000]}"
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), f"ISO date shown: {text[:3000]}"
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text), f"snake_case name shown: {text[:3000]}"
    assert not re.search(r"\b(AM|PM|am|pm)\b", text), "12-hour time shown"


@pytest.fixture
def worked(report_a, analyst, reporter_a):
    """A report the CERT worked on: every kind of event of its history."""
    r = report_a.pk
    triage.acknowledge(actor=analyst, report_id=r)
    triage.qualify(actor=analyst, report_id=r, origin="malicious", kind="ransomware",
                   ransomware_extent="several_servers", detection_source="ransom_note",
                   detection_stage="after_impact", comment="Qualification interne")
    triage.assign(actor=analyst, report_id=r, assignee=analyst.pk)
    exchanges.add_note(actor=analyst, report_id=r, text=NOTE)
    exchanges.send_message(actor=analyst, report_id=r, text=MESSAGE)
    exchanges.reply(actor=reporter_a, report_id=r, text="C'est fait.")
    exchanges.record_support(actor=analyst, report_id=r, type="remote_advice",
                             started_at=timezone.now() - dt.timedelta(minutes=30))
    reports.add_update(actor=reporter_a, report_id=r, text="Sauvegardes intactes.")
    reports.save_notification(actor=reporter_a, report_id=r, complete=True, data={
        "systems_hit": ["imaging", "email"], "operations_impact": "degraded",
        "degraded_since": timezone.now() - dt.timedelta(minutes=50),
        "patient_danger": "potential", "patient_danger_narrative": "Retards de lecture",
        "personal_data": True, "health_data": True,
        "measures_taken": "Serveurs isolés", "perimeter": "Imagerie",
        "dpa_notified_on": timezone.localdate()})
    return report_a


def _render(entries, lang: str) -> str:
    with translation.override(lang):
        return render_to_string("reports/_timeline.html",
                                {"entries": entries, "labelledby": "t"})


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_cert_reads_sentences_with_labels_and_paris_times(worked, analyst, lang):
    with translation.override(lang):
        entries = report_timeline(worked, audience=CERT)
        text = _text(_render(entries, lang))
    _assert_readable(text)
    if lang == "fr":
        assert "a qualifié le dossier" in text
        assert "Gravité : Significatif" in text
        assert "Rançongiciel" in text
        assert "PACS" in text and "Oui" in text
        assert "Réservé au CERT" in text or "CERT uniquement" in text
    else:
        assert "qualified the case" in text
        assert "Severity: Significant" in text
        assert "Ransomware" in text
        assert "Yes" in text
    assert NOTE in text and MESSAGE in text
    assert analyst.email in text or str(analyst) in text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_establishment_never_reads_the_cert_s_internal_events(worked, analyst, lang):
    with translation.override(lang):
        entries = report_timeline(worked, audience=ESTABLISHMENT)
        text = _text(_render(entries, lang))
    _assert_readable(text)
    assert NOTE not in text
    assert "Qualification interne" not in text
    assert analyst.email not in text and str(analyst) not in text
    assert not any(e.internal for e in entries)
    for action in ("case.note", "case.assign", "case.support", "attachment.download"):
        assert not any(e.action == action for e in entries)
    assert MESSAGE in text
    assert ("Le CERT" in text) if lang == "fr" else ("The CERT" in text)
    # The state its report moved to, as its report page shows it.
    assert ("« Qualifié »" in text) if lang == "fr" else ("“Qualified”" in text)


def test_times_are_paris_time_with_a_time_element(report_a, analyst):
    """A fixed instant in winter (UTC+1) and in summer (UTC+2): the Paris hour shows, never
    the UTC one, and <time datetime> carries the offset."""
    winter = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 1, 9, 30, tzinfo=dt.UTC)
    events = [AuditEvent(pk=i + 1, at=at, actor=analyst, actor_repr=analyst.email,
                         action="case.note", object_type="triage.case", object_id="1",
                         after={"text": "x"}) for i, at in enumerate((winter, summer))]
    entries = timeline.tell(events, audience=CERT)
    fr = _render(entries, "fr")
    en = _render(entries, "en")
    assert 'datetime="2026-12-01T10:30:00+01:00"' in fr
    assert 'datetime="2026-07-01T11:30:00+02:00"' in fr
    assert "01/12/2026 10:30" in fr and "01/07/2026 11:30" in fr
    assert "1 Dec 2026, 10:30" in en and "1 Jul 2026, 11:30" in en
    for page in (fr, en):
        assert "09:30" not in _text(page)


def test_values_of_a_change_are_labels(report_a, analyst):
    event = AuditEvent(pk=7, at=timezone.now(), actor=analyst, actor_repr=analyst.email,
                       action="report.notification", object_type="reports.report",
                       object_id=str(report_a.pk),
                       before={"ransom_demanded": False, "degraded_since": None},
                       after={"ransom_demanded": True,
                              "degraded_since": "2026-12-01T09:30:00Z",
                              "systems_hit": ["imaging"], "operations_impact": "stopped"})
    with translation.override("fr"):
        text = _text(_render(timeline.tell([event], audience=CERT), "fr"))
    assert "Rançon demandée : Oui (auparavant Non)" in text
    assert "01/12/2026 10:30" in text
    assert "Imagerie (PACS)" in text or "PACS" in text
    _assert_readable(text)


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_an_unknown_audit_code_reads_as_a_sentence_for_the_cert_only(report_a, analyst, lang):
    audit.record(actor=analyst, action="future.reassessed", obj=report_a,
                 before={"severity_hint": "low", "ongoing": True},
                 after={"severity_hint": "high", "ongoing": False})
    with translation.override(lang):
        cert = _text(_render(report_timeline(report_a, audience=CERT), lang))
        mine = _text(_render(report_timeline(report_a, audience=ESTABLISHMENT), lang))
    assert "future.reassessed" not in cert and "future" not in cert
    assert ("a modifié la fiche" in cert) if lang == "fr" else ("changed the record" in cert)
    assert ("Severity hint" in cert)
    assert ("Toujours en cours : Non (auparavant Oui)" in cert) if lang == "fr" else (
        "Still ongoing: No (was Yes)" in cert)
    assert "future" not in mine and "Severity hint" not in mine


def test_an_event_of_an_unexpected_shape_does_not_break_the_page(report_a, analyst,
                                                                  client_for):
    audit.record(actor=analyst, action="case.qualify", obj=report_a, after={"state": 42})
    audit.record(actor=analyst, action="clock.state_changed", obj=report_a, after=["odd"])
    audit.record(actor=None, action="drafts.sent", obj=report_a, after={"draft": "nope"})
    response = client_for(analyst).get(f"/triage/{report_a.pk}/")
    assert response.status_code == 200
    _assert_readable(" ".join(html(response).select_one("#history").get_text(" ").split()))


def test_a_draft_recorded_as_sent_reads_in_the_reader_s_language(report_a, reporter_a):
    sent = timezone.now() - dt.timedelta(minutes=5)
    with translation.override("fr"):  # recorded by a French reader
        drafts.record_sent(actor=reporter_a, report_id=report_a.pk, kind="gdpr_notification",
                           sent_at=sent, reference="CNIL-42")
    with translation.override("en"):
        entries = report_timeline(report_a, audience=ESTABLISHMENT)
        text = _text(_render(entries, "en"))
    assert "was sent to CNIL on" in text and "CNIL-42" in text
    assert "envoyé" not in text and "envoyée" not in text  # the French copy is not repeated
    local = timezone.localtime(sent, PARIS)
    assert local.strftime("%H:%M") in text


def test_pages_show_the_timeline(worked, analyst, reporter_a, client_for):
    case = client_for(analyst).get(f"/triage/{worked.pk}/", HTTP_ACCEPT_LANGUAGE="fr")
    history = html(case).select_one("#history")
    assert history.select("ol.history > li")
    assert not history.select("table")
    _assert_readable(" ".join(history.get_text(" ").split()))
    page = client_for(reporter_a).get(f"/reports/{worked.pk}/")
    section = html(page).select_one("#timeline")
    items = section.select("ol.history > li")
    assert items and all(li.select_one("time[datetime]") for li in items)
    text = " ".join(section.get_text(" ").split())
    _assert_readable(text)
    assert NOTE not in page.content.decode()


def test_a_case_loaded_without_audit_events_still_shows_its_moves(report_a, analyst):
    """The demo's bulk data (and an import) write transitions without audit events: the
    CERT's history still tells them, from the transitions."""
    from vigisante.triage.models import Case, Transition
    from vigisante.triage.queries import case_timeline

    case = Case.objects.get(report=report_a)
    at = timezone.now() - dt.timedelta(minutes=20)
    Transition.objects.create(case=case, from_state="received", to_state="acknowledged",
                              by=analyst, at=at, comment="")
    transitions = list(case.transitions.select_related("by"))
    with translation.override("fr"):
        entries = case_timeline(report_a, transitions)
        text = _text(_render(entries, "fr"))
    assert "a fait passer le dossier de « Reçu » à « Pris en charge »" in text, text
    _assert_readable(text)


def test_labels_follow_the_reader_and_dates_stay_dates(report_a, reporter_a):
    facts = AuditEvent(pk=1, at=timezone.now(), actor=reporter_a, actor_repr=reporter_a.email,
                       action="drafts.facts", object_type="reports.report",
                       object_id=str(report_a.pk), before={},
                       after={"people_categories": "Patients"})
    # The CNIL notified on 1 December (a date): the clock is met at midnight in Paris.
    clock = AuditEvent(pk=2, at=timezone.now(), actor=None, actor_repr="system",
                       action="clock.state_changed", object_type="reports.report",
                       object_id=str(report_a.pk), before={"state": "due"},
                       after={"regime": "gdpr_breach", "state": "done_on_time",
                              "done_at": "2026-11-30T23:00:00Z", "due_at": None})
    en = _text(_render(timeline.tell([facts, clock], audience=ESTABLISHMENT), "en"))
    with translation.override("fr"):
        fr = _text(_render(timeline.tell([facts, clock], audience=ESTABLISHMENT), "fr"))
    assert "Categories of people concerned: Patients" in en
    assert "Catégories de personnes concernées : Patients" in fr
    assert "was met (1 Dec 2026)." in en and "(01/12/2026)." in fr
    assert "00:00" not in en and "00:00" not in fr
