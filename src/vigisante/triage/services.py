"""Use cases of triage (workflow, qualification, assignment; notes, messages and support are
in exchanges.py). Each takes the acting user, runs in one transaction and writes an
audit event for every change. Analyst actions answer 404 to anyone but CERT staff.

Optimistic concurrency: actions that change the case take `expected_version` (the
Case.version the user saw); a stale one raises ValidationError keyed "version" naming who
changed the case and when, and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from vigisante.accounts.models import Role, User
from vigisante.clocks import services as clocks
from vigisante.core import access, audit, events, taxonomy
from vigisante.reports.models import Report, Source
from vigisante.triage import domain
from vigisante.triage.domain import State
from vigisante.triage.models import Case, Qualification, Transition

log = logging.getLogger(__name__)

MAX_PK = 2**63 - 1
MAX_BULK = 500
SUPPLIER_WINDOW = dt.timedelta(days=30)
CASE_FIELDS = [
    "state", "state_changed_at", "assigned_to", "duplicate_of", "origin", "kind", "rsit_class",
    "rsit_type", "severity", "suggested_severity", "attack_vector", "detection_source",
    "detection_stage", "ransomware_extent", "qualified_at", "version",
]


# ---------------------------------------------------------------------------------------------
# Access
# ---------------------------------------------------------------------------------------------

def is_staff(user) -> bool:
    """May the user triage at all (CERT analysts and admins, logged in and active)."""
    return access.allowed(user, "triage", Report)


def require_staff(user) -> None:
    """Anyone else gets a 404: the triage pages do not exist for them."""
    access.require(user, "triage", Report)


parse_pk = access.parse_pk


def report_of(actor, report_id: Any, action: str = "triage") -> Report:
    """The report `report_id` if the actor may do `action` to it (see triage/access.py)."""
    return access.get_or_404(Report.objects.select_related("establishment"), actor, action,
                             report_id)


def case_of(report: Report, *, for_update: bool) -> Case:
    """The report's case (locked with `for_update`), created if missing (reports older than
    the triage app). One query when the case exists."""
    # No joins: a locked row re-read after waiting would come with stale joined rows.
    qs = Case.objects.filter(report_id=report.pk)
    if for_update:
        qs = (qs.select_for_update(of=("self",)) if connection.features.has_select_for_update_of
              else qs.select_for_update())
    case = next(iter(qs[:1]), None)
    if case is None:
        Case.objects.get_or_create(report=report,
                                   defaults={"state_changed_at": report.created_at})
        case = qs.get()
    case.report = report
    return case


def open_case(*, report_id: int, **_: Any) -> None:
    """`report.received`: every sector report gets its case the moment it arrives (imported
    VERIS/HHS records get none). Subscribed in triage.apps."""
    created_at = (Report.objects.filter(pk=report_id, source=Source.SECTOR)
                  .values_list("created_at", flat=True).first())
    if created_at is not None:
        Case.objects.bulk_create([Case(report_id=report_id, state_changed_at=created_at)],
                                 ignore_conflicts=True)


def read_case(report_id: int) -> Case | None:
    """The case of a report, as the clocks read it (registered in triage.apps)."""
    return Case.objects.filter(report_id=report_id).select_related("assigned_to").first()


def get_case(*, actor, report_id: Any, action: str = "triage", for_update: bool = False) -> Case:
    """The case of a report the actor may do `action` to (404 otherwise)."""
    return case_of(report_of(actor, report_id, action), for_update=for_update)


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def _fmt(at: dt.datetime | None) -> str:
    if at is None:
        return "?"
    return formats.date_format(timezone.localtime(at), "SHORT_DATETIME_FORMAT")


def parse_version(value: Any) -> int | None:
    """The version a form or API call carried (None when absent)."""
    if value is None or value == "":
        return None
    try:
        version = int(value)
    except (TypeError, ValueError):
        raise ValidationError({"version": [_("Invalid version: reload the page.")]}) from None
    if not 0 <= version <= MAX_PK:
        raise ValidationError({"version": [_("Invalid version: reload the page.")]})
    return version


def check_version(case: Case, expected_version: Any) -> None:
    """Refuse a change made on a stale view of the case."""
    expected = parse_version(expected_version)
    if expected is not None and expected != case.version:
        by = User.objects.filter(pk=case.updated_by_id).first() if case.updated_by_id else None
        who = str(by) if by is not None else _("someone else")
        raise ValidationError(
            {"version": [domain.conflict_message(who, _fmt(case.updated_at))]}, code="conflict")


def is_conflict(exc: ValidationError) -> bool:
    return hasattr(exc, "error_dict") and "version" in exc.error_dict


def check_text(name: str, text: str, *, required: bool, limit: int = domain.MAX_TEXT) -> str:
    text = text if isinstance(text, str) else ""
    if required and not text.strip():
        raise ValidationError({name: [_("Write something.")]})
    err = domain.text_error(text, limit)
    if err:
        raise ValidationError({name: [err]})
    return text


def _touch(case: Case, actor, now: dt.datetime) -> None:
    case.version += 1
    case.updated_at = now
    case.updated_by = actor


def _save_audited(case: Case, actor, action: str, before: dict, extra: dict | None = None):
    old, new = audit.diff(before, audit.snapshot(case, CASE_FIELDS))
    # Only the changed columns: concurrent writers of other columns are not overwritten.
    case.save(update_fields=[*new, "updated_at", "updated_by"])
    if clocks.CASE_FIELDS & set(new):  # state, origin, severity: the clocks read them
        clocks.recompute(case.report, case=case)
    _emit_changes(case, old, new)
    if extra:
        new.update(extra)
    audit.record(actor=actor, action=action, obj=case, before=old, after=new)


_ENDED = (State.RESOLVED, State.CLOSED)


def _emit_changes(case: Case, old: dict, new: dict) -> None:
    """Tell the apps above (authorities, ...) what changed, once the case is saved."""
    if "state" in new:
        events.emit("report.state_changed", report_id=case.report_id, before=old["state"],
                    after=new["state"])
        if new["state"] in _ENDED and old["state"] not in _ENDED:
            events.emit("report.resolved", report_id=case.report_id)
    if "severity" in new:
        events.emit("report.severity_changed", report_id=case.report_id,
                    before=old["severity"] or "", after=new["severity"] or "")


def reporters_of(report: Report) -> list[User]:
    """The establishment's reporters: who is told about acknowledgements and messages."""
    if report.establishment_id is None:
        return []
    return list(User.objects.filter(memberships__establishment_id=report.establishment_id,
                                    role=Role.REPORTER, is_active=True).distinct())


def cert_recipients(case: Case) -> list[Any]:
    """The assignee; when nobody is assigned, every active analyst and the CERT's mailbox."""
    assignee = case.assigned_to if case.assigned_to_id else None
    if assignee is not None and assignee.is_active:
        return [assignee]
    return [*User.objects.filter(role__in=[Role.ANALYST, Role.ADMIN], is_active=True),
            settings.CERT_EMAIL]


def notify_on_commit(event: str, recipients: Iterable[Any], context: dict[str, Any]) -> None:
    """Hand the e-mail to the notifications app once the change is committed."""
    people = [u for u in recipients if u is not None]
    if not people:
        return

    def send() -> None:
        from vigisante.notifications.services import notify

        notify(event=event, recipients=people, context=context)

    # robust: a mail outage is logged, never turns a saved change into an error page.
    transaction.on_commit(send, robust=True)


def _move(case: Case, to_state: str, actor, now: dt.datetime, comment: str = "") -> None:
    Transition.objects.create(case=case, from_state=case.state, to_state=to_state, by=actor,
                              at=now, comment=comment)
    case.state = to_state
    case.state_changed_at = now
    if to_state == State.ACKNOWLEDGED:
        notify_on_commit("acknowledged", reporters_of(case.report),
                {"report": case.report, "case": case, "actor": actor})


# ---------------------------------------------------------------------------------------------
# Workflow
# ---------------------------------------------------------------------------------------------

def _original(value: Any, case: Case, actor) -> Report | None:
    """The original report a duplicate points to, by id or reference."""
    if value is None or value == "":
        return None
    original: Report | None
    if isinstance(value, Report):
        original = value
    else:
        text = str(value).strip()[:50]
        qs = Report.objects.restrict(actor, "triage").select_related("case")
        if text.isdigit() and int(text) <= MAX_PK:
            original = qs.filter(pk=int(text)).first()
        else:
            original = qs.filter(reference__iexact=text).first()
        if original is None:
            raise ValidationError({"duplicate_of": [
                _("No report with the reference “%(ref)s”.") % {"ref": text}]})
    if original.pk == case.report_id:
        raise ValidationError({"duplicate_of": [_("A report cannot duplicate itself.")]})
    other = Case.objects.filter(report=original).select_related("duplicate_of").first()
    if other is not None and other.state == State.DUPLICATE and other.duplicate_of is not None:
        raise ValidationError({"duplicate_of": [
            _("%(ref)s is itself a duplicate of %(orig)s: link to %(orig)s.") % {
                "ref": original.reference, "orig": other.duplicate_of.reference}]})
    return original


@transaction.atomic
def transition(
    *, actor, report_id: Any, to_state: str, comment: str = "", duplicate_of: Any = None,
    expected_version: Any = None,
) -> Case:
    """Move a case to another state, if the state machine allows it."""
    case = get_case(actor=actor, report_id=report_id, action="transition", for_update=True)
    check_version(case, expected_version)
    comment = check_text("comment", comment, required=False, limit=domain.MAX_COMMENT)
    to_state = str(to_state or "")
    original = _original(duplicate_of, case, actor) if to_state == State.DUPLICATE else None
    refused = domain.transition_error(
        case.state, to_state, is_admin=access.allowed(actor, "reopen", case.report),
        is_qualified=bool(case.kind),
        has_duplicate_of=original is not None, comment=comment)
    if refused:
        raise ValidationError({refused[0]: [refused[1]]})
    now = timezone.now()
    before = audit.snapshot(case, CASE_FIELDS)
    from_state = case.state
    _move(case, to_state, actor, now, comment)
    if to_state == State.DUPLICATE:
        case.duplicate_of = original
    elif from_state == State.DUPLICATE:
        case.duplicate_of = None
    _touch(case, actor, now)
    _save_audited(case, actor, "case.transition", before, {"comment": comment} if comment else None)
    return case


def acknowledge(*, actor, report_id: Any, expected_version: Any = None) -> Case:
    """Tell the establishment its report has been received by an analyst."""
    return transition(actor=actor, report_id=report_id, to_state=State.ACKNOWLEDGED,
                      expected_version=expected_version)


@dataclass
class BulkResult:
    acknowledged: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (reference or id, why)


@transaction.atomic
def bulk_acknowledge(*, actor, report_ids: Iterable[Any]) -> BulkResult:
    """Acknowledge every received report of the list; the others are skipped with a reason."""
    access.require(actor, "acknowledge", Report)
    ids: list[int] = []
    for raw in list(report_ids)[: MAX_BULK + 1]:
        try:
            ids.append(parse_pk(raw))
        except Http404:
            raise ValidationError({"report_ids": [
                _("“%(value)s” is not a report id.") % {"value": str(raw)[:30]}]}) from None
    if not ids:
        raise ValidationError({"report_ids": [_("Select at least one report.")]})
    if len(ids) > MAX_BULK:
        raise ValidationError({"report_ids": [
            _("At most %(n)d reports at once.") % {"n": MAX_BULK}]})
    reports = {r.pk: r for r in Report.objects.restrict(actor, "acknowledge")
               .select_related("establishment").filter(pk__in=ids)}
    for report in reports.values():
        Case.objects.get_or_create(report=report,
                                   defaults={"state_changed_at": report.created_at})
    # Lock every case up front, in one order: two bulk runs (or a bulk run and a single
    # change) wait for each other instead of deadlocking.
    locked = Case.objects.filter(report_id__in=list(reports)).order_by("pk")
    if connection.features.has_select_for_update_of:
        locked = locked.select_for_update(of=("self",))
    else:
        locked = locked.select_for_update()
    cases = {c.report_id: c for c in locked}
    result = BulkResult()
    now = timezone.now()
    for pk in dict.fromkeys(ids):
        report = reports.get(pk)
        if report is None:
            result.skipped.append((str(pk), _("no such report")))
            continue
        case = cases[pk]
        case.report = report
        if case.state != State.RECEIVED:
            result.skipped.append((report.reference, _("already %(state)s") % {
                "state": State(case.state).label.lower()}))
            continue
        before = audit.snapshot(case, CASE_FIELDS)
        _move(case, State.ACKNOWLEDGED, actor, now, _("Bulk acknowledgement"))
        _touch(case, actor, now)
        _save_audited(case, actor, "case.transition", before)
        result.acknowledged.append(report.reference)
    return result


# ---------------------------------------------------------------------------------------------
# Qualification
# ---------------------------------------------------------------------------------------------

def establishments_reached(report: Report) -> int:
    """Establishments reporting the same supplier within 30 days (this one included)."""
    if not report.supplier_involved or not (report.supplier_id or report.supplier_name.strip()):
        return 1
    qs = Report.objects.filter(source=Source.SECTOR,
                               created_at__gte=report.created_at - SUPPLIER_WINDOW,
                               created_at__lte=report.created_at + SUPPLIER_WINDOW)
    if report.supplier_id:
        qs = qs.filter(supplier_id=report.supplier_id)
    else:
        qs = qs.filter(supplier_name__iexact=report.supplier_name.strip())
    return max(1, qs.values("establishment_id").distinct().count())


def suggestion(report: Report, kind: str = "") -> domain.Assessment:
    """The severity the report's impacts suggest."""
    return domain.suggest_severity(domain.impacts_of(
        report, kind=kind, establishments_reached=establishments_reached(report)))


@transaction.atomic
def qualify(
    *, actor, report_id: Any, origin: str, kind: str, severity: str = "",
    attack_vector: str = "", detection_source: str = "", detection_stage: str = "",
    ransomware_extent: str = "", comment: str = "", expected_version: Any = None,
) -> Case:
    """Record the analyst's qualification; the previous ones stay in the history."""
    case = get_case(actor=actor, report_id=report_id, action="qualify", for_update=True)
    check_version(case, expected_version)
    path = domain.qualify_path(case.state)
    if path is None:
        raise ValidationError({"state": [
            _("A case that is “%(state)s” cannot be qualified.") % {
                "state": State(case.state).label}]})
    values = {k: (v if isinstance(v, str) else "") for k, v in dict(
        origin=origin, kind=kind, severity=severity, attack_vector=attack_vector,
        detection_source=detection_source, detection_stage=detection_stage,
        ransomware_extent=ransomware_extent, comment=comment).items()}
    kind_ok = values["kind"] in taxonomy.Kind.values
    assessment = suggestion(case.report, values["kind"] if kind_ok else "")
    values["severity"] = values["severity"] or assessment.severity
    errors = domain.qualification_errors(suggested=assessment.severity, **values)
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})
    now = timezone.now()
    before = audit.snapshot(case, CASE_FIELDS)
    rsit_class, rsit_type = taxonomy.rsit_of(values["kind"])
    fields = {k: values[k] for k in ("origin", "kind", "severity", "attack_vector",
                                     "detection_source", "detection_stage",
                                     "ransomware_extent")}
    for key, value in fields.items():
        setattr(case, key, value)
    case.rsit_class, case.rsit_type = rsit_class, rsit_type
    case.suggested_severity = assessment.severity
    case.qualified_at = now
    qualification = Qualification.objects.create(
        case=case, by=actor, at=now, rsit_class=rsit_class, rsit_type=rsit_type,
        suggested_severity=assessment.severity, comment=values["comment"], **fields)
    for state in path:
        _move(case, state, actor, now, _("Qualification"))
    _touch(case, actor, now)
    _save_audited(case, actor, "case.qualify", before, {
        "qualification_id": qualification.pk, "suggestion_reasons": list(assessment.reasons),
        **({"comment": values["comment"]} if values["comment"] else {})})
    events.emit("report.qualified", report_id=case.report_id)
    return case


# ---------------------------------------------------------------------------------------------
# Assignment, notes, messages, support
# ---------------------------------------------------------------------------------------------

def analysts() -> list[User]:
    """Who a case can be assigned to."""
    return list(User.objects.filter(role__in=access.roles_for(Report, "triage"), is_active=True)
                .order_by("full_name", "email"))


@transaction.atomic
def assign(*, actor, report_id: Any, assignee: Any, expected_version: Any = None) -> Case:
    """Give the case to an analyst (or to nobody: assignee None)."""
    case = get_case(actor=actor, report_id=report_id, action="assign", for_update=True)
    check_version(case, expected_version)
    user = None
    if assignee not in (None, ""):
        pk = assignee.pk if isinstance(assignee, User) else assignee
        try:
            pk = parse_pk(pk)
        except Http404:
            pk = None
        user = User.objects.filter(pk=pk, role__in=access.roles_for(Report, "triage"),
                                   is_active=True).first() if pk else None
        if user is None:
            raise ValidationError({"assigned_to": [_("Choose an analyst of the CERT.")]})
    if case.assigned_to_id == (user.pk if user else None):
        return case
    now = timezone.now()
    before = audit.snapshot(case, CASE_FIELDS)
    case.assigned_to = user
    _touch(case, actor, now)
    _save_audited(case, actor, "case.assign", before)
    if user is not None and user.pk != actor.pk:
        notify_on_commit("assignment", [user],
                         {"report": case.report, "case": case, "actor": actor})
    return case
