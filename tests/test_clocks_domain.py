"""Pure rules of the regulatory clocks: derivation, deadline arithmetic, DST edges."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigisante.clocks import domain
from vigisante.clocks.domain import ClockState, Facts, Regime

PARIS = domain.PARIS
UTC = dt.UTC


def paris(*args, fold=0) -> dt.datetime:
    return dt.datetime(*args, tzinfo=PARIS, fold=fold)


def facts(**kw) -> Facts:
    base = dict(discovered_at=paris(2025, 6, 2, 9, 0), reported_at=paris(2025, 6, 2, 10, 0),
                nis2_status="essential")
    base.update(kw)
    return Facts(**base)


def by_regime(specs) -> dict[str, domain.ClockSpec]:
    return {s.regime: s for s in specs}


# --- derivation ---------------------------------------------------------------------------

def test_always_six_clocks_in_display_order():
    specs = domain.derive(facts())
    assert [s.regime for s in specs] == domain.REGIME_ORDER
    assert {s.regime for s in specs} == set(Regime.values)


def test_cert_resolution_always_applies_without_deadline():
    spec = by_regime(domain.derive(facts(nis2_status="not_in_scope")))[Regime.CERT_RESOLUTION]
    assert spec.state == ClockState.DUE and spec.due_at is None
    assert spec.recipient == "CERT Santé"


def test_cert_resolution_done_by_final_report_or_resolved_case():
    final = paris(2025, 6, 9, 12)
    spec = by_regime(domain.derive(facts(final_at=final)))[Regime.CERT_RESOLUTION]
    assert (spec.state, spec.done_at) == (ClockState.DONE_ON_TIME, final.astimezone(UTC))
    changed = paris(2025, 6, 5, 8)
    spec = by_regime(domain.derive(facts(case_state="resolved",
                                         case_state_changed_at=changed)))
    assert spec[Regime.CERT_RESOLUTION].done_at == changed


def test_gdpr_may_apply_until_the_notification_says_no_personal_data():
    # The early warning does not ask about data: the 72 h run ("may apply") until the
    # establishment submits its notification without personal or health data.
    early = by_regime(domain.derive(facts()))[Regime.GDPR_BREACH]
    assert early.state == ClockState.DUE and early.na_reason == domain.MAY_APPLY_PERSONAL_DATA
    assert early.due_at == paris(2025, 6, 5, 9, 0)
    said_no = by_regime(domain.derive(facts(notification_at=paris(2025, 6, 3, 9))))
    assert said_no[Regime.GDPR_BREACH].state == ClockState.NOT_APPLICABLE
    assert said_no[Regime.GDPR_BREACH].na_reason == domain.NA_NO_PERSONAL_DATA
    notified = by_regime(domain.derive(facts(dpa_notified_on=dt.date(2025, 6, 3))))
    assert notified[Regime.GDPR_BREACH].state == ClockState.DONE_ON_TIME
    assert notified[Regime.GDPR_BREACH].na_reason == ""


def test_nis2_final_runs_from_the_notification():
    notified = paris(2025, 6, 4, 15, 30)
    spec = by_regime(domain.derive(facts(notification_at=notified,
                                         suspected_malicious="yes")))[Regime.NIS2_FINAL]
    assert spec.starts_at == notified and spec.due_at == paris(2025, 7, 4, 15, 30)
    assert domain.RUNS_FROM[Regime.NIS2_FINAL] != domain.RUNS_FROM[Regime.NIS2_NOTIFICATION]


def test_gdpr_applies_with_personal_or_health_data():
    for flag in ("personal_data", "health_data"):
        spec = by_regime(domain.derive(facts(**{flag: True})))[Regime.GDPR_BREACH]
        assert spec.state == ClockState.DUE
        assert spec.recipient == "CNIL"
        assert spec.due_at == paris(2025, 6, 5, 9, 0)
        assert spec.starts_at == paris(2025, 6, 2, 9, 0)


@pytest.mark.parametrize(("day", "state"), [
    (dt.date(2025, 6, 2), ClockState.DONE_ON_TIME),   # the same day as the discovery
    (dt.date(2025, 6, 5), ClockState.DONE_ON_TIME),   # the deadline's own day counts
    (dt.date(2025, 6, 6), ClockState.DONE_LATE),
])
def test_gdpr_done_by_the_cnil_notification_date(day, state):
    spec = by_regime(domain.derive(facts(personal_data=True, dpa_notified_on=day)))
    gdpr = spec[Regime.GDPR_BREACH]
    assert gdpr.state == state
    assert gdpr.done_at >= gdpr.starts_at


def test_nis2_needs_an_entity_in_scope_and_a_significant_incident():
    out = by_regime(domain.derive(facts(nis2_status="not_in_scope")))
    assert out[Regime.NIS2_EARLY_WARNING].na_reason == domain.NA_NIS2_OUT_OF_SCOPE
    unknown = by_regime(domain.derive(facts(nis2_status="unknown")))
    assert unknown[Regime.NIS2_NOTIFICATION].na_reason == domain.NA_NIS2_UNKNOWN
    minor = by_regime(domain.derive(facts(severity="minor")))
    assert minor[Regime.NIS2_FINAL].na_reason == domain.NA_NOT_SIGNIFICANT
    major = by_regime(domain.derive(facts(nis2_status="important", severity="major")))
    assert all(major[r].state != ClockState.NOT_APPLICABLE for r in (
        Regime.NIS2_EARLY_WARNING, Regime.NIS2_NOTIFICATION, Regime.NIS2_FINAL))


def test_nis2_stages_and_their_deadlines():
    notified = paris(2025, 6, 4, 16, 30)
    out = by_regime(domain.derive(facts(severity="significant", notification_at=notified,
                                        final_at=paris(2025, 7, 10, 9))))
    early = out[Regime.NIS2_EARLY_WARNING]
    assert early.due_at == paris(2025, 6, 3, 9) and early.state == ClockState.DONE_ON_TIME
    note = out[Regime.NIS2_NOTIFICATION]
    assert note.due_at == paris(2025, 6, 5, 9) and note.state == ClockState.DONE_ON_TIME
    final = out[Regime.NIS2_FINAL]
    assert final.due_at == paris(2025, 7, 4, 16, 30)  # one month after the notification
    assert final.state == ClockState.DONE_LATE


def test_nis2_early_warning_late_when_reported_after_24h():
    out = by_regime(domain.derive(facts(severity="major",
                                        reported_at=paris(2025, 6, 3, 9, 1))))
    assert out[Regime.NIS2_EARLY_WARNING].state == ClockState.DONE_LATE


def test_nis2_final_before_the_notification_is_due_a_month_after_its_deadline():
    out = by_regime(domain.derive(facts(severity="major")))
    assert out[Regime.NIS2_FINAL].due_at == paris(2025, 7, 5, 9)
    assert out[Regime.NIS2_FINAL].state == ClockState.DUE


@pytest.mark.parametrize(("kw", "significant"), [
    ({}, True),  # nothing known yet: presumed significant
    ({"patient_care_affected": "no", "suspected_malicious": "no"}, False),
    ({"notification_at": paris(2025, 6, 3, 9), "operations_impact": "none",
      "patient_care_affected": "no"}, False),
    ({"notification_at": paris(2025, 6, 3, 9), "operations_impact": "degraded"}, True),
    ({"notification_at": paris(2025, 6, 3, 9), "patient_danger": "potential"}, True),
    ({"notification_at": paris(2025, 6, 3, 9), "ransom_demanded": True}, True),
    ({"notification_at": paris(2025, 6, 3, 9), "data_confidentiality": True,
      "health_data": True}, True),
    ({"patient_care_affected": "no", "suspected_malicious": "yes"}, True),
    ({"severity": "minor", "operations_impact": "stopped"}, False),  # qualified wins
])
def test_significance_rule(kw, significant):
    assert domain.is_significant(facts(**kw))[0] is significant


def test_insurance_complaint_when_malicious_and_insured():
    assert by_regime(domain.derive(facts(suspected_malicious="yes")))[
        Regime.INSURANCE_COMPLAINT].na_reason == domain.NA_NOT_INSURED
    assert by_regime(domain.derive(facts(insured=True)))[
        Regime.INSURANCE_COMPLAINT].na_reason == domain.NA_NOT_MALICIOUS
    spec = by_regime(domain.derive(facts(insured=True, suspected_malicious="yes")))[
        Regime.INSURANCE_COMPLAINT]
    assert spec.state == ClockState.DUE and spec.recipient == "Police or gendarmerie"
    assert spec.due_at == paris(2025, 6, 5, 9)
    done = by_regime(domain.derive(facts(insured=True, origin="malicious",
                                         complaint_filed_on=dt.date(2025, 6, 4))))
    assert done[Regime.INSURANCE_COMPLAINT].state == ClockState.DONE_ON_TIME


def test_qualified_origin_overrides_the_suspicion():
    out = by_regime(domain.derive(facts(insured=True, suspected_malicious="yes",
                                        origin="non_malicious")))
    assert out[Regime.INSURANCE_COMPLAINT].state == ClockState.NOT_APPLICABLE
    out = by_regime(domain.derive(facts(insured=True, suspected_malicious="no",
                                        origin="undetermined")))
    assert out[Regime.INSURANCE_COMPLAINT].state == ClockState.NOT_APPLICABLE


@pytest.mark.parametrize(("state", "reason"), [("rejected", domain.NA_REJECTED),
                                               ("duplicate", domain.NA_DUPLICATE)])
def test_rejected_or_duplicate_report_voids_open_clocks(state, reason):
    out = domain.derive(facts(personal_data=True, case_state=state))
    for spec in out:
        if spec.regime == Regime.NIS2_EARLY_WARNING:
            assert spec.state == ClockState.DONE_ON_TIME  # already done: history kept
        else:
            assert (spec.state, spec.na_reason) == (ClockState.NOT_APPLICABLE, reason)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        domain.add_hours(dt.datetime(2025, 1, 1), 24)
    with pytest.raises(ValueError):
        domain.derive(facts(discovered_at=dt.datetime(2025, 1, 1)))


# --- time left and reminders ---------------------------------------------------------------

def test_time_left_and_overdue():
    due = paris(2025, 6, 5, 9)
    assert domain.time_left("due", due, paris(2025, 6, 5, 7)) == dt.timedelta(hours=2)
    assert domain.time_left("due", due, paris(2025, 6, 5, 10)) == -dt.timedelta(hours=1)
    assert domain.time_left("done_late", due, paris(2025, 6, 5, 10)) is None
    assert domain.is_overdue("due", due, due)
    assert not domain.is_overdue("due", None, due)


@pytest.mark.parametrize(("hours_left", "kind"), [
    (30, None), (12, "before_12h"), (11.9, "before_12h"), (2, "before_2h"), (0.5, "before_2h"),
    (0, "overdue"), (-5, "overdue"), (-24 * 8, None),
])
def test_reminder_kind(hours_left, kind):
    now = paris(2025, 6, 5, 9)
    due = now + dt.timedelta(hours=hours_left)
    assert domain.reminder_kind("due", due, now, [12, 2], dt.timedelta(days=7)) == kind
    assert domain.reminder_kind("done_on_time", due, now, [12, 2], dt.timedelta(days=7)) is None


# --- deadline arithmetic -------------------------------------------------------------------

def test_72h_across_the_spring_change_is_71_hours_of_wall_clock():
    # 2025-03-30 is the last Sunday of March: 02:00 CET -> 03:00 CEST.
    start = paris(2025, 3, 29, 10, 0)
    due = domain.add_hours(start, 72)
    assert due - start == dt.timedelta(hours=72)
    assert due.astimezone(PARIS).replace(tzinfo=None) == dt.datetime(2025, 4, 1, 11, 0)


def test_24h_across_the_autumn_change():
    # 2025-10-26 is the last Sunday of October: 03:00 CEST -> 02:00 CET.
    start = paris(2025, 10, 25, 12, 0)
    due = domain.add_hours(start, 24)
    assert due.astimezone(PARIS).replace(tzinfo=None) == dt.datetime(2025, 10, 26, 11, 0)
    assert due.utcoffset() == dt.timedelta(0)  # stored in UTC


def test_start_inside_the_repeated_hour():
    first = paris(2025, 10, 26, 2, 30, fold=0)   # 00:30 UTC
    second = paris(2025, 10, 26, 2, 30, fold=1)  # 01:30 UTC
    assert domain.add_hours(second, 24) - domain.add_hours(first, 24) == dt.timedelta(hours=1)


@pytest.mark.parametrize(("start", "expected"), [
    (paris(2025, 1, 31, 14, 0), paris(2025, 3, 1, 0, 0)),     # end of the last day
    (paris(2024, 1, 31, 14, 0), paris(2024, 3, 1, 0, 0)),     # leap year
    (paris(2025, 3, 31, 8, 0), paris(2025, 5, 1, 0, 0)),      # no 31 April
    (paris(2025, 12, 15, 8, 0), paris(2026, 1, 15, 8, 0)),    # year change
    (paris(2025, 3, 1, 9, 0), paris(2025, 4, 1, 9, 0)),       # CET -> CEST: 743 h, not 744
    (paris(2025, 10, 1, 9, 0), paris(2025, 11, 1, 9, 0)),     # CEST -> CET: 745 h
])
def test_one_calendar_month(start, expected):
    assert domain.add_calendar_month(start) == expected


def test_one_month_landing_in_the_skipped_hour_is_three_oclock():
    # 2020-03-29 was the last Sunday of March; 02:30 did not exist that night.
    due = domain.add_calendar_month(paris(2020, 2, 29, 2, 30))
    assert due == dt.datetime(2020, 3, 29, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert due.astimezone(PARIS).hour == 3


def test_one_month_landing_in_the_repeated_hour_is_the_later_one():
    due = domain.add_calendar_month(paris(2025, 9, 26, 2, 30))
    assert due == dt.datetime(2025, 10, 26, 1, 30, tzinfo=UTC)  # 02:30 CET, the second


# hypothesis: any instant between 1990 and 2090, with emphasis on the DST nights

def _last_sunday(year: int, month: int) -> int:
    last = calendar.monthrange(year, month)[1]
    return max(d for d in range(last - 6, last + 1) if dt.date(year, month, d).weekday() == 6)


instants = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2090, 1, 1),
                        timezones=st.just(UTC))


@st.composite
def dst_edges(draw) -> dt.datetime:
    """Instants within a few days of a Paris daylight-saving change."""
    year = draw(st.integers(1996, 2089))  # EU rule (last Sundays) since 1996
    month = draw(st.sampled_from([3, 10]))
    change = dt.datetime(year, month, _last_sunday(year, month), 1, 0, tzinfo=UTC)
    offset = draw(st.integers(-4 * 86400, 4 * 86400))
    return change + dt.timedelta(seconds=offset, microseconds=draw(st.integers(0, 999_999)))


any_start = st.one_of(instants, dst_edges())


@settings(max_examples=400, deadline=None)
@given(start=any_start, hours=st.sampled_from([24, 72]))
def test_hours_are_absolute_durations(start, hours):
    due = domain.add_hours(start.astimezone(PARIS), hours)
    assert due - start == dt.timedelta(hours=hours)
    assert due.utcoffset() == dt.timedelta(0)
    wall = (due.astimezone(PARIS).replace(tzinfo=None)
            - start.astimezone(PARIS).replace(tzinfo=None))
    assert abs(wall - dt.timedelta(hours=hours)) <= dt.timedelta(hours=1)


def _next_month(day) -> tuple[int, int]:
    year, month = (day.year, day.month) if isinstance(day, dt.date) else day
    return (year + 1, 1) if month == 12 else (year, month + 1)


@settings(max_examples=400, deadline=None)
@given(start=any_start)
def test_calendar_month_properties(start):
    due = domain.add_calendar_month(start)
    local_start, local_due = start.astimezone(PARIS), due.astimezone(PARIS)
    last_day = calendar.monthrange(*_next_month(local_start))[1]
    if local_start.day > last_day:
        # no such day next month: the end of that month's last day (Reg. 1182/71 3(2)(c))
        assert (local_due.day, local_due.time()) == (1, dt.time(0))
        assert (local_due.year, local_due.month) == _next_month(_next_month(local_start))
    else:
        # next month, same day, same wall-clock time unless it fell in the skipped hour
        assert (local_due.year, local_due.month) == _next_month(local_start)
        assert local_due.day == local_start.day
        wanted = local_start.replace(tzinfo=None).time()
        if local_due.time() != wanted:
            assert local_due.month == 3 and wanted.hour == 2 and local_due.time() == dt.time(3)
    # 28 to 31 days later, give or take the hour of a change
    assert dt.timedelta(days=28, hours=-1) <= due - start <= dt.timedelta(days=31, hours=1)
    assert due.utcoffset() == dt.timedelta(0)


def _wall(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(PARIS).replace(tzinfo=None)


# "One month" is wall-clock arithmetic, so it is monotone in the wall-clock reading of the
# start (during the repeated autumn hour the wall clock itself goes back).
@settings(max_examples=300, deadline=None)
@given(a=any_start, b=any_start)
def test_calendar_month_is_monotone(a, b):
    a, b = sorted([a, b], key=_wall)
    assert domain.add_calendar_month(a) <= domain.add_calendar_month(b)


@settings(max_examples=300, deadline=None)
@given(start=dst_edges(), delta=st.integers(0, 3 * 3600))
def test_calendar_month_monotone_near_changes(start, delta):
    a, b = sorted([start, start + dt.timedelta(seconds=delta)], key=_wall)
    assert domain.add_calendar_month(a) <= domain.add_calendar_month(b)


@settings(max_examples=200, deadline=None)
@given(start=any_start)
def test_derived_deadlines_are_consistent(start):
    f = Facts(discovered_at=start, reported_at=start, nis2_status="essential",
              personal_data=True, insured=True, suspected_malicious="yes")
    out = by_regime(domain.derive(f))
    assert out[Regime.NIS2_EARLY_WARNING].due_at < out[Regime.NIS2_NOTIFICATION].due_at
    assert out[Regime.GDPR_BREACH].due_at == out[Regime.NIS2_NOTIFICATION].due_at
    assert out[Regime.NIS2_FINAL].due_at > out[Regime.NIS2_NOTIFICATION].due_at
    for spec in out.values():
        if spec.regime == Regime.NIS2_FINAL:  # from the notification's deadline
            assert spec.starts_at == out[Regime.NIS2_NOTIFICATION].due_at
        else:
            assert spec.starts_at == start
