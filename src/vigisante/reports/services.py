"""Use cases of the staged report. Each takes the acting user and runs in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from vigisante.core import access, audit, events
from vigisante.establishments.models import Establishment
from vigisante.reports import domain
from vigisante.reports.models import (
    Attachment,
    Channel,
    IdempotencyKey,
    OperationsImpact,
    PatientDanger,
    ReferenceCounter,
    Report,
    ReportUpdate,
    Stage,
    System,
)

log = logging.getLogger(__name__)

EARLY_WARNING_FIELDS = [
    "establishment", "description", "discovered_at", "ongoing", "suspected_malicious",
    "patient_care_affected", "support_requested", "callback_phone",
]
NOTIFICATION_FIELDS = [
    "systems_hit", "perimeter", "operations_impact", "degraded_since", "degraded_until",
    "patient_danger", "patient_danger_narrative", "data_availability", "data_integrity",
    "data_confidentiality", "personal_data", "health_data", "people_affected",
    "records_affected", "ransom_demanded", "supplier_involved", "supplier_name",
    "measures_taken", "causes", "complaint_filed_on", "dpa_notified_on",
]
# A change of these tells the authorities (issue 11) that the impact on care changed.
IMPACT_FIELDS = frozenset({"patient_care_affected", "patient_danger", "operations_impact"})
FINAL_FIELDS = ["root_cause", "resolved_at", "final_impact", "lessons_learned"]
TEXT_LIMITS = {"description": domain.MAX_SHORT_TEXT, "perimeter": domain.MAX_SHORT_TEXT,
               "patient_danger_narrative": domain.MAX_SHORT_TEXT}


def establishments_for(user) -> Any:
    """The establishments a user may report for."""
    return access.restrict(Establishment, user, "report")


def get_report(user, pk: int | str, action: str = "view", *, for_update: bool = False) -> Report:
    """Fetch one report the user may do `action` to, or 404 (never 403: no existence leak)."""
    return access.get_or_404(Report, user, action, pk, for_update=for_update)


def get_visible_report(user, pk: int | str, *, for_update: bool = False) -> Report:
    """Deprecated: `get_report(user, pk, "view")`."""
    return get_report(user, pk, "view", for_update=for_update)


def next_reference(year: int) -> str:
    """Allocate the next reference of `year`; must run inside a transaction.

    The increment locks the counter's row (PostgreSQL) or the database (SQLite) until the
    transaction ends, so two transactions never get the same value.
    """
    value = _increment_returning(year) if _has_update_returning() else None
    if value is None:  # no RETURNING, or the year's first report: create the row first
        ReferenceCounter.objects.get_or_create(year=year)
        ReferenceCounter.objects.filter(year=year).update(value=F("value") + 1)
        value = ReferenceCounter.objects.filter(year=year).values_list("value", flat=True).get()
    return domain.format_reference(year, value)


def _has_update_returning() -> bool:
    """PostgreSQL, and SQLite from 3.35, have UPDATE ... RETURNING."""
    from django.db import connection

    if connection.vendor == "postgresql":
        return True
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version_info >= (3, 35)
    return False


def _increment_returning(year: int) -> int | None:
    """One statement: add 1 to the year's counter and read it back (None: no row yet)."""
    from django.db import connection

    qn = connection.ops.quote_name
    meta = ReferenceCounter._meta
    sql = (f"UPDATE {qn(meta.db_table)} SET {qn(meta.get_field('value').column)} = "
           f"{qn(meta.get_field('value').column)} + 1 WHERE {qn(meta.get_field('year').column)}"
           f" = %s RETURNING {qn(meta.get_field('value').column)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, [year])
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _check_texts(data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    for key, value in data.items():
        if isinstance(value, str):
            err = domain.text_error(value, TEXT_LIMITS.get(key, domain.MAX_TEXT))
            if err:
                errors.setdefault(key, []).append(err)


def _may_report_for(user, est) -> bool:
    """Whether the user may report for `est` (what `establishments_for` allows), in at most one
    small query."""
    if not isinstance(est, Establishment) or est.pk is None:
        return False
    if est._state.adding:  # not read from the database: ask it
        return establishments_for(user).filter(pk=est.pk).exists()
    return access.allowed(user, "report", est)


def _validate_early_warning(user, data: dict[str, Any], now) -> None:
    errors: dict[str, list[str]] = {}
    est = data.get("establishment")
    if est is None or not _may_report_for(user, est):
        errors["establishment"] = [_("Choose one of your establishments.")]
    if not (data.get("description") or "").strip():
        errors["description"] = [_("Say in a few words what is happening.")]
    found = data.get("discovered_at")
    if found is None:
        errors["discovered_at"] = [_("Give the date and time it was found.")]
    else:
        err = domain.discovered_at_error(found, now)
        if err:
            errors["discovered_at"] = [err]
    _check_texts(data, errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def create_early_warning(*, actor, data: dict[str, Any], channel: str = Channel.WEB) -> Report:
    """File the first stage of a report and give it its reference."""
    now = timezone.now()
    if channel in (Channel.PHONE, Channel.EMAIL) and not access.allowed(
            actor, "record_on_behalf", Report):
        raise ValidationError({"channel": [_("Only the CERT records reports by phone or e-mail.")]})
    clean = {k: data[k] for k in EARLY_WARNING_FIELDS if k in data}
    _validate_early_warning(actor, clean, now)
    report = Report(created_by=actor, channel=channel, created_at=now, **clean)
    # The establishment was checked above (and read from the database); the reference is given
    # below. The model constraints (a sector report has an establishment; imported records are
    # unique) cannot fail for a new sector early warning and the database enforces them anyway:
    # validating them here would cost a query each.
    report.full_clean(exclude=["reference", "created_by", "establishment"],
                      validate_unique=False, validate_constraints=False)
    report.reference = next_reference(timezone.localtime(now).year)
    report.save()
    audit.record(actor=actor, action="report.create", obj=report, after=audit.snapshot(report))
    _send_acknowledgement(report.pk)
    events.emit("report.received", report_id=report.pk)
    return report


WEB_SUBMISSION_PREFIX = "web-early-warning:"


#: How long a report just sent makes the same one sent again look like a duplicate.
RESEND_WINDOW = dt.timedelta(minutes=30)


def recent_duplicate(*, actor, data: dict[str, Any]) -> Report | None:
    """A report this user sent in the last 30 minutes for the same establishment with the same
    description: "Back" then "Send" again (the page is never cached, so the form comes back
    with a fresh submission id) must not file the incident twice (issue 10, item 8)."""
    establishment = data.get("establishment")
    description = " ".join(str(data.get("description", "")).split())
    if establishment is None or not description:
        return None
    since = timezone.now() - RESEND_WINDOW
    candidates = (Report.objects.restrict(actor, "view")
                  .filter(created_by=actor, establishment=establishment, created_at__gte=since)
                  .only("pk", "reference", "description", "created_at").order_by("-created_at"))
    for report in candidates[:20]:
        if " ".join(report.description.split()) == description:
            return report
    return None


class LooksResent(Exception):
    """The same report was sent a moment ago with another submission id (see
    `recent_duplicate`); `report` is the one already filed."""

    def __init__(self, report: Report) -> None:
        super().__init__(report.reference)
        self.report = report


def create_early_warning_once(
    *, actor, data: dict[str, Any], channel: str = Channel.WEB, submission: str,
    confirmed_new: bool = True,
) -> tuple[Report, bool]:
    """Create an early warning unless this very form submission already created one.

    A stressed reporter on a slow phone taps "send" twice: the second POST carries the same
    hidden submission id and the same answers, and gets the first report back. Different
    answers (the form reused after "back") make a new report. Returns (report, created).
    """
    answers = json.dumps({k: getattr(v, "pk", v) for k, v in sorted(data.items())},
                         cls=DjangoJSONEncoder, sort_keys=True)
    fingerprint = hashlib.sha256(f"{channel}|{answers}".encode()).hexdigest()
    key = f"{WEB_SUBMISSION_PREFIX}{submission}:{fingerprint[:32]}"

    def earlier() -> Report | None:
        body = (IdempotencyKey.objects.filter(user=actor, key=key)
                .values_list("response_body", flat=True).first())
        if not body:
            return None
        return Report.objects.restrict(actor, "view").filter(pk=body.get("report")).first()

    found = earlier()
    if found is not None:
        return found, False
    if not confirmed_new:
        resent = recent_duplicate(actor=actor, data=data)
        if resent is not None:
            raise LooksResent(resent)
    try:
        with transaction.atomic():
            report = create_early_warning(actor=actor, data=data, channel=channel)
            IdempotencyKey.objects.create(
                user=actor, key=key, method="POST", path="web:early_warning",
                request_hash=fingerprint, status_code=302, response_body={"report": report.pk})
    except IntegrityError:
        # A concurrent twin committed first: it owns the report.
        found = earlier()
        if found is None:
            raise
        return found, False
    return report, True


def _validate_notification(data: dict[str, Any], report: Report) -> None:
    errors: dict[str, list[str]] = {}
    systems = data.get("systems_hit")
    if systems is not None:
        bad = [s for s in systems if s not in System.values]
        if bad:
            errors["systems_hit"] = [_("Unknown system: %(systems)s.") % {
                "systems": ", ".join(map(str, bad))}]
        elif domain.duplicates(systems):
            errors["systems_hit"] = [_("Each system is listed once: %(systems)s repeated.") % {
                "systems": ", ".join(map(str, domain.duplicates(systems)))}]
    impact = data.get("operations_impact", report.operations_impact)
    if impact and impact not in OperationsImpact.values:
        errors["operations_impact"] = [_("Unknown impact.")]
    since = data.get("degraded_since", report.degraded_since)
    if impact == OperationsImpact.DEGRADED and since is None:
        errors["degraded_since"] = [_("Say since when operations run in degraded mode.")]
    until = data.get("degraded_until", report.degraded_until)
    if since and until and until < since:
        errors["degraded_until"] = [_("The end of degraded mode is before its start.")]
    danger = data.get("patient_danger", report.patient_danger)
    narrative = data.get("patient_danger_narrative", report.patient_danger_narrative)
    if danger and danger not in PatientDanger.values:
        errors["patient_danger"] = [_("Unknown value.")]
    if danger in (PatientDanger.POTENTIAL, PatientDanger.ACTUAL) and not (narrative or "").strip():
        errors["patient_danger_narrative"] = [_("Describe the danger to patients.")]
    supplier = data.get("supplier_involved", report.supplier_involved)
    if supplier and not (data.get("supplier_name", report.supplier_name) or "").strip():
        errors["supplier_name"] = [_("Name the supplier involved.")]
    today = timezone.localdate()
    for key in ("complaint_filed_on", "dpa_notified_on"):
        value = data.get(key)
        if value and value > today:
            errors[key] = [_("This date cannot be in the future.")]
    for key in ("degraded_since", "degraded_until"):
        value = data.get(key)
        if value and value > timezone.now() + domain.CLOCK_SKEW:
            errors[key] = [_("This date cannot be in the future.")]
    for key in ("complaint_filed_on", "dpa_notified_on", "degraded_since", "degraded_until"):
        value = data.get(key)
        if value and key not in errors:
            err = domain.earliest_error(key, value, report.discovered_at)
            if err:
                errors[key] = [err]
    _check_texts(data, errors)
    if errors:
        raise ValidationError(errors)


def _apply(report: Report, data: dict[str, Any], allowed: list[str]) -> dict[str, Any]:
    before = audit.snapshot(report, allowed)
    for key in allowed:
        if key in data:
            setattr(report, key, data[key])
    return before


def _check_version(report: Report, expected_version: int | None) -> None:
    if expected_version is not None and int(expected_version) != report.version:
        raise ValidationError({"version": [_(
            "This report was changed by someone else since you opened it. "
            "Reload it to see their changes, then apply yours again."
        )]}, code="conflict")


def _save_stage(report: Report, actor, action: str, before: dict, fields: list[str]) -> Report:
    report.full_clean(exclude=["reference", "created_by", "establishment"])
    report.version += 1
    report.save()
    old, new = audit.diff(before, audit.snapshot(report, fields))
    audit.record(actor=actor, action=action, obj=report, before=old, after=new)
    events.emit("report.updated", report_id=report.pk, stage=action.split(".")[-1])
    if IMPACT_FIELDS & set(new):
        events.emit("report.impact_changed", report_id=report.pk)
    return report


@transaction.atomic
def save_notification(
    *, actor, report_id: int, data: dict[str, Any], complete: bool = False,
    expected_version: int | None = None,
) -> Report:
    """Save the notification stage, partially or as complete, in as many saves as needed."""
    report = get_report(actor, report_id, "change", for_update=True)
    _check_version(report, expected_version)
    clean = {k: data[k] for k in NOTIFICATION_FIELDS if k in data}
    _validate_notification(clean, report)
    before = _apply(report, clean, NOTIFICATION_FIELDS)
    fields = NOTIFICATION_FIELDS + ["notification_at", "stage"]
    before.update(audit.snapshot(report, ["notification_at", "stage"]))
    if complete:
        if not report.operations_impact:
            raise ValidationError(
                {"operations_impact": [_("Say what the impact on operations is.")]})
        if report.notification_at is None:
            report.notification_at = timezone.now()
        if report.stage == Stage.EARLY_WARNING:
            report.stage = Stage.NOTIFICATION
    return _save_stage(report, actor, "report.notification", before, fields)


def _validate_final(data: dict[str, Any], report: Report) -> None:
    errors: dict[str, list[str]] = {}
    _check_texts(data, errors)
    resolved = data.get("resolved_at")
    if resolved is not None:
        if resolved > timezone.now() + domain.CLOCK_SKEW:
            errors["resolved_at"] = [_("This date cannot be in the future.")]
        elif resolved < report.discovered_at:
            errors["resolved_at"] = [_("The incident cannot be resolved before it was found.")]
    if errors:
        raise ValidationError(errors)


def stage_errors(stage: str, report: Report, data: dict[str, Any]) -> dict[str, list[str]]:
    """What saving `data` as the notification or final report ("notification", "final")
    would refuse, without saving: a page whose form already refused some fields (passed as
    None) shows these too, so that every error comes in one round."""
    validate = {"notification": _validate_notification, "final": _validate_final}[stage]
    fields = NOTIFICATION_FIELDS if stage == "notification" else FINAL_FIELDS
    try:
        validate({k: data[k] for k in fields if k in data}, report)
    except ValidationError as exc:
        return exc.message_dict
    return {}


@transaction.atomic
def save_final(
    *, actor, report_id: int, data: dict[str, Any], complete: bool = False,
    expected_version: int | None = None,
) -> Report:
    """Save the final report; completing it marks the report's last stage."""
    report = get_report(actor, report_id, "change", for_update=True)
    _check_version(report, expected_version)
    clean = {k: data[k] for k in FINAL_FIELDS if k in data}
    _validate_final(clean, report)
    before = _apply(report, clean, FINAL_FIELDS)
    fields = FINAL_FIELDS + ["final_at", "stage", "ongoing"]
    before.update(audit.snapshot(report, ["final_at", "stage", "ongoing"]))
    if complete:
        missing = {k: [_("Required to submit the final report.")]
                   for k in ("root_cause", "resolved_at") if not getattr(report, k)}
        if missing:
            raise ValidationError(missing)
        if report.notification_at is None:
            raise ValidationError({"stage": [_("Complete the notification first.")]})
        report.final_at = report.final_at or timezone.now()
        report.stage = Stage.FINAL
        report.ongoing = False
    return _save_stage(report, actor, "report.final", before, fields)


@transaction.atomic
def add_update(*, actor, report_id: int, text: str, at=None) -> ReportUpdate:
    """Add a dated entry to the report's timeline."""
    report = get_report(actor, report_id, "change", for_update=True)
    errors: dict[str, list[str]] = {}
    if not (text or "").strip():
        errors["text"] = [_("Write the update.")]
    else:
        err = domain.text_error(text)
        if err:
            errors["text"] = [err]
    now = timezone.now()
    if at is not None and at > now + domain.CLOCK_SKEW:
        errors["created_at"] = [_("This date cannot be in the future.")]
    elif at is not None and domain.earliest_error("created_at", at, report.discovered_at):
        errors["created_at"] = [domain.earliest_error("created_at", at, report.discovered_at)]
    if errors:
        raise ValidationError(errors)
    update = ReportUpdate.objects.create(report=report, author=actor, created_at=at or now,
                                         text=text)
    Report.objects.filter(pk=report.pk).update(version=F("version") + 1, updated_at=now)
    audit.record(actor=actor, action="report.update_added", obj=report,
                 after={"update_id": update.pk, "text": text, "at": update.created_at})
    events.emit("report.updated", report_id=report.pk, stage="update")
    return update


@transaction.atomic
def add_attachment(*, actor, report_id: int, uploaded) -> Attachment:
    """Store an uploaded file outside the web root after checking size, type and content."""
    report = get_report(actor, report_id, "change", for_update=True)
    name = domain.safe_filename(getattr(uploaded, "name", "") or "")
    size = getattr(uploaded, "size", 0) or 0
    uploaded.seek(0)
    head = uploaded.read(2048)
    err, content_type = domain.attachment_error(name, head, size, settings.MAX_ATTACHMENT_BYTES)
    if err:
        raise ValidationError({"file": [err]})
    uploaded.seek(0)
    digest = hashlib.sha256()
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    att = Attachment(report=report, uploaded_by=actor, original_name=name,
                     content_type=content_type, size=size, sha256=digest.hexdigest(),
                     token=secrets.token_hex(8))
    att.file.save("upload", uploaded, save=False)
    try:
        att.save()
        audit.record(actor=actor, action="report.attachment_added", obj=report,
                     after={"attachment_id": att.pk, "name": name, "size": size,
                            "sha256": att.sha256})
    except Exception:
        att.file.delete(save=False)
        raise
    events.emit("report.updated", report_id=report.pk, stage="attachment")
    return att


def open_attachment(*, actor, report_id: int, attachment_id: int) -> Attachment:
    """An attachment of a report the actor may see; the download is audited."""
    report = get_report(actor, report_id, "download")
    try:
        att = report.attachments.get(pk=int(attachment_id))
    except (Attachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such attachment.") from None
    audit.record(actor=actor, action="attachment.download", obj=report,
                 after={"attachment_id": att.pk, "name": att.original_name})
    return att


def _send_acknowledgement(report_id: int) -> None:
    """Queue the "report received" e-mails: `vigisante worker` sends them, off the request.

    Queued inside the report's transaction (the task row commits with the report, or not at
    all), in a savepoint so that a failure to queue never loses the report itself.
    """
    from vigisante.reports.tasks import acknowledge_report

    try:
        with transaction.atomic():
            acknowledge_report.enqueue(report_id)
    except Exception:  # noqa: BLE001 - never fail the report because of its e-mail
        log.exception("could not queue the acknowledgement of report %s", report_id)


