"""Pure rules of the regulatory clocks: which apply to a report, when each falls due, whether
it was met.

No ORM, no request, no clock: `now` is a parameter. See docs/clocks.md for the rules in prose.

Time: instants are aware datetimes, stored in UTC. Durations in hours (24 h, 72 h) are
absolute: 72 h after 10:00 the day before the spring change is 11:00 local time, three days
later. "One month" is a calendar month in Europe/Paris local time (`add_calendar_month`).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext_lazy, gettext_noop

PARIS = ZoneInfo("Europe/Paris")
UTC = dt.UTC


class Regime(models.TextChoices):
    CERT_RESOLUTION = "cert_resolution", gettext_lazy("Tell the CERT when resolved")
    GDPR_BREACH = "gdpr_breach", gettext_lazy("GDPR: personal-data breach notification")
    NIS2_EARLY_WARNING = "nis2_early_warning", gettext_lazy("NIS2: early warning")
    NIS2_NOTIFICATION = "nis2_notification", gettext_lazy("NIS2: incident notification")
    NIS2_FINAL = "nis2_final", gettext_lazy("NIS2: final report")
    INSURANCE_COMPLAINT = "insurance_complaint", gettext_lazy(
        "Cyber-insurance: criminal complaint")


class ClockState(models.TextChoices):
    DUE = "due", gettext_lazy("Due")
    DONE_ON_TIME = "done_on_time", gettext_lazy("Done on time")
    DONE_LATE = "done_late", gettext_lazy("Done late")
    NOT_APPLICABLE = "not_applicable", gettext_lazy("Not applicable")


REGIME_ORDER = [Regime.NIS2_EARLY_WARNING, Regime.GDPR_BREACH, Regime.NIS2_NOTIFICATION,
                Regime.INSURANCE_COMPLAINT, Regime.NIS2_FINAL, Regime.CERT_RESOLUTION]

# Recipients and reasons are stored as English text and shown through gettext; marking them
# with gettext_noop puts them in the message catalogue.
RECIPIENTS: dict[str, str] = {
    Regime.CERT_RESOLUTION: gettext_noop("CERT Santé"),
    Regime.GDPR_BREACH: gettext_noop("CNIL"),
    Regime.NIS2_EARLY_WARNING: gettext_noop("CERT Santé / ANSSI (CSIRT)"),
    Regime.NIS2_NOTIFICATION: gettext_noop("CERT Santé / ANSSI (CSIRT)"),
    Regime.NIS2_FINAL: gettext_noop("CERT Santé / ANSSI (CSIRT)"),
    Regime.INSURANCE_COMPLAINT: gettext_noop("Police or gendarmerie"),
}

#: What closes each clock, shown next to a clock still due.
HOW_TO_CLOSE: dict[str, str] = {
    Regime.CERT_RESOLUTION: gettext_noop("Complete the final report once the incident is "
                                         "resolved."),
    Regime.GDPR_BREACH: gettext_noop("Notify the CNIL, then record the date in the "
                                     "notification form."),
    Regime.NIS2_EARLY_WARNING: gettext_noop("Filing this report is the early warning."),
    Regime.NIS2_NOTIFICATION: gettext_noop("Complete the notification stage of this report."),
    Regime.NIS2_FINAL: gettext_noop("Complete the final report."),
    Regime.INSURANCE_COMPLAINT: gettext_noop("File a complaint, then record its date in the "
                                             "notification form."),
}

#: A GDPR clock that runs while the establishment has not said whether personal data are
#: involved (the early warning does not ask): stored in `na_reason` of a clock still due.
MAY_APPLY_PERSONAL_DATA = gettext_noop("May apply: runs until the establishment says no "
                                       "personal or health data is involved (notification "
                                       "form).")

#: What each deadline runs from, shown next to it.
RUNS_FROM: dict[str, str] = {
    Regime.CERT_RESOLUTION: gettext_noop("until the incident is resolved"),
    Regime.GDPR_BREACH: gettext_noop("from when the incident was found"),
    Regime.NIS2_EARLY_WARNING: gettext_noop("from when the incident was found"),
    Regime.NIS2_NOTIFICATION: gettext_noop("from when the incident was found"),
    Regime.NIS2_FINAL: gettext_noop("from the notification"),
    Regime.INSURANCE_COMPLAINT: gettext_noop("from when the incident was found"),
}

#: The NIS2 final report before the notification is made: it runs from the notification's own
#: deadline (the earliest the notification can become), shown as such.
RUNS_FROM_NOTIFICATION_DEADLINE = gettext_noop("from the notification's deadline (no "
                                               "notification yet)")

NA_NO_PERSONAL_DATA = gettext_noop("No personal or health data involved, as far as the report "
                                   "says.")
NA_NIS2_OUT_OF_SCOPE = gettext_noop("The establishment is not an essential or important entity "
                                    "under NIS2.")
NA_NIS2_UNKNOWN = gettext_noop("The establishment's NIS2 status is unknown: the CERT should "
                               "complete the registry.")
NA_NOT_SIGNIFICANT = gettext_noop("Not a significant incident (qualified as minor).")
NA_NOT_PRESUMED_SIGNIFICANT = gettext_noop("Not presumed significant: the report shows no "
                                           "impact on care, operations or data.")
NA_NOT_INSURED = gettext_noop("The establishment holds no cyber-insurance.")
NA_NOT_MALICIOUS = gettext_noop("Not malicious.")
NA_REJECTED = gettext_noop("The CERT rejected this report.")
NA_DUPLICATE = gettext_noop("Duplicate of another report: the clocks run there.")

HOURS = {Regime.GDPR_BREACH: 72, Regime.NIS2_EARLY_WARNING: 24,
         Regime.NIS2_NOTIFICATION: 72, Regime.INSURANCE_COMPLAINT: 72}

NIS2_ENTITIES = frozenset({"essential", "important"})
SIGNIFICANT_SEVERITIES = frozenset({"significant", "major"})
RESOLVED_CASE_STATES = frozenset({"resolved", "closed"})


@dataclass(frozen=True)
class Facts:
    """Plain facts of a report, its establishment and its triage case."""

    discovered_at: dt.datetime
    reported_at: dt.datetime
    personal_data: bool = False
    health_data: bool = False
    nis2_status: str = "unknown"
    insured: bool = False
    suspected_malicious: str = "unknown"  # yes / no / unknown (the reporter's first guess)
    patient_care_affected: str = "unknown"
    operations_impact: str = ""
    patient_danger: str = ""
    data_confidentiality: bool = False
    ransom_demanded: bool = False
    notification_at: dt.datetime | None = None
    final_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    dpa_notified_on: dt.date | None = None
    complaint_filed_on: dt.date | None = None
    case_state: str = ""
    case_state_changed_at: dt.datetime | None = None
    origin: str = ""  # the analyst's qualification: malicious / non_malicious / undetermined
    severity: str = ""  # the analyst's qualification: minor / significant / major
    # NIS2 stages the establishment recorded as sent through another channel (ANSSI's portal,
    # by e-mail to the CSIRT...): the earliest sending of each, or None. Each closes its clock
    # as the matching stage of the report does, whichever came first.
    nis2_early_warning_sent_at: dt.datetime | None = None
    nis2_notification_sent_at: dt.datetime | None = None
    nis2_final_sent_at: dt.datetime | None = None


@dataclass(frozen=True)
class ClockSpec:
    regime: str
    recipient: str
    starts_at: dt.datetime
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    state: str
    na_reason: str = ""


# ---------------------------------------------------------------------------------------------
# Deadline arithmetic
# ---------------------------------------------------------------------------------------------

def add_hours(start: dt.datetime, hours: int) -> dt.datetime:
    """An absolute duration: exactly `hours` x 3600 s later, whatever the local clock does."""
    _require_aware(start)
    return (start.astimezone(UTC) + dt.timedelta(hours=hours)).astimezone(UTC)


def resolve_wall_time(wall: dt.datetime, tz: dt.tzinfo = PARIS) -> dt.datetime:
    """The UTC instant of a local wall-clock time (naive `wall`) in `tz`.

    - A time that occurs twice (the autumn change, 02:00-03:00 in Paris) is the later one:
      the deadline is the last moment the clock on the wall shows that time.
    - A time that does not exist (the spring change skips 02:00-03:00) is the first instant
      after the gap, 03:00 local time. This keeps the mapping monotone: a later start never
      gives an earlier deadline.
    """
    later = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if later.astimezone(tz).replace(tzinfo=None) == wall:
        return later
    earlier = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if earlier.astimezone(tz).replace(tzinfo=None) == wall:
        return earlier
    # In the gap: both readings land outside it; the gap ends where the offset changes,
    # at the later of the two candidate instants' common transition.
    return _end_of_gap(wall, tz)


def _end_of_gap(wall: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    # fold=1 reads `wall` with the offset after the change, landing before the gap; fold=0
    # reads it with the offset before, landing after. The transition lies between: search
    # it to the second (offsets change on whole minutes in every real zone).
    lo = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    hi = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    while hi - lo > dt.timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
            lo = mid
        else:
            hi = mid
    return hi.replace(microsecond=0)


def add_calendar_month(start: dt.datetime, tz: dt.tzinfo = PARIS) -> dt.datetime:
    """Same local wall-clock time, one calendar month later in `tz`, as a UTC instant.

    When the next month has no such day (31 January, 31 March...), the period ends with the
    last hour of that month's last day, as EU Regulation 1182/71 (art. 3(2)(c)) counts
    periods: 31 January 14:00 -> the end of 28 February (29 in a leap year). Clamping to the
    same time on the last day instead would give a start on 31 March an earlier deadline
    than a later-in-the-day start on 30 March. Daylight-saving changes are resolved by
    `resolve_wall_time`.
    """
    _require_aware(start)
    local = start.astimezone(tz)
    year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
    if local.day > calendar.monthrange(year, month)[1]:
        after = (year + 1, 1) if month == 12 else (year, month + 1)
        return start_of_day(dt.date(after[0], after[1], 1), tz)
    wall = local.replace(tzinfo=None, fold=0).replace(year=year, month=month)
    return resolve_wall_time(wall, tz)


def local_date(instant: dt.datetime, tz: dt.tzinfo = PARIS) -> dt.date:
    return instant.astimezone(tz).date()


def start_of_day(day: dt.date, tz: dt.tzinfo = PARIS) -> dt.datetime:
    """Midnight of `day` in `tz`, as a UTC instant."""
    return resolve_wall_time(dt.datetime.combine(day, dt.time()), tz)


def _require_aware(value: dt.datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("an aware datetime is required")


# ---------------------------------------------------------------------------------------------
# Which clocks apply
# ---------------------------------------------------------------------------------------------

def involves_personal_data(f: Facts) -> bool:
    """Health data are personal data (GDPR art. 9)."""
    return f.personal_data or f.health_data


def is_malicious(f: Facts) -> bool:
    """The analyst's origin when it is decided; otherwise the reporter's suspicion."""
    if f.origin in ("malicious", "non_malicious"):
        return f.origin == "malicious"
    return f.suspected_malicious == "yes"


def is_significant(f: Facts) -> tuple[bool, str]:
    """Whether the incident is significant in the NIS2 sense, and why not when it is not.

    Qualified: severity significant or major. Not yet qualified, the rule is conservative
    (a useless reminder costs less than a missed deadline): significant when any impact is
    reported (care affected, patient danger, operations partial/degraded/stopped, a ransom,
    disclosed personal data, a suspected attack), and presumed significant while the
    notification is not complete, unless the reporter said both "care not affected" and
    "not malicious".
    """
    if f.severity:
        if f.severity in SIGNIFICANT_SEVERITIES:
            return True, ""
        return False, NA_NOT_SIGNIFICANT
    indicators = (
        f.patient_care_affected == "yes",
        f.patient_danger in ("potential", "actual"),
        f.operations_impact in ("partial", "degraded", "stopped"),
        f.ransom_demanded,
        f.data_confidentiality and involves_personal_data(f),
        f.suspected_malicious == "yes" or f.origin == "malicious",
    )
    if any(indicators):
        return True, ""
    if f.notification_at is None and not (
        f.patient_care_affected == "no" and f.suspected_malicious == "no"
    ):
        return True, ""
    return False, NA_NOT_PRESUMED_SIGNIFICANT


def derive(f: Facts) -> list[ClockSpec]:
    """The six clocks of a report, in display order, each with its state."""
    _require_aware(f.discovered_at)
    specs = {
        Regime.CERT_RESOLUTION: _cert_resolution(f),
        Regime.GDPR_BREACH: _gdpr(f),
        Regime.NIS2_EARLY_WARNING: _nis2(f, Regime.NIS2_EARLY_WARNING),
        Regime.NIS2_NOTIFICATION: _nis2(f, Regime.NIS2_NOTIFICATION),
        Regime.NIS2_FINAL: _nis2(f, Regime.NIS2_FINAL),
        Regime.INSURANCE_COMPLAINT: _insurance(f),
    }
    void = {"rejected": NA_REJECTED, "duplicate": NA_DUPLICATE}.get(f.case_state)
    out = []
    for regime in REGIME_ORDER:
        spec = specs[regime]
        if void and spec.done_at is None:
            spec = _not_applicable(f, regime, void)
        out.append(spec)
    return out


def _spec(f: Facts, regime: str, due_at: dt.datetime | None,
          done_at: dt.datetime | None, on_time: bool | None = None) -> ClockSpec:
    if done_at is None:
        state = ClockState.DUE
    else:
        if on_time is None:
            on_time = due_at is None or done_at <= due_at
        state = ClockState.DONE_ON_TIME if on_time else ClockState.DONE_LATE
    return ClockSpec(regime=regime, recipient=RECIPIENTS[regime], starts_at=f.discovered_at,
                     due_at=due_at, done_at=done_at, state=state)


def _not_applicable(f: Facts, regime: str, reason: str) -> ClockSpec:
    return ClockSpec(regime=regime, recipient=RECIPIENTS[regime], starts_at=f.discovered_at,
                     due_at=None, done_at=None, state=ClockState.NOT_APPLICABLE,
                     na_reason=reason)


#: The regimes closed by a date without a time (`_dated`): their done_at is a day, not an hour.
DATED_REGIMES = frozenset({Regime.GDPR_BREACH, Regime.INSURANCE_COMPLAINT})


def _dated(f: Facts, regime: str, due_at: dt.datetime, day: dt.date | None) -> ClockSpec:
    """A clock closed by a date without a time (complaint, CNIL notification).

    The date counts as on time when it is on or before the local (Paris) date of the
    deadline, since the hour is not known; done_at is that day's midnight, or the start of
    the clock when the act was the same day.
    """
    if day is None:
        return _spec(f, regime, due_at, None)
    done_at = max(start_of_day(day), f.discovered_at)
    return _spec(f, regime, due_at, done_at, on_time=day <= local_date(due_at))


def _cert_resolution(f: Facts) -> ClockSpec:
    candidates = [f.final_at, f.resolved_at]
    if f.case_state in RESOLVED_CASE_STATES:
        candidates.append(f.case_state_changed_at or f.final_at or f.resolved_at)
    known = [c for c in candidates if c is not None]
    return _spec(f, Regime.CERT_RESOLUTION, None, min(known) if known else None)


def _gdpr(f: Facts) -> ClockSpec:
    """Due with personal or health data; "may apply" (due, with a note) until the
    establishment has answered the question, i.e. submitted its notification; then not
    applicable when it said no such data is involved. A ransomware report at the early-warning
    stage must not read "does not apply": the 72 h run from discovery."""
    due = add_hours(f.discovered_at, HOURS[Regime.GDPR_BREACH])
    if involves_personal_data(f):
        return _dated(f, Regime.GDPR_BREACH, due, f.dpa_notified_on)
    if f.notification_at is None:
        spec = _dated(f, Regime.GDPR_BREACH, due, f.dpa_notified_on)
        return replace(spec, na_reason=MAY_APPLY_PERSONAL_DATA) if spec.done_at is None else spec
    return _not_applicable(f, Regime.GDPR_BREACH, NA_NO_PERSONAL_DATA)


def _nis2(f: Facts, regime: str) -> ClockSpec:
    if f.nis2_status not in NIS2_ENTITIES:
        reason = NA_NIS2_UNKNOWN if f.nis2_status in ("", "unknown") else NA_NIS2_OUT_OF_SCOPE
        return _not_applicable(f, regime, reason)
    significant, why_not = is_significant(f)
    if not significant:
        return _not_applicable(f, regime, why_not)
    if regime == Regime.NIS2_EARLY_WARNING:
        # Filing the report on this platform is the early warning to the sector CSIRT; an
        # early warning recorded as sent elsewhere before the filing met the deadline first.
        return _spec(f, regime, add_hours(f.discovered_at, 24),
                     _earliest(f.reported_at, f.nis2_early_warning_sent_at))
    notification_due = add_hours(f.discovered_at, 72)
    notified = _earliest(f.notification_at, f.nis2_notification_sent_at)
    if regime == Regime.NIS2_NOTIFICATION:
        return _spec(f, regime, notification_due, notified)
    # One month after the notification was submitted; until then, one month after the
    # notification's own deadline (the earliest it can become).
    runs_from = notified or notification_due
    due = add_calendar_month(runs_from)
    return replace(_spec(f, regime, due, _earliest(f.final_at, f.nis2_final_sent_at)),
                   starts_at=runs_from)


def _earliest(*instants: dt.datetime | None) -> dt.datetime | None:
    """The first of the acts that fulfil an obligation (None when none was made)."""
    known = [i for i in instants if i is not None]
    return min(known) if known else None


def _insurance(f: Facts) -> ClockSpec:
    if not f.insured:
        return _not_applicable(f, Regime.INSURANCE_COMPLAINT, NA_NOT_INSURED)
    if not is_malicious(f):
        return _not_applicable(f, Regime.INSURANCE_COMPLAINT, NA_NOT_MALICIOUS)
    due = add_hours(f.discovered_at, HOURS[Regime.INSURANCE_COMPLAINT])
    return _dated(f, Regime.INSURANCE_COMPLAINT, due, f.complaint_filed_on)


# ---------------------------------------------------------------------------------------------
# Time left, reminders
# ---------------------------------------------------------------------------------------------

def time_left(state: str, due_at: dt.datetime | None, now: dt.datetime) -> dt.timedelta | None:
    """Time until the deadline of a clock still due (negative: late by); None otherwise."""
    if state != ClockState.DUE or due_at is None:
        return None
    return due_at - now


def is_overdue(state: str, due_at: dt.datetime | None, now: dt.datetime) -> bool:
    left = time_left(state, due_at, now)
    return left is not None and left <= dt.timedelta(0)


OVERDUE = "overdue"


def reminder_kind(state: str, due_at: dt.datetime | None, now: dt.datetime,
                  before_hours: list[int] | tuple[int, ...],
                  overdue_window: dt.timedelta) -> str | None:
    """The one reminder a clock calls for now: the most urgent threshold reached, or None.

    Thresholds are hours before the deadline ("before_12h", "before_2h"); "overdue" once
    the deadline has passed, for `overdue_window` afterwards (old deadlines are not chased:
    a worker started after a long stop must not flood mailboxes).
    """
    left = time_left(state, due_at, now)
    if left is None:
        return None
    if left <= dt.timedelta(0):
        return OVERDUE if -left <= overdue_window else None
    reached = [h for h in before_hours if left <= dt.timedelta(hours=h)]
    return f"before_{min(reached)}h" if reached else None


# ---------------------------------------------------------------------------------------------
# Clocks other apps keep (shown beside the regulatory ones)
# ---------------------------------------------------------------------------------------------

#: A state of the clocks other apps keep, beside those of ClockState: an analyst held the
#: act back on purpose, for a stated reason; the deadline keeps running.
HELD = "held"


@dataclass(frozen=True)
class ClockPart:
    """One recipient of a clock with several (an authority of a transmission step)."""

    label: str
    state: str  # due / done_on_time / done_late / held
    state_label: str
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    held_reason: str = ""
    code: str = ""  # machine-readable name of the part ("ars:IDF", "hfds:")


@dataclass(frozen=True)
class OtherClock:
    """A deadline another app keeps and shows beside the regulatory ones, with the same look
    and states (the CERT's transmission to the authorities, kept by vigisante.authorities).

    Not stored by this app: its provider (registered with `services.provide_clocks_with`)
    derives it when a page or the API asks, for a viewer it decides may see it. Quacks like
    a `Clock` for the panel and the API (`get_regime_display`, `time_left`...)."""

    regime: str
    regime_label: str
    subject: str  # what this occurrence is about ("Report received")
    recipient: str
    starts_at: dt.datetime
    due_at: dt.datetime | None
    done_at: dt.datetime | None
    state: str  # due / done_on_time / done_late / held
    state_label: str
    runs_from: str = ""
    how_to_close: str = ""
    held_reason: str = ""
    parts: tuple[ClockPart, ...] = ()
    na_reason: str = ""
    may_apply: bool = False

    def get_regime_display(self) -> str:
        return self.regime_label

    def get_state_display(self) -> str:
        return self.state_label

    @property
    def held(self) -> bool:
        return self.state == HELD

    def time_left(self, now: dt.datetime) -> dt.timedelta | None:
        """Until the deadline of a clock still running, held ones included (a hold does not
        stop the clock); None once met."""
        if self.state not in (ClockState.DUE, HELD) or self.due_at is None:
            return None
        return self.due_at - now

    def is_overdue(self, now: dt.datetime) -> bool:
        left = self.time_left(now)
        return left is not None and left <= dt.timedelta(0)
