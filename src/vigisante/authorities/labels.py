"""Labels of the codes a summary carries (translated in the current language)."""

from __future__ import annotations

from typing import Any

from vigisante.authorities.domain import Authority, Rule, Trigger
from vigisante.clocks.domain import ClockState, Regime
from vigisante.core.taxonomy import Kind, Origin
from vigisante.establishments.models import Category, Sector
from vigisante.establishments.regions import REGIONS
from vigisante.reports.models import OperationsImpact, PatientDanger, Stage, System, TriState
from vigisante.triage.domain import Severity, State, SupportType

CHOICES: dict[str, Any] = {
    "authority": Authority, "rule": Rule, "trigger": Trigger, "regime": Regime,
    "clock_state": ClockState, "kind": Kind, "origin": Origin, "category": Category,
    "sector": Sector, "operations_impact": OperationsImpact, "patient_danger": PatientDanger,
    "stage": Stage, "system": System, "tristate": TriState, "severity": Severity,
    "state": State, "support": SupportType,
}


def label(value: Any, vocabulary: str) -> str:
    """The label of `value` in `vocabulary` ("severity", "region"...); the value itself when
    unknown, "—" when empty."""
    if value in (None, ""):
        return "—"
    if vocabulary == "region":
        return REGIONS.get(value, str(value))
    choices = CHOICES.get(vocabulary)
    if choices is not None and value in choices.values:
        return str(choices(value).label)
    return str(value)
