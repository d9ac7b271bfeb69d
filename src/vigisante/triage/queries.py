"""Read side of triage: the analyst's queue and everything the case page shows.

The queue runs a fixed number of SQL queries whatever the page size: one count, one page of
rows with their case, establishment, assignee and clock figures joined or sub-selected.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, cast

from django.core.paginator import Paginator
from django.db.models import (
    Case as SqlCase,
)
from django.db.models import (
    Count,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigisante.clocks.models import Clock, ClockState
from vigisante.core import access, timeline
from vigisante.core.text import accent_pattern
from vigisante.establishments.models import Establishment
from vigisante.reports.filters import ReportFilters
from vigisante.reports.models import Report
from vigisante.reports.timeline import report_timeline
from vigisante.triage import domain, services
from vigisante.triage.domain import State
from vigisante.triage.models import Case, Message, Note, Support

SORTS: dict[str, list[str]] = {
    "-received": ["-created_at", "-id"],
    "received": ["created_at", "id"],
    "-severity": ["-severity_rank", "-created_at", "-id"],
    "severity": ["severity_rank", "-created_at", "-id"],
    "state": ["state_rank", "-created_at", "-id"],
    "-state": ["-state_rank", "-created_at", "-id"],
    "establishment": ["establishment__name", "-created_at", "-id"],
    "-establishment": ["-establishment__name", "-created_at", "-id"],
    "reference": ["reference", "id"],
    "-reference": ["-reference", "-id"],
}
DEFAULT_SORT = "-received"
MAX_AUDIT_ROWS = 300


#: What "needs action" leaves out: cases the CERT has finished with.
DONE_STATES = (State.RESOLVED, State.CLOSED, State.REJECTED, State.DUPLICATE)
OPEN = "open"  # the state filter's value for every case not in DONE_STATES


@dataclass(frozen=True)
class QueueFilters:
    """A validated set of queue filters (see forms.QueueFilterForm).

    `report` holds the filters on the report's own facts (stage, channel, support requested,
    patient care, dates...): the one implementation the API's report list uses too.
    """

    state: str = ""  # a State, OPEN, or "" for every state
    severity: str = ""
    kind: str = ""
    region: str = ""
    category: str = ""
    assigned: str = ""  # "" any, "me", "none"
    overdue: bool = False
    q: str = ""
    sort: str = DEFAULT_SORT
    report: ReportFilters = field(default_factory=ReportFilters)


def _clock_annotations(qs: QuerySet, now: dt.datetime) -> QuerySet:
    """Per row: how many clocks are overdue, and the next deadline still due."""
    due = Clock.objects.filter(report=OuterRef("pk"), state=ClockState.DUE)
    overdue = (due.filter(due_at__lt=now).order_by().values("report")
               .annotate(n=Count("pk")).values("n"))
    next_due = (due.filter(due_at__isnull=False).order_by().values("report")
                .annotate(m=Min("due_at")).values("m"))
    return qs.annotate(
        overdue_clocks=Coalesce(Subquery(overdue, output_field=IntegerField()), 0),
        next_due_at=Subquery(next_due),
    )


def _ranks() -> dict[str, Any]:
    return {
        "severity_rank": SqlCase(
            *[When(case__severity=s, then=Value(r)) for s, r in domain.SEVERITY_RANK.items()],
            default=Value(-1), output_field=IntegerField()),
        "state_rank": SqlCase(
            *[When(case__state=s, then=Value(i)) for i, s in enumerate(domain.STATE_ORDER)],
            default=Value(0), output_field=IntegerField()),
    }


def queue_ids(*, actor, filters: QueueFilters, now: dt.datetime) -> QuerySet:
    """The ids of the queue's reports, filtered and sorted (CERT staff only).

    Two steps keep the queue fast at 100,000 reports: sorting and counting work on narrow
    rows (ids and the sort keys), then `queue_rows` fetches the page's rows in full. The case
    is joined only when a filter or sort needs it (every sector report has one, created with
    the report; one that somehow has none shows as received).
    """
    access.require(actor, "triage", Report)
    qs = Report.objects.restrict(actor, "triage")
    f = filters
    qs = f.report.apply(qs)
    if f.state == OPEN:
        qs = qs.exclude(case__state__in=DONE_STATES)
    elif f.state:
        qs = qs.filter(case__state=f.state)
    if f.severity:
        qs = qs.filter(case__severity=f.severity)
    if f.kind:
        qs = qs.filter(case__kind=f.kind)
    if f.region:
        qs = qs.filter(establishment__region=f.region)
    if f.category:
        qs = qs.filter(establishment__category=f.category)
    if f.assigned == "me":
        qs = qs.filter(case__assigned_to=actor)
    elif f.assigned == "none":
        qs = qs.filter(case__assigned_to__isnull=True)
    if f.overdue:
        # A semi-join on the few overdue clocks (index clock_state_due_idx), not a correlated
        # EXISTS per report: SQLite ran that once per report of the whole history (2-3 s on
        # the demo's 3,400 reports; benchmarks/queue_filters.py).
        qs = qs.filter(pk__in=Clock.objects.filter(state=ClockState.DUE, due_at__lt=now)
                       .values("report_id"))
    if f.q:
        qs = qs.filter(_search(f.q.strip()))
    order = SORTS.get(f.sort, SORTS[DEFAULT_SORT])
    ranks = {k: v for k, v in _ranks().items() if any(o.lstrip("-") == k for o in order)}
    if ranks:
        qs = qs.annotate(**ranks)
    return qs.order_by(*order).values_list("pk", flat=True)


MAX_NAME_MATCHES = 500


def _search(text: str) -> Q:
    """Reference, description or establishment name containing the text, whatever its
    accents and case.

    Every condition is on the report's own columns (establishments matched by name first, a
    small table), so PostgreSQL combines the trigram indexes of migration 0003 instead of
    scanning and joining every report.
    """
    pattern = accent_pattern(text)
    establishments = list(Establishment.objects.filter(name__iregex=pattern)
                          .values_list("pk", flat=True)[:MAX_NAME_MATCHES])
    match = Q(reference__icontains=text) | Q(description__iregex=pattern)
    if establishments:
        match |= Q(establishment_id__in=establishments)
    if text.isdigit() and len(text) == 9:
        match |= Q(establishment__finess=text)
    return match


def queue_rows(ids: list[int], now: dt.datetime) -> list[Report]:
    """The page's reports in full (case, establishment, assignee, clock figures), in order."""
    rows = (Report.objects.filter(pk__in=ids)
            .select_related("establishment", "case", "case__assigned_to")
            .defer(*_HEAVY_FIELDS))
    by_id = {r.pk: r for r in _clock_annotations(rows, now)}
    return [by_id[pk] for pk in ids if pk in by_id]


COUNT_CAP = 1_000


def capped_count(qs: QuerySet) -> int:
    """The number of rows, counted up to COUNT_CAP + 1 only: an exact count over 100,000
    joined rows costs more than the page itself, and nobody pages through more than a
    thousand reports (they filter)."""
    return qs.order_by().values("pk")[: COUNT_CAP + 1].count()


class QueuePaginator(Paginator):
    """Django's paginator with a capped count (`capped` tells when there are more)."""

    @property
    def cap(self) -> int:
        return COUNT_CAP

    @cached_property
    def count(self) -> int:
        return capped_count(cast(QuerySet, self.object_list))

    @property
    def capped(self) -> bool:
        return self.count > self.cap


# The queue shows a summary: the long texts of a report stay in the database.
_HEAVY_FIELDS = [
    "original", "perimeter", "patient_danger_narrative", "measures_taken", "causes",
    "root_cause", "final_impact", "lessons_learned",
]


@dataclass
class CaseView:
    """Everything the analyst's case page shows."""

    case: Case
    report: Report
    allowed: list[str]
    assessment: domain.Assessment
    qualifications: list = field(default_factory=list)
    transitions: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    messages: list = field(default_factory=list)
    supports: list = field(default_factory=list)
    timeline: list = field(default_factory=list)   # core.timeline.Entry, newest first
    analysts: list = field(default_factory=list)

    @property
    def buttons(self) -> list[dict[str, Any]]:
        """The allowed moves, flagged when they reopen the case."""
        return [{"state": s, "reopen": domain.is_reopen(self.case.state, s),
                 "secondary": s in (State.REJECTED, State.DUPLICATE)} for s in self.allowed]


def case_view(*, actor, report_id: Any, history: bool = True) -> CaseView:
    """The case of a report with its histories (CERT staff only).

    One query for the case with its report and people, one per list; `history` (the page)
    adds the timeline (vigisante.reports.timeline: the audit events, the timeline entries)
    and the analysts, in place of the qualifications list the API has.
    """
    case = _case_with_report(actor, report_id)
    report = case.report
    view = CaseView(
        case=case, report=report,
        allowed=domain.allowed_targets(
            case.state, is_admin=access.allowed(actor, "reopen", report),
            is_qualified=bool(case.kind)),
        assessment=services.suggestion(report, case.kind),
        # The page tells the qualifications in its timeline; the API lists them.
        qualifications=[] if history else list(
            case.qualifications.select_related("by").order_by("-at", "-id")),
        transitions=list(case.transitions.select_related("by").order_by("-at", "-id")),
        notes=list(case.notes.select_related("author").order_by("-at", "-id")),
        messages=list(case.messages.select_related("author").order_by("at", "id")),
        supports=list(case.supports.select_related("by").order_by("-started_at", "-id")),
    )
    if history:
        view.timeline = case_timeline(report, view.transitions)
        view.analysts = services.analysts()
    return view


def case_timeline(report: Report, transitions: list) -> list:
    """The report's timeline as the CERT reads it. A case loaded without audit events (the
    demo's bulk data, an import) still shows its moves, from its transitions."""
    entries = report_timeline(report, audience=timeline.CERT, limit=MAX_AUDIT_ROWS)
    if transitions and not any(e.action in ("case.transition", "case.qualify")
                               for e in entries):
        reader = timeline.Reader(timeline.CERT, [])
        for t in transitions:
            entries.append(timeline.Entry(
                at=t.at, kind="state", key=f"t{t.pk}", text=t.comment,
                sentence=_("%(actor)s moved the case from “%(from)s” to “%(to)s”.") % {
                    "actor": reader.who(t.by), "from": t.get_from_state_display(),
                    "to": t.get_to_state_display()}))
        entries = timeline.newest_first(entries)
    return entries


def _case_with_report(actor, report_id: Any) -> Case:
    """The case of a report the actor may triage, with its report and people, in one query
    (the policy's test runs on the loaded report); 404 otherwise."""
    pk = access.parse_pk(report_id)
    case = (Case.objects.select_related("assigned_to", "updated_by", "duplicate_of",
                                        "report__establishment", "report__created_by")
            .filter(report_id=pk).first())
    if case is None:  # no case yet (or no such report): the service checks and creates it
        services.get_case(actor=actor, report_id=pk)
        return _case_with_report(actor, pk)
    access.require(actor, "triage", case.report)
    return case


def case_items(*, actor, report: Report, kind: str) -> list:
    """One list of a case (notes, messages or supports) of a loaded report the actor may
    triage, in one query, without the rest of the case."""
    access.require(actor, "triage", report)
    if kind == "notes":
        return list(Note.objects.filter(case__report_id=report.pk).select_related("author")
                    .order_by("-at", "-id"))
    if kind == "messages":
        return list(Message.objects.filter(case__report_id=report.pk)
                    .select_related("author").order_by("at", "id"))
    if kind == "supports":
        return list(Support.objects.filter(case__report_id=report.pk).select_related("by")
                    .order_by("-started_at", "-id"))
    raise ValueError(kind)


@dataclass
class ReporterView:
    """What the establishment sees of the CERT's work: state and messages, never notes."""

    case: Case | None
    state_label: str
    messages: list
    can_reply: bool


def reporter_view(*, user, report: Report) -> ReporterView | None:
    """The case panel of a report page, or None when the user may not see the report."""
    if report is None or not access.allowed(user, "view", report):
        return None
    case = Case.objects.filter(report_id=report.pk).first()
    messages = list(case.messages.select_related("author").order_by("at", "id")) if case else []
    state = case.state if case else State.RECEIVED
    can_reply = access.allowed(user, "reply", report)
    return ReporterView(case=case, state_label=str(REPORTER_STATE_LABELS.get(
        state, State(state).label)), messages=messages, can_reply=can_reply)


#: "Closed", to a reporter, is the CERT's case, never their own report (whose stages are
#: "complete"): issue 10, item 12.
REPORTER_STATE_LABELS: dict[str, Any] = {State.CLOSED: gettext_lazy("Closed by the CERT")}
