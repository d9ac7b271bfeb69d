"""The need-to-know summary of a report: what an authority is told, and nothing more.

Reference, establishment (name, category, region), dates, state, qualification, severity,
impact on care and operations, support given (types and dates) and regulatory clocks. Never
the report's free texts, its updates, attachments, indicators, the CERT's notes or messages
with the establishment, nor the reporter's contacts: those fields are simply not read here.
"""

from __future__ import annotations

from typing import Any

from vigisante.clocks.models import Clock, ClockState
from vigisante.reports.models import Report
from vigisante.triage.models import Case, Support

#: The report fields an authority may know (no free text, no contact).
REPORT_FIELDS = (
    "reference", "stage", "created_at", "discovered_at", "ongoing", "suspected_malicious",
    "patient_care_affected", "operations_impact", "degraded_since", "degraded_until",
    "patient_danger", "systems_hit", "data_availability", "data_integrity",
    "data_confidentiality", "personal_data", "health_data", "ransom_demanded",
    "notification_at", "final_at", "resolved_at",
)
ESTABLISHMENT_FIELDS = ("name", "finess", "category", "sector", "region", "departement")
CASE_FIELDS = ("state", "state_changed_at", "origin", "kind", "rsit_class", "rsit_type",
               "severity", "qualified_at")


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def build(report: Report, case: Case | None = None, supports: list[Support] | None = None,
          clocks: list[Clock] | None = None) -> dict[str, Any]:
    """The summary as plain JSON values (codes, not labels; ISO dates)."""
    est = report.establishment
    out: dict[str, Any] = {name: _plain(getattr(report, name)) for name in REPORT_FIELDS}
    out["establishment"] = ({name: getattr(est, name) for name in ESTABLISHMENT_FIELDS}
                            if est is not None else None)
    out["case"] = {name: _plain(getattr(case, name, "") or "") or None
                   for name in CASE_FIELDS}
    if not out["case"]["state"]:
        out["case"]["state"] = "received"
    out["support"] = [{"type": s.type, "started_at": _plain(s.started_at),
                       "ended_at": _plain(s.ended_at)} for s in (supports or [])]
    out["clocks"] = [{"regime": c.regime, "state": c.state, "due_at": _plain(c.due_at),
                      "done_at": _plain(c.done_at)}
                     for c in sorted(clocks or [], key=lambda c: c.order)
                     if c.state != ClockState.NOT_APPLICABLE]
    return out


def load(report: Report) -> dict[str, Any]:
    """The current summary of `report` (three queries)."""
    case = Case.objects.filter(report_id=report.pk).first()
    supports = list(Support.objects.filter(case=case).order_by("started_at", "pk")) \
        if case is not None else []
    clocks = list(Clock.objects.filter(report_id=report.pk))
    return build(report, case, supports, clocks)
