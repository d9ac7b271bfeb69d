"""Use cases of the regulatory clocks: keep each report's clocks in step with its facts, and
send the reminders that fall due.

Clocks stand one floor above reports and one below triage. `recompute` is idempotent (an
upsert of six rows) and cheap. It runs when the facts it reads change:
- a report arrives or gets a stage: the `report.received` / `report.updated` events of the
  reports services (subscribed in clocks.apps);
- the CERT changes a case: the triage services call `recompute` explicitly, with the case;
- an establishment's NIS2 status or insurance changes (`establishment.changed`): a worker task
  recomputes its open reports (`recompute_for_establishment`), never the request.
The case (state, origin, severity, assignee) belongs to triage: clocks read it through the
reader triage registers from its ready() (`read_cases_with`), never by importing triage.
Likewise the NIS2 stages an establishment recorded as sent through another channel belong to
the drafts app, which registers their reader (`read_sendings_with`) and calls `recompute`
after recording one.
`scan_and_remind` is the periodic job the worker runs.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from vigisante.clocks import domain
from vigisante.clocks.models import Clock, ClockReminder, ClockState
from vigisante.core import audit
from vigisante.reports.models import Report, Source

log = logging.getLogger(__name__)

_UNSET: Any = object()
SYNCED_FIELDS = ("recipient", "starts_at", "due_at", "done_at", "state", "na_reason")

#: Case fields the clocks depend on: a case change touching none of them skips the recompute.
CASE_FIELDS = frozenset({"state", "state_changed_at", "origin", "severity"})

#: A claimed reminder whose send failed or was interrupted is retried after this delay.
RETRY_AFTER = dt.timedelta(minutes=10)
MAX_ATTEMPTS = 3


#: How the CERT's case of a report is read: a function of the report id returning an object
#: with `state`, `state_changed_at`, `origin`, `severity` and `assigned_to` (or None).
CaseReader = Callable[[int], Any]


def _no_case(report_id: int) -> None:
    return None


_case_reader: CaseReader = _no_case


def read_cases_with(reader: CaseReader) -> None:
    """Register how to read a report's case (triage does, from its AppConfig.ready())."""
    global _case_reader
    _case_reader = reader


def _case_of(report: Report) -> Any:
    return _case_reader(report.pk)


#: How the sendings recorded outside the report's stages are read: a function of the report
#: id returning {regime: earliest sending} for the NIS2 regimes (drafts registers it).
SendingsReader = Callable[[int], dict[str, dt.datetime]]


def _no_sendings(report_id: int) -> dict[str, dt.datetime]:
    return {}


_sendings_reader: SendingsReader = _no_sendings


def read_sendings_with(reader: SendingsReader) -> None:
    """Register how to read a report's recorded sendings (drafts does, from its ready())."""
    global _sendings_reader
    _sendings_reader = reader


def facts_of(report: Report, case: Any = None,
             sent: dict[str, dt.datetime] | None = None) -> domain.Facts:
    """The plain facts the clock rules read, from a report, its establishment, its case and
    the stages recorded as sent elsewhere (`sent`: {regime: instant})."""
    est = report.establishment
    sent = sent or {}
    return domain.Facts(
        discovered_at=report.discovered_at,
        reported_at=report.created_at,
        personal_data=report.personal_data,
        health_data=report.health_data,
        nis2_status=getattr(est, "nis2_status", "unknown") or "unknown",
        insured=bool(getattr(est, "insured", False)),
        suspected_malicious=report.suspected_malicious,
        patient_care_affected=report.patient_care_affected,
        operations_impact=report.operations_impact or "",
        patient_danger=report.patient_danger or "",
        data_confidentiality=report.data_confidentiality,
        ransom_demanded=report.ransom_demanded,
        notification_at=report.notification_at,
        final_at=report.final_at,
        resolved_at=report.resolved_at,
        dpa_notified_on=report.dpa_notified_on,
        complaint_filed_on=report.complaint_filed_on,
        case_state=getattr(case, "state", "") or "",
        case_state_changed_at=getattr(case, "state_changed_at", None),
        origin=getattr(case, "origin", "") or "",
        severity=getattr(case, "severity", "") or "",
        nis2_early_warning_sent_at=sent.get(domain.Regime.NIS2_EARLY_WARNING),
        nis2_notification_sent_at=sent.get(domain.Regime.NIS2_NOTIFICATION),
        nis2_final_sent_at=sent.get(domain.Regime.NIS2_FINAL),
    )


def has_clocks(report: Report) -> bool:
    """Only sector reports run clocks (imported VERIS/HHS records do not)."""
    return report.source == Source.SECTOR and report.establishment_id is not None


def recompute(report: Report | int, *, case: Any = _UNSET) -> list[Clock]:
    """Derive the report's clocks again and upsert them; audit every change of state."""
    if not isinstance(report, Report):
        report = Report.objects.select_related("establishment").get(pk=report)
    if not has_clocks(report):
        return []
    if case is _UNSET:
        case = _case_of(report)
    specs = domain.derive(facts_of(report, case, _sendings_reader(report.pk)))
    with transaction.atomic():
        existing = {c.regime: c for c in Clock.objects.select_for_update().filter(report=report)}
        new = [Clock(report=report, regime=s.regime, **_values(s)) for s in specs
               if s.regime not in existing]
        if new:
            # A concurrent recompute may have created them first: its rows are kept and
            # brought up to date by the next save of the report.
            Clock.objects.bulk_create(new, ignore_conflicts=True)
        for spec in specs:
            clock = existing.get(spec.regime)
            if clock is not None:
                _update(report, clock, spec)
    return sorted([*existing.values(), *new], key=lambda c: c.order)


def create_for_new_report(report: Report) -> list[Clock]:
    """The clocks of a report inserted just now: one INSERT of all its clocks.

    Same clocks as `recompute`, without its row locks, savepoint and read of the existing rows:
    nothing else can hold clocks of a report not committed yet. Its case, if any, is not
    qualified yet: the clocks are derived from the report's own facts.
    """
    if not has_clocks(report):
        return []
    specs = domain.derive(facts_of(report))
    new = [Clock(report=report, regime=s.regime, **_values(s)) for s in specs]
    # As in `recompute`: a row that somehow exists already is kept (and brought up to date by
    # the next save of the report).
    Clock.objects.bulk_create(new, ignore_conflicts=True)
    return sorted(new, key=lambda c: c.order)


def _values(spec: domain.ClockSpec) -> dict[str, Any]:
    return {name: getattr(spec, name) for name in SYNCED_FIELDS}


def _update(report: Report, clock: Clock, spec: domain.ClockSpec) -> None:
    values = _values(spec)
    changed = [k for k, v in values.items() if getattr(clock, k) != v]
    if not changed:
        return
    before = {"regime": clock.regime, "state": clock.state, "due_at": clock.due_at,
              "done_at": clock.done_at}
    for key in changed:
        setattr(clock, key, values[key])
    clock.save(update_fields=[*changed, "updated_at"])
    if "state" in changed:
        after = {"regime": clock.regime, "state": clock.state, "due_at": clock.due_at,
                 "done_at": clock.done_at, "na_reason": clock.na_reason}
        audit.record(actor=None, action="clock.state_changed", obj=report, before=before,
                     after=after)


def _open_reports(establishment_id: int):
    return Report.objects.filter(establishment_id=establishment_id, source=Source.SECTOR,
                                 final_at__isnull=True)


def recompute_for_establishment(establishment_id: int) -> int:
    """After the establishment's NIS2 status or insurance changed: its open reports (worker)."""
    ids = list(_open_reports(establishment_id).values_list("pk", flat=True))
    for pk in ids:
        recompute(pk)
    return len(ids)


# --- reactions to the other apps' events (subscribed in clocks.apps) -------------------------

#: Stages of `report.updated` that change none of the facts the clocks read.
_FACTLESS_STAGES = frozenset({"update", "attachment"})


def on_report_received(*, report_id: int, **_: Any) -> None:
    """A new report: its clocks, in the same transaction (the reporter sees them at once)."""
    report = Report.objects.select_related("establishment").get(pk=report_id)
    create_for_new_report(report)


def on_report_updated(*, report_id: int, stage: str = "", **_: Any) -> None:
    """A stage saved (notification, final...): derive the report's clocks again."""
    if stage not in _FACTLESS_STAGES:
        recompute(report_id)


def on_establishment_changed(*, establishment_id: int, **_: Any) -> None:
    """An establishment's registry entry changed: recompute its open reports in the worker
    (one task, queued only when it has open reports), never in the request."""
    from vigisante.clocks.tasks import recompute_establishment

    if not _open_reports(establishment_id).exists():
        return
    try:
        with transaction.atomic():  # a savepoint: failing to queue never loses the change
            recompute_establishment.enqueue(int(establishment_id))
    except Exception:  # noqa: BLE001 - the worker's scan derives again before reminding
        log.exception("could not queue the clocks of establishment %s", establishment_id)


def recompute_all(*, only_missing: bool = False, chunk: int = 500) -> int:
    """Backfill: every sector report (or those without clocks yet), in bounded memory."""
    qs = Report.objects.filter(source=Source.SECTOR, establishment__isnull=False)
    if only_missing:
        qs = qs.filter(clocks__isnull=True)
    last, done = 0, 0
    while True:
        batch = list(qs.filter(pk__gt=last).select_related("establishment")
                     .order_by("pk")[:chunk])
        if not batch:
            return done
        for report in batch:
            recompute(report)
        done += len(batch)
        last = batch[-1].pk


def clocks_for(report: Report) -> list[Clock]:
    """The report's clocks in display order."""
    return sorted(report.clocks.all(), key=lambda c: c.order)


# ---------------------------------------------------------------------------------------------
# Clocks other apps keep (the CERT's transmission to the authorities...)
# ---------------------------------------------------------------------------------------------

#: A function (report, viewer, now) -> the clocks it keeps on the report that the viewer may
#: see (an empty list for anyone else). Registered from the providing app's ready(): clocks
#: never imports the apps above it.
ClockProvider = Callable[[Report, Any, dt.datetime], list[domain.OtherClock]]
_providers: list[ClockProvider] = []


def provide_clocks_with(provider: ClockProvider) -> None:
    """Register a provider of clocks shown beside the regulatory ones (idempotent)."""
    if provider not in _providers:
        _providers.append(provider)


def other_clocks(report: Report, viewer: Any, now: dt.datetime | None = None
                 ) -> list[domain.OtherClock]:
    """The clocks other apps keep on the report that `viewer` may see, in provider order.
    Each provider decides who may see its clocks (the access policy of its app)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False) or not has_clocks(report):
        return []
    now = now or timezone.now()
    return [clock for provider in _providers for clock in provider(report, viewer, now)]


# ---------------------------------------------------------------------------------------------
# Reminders
# ---------------------------------------------------------------------------------------------

def reminder_hours() -> list[int]:
    return sorted(set(settings.CLOCK_REMINDER_HOURS), reverse=True)


def overdue_window() -> dt.timedelta:
    return dt.timedelta(hours=settings.CLOCK_OVERDUE_WINDOW_HOURS)


def _candidates(now: dt.datetime):
    hours = reminder_hours()
    horizon = now + dt.timedelta(hours=max(hours, default=0))
    return Clock.objects.filter(state=ClockState.DUE, due_at__lte=horizon,
                                due_at__gte=now - overdue_window())


def scan_and_remind(*, now: dt.datetime | None = None, worker: str = "") -> dict[str, int]:
    """Send the reminders due now, each (clock, kind) once. Safe with concurrent workers."""
    now = now or timezone.now()
    # Derive again before reminding: a fact may have been recorded by a bulk update that
    # fired no signal, and nobody should be chased for a deadline already met.
    report_ids = list(_candidates(now).values_list("report_id", flat=True).distinct())
    for report_id in report_ids:
        recompute(report_id)
    clocks = (_candidates(now).select_related("report__establishment")
              .order_by("due_at", "pk"))
    sent = claimed = 0
    for clock in clocks:
        kind = domain.reminder_kind(clock.state, clock.due_at, now, reminder_hours(),
                                    overdue_window())
        if kind is None:
            continue
        reminder = _claim(clock, kind, now, worker)
        if reminder is None:
            continue
        claimed += 1
        try:
            count = _send_reminder(clock, kind, now)
        except Exception as exc:  # noqa: BLE001 - one bad send must not stop the others
            log.exception("reminder %s of clock %s failed", kind, clock.pk)
            ClockReminder.objects.filter(pk=reminder.pk).update(error=str(exc)[:2000])
            continue
        ClockReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now(),
                                                            recipients=count, error="")
        sent += count
    return {"reports_checked": len(report_ids), "reminders": claimed, "emails": sent}


def _claim(clock: Clock, kind: str, now: dt.datetime, worker: str) -> ClockReminder | None:
    """Insert the reminder row first: the unique (clock, kind) lets one worker win."""
    try:
        with transaction.atomic():
            return ClockReminder.objects.create(clock=clock, kind=kind, claimed_at=now,
                                                worker=worker[:64])
    except IntegrityError:
        pass
    retried = ClockReminder.objects.filter(
        clock=clock, kind=kind, sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS,
        claimed_at__lt=now - RETRY_AFTER,
    ).update(claimed_at=now, attempts=F("attempts") + 1, worker=worker[:64])
    return ClockReminder.objects.get(clock=clock, kind=kind) if retried else None


def reminder_recipients(report: Report) -> list:
    """The establishment's reporters, and the CERT: the assigned analyst, else all staff."""
    from vigisante.accounts.models import STAFF_ROLES, Role, User

    reporters = User.objects.none() if report.establishment_id is None else User.objects.filter(
        memberships__establishment_id=report.establishment_id, role=Role.REPORTER,
        is_active=True,
    ).distinct()
    case = _case_of(report)
    assignee = getattr(case, "assigned_to", None)
    if assignee is not None and assignee.is_active:
        staff: list = [assignee]
    else:
        staff = list(User.objects.filter(role__in=STAFF_ROLES, is_active=True))
    return [*reporters, *staff]


def _send_reminder(clock: Clock, kind: str, now: dt.datetime) -> int:
    from vigisante.notifications.services import notify

    report = clock.report
    event = "clock_overdue" if kind == domain.OVERDUE else "clock_reminder"
    return notify(event=event, recipients=reminder_recipients(report), raise_errors=True,
                  context={"report": report, "clock": clock, "kind": kind, "now": now})

