"""Recording a draft as sent closes the clock it serves (issue 13), through the clocks' own
rules and recompute path: the NIS2 stages sent through another channel, the CNIL notification
and the complaint; the drafts without a deadline are recorded only. And the GDPR clock that
"may apply" (early warning only) offers the CNIL draft."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import api_client_for, html
from django.urls import reverse
from drafts_fixtures import DISCOVERED, make_partial

from vigisante.clocks import domain as clock_rules
from vigisante.clocks import services as clocks
from vigisante.clocks.domain import ClockState, Regime
from vigisante.clocks.models import Clock
from vigisante.core.models import AuditEvent
from vigisante.drafts import domain, services
from vigisante.drafts.models import Submission
from vigisante.reports import services as reports

H = dt.timedelta(hours=1)


def _clock(report, regime) -> Clock:
    return Clock.objects.get(report=report, regime=regime)


# --- the pure rule ----------------------------------------------------------------------------

def _nis2(**kw) -> dict[str, clock_rules.ClockSpec]:
    facts = clock_rules.Facts(discovered_at=DISCOVERED, reported_at=DISCOVERED + 30 * H,
                              nis2_status="essential", suspected_malicious="yes", **kw)
    return {s.regime: s for s in clock_rules.derive(facts)}


def test_a_nis2_stage_sent_elsewhere_closes_its_clock_whichever_came_first():
    out = _nis2()
    assert out[Regime.NIS2_EARLY_WARNING].state == ClockState.DONE_LATE  # filed after 24 h
    assert out[Regime.NIS2_NOTIFICATION].state == ClockState.DUE
    out = _nis2(nis2_early_warning_sent_at=DISCOVERED + 10 * H,
                nis2_notification_sent_at=DISCOVERED + 50 * H,
                nis2_final_sent_at=DISCOVERED + 500 * H)
    early, notif, final = (out[r] for r in (Regime.NIS2_EARLY_WARNING,
                                           Regime.NIS2_NOTIFICATION, Regime.NIS2_FINAL))
    assert early.state == ClockState.DONE_ON_TIME and early.done_at == DISCOVERED + 10 * H
    assert notif.state == ClockState.DONE_ON_TIME and notif.done_at == DISCOVERED + 50 * H
    # the final report's month runs from the notification actually sent
    assert final.starts_at == DISCOVERED + 50 * H
    assert final.due_at == clock_rules.add_calendar_month(DISCOVERED + 50 * H)
    assert final.state == ClockState.DONE_ON_TIME
    # the report's own stage, earlier than the sending, still counts first
    out = _nis2(notification_at=DISCOVERED + 20 * H,
                nis2_notification_sent_at=DISCOVERED + 80 * H)
    assert out[Regime.NIS2_NOTIFICATION].done_at == DISCOVERED + 20 * H
    assert out[Regime.NIS2_NOTIFICATION].state == ClockState.DONE_ON_TIME
    # a sending after the deadline is late
    out = _nis2(nis2_notification_sent_at=DISCOVERED + 80 * H)
    assert out[Regime.NIS2_NOTIFICATION].state == ClockState.DONE_LATE


def test_every_draft_says_which_clock_its_sending_closes():
    closing = {k.kind: k.closes or k.closes_clock for k in domain.KINDS.values()}
    assert closing == {
        "gdpr_notification": "dpa_notified_on", "gdpr_communication": "",
        "nis2_early_warning": Regime.NIS2_EARLY_WARNING,
        "nis2_notification": Regime.NIS2_NOTIFICATION, "nis2_intermediate": "",
        "nis2_final": Regime.NIS2_FINAL, "complaint": "complaint_filed_on",
        "insurer_notice": ""}
    assert domain.earliest_sendings([
        ("nis2_notification", DISCOVERED + 9 * H), ("nis2_notification", DISCOVERED + 5 * H),
        ("nis2_intermediate", DISCOVERED + 1 * H), ("gdpr_communication", DISCOVERED)]) == {
        Regime.NIS2_NOTIFICATION: DISCOVERED + 5 * H}


# --- through the services ---------------------------------------------------------------------

@pytest.fixture
def late_filed(est_a, reporter_a, db):
    """Filed with the CERT 30 h after discovery: the early warning on the platform is late."""
    return make_partial(est_a, reporter_a, received=DISCOVERED + 30 * H)


@pytest.mark.django_db
def test_recording_nis2_sendings_closes_the_nis2_clocks(late_filed, reporter_a):
    report = late_filed
    assert _clock(report, Regime.NIS2_EARLY_WARNING).state == ClockState.DONE_LATE
    assert _clock(report, Regime.NIS2_NOTIFICATION).state == ClockState.DUE
    services.record_sent(actor=reporter_a, report_id=report.pk, kind="nis2_early_warning",
                         sent_at=DISCOVERED + 10 * H, reference="ANSSI-EW-1")
    early = _clock(report, Regime.NIS2_EARLY_WARNING)
    assert early.state == ClockState.DONE_ON_TIME and early.done_at == DISCOVERED + 10 * H
    # the intermediate report (on request) closes nothing
    services.record_sent(actor=reporter_a, report_id=report.pk, kind="nis2_intermediate",
                         sent_at=DISCOVERED + 40 * H)
    assert _clock(report, Regime.NIS2_NOTIFICATION).state == ClockState.DUE
    services.record_sent(actor=reporter_a, report_id=report.pk, kind="nis2_notification",
                         sent_at=DISCOVERED + 60 * H, reference="ANSSI-N-1")
    notif = _clock(report, Regime.NIS2_NOTIFICATION)
    assert notif.state == ClockState.DONE_ON_TIME and notif.done_at == DISCOVERED + 60 * H
    final = _clock(report, Regime.NIS2_FINAL)
    assert final.starts_at == DISCOVERED + 60 * H and final.state == ClockState.DUE
    services.record_sent(actor=reporter_a, report_id=report.pk, kind="nis2_final",
                         sent_at=DISCOVERED + 400 * H)
    assert _clock(report, Regime.NIS2_FINAL).state == ClockState.DONE_ON_TIME
    # audited as clock changes, and on the report's timeline
    changes = AuditEvent.objects.filter(action="clock.state_changed", object_id=str(report.pk))
    assert {e.after["regime"] for e in changes} >= {Regime.NIS2_EARLY_WARNING,
                                                    Regime.NIS2_NOTIFICATION,
                                                    Regime.NIS2_FINAL}
    assert AuditEvent.objects.filter(action="drafts.sent", object_id=str(report.pk),
                                     after__reference="ANSSI-N-1").exists()
    assert not report.updates.exists()  # not a copy among what the establishment wrote
    # any later recompute (another stage of the report, the worker's scan) keeps them closed
    reports.add_update(actor=reporter_a, report_id=report.pk, text="Point de situation.")
    reports.save_notification(actor=reporter_a, report_id=report.pk,
                              data={"perimeter": "Messagerie"})
    clocks.recompute(report.pk)
    assert _clock(report, Regime.NIS2_NOTIFICATION).done_at == DISCOVERED + 60 * H
    assert _clock(report, Regime.NIS2_EARLY_WARNING).state == ClockState.DONE_ON_TIME


@pytest.mark.django_db
def test_a_sending_without_a_deadline_is_recorded_and_changes_no_clock(late_filed,
                                                                       reporter_a):
    before = {c.regime: (c.state, c.done_at) for c in Clock.objects.filter(report=late_filed)}
    for kind in ("gdpr_communication", "nis2_intermediate"):
        services.record_sent(actor=reporter_a, report_id=late_filed.pk, kind=kind,
                             sent_at=DISCOVERED + 20 * H, reference="lettre")
    after = {c.regime: (c.state, c.done_at) for c in Clock.objects.filter(report=late_filed)}
    assert after == before
    assert Submission.objects.filter(report=late_filed).count() == 2
    assert AuditEvent.objects.filter(action="drafts.sent").count() == 2


@pytest.mark.django_db
def test_a_refused_nis2_sending_writes_nothing_and_leaves_the_clock(late_filed, reporter_a):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.record_sent(actor=reporter_a, report_id=late_filed.pk,
                             kind="nis2_early_warning", sent_at=DISCOVERED - H)
    assert not Submission.objects.exists()
    assert _clock(late_filed, Regime.NIS2_EARLY_WARNING).state == ClockState.DONE_LATE


@pytest.mark.django_db
def test_the_api_records_a_nis2_sending_and_the_list_shows_it_sent(late_filed, reporter_a):
    api = api_client_for(reporter_a)
    base = f"/api/v1/reports/{late_filed.pk}/drafts/"
    r = api.post(base + "nis2_notification/sent/",
                 {"sent_at": (DISCOVERED + 50 * H).isoformat(), "reference": "N-7"},
                 format="json")
    assert r.status_code == 201
    rows = {row["kind"]: row for row in api.get(base).json()}
    assert rows["nis2_notification"]["status"] == "sent"
    assert rows["nis2_notification"]["clock_state"] == ClockState.DONE_ON_TIME


# --- GDPR "may apply" -------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_gdpr_clock_that_may_apply_offers_the_cnil_draft(est_a, reporter_a, client_for):
    """After an early warning only, nobody has said whether personal data are involved: the
    72 h run, so the CNIL notification is offered, with the note saying why."""
    report = reports.create_early_warning(actor=reporter_a, data=dict(
        establishment=est_a, description="Rançongiciel sur les serveurs de fichiers.",
        discovered_at=DISCOVERED, ongoing=True, suspected_malicious="yes",
        patient_care_affected="unknown", support_requested=False, callback_phone=""))
    clock = _clock(report, Regime.GDPR_BREACH)
    assert clock.may_apply
    _report, rows = services.overview(actor=reporter_a, report_id=report.pk)
    assert {"gdpr_notification", "gdpr_communication"} <= {r.kind.kind for r in rows}
    page = html(client_for(reporter_a).get(reverse("drafts:list", args=[report.pk])))
    section = page.select_one("#draft-gdpr_notification")
    assert section is not None and section.select_one(".may-apply") is not None
    # the establishment then says no personal data: the GDPR drafts are no longer offered
    reports.save_notification(actor=reporter_a, report_id=report.pk, complete=True, data={
        "personal_data": False, "health_data": False, "systems_hit": ["directory"],
        "perimeter": "Serveurs de fichiers", "operations_impact": "none",
        "measures_taken": "Isolement."})
    assert _clock(report, Regime.GDPR_BREACH).state == ClockState.NOT_APPLICABLE
    _report, rows = services.overview(actor=reporter_a, report_id=report.pk)
    assert "gdpr_notification" not in {r.kind.kind for r in rows}
