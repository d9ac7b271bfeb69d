"""What a queue row shows, prepared in Python: a template filter or tag costs tens of
microseconds per use, and a page has hundreds of them (rows x cells)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vigisante.core.taxonomy import Kind
from vigisante.establishments.models import Category
from vigisante.establishments.regions import REGIONS
from vigisante.reports.models import Channel, Report, Stage
from vigisante.triage import domain
from vigisante.triage.domain import Severity, State

STATE_CLASS: dict[str, str] = {State.RECEIVED: "warn", State.RESOLVED: "ok", State.CLOSED: "ok"}
SEVERITY_CLASS: dict[str, str] = {Severity.MAJOR: "danger", Severity.SIGNIFICANT: "warn",
                                  Severity.MINOR: "ok"}


@dataclass(frozen=True)
class QueueRow:
    pk: int
    reference: str
    url: str
    selectable: bool
    select_label: str
    received_iso: str
    received_text: str
    establishment: str
    establishment_detail: str
    state: str
    state_label: str
    state_class: str
    severity: str
    severity_label: str
    severity_class: str
    kind_label: str
    assignee: str
    overdue_text: str
    next_due_iso: str
    next_due_text: str
    summary: str = ""
    suggested: str = ""
    suggested_text: str = ""
    suggested_class: str = ""
    signals: tuple[tuple[str, str], ...] = ()
    urgent: bool = False
    channel_label: str = ""
    found_iso: str = ""
    found_text: str = ""


def _when(at: dt.datetime | None) -> tuple[str, str]:
    if at is None:
        return "", ""
    local = timezone.localtime(at)
    return local.isoformat(), formats.date_format(local, "SHORT_DATETIME_FORMAT")


def label_of(choices, value: str) -> str:
    # An enum lookup and one translation (get_FOO_display translates the whole list).
    try:
        return str(choices(value).label) if value else ""
    except ValueError:
        return value


def queue_rows(reports: list[Report]) -> list[QueueRow]:
    """The display values of the queue's rows (reports from queries.queue_rows)."""
    url = reverse("triage:case", args=[1]).removesuffix("1/")
    out = []
    for r in reports:
        case = getattr(r, "case", None) if _has_case(r) else None
        state = case.state if case else State.RECEIVED
        severity = case.severity if case else ""
        est = r.establishment
        received = _when(r.created_at)
        due = _when(getattr(r, "next_due_at", None))
        found = _when(r.discovered_at)
        overdue = getattr(r, "overdue_clocks", 0) or 0
        out.append(QueueRow(
            pk=r.pk, reference=r.reference, url=f"{url}{r.pk}/",
            selectable=state == State.RECEIVED,
            select_label=_("Select %(ref)s") % {"ref": r.reference},
            received_iso=received[0], received_text=received[1],
            establishment=est.name if est else "",
            establishment_detail=f"{label_of(Category, est.category)} · "
            f"{REGIONS.get(est.region, est.region)}" if est else "",
            state=state, state_label=label_of(State, state), state_class=STATE_CLASS.get(state, ""),
            severity=severity, severity_label=label_of(Severity, severity),
            severity_class=SEVERITY_CLASS.get(severity, ""),
            kind_label=label_of(Kind, case.kind) if case else "",
            assignee=str(case.assigned_to) if case and case.assigned_to_id else "",
            overdue_text=ngettext("%(n)d overdue", "%(n)d overdue", overdue) % {"n": overdue}
            if overdue else "",
            next_due_iso=due[0], next_due_text=due[1],
            channel_label=label_of(Channel, r.channel), found_iso=found[0], found_text=found[1],
            **_triage_signal(r, case),
        ))
    return out


SUMMARY_CHARS = 140


def _triage_signal(report: Report, case) -> dict:
    """What tells a ransomware with patients affected from a test before qualification: the
    suggested severity (the same rules as the case page, without the supplier count), the
    reporter's answers, and the start of the description."""
    assessment = domain.suggest_severity(domain.impacts_of(report, kind=getattr(case, "kind", "")
                                                           or ""))
    signals = []
    if report.patient_care_affected == "yes":
        signals.append((_("Patient care affected"), "danger"))
    if report.suspected_malicious == "yes":
        signals.append((_("Suspected attack"), "warn"))
    if report.support_requested:
        signals.append((_("Support requested"), "warn"))
    if report.ongoing:
        signals.append((_("Ongoing"), "warn"))
    # The stage reached (what the former "incoming reports" list showed in its own column).
    if report.stage == Stage.EARLY_WARNING:
        signals.append((_("Early warning only"), ""))
    else:
        signals.append((label_of(Stage, report.stage), "ok" if report.stage == Stage.FINAL
                        else ""))
    text = " ".join(report.description.split())
    summary = text if len(text) <= SUMMARY_CHARS else text[:SUMMARY_CHARS].rsplit(" ", 1)[0] + " …"
    suggested = assessment.severity
    return {
        "summary": summary, "suggested": suggested,
        "suggested_text": _("Suggested: %(severity)s") % {
            "severity": label_of(Severity, suggested)} if suggested else "",
        "suggested_class": SEVERITY_CLASS.get(suggested, ""), "signals": tuple(signals),
        "urgent": suggested == Severity.MAJOR or report.patient_care_affected == "yes",
    }


def _has_case(report: Report) -> bool:
    try:
        report.case  # noqa: B018 - select_related cached it (or its absence)
    except Report.case.RelatedObjectDoesNotExist:
        return False
    return True
