"""Use cases of the chain of authorities.

- `transmit` decides, in the transaction of the change that caused it (a domain event), which
  authorities are told, records one `Transmission` row per authority (pending, or held while
  the CERT holds the report's transmissions) and queues the delivery task;
- `deliver` (the worker) sends the pending transmissions: each is claimed by a conditional
  UPDATE, so it is sent once whatever the number of workers, then e-mailed (claimed too);
- `hold` / `release`: an analyst holds back the report's transmissions to one authority, or
  to all of them, for a stated reason;
- `mark_read`, `send_message`, `sweep` (periodic: lost deliveries, reminders to the CERT).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from vigisante.authorities import access as rules
from vigisante.authorities import domain, summary
from vigisante.authorities.domain import Trigger
from vigisante.authorities.models import (
    AuthorityAccount,
    AuthorityMessage,
    State,
    Transmission,
    TransmissionHold,
    TransmissionReminder,
)
from vigisante.core import access, audit
from vigisante.reports.models import Report, Source

log = logging.getLogger(__name__)

MAX_REASON = 2000
MAX_MESSAGE = 5000


class Conflict(ValidationError):
    """A hold or release the report's current holds forbid (already held back, no longer
    active): the page shows it like any refusal, the API answers 409."""


# ---------------------------------------------------------------------------------------------
# Deciding
# ---------------------------------------------------------------------------------------------

def facts_of(report: Report, informed: set[tuple[str, str]]) -> domain.Facts:
    est = report.establishment
    if est is None:
        raise ValueError("only a report of an establishment is transmitted to authorities")
    return domain.Facts(category=est.category, region=est.region,
                        patient_care_affected=report.patient_care_affected or "unknown",
                        patient_danger=report.patient_danger or "",
                        informed=frozenset(informed))


def target_minutes() -> int:
    return int(settings.TRANSMISSION_TARGET_MINUTES)


def transmit(*, report_id: int, trigger: str, now=None) -> list[Transmission]:
    """Record the transmissions `trigger` calls for on the report and queue their delivery.

    Light enough for a domain-event handler: a few queries and one INSERT. Idempotent for
    what happens once (arrival, resolution)."""
    now = now or timezone.now()
    report = (Report.objects.select_related("establishment")
              .filter(pk=report_id, source=Source.SECTOR, establishment__isnull=False).first())
    if report is None or trigger not in Trigger.values:
        return []
    key = domain.change_key(trigger, now.strftime("%Y%m%dT%H%M%S%f"))
    earlier = list(Transmission.objects.filter(report=report).order_by()
                   .values_list("authority", "region", "key"))
    informed = {(a, r) for a, r, _k in earlier}
    existing = {(a, r) for a, r, k in earlier if k == key}
    decided = [r for r in domain.recipients(facts_of(report, informed))
               if r.key not in existing]
    if not decided:
        return []
    holds = list(TransmissionHold.objects.filter(report=report, released_at__isnull=True))
    event_at = report.created_at if trigger == Trigger.RECEIVED else now
    brief = summary.load(report)
    rows = []
    for r in decided:
        held = covering_hold(holds, r.authority, r.region)
        rows.append(Transmission(
            report=report, authority=r.authority, region=r.region, trigger=trigger,
            rule=r.rule, key=key, event_at=event_at,
            due_at=domain.due_at(event_at, target_minutes()), created_at=now,
            state=State.HELD if held else State.PENDING, hold=held, summary=brief))
    Transmission.objects.bulk_create(rows, ignore_conflicts=True)
    audit.record(actor=None, action="transmission.decided", obj=report, after={
        "trigger": trigger, "held": any(t.hold is not None for t in rows),
        "to": [{"authority": t.authority, "region": t.region, "rule": t.rule,
                "held": t.hold_id} for t in rows]})
    if any(t.hold is None for t in rows):
        queue_delivery(report.pk)
    return rows


def queue_delivery(report_id: int) -> None:
    """Queue `deliver` in the current transaction (in a savepoint: a failure to queue never
    loses the change; the periodic sweep delivers what was not queued)."""
    from vigisante.authorities.tasks import deliver_report

    try:
        with transaction.atomic():
            deliver_report.enqueue(report_id)
    except Exception:  # noqa: BLE001 - the sweep catches up
        log.exception("could not queue the transmissions of report %s", report_id)


def on_event(trigger: str):
    """A domain-event handler for `trigger` (subscribed in AppConfig.ready)."""

    def handler(*, report_id: int, before: Any = None, after: Any = None,
                **_payload: Any) -> None:
        if domain.is_news(trigger, before, after):
            transmit(report_id=report_id, trigger=trigger)

    handler.__name__ = f"transmit_on_{trigger}"
    return handler


EVENT_TRIGGERS = {
    "report.received": Trigger.RECEIVED,
    "report.qualified": Trigger.QUALIFIED,
    "report.severity_changed": Trigger.SEVERITY_CHANGED,
    "report.impact_changed": Trigger.IMPACT_CHANGED,
    "report.resolved": Trigger.RESOLVED,
}
HANDLERS = {event: on_event(trigger) for event, trigger in EVENT_TRIGGERS.items()}


# ---------------------------------------------------------------------------------------------
# Delivering (worker)
# ---------------------------------------------------------------------------------------------

def deliver(*, report_id: int | None = None, now=None, limit: int = 500) -> int:
    """Send the pending transmissions (of one report, or all): each is claimed by a
    conditional UPDATE (pending -> sent), so two workers never send one twice. Returns the
    number this call sent."""
    qs = Transmission.objects.filter(state=State.PENDING)
    if report_id is not None:
        qs = qs.filter(report_id=report_id)
    ids = list(qs.order_by("pk").values_list("pk", flat=True)[:limit])
    sent = []
    for pk in ids:
        at = now or timezone.now()
        # the claim and its audit event commit together: a transmission is never sent
        # without its record, nor recorded twice
        with transaction.atomic():
            if not Transmission.objects.filter(pk=pk, state=State.PENDING).update(
                    state=State.SENT, sent_at=at):
                continue
            t = Transmission.objects.select_related("report").get(pk=pk)
            audit.record(actor=None, action="transmission.sent", obj=t.report, after={
                "transmission": t.pk, "authority": t.authority, "region": t.region,
                "trigger": t.trigger, "rule": t.rule, "sent_at": t.sent_at,
                "on_time": at <= t.due_at})
        sent.append(pk)
    for pk in sent:
        email(pk)
    return len(sent)


def members_of(authority: str, region: str):
    """The active users of an authority."""
    from vigisante.accounts.models import Role, User

    return User.objects.filter(role=Role.AUTHORITY, is_active=True,
                               authority_account__authority=authority,
                               authority_account__region=region).order_by("pk")


def site_url(transmission: Transmission) -> str:
    return settings.SITE_URL + reverse("authorities:report", args=[transmission.report_id])


def email(transmission_id: int) -> int:
    """E-mail one sent transmission to its authority's users, once (claimed first; released
    when sending fails, for the next sweep). The body is the summary and a link."""
    from vigisante.notifications.services import notify

    now = timezone.now()
    if not Transmission.objects.filter(pk=transmission_id, state=State.SENT,
                                       emailed_at__isnull=True).update(emailed_at=now):
        return 0
    t = Transmission.objects.select_related("report").get(pk=transmission_id)
    try:
        count = notify(event="transmission", recipients=list(members_of(t.authority, t.region)),
                       context={"transmission": t, "summary": t.summary, "url": site_url(t),
                                "report": t.report},
                       raise_errors=True)
    except Exception:  # noqa: BLE001 - logged; the sweep retries
        Transmission.objects.filter(pk=t.pk, emailed_at=now).update(emailed_at=None)
        log.exception("could not e-mail transmission %s", t.pk)
        return 0
    Transmission.objects.filter(pk=t.pk).update(emails=count)
    return count


# ---------------------------------------------------------------------------------------------
# Holding back
# ---------------------------------------------------------------------------------------------

def _text(name: str, value: Any, *, required: bool, limit: int) -> str:
    text = (value if isinstance(value, str) else "").strip()
    if required and not text:
        raise ValidationError({name: [_("Say why.")]})
    if len(text) > limit:
        raise ValidationError({name: [_("At most %(n)d characters.") % {"n": limit}]})
    if "\x00" in text:
        raise ValidationError({name: [_("This text contains a forbidden character.")]})
    return text


def hold_scopes(report: Report, sent_to: set[tuple[str, str]] | None = None
                ) -> list[tuple[str, str]]:
    """The authorities an analyst may hold back on this report: those the rules reach for
    its establishment (the ARS of its region or the defence chain, the HFDS, the DGS), and
    any other that already has a transmission (`sent_to`, read when not given)."""
    est = report.establishment
    army = getattr(est, "category", "") == domain.ARMY
    scopes = {(domain.Authority.DEFENCE.value, "") if army
              else (domain.Authority.ARS.value, getattr(est, "region", "") or ""),
              (domain.Authority.HFDS.value, ""), (domain.Authority.DGS.value, "")}
    scopes.discard((domain.Authority.ARS.value, ""))
    if sent_to is None:
        sent_to = set(Transmission.objects.filter(report=report).order_by()
                      .values_list("authority", "region").distinct())
    scopes |= sent_to
    order = list(domain.Authority.values)
    return sorted(scopes, key=lambda s: (order.index(s[0]) if s[0] in order else 99, s[1]))


def _parse_scope(report: Report, value: Any) -> tuple[str, str]:
    """'' or 'all': every authority; 'authority:region' (e.g. 'ars:IDF', 'dgs:'): one."""
    text = (value if isinstance(value, str) else "").strip()
    if text in ("", "all"):
        return ("", "")
    authority, _sep, region = text.partition(":")
    if (authority, region) not in hold_scopes(report):
        raise ValidationError({"to": [_("Choose an authority of this report, or all of "
                                        "them.")]})
    return (authority, region)


def covering_hold(holds: list[TransmissionHold], authority: str,
                  region: str) -> TransmissionHold | None:
    """The active hold that keeps a transmission to (authority, region) back: the one on
    that authority first, else the one on every authority."""
    active = [h for h in holds if h.active and h.covers(authority, region)]
    return next((h for h in active if not h.is_all), active[0] if active else None)


@transaction.atomic
def hold(*, actor, report_id: Any, reason: Any, to: Any = "", now=None) -> TransmissionHold:
    """Hold back the report's transmissions to one authority (`to`: "ars:IDF", "dgs:"...)
    or to all of them (`to` blank): those not sent yet, and those decided until release."""
    report = access.get_or_404(Report.objects.select_related("establishment"), actor,
                               "hold_transmissions", report_id, for_update=True)
    reason = _text("reason", reason, required=True, limit=MAX_REASON)
    authority, region = _parse_scope(report, to)
    active = list(TransmissionHold.objects.filter(report=report, released_at__isnull=True))
    if any(h.is_all for h in active):
        raise Conflict({"reason": [_("The transmissions of this report are already held "
                                     "back.")]})
    if any(h.scope == (authority, region) for h in active):
        raise Conflict({"to": [_("The transmissions to this authority are already held "
                                 "back.")]})
    now = now or timezone.now()
    try:
        with transaction.atomic():  # a concurrent hold of the same scope won the race
            h = TransmissionHold.objects.create(report=report, authority=authority,
                                                region=region, reason=reason, held_by=actor,
                                                held_at=now)
    except IntegrityError:
        raise Conflict({"to": [_("The transmissions to this authority are already held "
                                 "back.")]}) from None
    pending = Transmission.objects.filter(report=report, state=State.PENDING)
    if authority:
        pending = pending.filter(authority=authority, region=region)
    ids = list(pending.values_list("pk", flat=True))
    Transmission.objects.filter(pk__in=ids, state=State.PENDING).update(state=State.HELD,
                                                                       hold=h)
    audit.record(actor=actor, action="transmission.held", obj=report,
                 after={"hold": h.pk, "authority": authority or "all", "region": region,
                        "reason": reason, "transmissions": ids})
    return h


def release(*, actor, report_id: Any, note: Any = "", hold_id: Any = None, now=None) -> int:
    """End one hold (`hold_id`), or every active hold of the report (`hold_id` blank): the
    transmissions no other hold keeps back are sent now. Returns how many were released."""
    return release_holds(actor=actor, report_id=report_id, note=note, hold_id=hold_id,
                         now=now)[0]


@transaction.atomic
def release_holds(*, actor, report_id: Any, note: Any = "", hold_id: Any = None, now=None
                  ) -> tuple[int, list[TransmissionHold]]:
    """`release`, returning also the holds it ended."""
    report = access.get_or_404(Report, actor, "hold_transmissions", report_id, for_update=True)
    note = _text("note", note, required=False, limit=MAX_REASON)
    holds = list(TransmissionHold.objects.filter(report=report, released_at__isnull=True))
    if hold_id not in (None, ""):
        try:
            pk = access.parse_pk(hold_id)
        except access.Denied:
            pk = 0
        ending = [h for h in holds if h.pk == pk]
        if not ending:
            raise Conflict({"hold": [_("This hold is not active on this report.")]})
    else:
        ending = holds
    if not ending:
        raise Conflict({"note": [_("Nothing is held back on this report.")]})
    now = now or timezone.now()
    released = 0
    for h in ending:
        h.released_at, h.released_by, h.release_note = now, actor, note
        h.save(update_fields=["released_at", "released_by", "release_note"])
    for h in ending:
        freed, moved = [], []
        for t in Transmission.objects.filter(hold=h, state=State.HELD).order_by("pk"):
            other = covering_hold(holds, t.authority, t.region)
            if other is None:
                freed.append(t.pk)
            else:
                Transmission.objects.filter(pk=t.pk).update(hold=other)
                moved.append(t.pk)
        Transmission.objects.filter(pk__in=freed, state=State.HELD).update(state=State.PENDING)
        released += len(freed)
        audit.record(actor=actor, action="transmission.released", obj=report,
                     after={"hold": h.pk, "authority": h.authority or "all",
                            "region": h.region, "note": note, "transmissions": freed,
                            "still_held": moved})
    if released:
        queue_delivery(report.pk)
    return released, ending


# ---------------------------------------------------------------------------------------------
# Reading, writing to an authority
# ---------------------------------------------------------------------------------------------

def mark_read(*, actor, report: Report, now=None) -> int:
    """The authority user opened the report: its transmissions to them are read (the first
    reader is kept). Returns how many became read."""
    if not rules.is_authority(actor):
        return 0
    now = now or timezone.now()
    qs = access.restrict(Transmission.objects.filter(report=report, read_at__isnull=True),
                         actor, "mark_read")
    ids = list(qs.values_list("pk", flat=True))
    if not ids:
        return 0
    count = Transmission.objects.filter(pk__in=ids, read_at__isnull=True).update(
        read_at=now, read_by=actor)
    if count:
        audit.record(actor=actor, action="transmission.read", obj=report,
                     after={"transmissions": ids})
    return count


def mark_one_read(*, actor, transmission_id: Any, now=None) -> Transmission:
    t = access.get_or_404(Transmission, actor, "mark_read", transmission_id)
    if t.read_at is None:
        now = now or timezone.now()
        if Transmission.objects.filter(pk=t.pk, read_at__isnull=True).update(
                read_at=now, read_by=actor):
            audit.record(actor=actor, action="transmission.read", obj=t.report,
                         after={"transmissions": [t.pk]})
        t.refresh_from_db()
    return t


def recipients_of(report: Report) -> list[tuple[str, str]]:
    """The authorities that were sent something about the report (whom the CERT may write
    to)."""
    return sorted(set(Transmission.objects.filter(report=report, state=State.SENT)
                      .values_list("authority", "region")))


@transaction.atomic
def send_message(*, actor, report_id: Any, to: Any, text: Any, now=None) -> AuthorityMessage:
    """A message of the CERT to one authority already told of the report."""
    report = access.get_or_404(Report, actor, "message_authority", report_id)
    text = _text("text", text, required=True, limit=MAX_MESSAGE)
    authority, _sep, region = str(to or "").partition(":")
    if (authority, region) not in recipients_of(report):
        raise ValidationError({"to": [_("Choose an authority that was told of this report.")]})
    now = now or timezone.now()
    message = AuthorityMessage.objects.create(report=report, authority=authority,
                                              region=region, author=actor, at=now, text=text)
    audit.record(actor=actor, action="transmission.message", obj=report,
                 after={"message": message.pk, "authority": authority, "region": region,
                        "text": text})
    return message


# ---------------------------------------------------------------------------------------------
# Periodic: lost deliveries, lost e-mails, reminders to the CERT
# ---------------------------------------------------------------------------------------------

#: Pending transmissions older than this are delivered by the sweep (their task was lost).
SWEEP_AFTER_SECONDS = 10
RETRY_EMAIL_AFTER_SECONDS = 300


def sweep(*, now=None) -> dict[str, int]:
    """Deliver transmissions whose task was lost, e-mail those whose e-mail failed, and
    remind the CERT of transmissions still not sent near or past their target."""
    import datetime as dt

    now = now or timezone.now()
    stale = (Transmission.objects.filter(state=State.PENDING,
                                         created_at__lte=now - dt.timedelta(
                                             seconds=SWEEP_AFTER_SECONDS))
             .values_list("report_id", flat=True).distinct())
    delivered = sum(deliver(report_id=r) for r in list(stale[:200]))
    unmailed = list(Transmission.objects.filter(
        state=State.SENT, emailed_at__isnull=True,
        sent_at__lte=now - dt.timedelta(seconds=RETRY_EMAIL_AFTER_SECONDS))
        .values_list("pk", flat=True)[:200])
    emailed = sum(email(pk) for pk in unmailed)
    return {"delivered": delivered, "emailed": emailed, "reminders": remind(now=now)}


def reminder_minutes() -> list[int]:
    return sorted(set(settings.TRANSMISSION_REMINDER_MINUTES), reverse=True)


def remind(*, now=None) -> int:
    import datetime as dt

    now = now or timezone.now()
    window = dt.timedelta(hours=settings.CLOCK_OVERDUE_WINDOW_HOURS)
    horizon = now + dt.timedelta(minutes=max(reminder_minutes(), default=0))
    candidates = (Transmission.objects.filter(state__in=[State.PENDING, State.HELD],
                                              due_at__lte=horizon, due_at__gte=now - window)
                  .select_related("report").order_by("due_at", "pk"))
    claimed = 0
    for t in candidates:
        kind = domain.reminder_kind(t.due_at, t.sent_at, now, reminder_minutes(), window)
        if kind is None:
            continue
        try:
            with transaction.atomic():
                reminder = TransmissionReminder.objects.create(transmission=t, kind=kind,
                                                               claimed_at=now)
        except IntegrityError:
            continue
        claimed += 1
        count = _send_reminder(t, kind, now)
        TransmissionReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now(),
                                                                   recipients=count)
    return claimed


def cert_recipients(report: Report) -> list:
    """The assigned analyst, else every active analyst and admin."""
    from vigisante.accounts.models import STAFF_ROLES, User
    from vigisante.triage.models import Case

    case = Case.objects.filter(report=report).select_related("assigned_to").first()
    assignee = getattr(case, "assigned_to", None)
    if assignee is not None and assignee.is_active:
        return [assignee]
    return list(User.objects.filter(role__in=STAFF_ROLES, is_active=True))


def _send_reminder(t: Transmission, kind: str, now) -> int:
    from vigisante.notifications.services import notify

    return notify(event="transmission_reminder", recipients=cert_recipients(t.report),
                  context={"transmission": t, "report": t.report, "kind": kind, "now": now,
                           "overdue": kind == domain.OVERDUE,
                           "url": settings.SITE_URL + reverse("triage:case",
                                                              args=[t.report_id])})


# ---------------------------------------------------------------------------------------------
# Reading for pages and API
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseView:
    transmissions: list[Transmission]
    holds: list[TransmissionHold]
    active_holds: list[TransmissionHold]
    messages: list[AuthorityMessage]
    recipients: list[tuple[str, str]]
    late: bool
    #: whom a new hold may name: every authority ("" , "") unless all are held already,
    #: and each authority of the report not held yet
    hold_choices: list[tuple[str, str]]

    @property
    def all_held(self) -> bool:
        return any(h.is_all for h in self.active_holds)


def case_view(report: Report, now=None) -> CaseView:
    """What the case page shows of the report's transmissions (CERT staff)."""
    now = now or timezone.now()
    transmissions = list(Transmission.objects.filter(report=report)
                         .select_related("read_by", "hold__held_by")
                         .order_by("event_at", "pk"))
    holds = list(TransmissionHold.objects.filter(report=report)
                 .select_related("held_by", "released_by"))
    active = [h for h in holds if h.active]
    messages = list(AuthorityMessage.objects.filter(report=report).select_related("author"))
    late = any(t.sent_at is None and t.due_at <= now for t in transmissions)
    recipients = sorted({(t.authority, t.region) for t in transmissions
                         if t.state == State.SENT})
    choices: list[tuple[str, str]] = []
    if not any(h.is_all for h in active):
        held = {h.scope for h in active}
        known = {(t.authority, t.region) for t in transmissions}
        choices = [("", ""), *[s for s in hold_scopes(report, known) if s not in held]]
    return CaseView(transmissions, holds, active, messages, recipients, late, choices)


def late_q(now) -> Q:
    """Transmissions sent after their target, or not sent and past it."""
    from django.db.models import F

    return Q(sent_at__gt=F("due_at")) | Q(sent_at__isnull=True, due_at__lte=now)


def is_late(t: Transmission, now) -> bool:
    return t.sent_at > t.due_at if t.sent_at is not None else t.due_at <= now


def overseen(user, *, state: str = "attention", authority: str = "", region: str = "",
             now=None):
    """The CERT's view of transmissions needing attention across every report, the most
    overdue first: `attention` (held back, or not sent and past the target), `late` (not
    sent, past the target), `held`, `sent_late` (sent after the target); optionally of one
    authority, or of the reports of one region's establishments."""
    from django.db.models import F

    now = now or timezone.now()
    qs = access.restrict(Transmission.objects.all(), user, "oversee")
    overdue = Q(sent_at__isnull=True, due_at__lte=now)
    qs = qs.filter({
        "late": overdue,
        "held": Q(state=State.HELD),
        "sent_late": Q(sent_at__gt=F("due_at")),
    }.get(state, Q(state=State.HELD) | overdue))
    if authority:
        qs = qs.filter(authority=authority)
    if region:
        qs = qs.filter(report__establishment__region=region)
    return (qs.select_related("report__establishment", "hold__held_by")
            .order_by("due_at", "pk"))


def open_reports(user):
    """The open reports the user may summarise, those affecting care first."""
    from django.db.models import Case as When_
    from django.db.models import IntegerField, Value, When

    closed = ["resolved", "closed", "rejected", "duplicate"]
    qs = (Report.objects.restrict(user, "summary").select_related("establishment", "case")
          .exclude(case__state__in=closed))
    care = Q(patient_care_affected="yes") | Q(patient_danger__in=["potential", "actual"])
    return qs.annotate(care_first=When_(When(care, then=Value(0)), default=Value(1),
                                        output_field=IntegerField())
                       ).order_by("care_first", "-created_at", "-pk")


def account_of(user) -> AuthorityAccount | None:
    return AuthorityAccount.objects.filter(user_id=user.pk).first()


def figures_for(authority: str, region: str) -> dict[str, Any] | None:
    """The latest published observatory year's figures for the scope: the region's row for
    an ARS, the army hospitals' row for the defence chain, the national total otherwise."""
    from vigisante.observatory import services as observatory

    year = observatory.latest_published_year()
    if year is None:
        return None
    figures = observatory.published_figures([year]).get(year) or {}

    def row(table: str, key: str) -> dict | None:
        for section in figures.get("sections", []):
            for t in section.get("tables", []):
                if t.get("id") == table:
                    return next((r for r in t.get("rows", []) if r.get("key") == key), None)
        return None

    if authority == domain.Authority.ARS:
        found, what = row("04_region", region), "region"
    elif authority == domain.Authority.DEFENCE:
        found, what = row("03_category", f"{domain.ARMY}.health"), "category"
    else:
        found, what = row("01_totals", "period"), "national"
    return {"year": year, "what": what, "row": found or {}}
