"""Triage use cases on the real database: workflow, qualification, messages, audit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone, translation

from vigisante.core import audit
from vigisante.core.models import AuditEvent
from vigisante.reports import services as report_services
from vigisante.reports.models import Report, Source
from vigisante.triage import exchanges, services
from vigisante.triage.domain import Severity, State
from vigisante.triage.models import Case, Message, Note, Qualification, Support, Transition

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """Assertions read English messages, whatever the default language."""
    with translation.override("en"):
        yield


@pytest.fixture
def report(reporter_a, early_warning_data):
    return report_services.create_early_warning(actor=reporter_a, data=early_warning_data)


def _case(report) -> Case:
    return Case.objects.get(report=report)


def _events(case, action):
    return AuditEvent.objects.filter(object_type="triage.case", object_id=str(case.pk),
                                     action=action)


def test_every_sector_report_gets_a_received_case(report):
    case = _case(report)
    assert case.state == State.RECEIVED and case.version == 1
    assert case.state_changed_at == report.created_at


def test_imported_records_get_no_case(est_a):
    imported = Report.objects.create(
        reference="VERIS-1", source=Source.VERIS, source_id="x1", channel="import",
        created_at=timezone.now(), description="imported", discovered_at=timezone.now())
    assert not Case.objects.filter(report=imported).exists()


def test_services_tolerate_a_missing_case(report, analyst):
    Case.objects.filter(report=report).delete()
    case = services.acknowledge(actor=analyst, report_id=report.pk)
    assert case.state == State.ACKNOWLEDGED
    assert Case.objects.filter(report=report).count() == 1


def test_acknowledge_records_transition_audit_and_tells_the_establishment(
        report, analyst, reporter_a, django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = services.acknowledge(actor=analyst, report_id=report.pk, expected_version=1)
    assert case.state == State.ACKNOWLEDGED and case.version == 2
    assert case.updated_by == analyst
    t = Transition.objects.get(case=case)
    assert (t.from_state, t.to_state, t.by) == (State.RECEIVED, State.ACKNOWLEDGED, analyst)
    event = _events(case, "case.transition").get()
    assert event.before["state"] == "received" and event.after["state"] == "acknowledged"
    assert event.actor_id == analyst.pk
    assert [m.to for m in mail.outbox] == [[reporter_a.email]]
    assert audit.verify().ok


def test_only_cert_staff_act(report, reporter_a, observer):
    for user in (reporter_a, observer):
        with pytest.raises(Http404):
            services.acknowledge(actor=user, report_id=report.pk)
        with pytest.raises(Http404):
            exchanges.add_note(actor=user, report_id=report.pk, text="x")
        with pytest.raises(Http404):
            services.bulk_acknowledge(actor=user, report_ids=[report.pk])


@pytest.mark.parametrize("bad", ["abc", None, -1, 0, 2**70, "1e3", 99999999])
def test_bad_ids_are_404(analyst, bad):
    with pytest.raises(Http404):
        services.get_case(actor=analyst, report_id=bad)


def test_invalid_transition_is_refused_with_a_message_and_nothing_written(report, analyst):
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=analyst, report_id=report.pk, to_state=State.CLOSED)
    assert "cannot become" in exc.value.message_dict["to_state"][0]
    case = _case(report)
    assert case.state == State.RECEIVED and case.version == 1
    assert not Transition.objects.exists()
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=analyst, report_id=report.pk, to_state="teleported")
    assert "to_state" in exc.value.message_dict


def test_full_lifecycle_with_reopen(report, analyst, admin_user):
    pk = report.pk
    services.acknowledge(actor=analyst, report_id=pk)
    case = services.qualify(actor=analyst, report_id=pk, origin="malicious", kind="ransomware",
                            ransomware_extent="one_server")
    assert case.state == State.QUALIFIED
    for to in (State.IN_SUPPORT, State.RESOLVED):
        case = services.transition(actor=analyst, report_id=pk, to_state=to)
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=analyst, report_id=pk, to_state=State.IN_SUPPORT)
    assert "comment" in exc.value.message_dict
    case = services.transition(actor=analyst, report_id=pk, to_state=State.IN_SUPPORT,
                               comment="Encryption resumed on a second server")
    case = services.transition(actor=analyst, report_id=pk, to_state=State.RESOLVED)
    case = services.transition(actor=analyst, report_id=pk, to_state=State.CLOSED)
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=analyst, report_id=pk, to_state=State.IN_SUPPORT,
                            comment="again")
    assert "administrator" in exc.value.message_dict["to_state"][0]
    case = services.transition(actor=admin_user, report_id=pk, to_state=State.IN_SUPPORT,
                               comment="New ransom note")
    assert case.state == State.IN_SUPPORT
    states = list(Transition.objects.filter(case=case).values_list("to_state", flat=True))
    assert states == ["acknowledged", "qualified", "in_support", "resolved", "in_support",
                      "resolved", "closed", "in_support"]
    assert _events(case, "case.transition").count() == 7
    assert audit.verify().ok


def test_qualifying_a_received_report_acknowledges_it(report, analyst, reporter_a,
                                                      django_capture_on_commit_callbacks):
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = services.qualify(actor=analyst, report_id=report.pk, origin="malicious",
                                kind="phishing", expected_version=1)
    assert case.state == State.QUALIFIED and case.version == 2
    assert (case.rsit_class, case.rsit_type) == ("fraud", "phishing")
    assert list(case.transitions.values_list("to_state", flat=True)) == [
        "acknowledged", "qualified"]
    assert len(mail.outbox) == 1  # the acknowledgement


def test_qualification_suggestion_override_and_history(report, analyst, reporter_a):
    report_services.save_notification(actor=reporter_a, report_id=report.pk, data={
        "operations_impact": "stopped", "systems_hit": ["dpi"]})
    case = services.qualify(actor=analyst, report_id=report.pk, origin="malicious",
                            kind="ransomware")
    assert case.severity == case.suggested_severity == Severity.MAJOR
    with pytest.raises(ValidationError) as exc:
        services.qualify(actor=analyst, report_id=report.pk, origin="malicious",
                         kind="ransomware", severity="minor", expected_version=case.version)
    assert "comment" in exc.value.message_dict
    case = services.qualify(actor=analyst, report_id=report.pk, origin="malicious",
                            kind="ransomware", severity="significant",
                            comment="Only the test server", detection_source="ransom_note",
                            detection_stage="after_impact", ransomware_extent="one_server",
                            attack_vector="exposed_service", expected_version=case.version)
    assert (case.severity, case.suggested_severity) == ("significant", "major")
    history = list(Qualification.objects.filter(case=case).order_by("id"))
    assert [(q.severity, q.suggested_severity) for q in history] == [
        ("major", "major"), ("significant", "major")]
    assert history[1].comment == "Only the test server" and history[1].by == analyst
    event = _events(case, "case.qualify").last()
    assert event.before["severity"] == "major" and event.after["severity"] == "significant"
    assert event.after["qualification_id"] == history[1].pk


def test_qualification_errors_name_fields(report, analyst):
    with pytest.raises(ValidationError) as exc:
        services.qualify(actor=analyst, report_id=report.pk, origin="non_malicious",
                         kind="ransomware", ransomware_extent="everything")
    assert {"origin", "ransomware_extent"} <= set(exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        services.qualify(actor=analyst, report_id=report.pk, origin=None, kind=["x"])
    assert {"origin", "kind"} <= set(exc.value.message_dict)
    assert not Qualification.objects.exists()
    assert _case(report).version == 1


def test_final_cases_cannot_be_qualified(report, analyst):
    services.transition(actor=analyst, report_id=report.pk, to_state="rejected",
                        comment="Test report")
    with pytest.raises(ValidationError) as exc:
        services.qualify(actor=analyst, report_id=report.pk, origin="malicious", kind="ddos")
    assert "state" in exc.value.message_dict


def test_supplier_spread_raises_the_suggestion(reporter_a, early_warning_data, analyst,
                                               make_reports_for_supplier):
    reports = make_reports_for_supplier(5)
    suggestion = services.suggestion(reports[0])
    assert suggestion.severity == Severity.MAJOR and "wide_spread" in suggestion.reasons
    assert services.establishments_reached(reports[0]) == 5


@pytest.fixture
def make_reports_for_supplier(db, analyst):
    from conftest import make_establishment

    def make(n):
        out = []
        for i in range(n):
            est = make_establishment(f"130{i:05d}0", f"Hôpital {i} (synthetic)")
            r = report_services.create_early_warning(actor=analyst, data=dict(
                establishment=est, description="Panne du fournisseur",
                discovered_at=timezone.now() - dt.timedelta(hours=2)))
            report_services.save_notification(actor=analyst, report_id=r.pk, data={
                "supplier_involved": True, "supplier_name": "HostCo"})
            out.append(Report.objects.get(pk=r.pk))
        return out

    return make


def test_duplicate_needs_a_valid_original(report, analyst, reporter_a, early_warning_data):
    other = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=analyst, report_id=other.pk, to_state="duplicate")
    assert "duplicate_of" in exc.value.message_dict
    for bad in ("VS-1999-99999", other.reference, str(2**80)):
        with pytest.raises(ValidationError) as exc:
            services.transition(actor=analyst, report_id=other.pk, to_state="duplicate",
                                duplicate_of=bad)
        assert "duplicate_of" in exc.value.message_dict
    case = services.transition(actor=analyst, report_id=other.pk, to_state="duplicate",
                               duplicate_of=report.reference.lower())
    assert case.state == State.DUPLICATE and case.duplicate_of_id == report.pk
    third = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=analyst, report_id=third.pk, to_state="duplicate",
                            duplicate_of=other.pk)
    assert report.reference in exc.value.message_dict["duplicate_of"][0]


def test_stale_version_is_a_conflict_naming_who_and_nothing_is_written(report, analyst,
                                                                        admin_user):
    services.assign(actor=admin_user, report_id=report.pk, assignee=analyst.pk,
                    expected_version=1)
    with pytest.raises(ValidationError) as exc:
        services.qualify(actor=analyst, report_id=report.pk, origin="malicious",
                         kind="ddos", expected_version=1)
    message = exc.value.message_dict["version"][0]
    assert str(admin_user) in message and "reload" in message.lower()
    assert services.is_conflict(exc.value)
    case = _case(report)
    assert case.version == 2 and case.kind == "" and case.state == State.RECEIVED
    with pytest.raises(ValidationError) as exc:
        services.transition(actor=analyst, report_id=report.pk, to_state="acknowledged",
                            expected_version="abc")
    assert "version" in exc.value.message_dict


def test_assign_to_analysts_only_and_notify(report, analyst, admin_user, reporter_a,
                                            django_capture_on_commit_callbacks):
    with pytest.raises(ValidationError) as exc:
        services.assign(actor=admin_user, report_id=report.pk, assignee=reporter_a.pk)
    assert "assigned_to" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.assign(actor=admin_user, report_id=report.pk, assignee="x")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        case = services.assign(actor=admin_user, report_id=report.pk, assignee=analyst.pk)
    assert case.assigned_to == analyst
    assert [m.to for m in mail.outbox] == [[analyst.email]]
    event = _events(case, "case.assign").get()
    assert event.before == {"assigned_to_id": None, "version": 1}
    assert event.after == {"assigned_to_id": analyst.pk, "version": 2}
    same = services.assign(actor=admin_user, report_id=report.pk, assignee=analyst.pk)
    assert same.version == 2  # nothing changed, nothing recorded
    case = services.assign(actor=admin_user, report_id=report.pk, assignee=None)
    assert case.assigned_to is None and case.version == 3


def test_notes_stay_internal_messages_go_both_ways(report, analyst, reporter_a, reporter_b,
                                                   django_capture_on_commit_callbacks):
    note = exchanges.add_note(actor=analyst, report_id=report.pk, text="Call the CISO")
    assert Note.objects.get().text == "Call the CISO" and note.author == analyst
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        msg = exchanges.send_message(actor=analyst, report_id=report.pk,
                                    text="Isolate the servers")
    assert msg.from_cert and [m.to for m in mail.outbox] == [[reporter_a.email]]
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        answer = exchanges.reply(actor=reporter_a, report_id=report.pk, text="Done")
    assert not answer.from_cert
    recipients = sorted(addr for m in mail.outbox for addr in m.to)
    assert analyst.email in recipients  # nobody assigned: every analyst and the mailbox
    with pytest.raises(Http404):
        exchanges.reply(actor=reporter_b, report_id=report.pk, text="Not my report")
    with pytest.raises(Http404):
        exchanges.reply(actor=analyst, report_id=report.pk, text="Staff send messages")
    for fn, actor in ((exchanges.add_note, analyst), (exchanges.send_message, analyst),
                      (exchanges.reply, reporter_a)):
        for bad in ("", "   ", "x" * 10_001, "a\x00b"):
            with pytest.raises(ValidationError) as exc:
                fn(actor=actor, report_id=report.pk, text=bad)
            assert "text" in exc.value.message_dict
    assert Message.objects.count() == 2
    case = _case(report)
    actions = set(AuditEvent.objects.filter(object_id=str(case.pk), object_type="triage.case")
                  .values_list("action", flat=True))
    assert actions == {"case.note", "case.message", "case.reply"}


def test_support_records_and_out_of_hours(report, analyst):
    saturday = dt.datetime(2025, 6, 7, 10, 0, tzinfo=dt.UTC)
    s = exchanges.record_support(actor=analyst, report_id=report.pk, type="on_site",
                                started_at=saturday, ended_at=saturday + dt.timedelta(hours=5))
    assert s.out_of_hours is True
    monday = dt.datetime(2025, 6, 2, 10, 0, tzinfo=dt.UTC)
    s = exchanges.record_support(actor=analyst, report_id=report.pk, type="remote_advice",
                                started_at=monday)
    assert s.out_of_hours is False and s.ended_at is None
    s = exchanges.record_support(actor=analyst, report_id=report.pk, type="escalation",
                                started_at=monday, out_of_hours=True, notes="ANSSI")
    assert s.out_of_hours is True
    with pytest.raises(ValidationError) as exc:
        exchanges.record_support(actor=analyst, report_id=report.pk, type="magic",
                                started_at=None)
    assert {"type", "started_at"} <= set(exc.value.message_dict)
    assert Support.objects.count() == 3
    services.transition(actor=analyst, report_id=report.pk, to_state="rejected",
                        comment="Not an incident")
    with pytest.raises(ValidationError) as exc:
        exchanges.record_support(actor=analyst, report_id=report.pk, type="on_site",
                                started_at=monday)
    assert "state" in exc.value.message_dict


def test_bulk_acknowledge(analyst, reporter_a, early_warning_data):
    reports = [report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
               for _ in range(3)]
    services.acknowledge(actor=analyst, report_id=reports[0].pk)
    result = services.bulk_acknowledge(actor=analyst, report_ids=[
        r.pk for r in reports] + [reports[1].pk, 99999])
    assert result.acknowledged == [reports[1].reference, reports[2].reference]
    assert [ref for ref, _why in result.skipped] == [reports[0].reference, "99999"]
    assert Case.objects.filter(state=State.ACKNOWLEDGED).count() == 3
    for bad in ([], ["x"], list(range(1, 502))):
        with pytest.raises(ValidationError) as exc:
            services.bulk_acknowledge(actor=analyst, report_ids=bad)
        assert "report_ids" in exc.value.message_dict
    assert audit.verify().ok
