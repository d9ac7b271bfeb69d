"""The audit trail of the demo's synthetic past: what the services would have recorded.

The demo loads its reports and cases by bulk inserts (seconds, not minutes); without their
audit events the timelines of the report page and the case page (`core/timeline.py`), which
tell the audit trail, would show nothing of a case's history. This module writes, through
the audit API (`audit.record_past`: chained like any event, at the time each act happened),
the events the services record for the same acts, with the same codes and shapes: the report
filed (`report.create`), its notification and final report (`report.notification`,
`report.final`), the case acknowledged and moved (`case.transition`), qualified
(`case.qualify`), taken by its analyst (`case.assign`), its notes, messages and support
(`case.note`, `case.message`, `case.reply`, `case.support`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from vigisante.core import audit
from vigisante.demo.reports import Row

CASE = "triage.case"
_STAGE_LATER = ("notification_at", "final_at", "stage")


def write(rows: list[Row], reports: list, cases: dict[int, Any], analysts: list[int]) -> int:
    """Append the history of the loaded rows, oldest act first; returns how many events.
    A case nobody was assigned to was handled by the first analyst (as its rows say)."""
    from vigisante.accounts.models import User

    by_reference = {r.reference: r for r in reports}
    people = {u.pk: u for u in User.objects.filter(
        pk__in={r.created_by_id for r in reports}
        | {c.assigned_to_id for c in cases.values() if c.assigned_to_id}
        | set(analysts[:1])).only("pk", "email")}
    default = people.get(analysts[0]) if analysts else None
    ids = _child_ids(cases)
    stages = _Stages()
    events: list[dict[str, Any]] = []
    for row in rows:
        report = by_reference[row.reference]
        case = cases.get(report.pk)
        events += _report_events(report, people.get(report.created_by_id), stages)
        if case is not None:
            events += _case_events(row, report, case, people, ids, default)
    events.sort(key=lambda e: e["at"])
    return audit.record_past(events)


def _child_ids(cases: dict[int, Any]) -> dict[str, dict[tuple, int]]:
    """The ids of the bulk-inserted qualifications, notes, messages and supports, by (case,
    time): what the events name, as the services' events do."""
    from vigisante.triage.models import Message, Note, Qualification, Support

    case_ids = [c.pk for c in cases.values()]
    out: dict[str, dict[tuple, int]] = {}
    for name, model, at in (("qualification", Qualification, "at"), ("note", Note, "at"),
                            ("message", Message, "at"), ("support", Support, "started_at")):
        out[name] = {(case, when): pk for pk, case, when in model.objects.filter(
            case_id__in=case_ids).values_list("pk", "case_id", at)}
    return out


class _Stages:
    """What a report was before its stages completed it (one blank report, read once)."""

    def __init__(self) -> None:
        from vigisante.reports.models import Report
        from vigisante.reports.services import FINAL_FIELDS, NOTIFICATION_FIELDS

        self.steps = [
            ("report.notification", [*NOTIFICATION_FIELDS, "notification_at", "stage"],
             "early_warning", "notification"),
            ("report.final", [*FINAL_FIELDS, "final_at", "stage"], "notification", "final"),
        ]
        later = [*NOTIFICATION_FIELDS, *FINAL_FIELDS, *_STAGE_LATER, "resolved_at"]
        self.blank = audit.snapshot(Report(), later)


def _report_events(report: Any, author: Any, stages: _Stages) -> Iterator[dict[str, Any]]:
    whole = audit.snapshot(report)
    # as filed: the early warning, before the stages completed it
    filed = {**whole, **{k: v for k, v in stages.blank.items() if k in whole},
             "stage": "early_warning"}
    yield {"at": report.created_at, "actor": author, "action": "report.create", "obj": report,
           "after": filed}
    for action, names, was, now in stages.steps:
        at = getattr(report, names[-2])
        if at is None:
            continue
        before = {**{k: stages.blank.get(k) for k in names}, "stage": was}
        after = {**{k: whole.get(k) for k in names}, "stage": now}
        old, new = audit.diff(before, after)
        yield {"at": at, "actor": author, "action": action, "obj": report, "before": old,
               "after": new}


def _case_events(row: Row, report: Any, case: Any, people: dict[int, Any],
                 ids: dict[str, dict[tuple, int]], default: Any) -> Iterator[dict[str, Any]]:
    assigned = people.get(case.assigned_to_id) if case.assigned_to_id else None
    analyst = assigned or default
    where = {"object_type": CASE, "object_id": str(case.pk),
             "object_repr": f"case of {report.pk}"}
    c = row.case
    qualified_at = c.get("qualified_at")
    qualification = {k: c.get(k, "") for k in (
        "origin", "kind", "rsit_class", "rsit_type", "severity", "suggested_severity",
        "attack_vector", "detection_source", "detection_stage", "ransomware_extent")}
    version = 0
    if assigned is not None and row.transitions:
        # the analyst took the case when acknowledging it
        version += 1
        yield {"at": row.transitions[0][2], "actor": analyst, "action": "case.assign",
               "before": {"assigned_to_id": None, "version": version - 1},
               "after": {"assigned_to_id": analyst.pk, "version": version}, **where}
    for from_state, to_state, at in row.transitions:
        version += 1
        before: dict[str, Any] = {"state": from_state, "version": version - 1}
        after: dict[str, Any] = {"state": to_state, "state_changed_at": at, "version": version}
        if to_state == "qualified" and qualified_at:
            before.update({k: "" for k in qualification})
            after.update(qualification, qualified_at=qualified_at,
                         qualification_id=ids["qualification"].get((case.pk, qualified_at)),
                         suggestion_reasons=[])
            yield {"at": at, "actor": analyst, "action": "case.qualify", "before": before,
                   "after": after, **where}
            continue
        if to_state == "duplicate" and c.get("_duplicate_of"):
            after["duplicate_of_id"] = case.duplicate_of_id
        yield {"at": at, "actor": analyst, "action": "case.transition", "before": before,
               "after": after, **where}
    for at, text in row.notes:
        yield {"at": at, "actor": analyst, "action": "case.note", "after": {
            "note_id": ids["note"].get((case.pk, at)), "text": text}, **where}
    for at, from_cert, text in row.messages:
        yield {"at": at, "actor": analyst if from_cert else people.get(report.created_by_id),
               "action": "case.message" if from_cert else "case.reply", "after": {
                   "message_id": ids["message"].get((case.pk, at)), "from_cert": from_cert,
                   "text": text}, **where}
    for support in row.supports:
        at = support["started_at"]
        if isinstance(at, dt.datetime):
            yield {"at": at, "actor": analyst, "action": "case.support", "after": {
                "id": ids["support"].get((case.pk, at)), "type": support["type"],
                "started_at": at, "ended_at": support.get("ended_at"),
                "out_of_hours": support.get("out_of_hours", False),
                "notes": support.get("notes", "")}, **where}
