"""Use cases of the regulatory drafts: build them from a report, complete their facts, record
what was sent (which closes the clock it serves, where the establishment is the sender), edit
the templates."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from vigisante.clocks import services as clocks
from vigisante.clocks.models import Clock
from vigisante.core import access, audit
from vigisante.drafts import domain, facts, template
from vigisante.drafts.models import Draft, DraftFact, DraftTemplate, Submission
from vigisante.establishments.models import Establishment
from vigisante.indicators.models import Sighting, Status
from vigisante.reports import services as reports
from vigisante.reports.models import Report, System

MAX_FACT = 5000
MAX_REFERENCE = 200
# A date recorded as "sent" may be a few minutes ahead of the server's clock, not more.
CLOCK_SKEW = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class Gap:
    name: str
    label: str
    where: str  # notification / final / facts / dpo / cert / ""
    anchor: str


@dataclass(frozen=True)
class Built:
    kind: domain.DraftKind
    language: str
    text: str
    gaps: list[Gap]
    template: DraftTemplate
    report: Report
    clock: Clock | None
    facts_hash: str
    drafted_at: dt.datetime


@dataclass(frozen=True)
class Row:
    """One offered draft, for the list page, the API and the CERT's view."""

    kind: domain.DraftKind
    clock: Clock | None
    gaps: list[Gap]
    drafted: bool
    submissions: list[Submission]
    status: str

    @property
    def status_label(self) -> str:
        return str(domain.STATUS_LABELS[self.status])


def check_language(language: str | None) -> str:
    """The draft's language: French unless English is asked for."""
    language = (language or "fr").lower()
    if language not in domain.LANGUAGES:
        raise ValidationError({"lang": [_("Drafts are in French (fr) or English (en).")]})
    return language


def check_kind(kind: str) -> domain.DraftKind:
    try:
        return domain.KINDS[kind]
    except KeyError:
        raise ValidationError({"kind": [_("No such draft.")]}) from None


def get_report(actor, report_id: Any, action: str = "draft") -> Report:
    return access.get_or_404(
        Report.objects.select_related("establishment", "created_by"), actor, action,
        pk=report_id)


# ---------------------------------------------------------------------------------------------
# Templates
# ---------------------------------------------------------------------------------------------

def current_templates(kinds: list[str], language: str) -> dict[str, DraftTemplate]:
    """The latest version of each kind's template in `language` (one query)."""
    rows = DraftTemplate.objects.filter(kind__in=kinds, language=language).order_by(
        "kind", "-version")
    latest: dict[str, DraftTemplate] = {}
    for row in rows:
        latest.setdefault(row.kind, row)
    for kind in sorted(set(kinds) - set(latest)):
        latest[kind] = _builtin(kind, language)
    return latest


BUILTIN = Path(__file__).resolve().parent / "builtin"


def _builtin(kind: str, language: str) -> DraftTemplate:
    """Version 1 of a template, from the file shipped with the package (the migration loads
    them all; this restores one a flushed or hand-emptied table lacks)."""
    body = (BUILTIN / f"{kind}.{language}.txt").read_text(encoding="utf-8")
    row, _created = DraftTemplate.objects.get_or_create(
        kind=kind, language=language, version=1, defaults={
            "body": body, "legal_basis": domain.KINDS[kind].legal_basis,
            "created_at": timezone.now(), "note": "Built-in template."})
    return row


def check_template(body: str) -> list:
    """The parsed template, or a ValidationError naming the line at fault."""
    try:
        return template.parse(body, facts=facts.FACTS, conditions=facts.CONDITIONS)
    except template.TemplateError as exc:
        raise ValidationError({"body": [str(exc)]}) from None


@transaction.atomic
def save_template(*, actor, kind: str, language: str, body: str, legal_basis: str,
                  note: str = "") -> DraftTemplate:
    """A new version of a template (the earlier ones stay, drafts keep pointing at theirs)."""
    access.require(actor, "change", DraftTemplate)
    check_kind(kind)
    language = check_language(language)
    if len(body) > 20000:
        raise ValidationError({"body": [_("The text is too long (20,000 characters at most).")]})
    check_template(body)
    if not legal_basis.strip():
        raise ValidationError({"legal_basis": [_("Say which text of law this draft follows.")]})
    # Lock the kind's versions so that two admins saving at once get two numbers.
    list(DraftTemplate.objects.select_for_update().filter(kind=kind, language=language)
         .values_list("pk", flat=True))
    last = DraftTemplate.objects.filter(kind=kind, language=language).aggregate(
        v=Max("version"))["v"] or 0
    row = DraftTemplate.objects.create(
        kind=kind, language=language, version=last + 1, body=body,
        legal_basis=legal_basis.strip(), note=note.strip()[:300], created_at=timezone.now(),
        created_by=actor)
    audit.record(actor=actor, action="drafts.template", obj=row,
                 after={"kind": kind, "language": language, "version": row.version,
                        "note": row.note})
    return row


# ---------------------------------------------------------------------------------------------
# Building
# ---------------------------------------------------------------------------------------------

def _contact(actor, report: Report) -> tuple[str, str, str]:
    person = actor if getattr(actor, "is_reporter", False) else report.created_by
    if person is None or not person.is_reporter:
        return "", "", report.callback_phone
    return person.full_name, person.email, person.phone or report.callback_phone


def source_of(report: Report, *, actor, clocks: dict[str, Clock], now: dt.datetime,
              extra: dict[str, str], submissions: list[Submission] | None = None
              ) -> facts.Source:
    """The report's facts, with labels in the active language (`submissions`: the report's
    recorded sendings, read when not given)."""
    est = report.establishment
    if est is None:  # an imported record: no drafts (and the access policy refuses it)
        raise access.Denied()
    case = getattr(report, "case", None)
    name, email, phone = _contact(actor, report)
    updates = tuple((u.created_at, u.text) for u in report.updates.all())
    if submissions is None:
        submissions = list(Submission.objects.filter(report=report))
    sendings = tuple((row.sent_at, _sent_line(row.kind, row.reference))
                     for row in sorted(submissions, key=lambda r: (r.sent_at, r.pk)))
    indicators = tuple(
        (s.indicator.get_type_display(), s.indicator.value)
        for s in Sighting.objects.filter(report=report, indicator__status=Status.CONFIRMED,
                                         indicator__noisy=False)
        .select_related("indicator").order_by("indicator__type", "indicator__value"))
    gdpr = clocks.get("gdpr_breach")
    return facts.Source(
        reference=report.reference, establishment=est.name, finess=est.finess,
        town=est.town, category=str(est.get_category_display()),
        discovered_at=report.discovered_at, reported_at=report.created_at, now=now,
        description=report.description, reporter_name=name, reporter_email=email,
        reporter_phone=phone, dpo_name=est.dpo_name, dpo_email=est.dpo_email,
        dpo_phone=est.dpo_phone, notification_at=report.notification_at,
        resolved_at=report.resolved_at, perimeter=report.perimeter,
        systems_hit=tuple(str(System(s).label) for s in report.systems_hit
                          if s in System.values),
        operations_impact=(str(report.get_operations_impact_display())
                           if report.operations_impact else ""),
        operations_impact_code=report.operations_impact,
        degraded_since=report.degraded_since, degraded_until=report.degraded_until,
        patient_care_affected=report.patient_care_affected,
        patient_danger=report.patient_danger,
        patient_danger_label=(str(report.get_patient_danger_display())
                              if report.patient_danger else ""),
        patient_danger_narrative=report.patient_danger_narrative,
        data_availability=report.data_availability, data_integrity=report.data_integrity,
        data_confidentiality=report.data_confidentiality, personal_data=report.personal_data,
        health_data=report.health_data, people_affected=report.people_affected,
        records_affected=report.records_affected, ransom_demanded=report.ransom_demanded,
        supplier_involved=report.supplier_involved, supplier_name=report.supplier_name,
        measures_taken=report.measures_taken,
        root_cause=report.root_cause, final_impact=report.final_impact,
        complaint_filed_on=report.complaint_filed_on,
        suspected_malicious=report.suspected_malicious,
        origin=case.origin if case else "",
        kind=str(case.get_kind_display()) if case and case.kind else "",
        severity=str(case.get_severity_display()) if case and case.severity else "",
        gdpr_due_at=gdpr.due_at if gdpr else None, updates=updates, sendings=sendings,
        indicators=indicators, extra=extra)


def _sent_line(kind: str, reference: str) -> str:
    """A recorded sending in the chronology of a draft, in the draft's language."""
    draft_kind = domain.KINDS.get(kind)
    text = _("%(draft)s sent to %(recipient)s.") % {
        "draft": draft_kind.title if draft_kind else kind,
        "recipient": draft_kind.recipient if draft_kind else "?"}
    return text + (" " + _("Reference: %(ref)s.") % {"ref": reference} if reference else "")


def _marker(name: str) -> str:
    return "[" + _("TO COMPLETE: %(what)s") % {"what": facts.FACTS[name].label} + "]"


def _gaps(names: list[str]) -> list[Gap]:
    return [Gap(n, str(facts.FACTS[n].label), facts.FACTS[n].where, facts.FACTS[n].anchor)
            for n in names]


def _hash(values: dict[str, str | None], conditions: dict[str, bool]) -> str:
    stable = {k: v for k, v in values.items() if k != "drafted_at"}
    blob = json.dumps([stable, conditions], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()


def current_facts(report: Report) -> dict[str, str]:
    """The facts the reporter added for the drafts of `report`."""
    return dict(DraftFact.objects.filter(report=report).values_list("name", "value"))



def _render(kinds: list[domain.DraftKind], report: Report, *, actor, language: str,
            now: dt.datetime, clocks: dict[str, Clock],
            submissions: list[Submission] | None = None
            ) -> list[tuple[domain.DraftKind, DraftTemplate, str, list[Gap], str]]:
    templates = current_templates([k.kind for k in kinds], language)
    out = []
    with translation.override(language):
        src = source_of(report, actor=actor, clocks=clocks, now=now, extra=current_facts(report),
                        submissions=submissions)
        vals = facts.values(src)
        conds = facts.conditions(src, vals)
        digest = _hash(vals, conds)
        for kind in kinds:
            tpl = templates[kind.kind]
            text, missing = template.render(check_template(tpl.body), values=vals,
                                            conditions=conds, marker=_marker)
            out.append((kind, tpl, text, _gaps(missing), digest))
    return out


def _clock_states(report: Report) -> dict[str, Clock]:
    return {c.regime: c for c in report.clocks.all()}


def build(*, actor, report_id: Any, kind: str, language: str = "fr", record: bool = True,
          now: dt.datetime | None = None) -> Built:
    """One draft, as text with its gaps; `record` keeps which versions it was built from."""
    report = get_report(actor, report_id)
    draft_kind = check_kind(kind)
    language = check_language(language)
    now = now or timezone.now()
    clocks = _clock_states(report)
    ((_kind, tpl, text, gaps, digest),) = _render([draft_kind], report, actor=actor,
                                                    language=language, now=now, clocks=clocks)
    if record:
        _record_build(report, draft_kind.kind, language, tpl, digest, gaps, actor, now)
    clock = clocks.get(draft_kind.regime)
    return Built(draft_kind, language, text, gaps, tpl, report, clock, digest, now)


def build_all(*, actor, report_id: Any, language: str = "fr", record: bool = True,
              now: dt.datetime | None = None) -> tuple[Report, list[Built]]:
    """Every draft the report's running clocks call for, from one reading of its facts (the
    "all drafts" download); each recorded as built, like one draft opened."""
    report = get_report(actor, report_id)
    language = check_language(language)
    now = now or timezone.now()
    clocks = _clock_states(report)
    kinds = domain.offered({regime: c.state for regime, c in clocks.items()})
    if not kinds:
        return report, []
    rendered = _render(kinds, report, actor=actor, language=language, now=now, clocks=clocks)
    if record:
        for kind, tpl, _text, gaps, digest in rendered:
            _record_build(report, kind.kind, language, tpl, digest, gaps, actor, now)
    return report, [Built(kind, language, text, gaps, tpl, report, clocks.get(kind.regime),
                          digest, now) for kind, tpl, text, gaps, digest in rendered]


def _record_build(report: Report, kind: str, language: str, tpl: DraftTemplate, digest: str,
                  gaps: list[Gap], actor, now: dt.datetime) -> Draft:
    with transaction.atomic():
        row, created = Draft.objects.get_or_create(
            report=report, kind=kind, language=language, template=tpl, facts_hash=digest,
            defaults={"report_version": report.version, "gaps": [g.name for g in gaps],
                      "first_built_at": now, "built_at": now, "built_by": actor})
        if not created:
            Draft.objects.filter(pk=row.pk).update(built_at=now, built_by=actor)
    return row


def overview(*, actor, report_id: Any, language: str = "fr",
             now: dt.datetime | None = None) -> tuple[Report, list[Row]]:
    """The drafts offered for the report's running clocks, with gaps and what was sent."""
    report = get_report(actor, report_id)
    language = check_language(language)
    clocks = _clock_states(report)
    kinds = domain.offered({regime: c.state for regime, c in clocks.items()})
    if not kinds:
        return report, []
    now = now or timezone.now()
    submissions = list(Submission.objects.filter(report=report))
    rendered = _render(kinds, report, actor=actor, language=language, now=now, clocks=clocks,
                       submissions=submissions)
    drafted = set(Draft.objects.filter(report=report).values_list("kind", flat=True))
    sent: dict[str, list[Submission]] = {}
    for s in submissions:
        sent.setdefault(s.kind, []).append(s)
    rows = []
    for kind, _tpl, _text, gaps, _digest in rendered:
        clock = clocks.get(kind.regime)
        overdue = bool(clock and clock.state == "due" and clock.due_at and clock.due_at < now)
        rows.append(Row(kind, clock, gaps, kind.kind in drafted, sent.get(kind.kind, []),
                        domain.status(clock_state=clock.state if clock else None,
                                      drafted=kind.kind in drafted,
                                      sent=kind.kind in sent, overdue=overdue)))
    return report, rows


# ---------------------------------------------------------------------------------------------
# Completing and recording
# ---------------------------------------------------------------------------------------------

@transaction.atomic
def save_facts(*, actor, report_id: Any, data: dict[str, Any]) -> dict[str, str]:
    """Set the drafts' own facts (an empty value removes one). Unknown names are refused."""
    report = get_report(actor, report_id, "complete_drafts")
    unknown = sorted(set(data) - set(facts.EXTRA_FACTS))
    if unknown:
        raise ValidationError({"__all__": [_("Unknown fact: %(names)s.") % {
            "names": ", ".join(map(str, unknown))}]})
    errors = {}
    for name, value in data.items():
        if not isinstance(value, str):
            errors[name] = [_("Enter text.")]
        elif len(value) > MAX_FACT:
            errors[name] = [_("At most %(n)s characters.") % {"n": MAX_FACT}]
        elif "\x00" in value:
            errors[name] = [_("This text holds a character that is not allowed.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    before = current_facts(report)
    for name, value in data.items():
        value = value.strip()
        if value:
            DraftFact.objects.update_or_create(report=report, name=name, defaults={
                "value": value, "updated_at": now, "updated_by": actor})
        else:
            DraftFact.objects.filter(report=report, name=name).delete()
    after = current_facts(report)
    old, new = audit.diff(before, after)
    gone = {k: before[k] for k in before if k not in after}
    if old or new or gone:
        audit.record(actor=actor, action="drafts.facts", obj=report, before={**old, **gone},
                     after={**new, **{k: "" for k in gone}})
    return after


DPO_FIELDS = ("dpo_name", "dpo_email", "dpo_phone")


@transaction.atomic
def save_dpo(*, actor, report_id: Any, data: dict[str, str]) -> Establishment:
    """Set the data-protection officer's contact of the report's establishment."""
    report = get_report(actor, report_id, "complete_drafts")
    if report.establishment_id is None:  # an imported record (the access policy refuses it)
        raise access.Denied()
    est = Establishment.objects.select_for_update().get(pk=report.establishment_id)
    before = audit.snapshot(est, list(DPO_FIELDS))
    for name in DPO_FIELDS:
        if name in data:
            setattr(est, name, (data[name] or "").strip())
    try:
        est.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise ValidationError({k: v for k, v in exc.message_dict.items()
                               if k in DPO_FIELDS} or exc.message_dict) from None
    est.save(update_fields=list(DPO_FIELDS))
    old, new = audit.diff(before, audit.snapshot(est, list(DPO_FIELDS)))
    if new:
        audit.record(actor=actor, action="establishment.dpo", obj=est, before=old, after=new)
    return est


@transaction.atomic
def record_sent(*, actor, report_id: Any, kind: str, sent_at: dt.datetime,
                reference: str = "") -> Submission:
    """Record that a draft went out, when, with the recipient's reference. Where the report
    holds that date (CNIL notification, complaint), it is filled, which closes the clock; a
    NIS2 stage (early warning, notification, final report) closes its clock through the
    clocks' reader of sendings. The others (people affected, intermediate report, insurer)
    have no clock of their own: recorded, audited and on the timeline only."""
    report = get_report(actor, report_id, "complete_drafts")
    draft_kind = check_kind(kind)
    reference = (reference or "").strip()
    errors: dict[str, list[str]] = {}
    now = timezone.now()
    if sent_at is None:
        errors["sent_at"] = [_("Say when it was sent.")]
    elif timezone.is_naive(sent_at):
        errors["sent_at"] = [_("Give the time with its time zone.")]
    elif sent_at > now + CLOCK_SKEW:
        errors["sent_at"] = [_("This date cannot be in the future.")]
    elif sent_at < report.discovered_at:
        errors["sent_at"] = [_("It cannot have been sent before the incident was found.")]
    if len(reference) > MAX_REFERENCE or "\x00" in reference:
        errors["reference"] = [_("At most %(n)s characters.") % {"n": MAX_REFERENCE}]
    if errors:
        raise ValidationError(errors)
    draft = Draft.objects.filter(report=report, kind=draft_kind.kind).first()
    row = Submission.objects.create(report=report, kind=draft_kind.kind, sent_at=sent_at,
                                    reference=reference, draft=draft, recorded_at=now,
                                    recorded_by=actor)
    audit.record(actor=actor, action="drafts.sent", obj=report, after={
        "draft": draft_kind.kind, "sent_at": sent_at.isoformat(), "reference": reference,
        "template_version": draft.template.version if draft else None,
        "report_version": draft.report_version if draft else None})
    # No copy among the report's updates: those are what its people wrote. The timelines
    # tell the event in their reader's language, the drafts' chronology reads the sendings.
    if draft_kind.closes and getattr(report, draft_kind.closes) is None:
        # The first sending closes the clock (a later phase does not move the date): the
        # report's stage service saves the date, and its event recomputes the clocks.
        reports.save_notification(actor=actor, report_id=report.pk, data={
            draft_kind.closes: timezone.localtime(sent_at).date()})
    elif draft_kind.closes_clock:
        # A NIS2 stage sent through another channel: the clocks read the earliest sending
        # (`sendings`, registered in drafts.apps) and derive the clock again.
        clocks.recompute(report.pk)
    return row


def sendings(report_id: int) -> dict[str, dt.datetime]:
    """{regime: earliest recorded sending} of the drafts that close a clock by themselves:
    what the clocks read (registered with clocks.read_sendings_with)."""
    rows = (Submission.objects.filter(report_id=report_id, kind__in=list(domain.CLOSING_KINDS))
            .values_list("kind").annotate(first=Min("sent_at")))
    return domain.earliest_sendings(rows)
