"""Pure rules of triage: the workflow state machine, the suggested severity, the checks of a
qualification and of a support record.

No ORM, no request, no clock: `now` is a parameter. The choice lists live here so that the
rules and the models share one vocabulary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import models
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from vigisante.core.taxonomy import Kind, Origin, kinds_of
from vigisante.reports.domain import (  # noqa: F401 - the same text and clock rules here
    CLOCK_SKEW,
    MAX_TEXT,
    text_error,
)

MAX_COMMENT = 5_000
PARIS = ZoneInfo("Europe/Paris")


class State(models.TextChoices):
    RECEIVED = "received", gettext_lazy("Received")
    ACKNOWLEDGED = "acknowledged", gettext_lazy("Acknowledged")
    QUALIFIED = "qualified", gettext_lazy("Qualified")
    IN_SUPPORT = "in_support", gettext_lazy("In support")
    RESOLVED = "resolved", gettext_lazy("Resolved")
    CLOSED = "closed", gettext_lazy("Closed")
    REJECTED = "rejected", gettext_lazy("Rejected")
    DUPLICATE = "duplicate", gettext_lazy("Duplicate")


class Severity(models.TextChoices):
    MINOR = "minor", gettext_lazy("Minor")
    SIGNIFICANT = "significant", gettext_lazy("Significant")
    MAJOR = "major", gettext_lazy("Major")


class AttackVector(models.TextChoices):
    PHISHING_EMAIL = "phishing_email", gettext_lazy("Phishing e-mail")
    STOLEN_CREDENTIALS = "stolen_credentials", gettext_lazy("Stolen or weak credentials")
    EXPOSED_SERVICE = "exposed_service", gettext_lazy("Exposed vulnerable service")
    SUPPLIER_ACCESS = "supplier_access", gettext_lazy("Supplier access")
    REMOVABLE_MEDIA = "removable_media", gettext_lazy("Removable media")
    WEB = "web", gettext_lazy("Web application")
    PHYSICAL = "physical", gettext_lazy("Physical access")
    OTHER = "other", gettext_lazy("Other")
    UNKNOWN = "unknown", gettext_lazy("Unknown")


class DetectionSource(models.TextChoices):
    INTERNAL_TOOL = "internal_tool", gettext_lazy("Internal tool or SOC")
    USER = "user", gettext_lazy("User")
    CERT_ALERT = "cert_alert", gettext_lazy("CERT alert")
    SUPPLIER = "supplier", gettext_lazy("Supplier")
    RANSOM_NOTE = "ransom_note", gettext_lazy("Ransom note")
    THIRD_PARTY = "third_party", gettext_lazy("Third party")


class DetectionStage(models.TextChoices):
    BLOCKED_ATTEMPT = "blocked_attempt", gettext_lazy("Blocked attempt")
    INITIAL_ACCESS = "initial_access", gettext_lazy("Initial access")
    LATERAL_MOVEMENT = "lateral_movement", gettext_lazy("Lateral movement")
    BEFORE_ENCRYPTION = "before_encryption", gettext_lazy("Before encryption")
    AFTER_IMPACT = "after_impact", gettext_lazy("After impact")


class RansomwareExtent(models.TextChoices):
    WORKSTATION_ONLY = "workstation_only", gettext_lazy("A workstation only")
    ONE_SERVER = "one_server", gettext_lazy("One server")
    SEVERAL_SERVERS = "several_servers", gettext_lazy("Several servers")
    AT_SUPPLIER = "at_supplier", gettext_lazy("At a supplier")


class SupportType(models.TextChoices):
    REMOTE_ADVICE = "remote_advice", gettext_lazy("Remote advice")
    TECHNICAL_HELP = "technical_help", gettext_lazy("Technical help")
    ON_SITE = "on_site", gettext_lazy("On-site intervention")
    ESCALATION = "escalation", gettext_lazy("Escalation to the national agency (ANSSI)")


# ---------------------------------------------------------------------------------------------
# Workflow
# ---------------------------------------------------------------------------------------------

#: States nothing leaves except an administrator's explicit reopen.
FINAL_STATES = frozenset({State.CLOSED, State.REJECTED, State.DUPLICATE})

#: The moves any CERT analyst may make, from -> allowed targets.
TRANSITIONS: dict[str, frozenset[str]] = {
    State.RECEIVED: frozenset({State.ACKNOWLEDGED, State.REJECTED, State.DUPLICATE}),
    State.ACKNOWLEDGED: frozenset({State.QUALIFIED, State.REJECTED, State.DUPLICATE}),
    State.QUALIFIED: frozenset({State.IN_SUPPORT, State.RESOLVED, State.REJECTED,
                                State.DUPLICATE}),
    State.IN_SUPPORT: frozenset({State.RESOLVED}),
    # Reopen: the incident flares up again after it was declared resolved.
    State.RESOLVED: frozenset({State.CLOSED, State.IN_SUPPORT}),
    State.CLOSED: frozenset(),
    State.REJECTED: frozenset(),
    State.DUPLICATE: frozenset(),
}

#: Reopening a final state: administrators only, and always with a reason.
ADMIN_REOPEN: dict[str, str] = {
    State.CLOSED: State.IN_SUPPORT,
    State.REJECTED: State.ACKNOWLEDGED,
    State.DUPLICATE: State.ACKNOWLEDGED,
}

#: Order of the lifecycle (for sorting and display).
STATE_ORDER = [State.RECEIVED, State.ACKNOWLEDGED, State.QUALIFIED, State.IN_SUPPORT,
               State.RESOLVED, State.CLOSED, State.REJECTED, State.DUPLICATE]


def is_reopen(from_state: str, to_state: str) -> bool:
    """A move back to work from resolved or from a final state."""
    return (from_state == State.RESOLVED and to_state == State.IN_SUPPORT) or (
        ADMIN_REOPEN.get(from_state) == to_state
    )


def needs_comment(from_state: str, to_state: str) -> bool:
    """Rejections and reopenings must say why (the establishment and the audit need it)."""
    return to_state == State.REJECTED or is_reopen(from_state, to_state)


def allowed_targets(state: str, *, is_admin: bool, is_qualified: bool) -> list[str]:
    """The states a user may move a case to, in lifecycle order."""
    targets = set(TRANSITIONS.get(state, frozenset()))
    if is_admin and state in ADMIN_REOPEN:
        targets.add(ADMIN_REOPEN[state])
    if not is_qualified:
        targets.discard(State.QUALIFIED)
    return [s for s in STATE_ORDER if s in targets]


def transition_error(
    from_state: str, to_state: str, *, is_admin: bool, is_qualified: bool,
    has_duplicate_of: bool = False, comment: str = "",
) -> tuple[str, str] | None:
    """Why a transition is refused, as (field, message), or None when it is allowed."""
    if to_state not in State.values:
        return "to_state", _("Unknown state “%(state)s”.") % {"state": to_state[:50]}
    if from_state == to_state:
        return "to_state", _("The case is already “%(state)s”.") % {
            "state": State(to_state).label}
    allowed = allowed_targets(from_state, is_admin=is_admin, is_qualified=True)
    if to_state not in allowed:
        if ADMIN_REOPEN.get(from_state) == to_state:
            return "to_state", _(
                "Only an administrator can reopen a case that is “%(state)s”.") % {
                "state": State(from_state).label}
        names = ", ".join(f"“{State(s).label}”" for s in allowed) or _("none (final state)")
        return "to_state", _(
            "A case that is “%(from)s” cannot become “%(to)s”. Allowed: %(allowed)s.") % {
            "from": State(from_state).label, "to": State(to_state).label, "allowed": names}
    if to_state == State.QUALIFIED and not is_qualified:
        return "to_state", _("Qualify the case (origin and kind) before marking it qualified.")
    if to_state == State.DUPLICATE and not has_duplicate_of:
        return "duplicate_of", _("Give the reference of the original report.")
    if needs_comment(from_state, to_state) and not comment.strip():
        return "comment", _("Say why in the comment.")
    return None


def qualify_path(state: str) -> list[str] | None:
    """States a case passes through when it is qualified; None when it cannot be qualified.

    Qualifying a received report acknowledges it on the way; requalifying later keeps the state.
    """
    if state == State.RECEIVED:
        return [State.ACKNOWLEDGED, State.QUALIFIED]
    if state == State.ACKNOWLEDGED:
        return [State.QUALIFIED]
    if state in (State.QUALIFIED, State.IN_SUPPORT, State.RESOLVED):
        return []
    return None


# ---------------------------------------------------------------------------------------------
# Suggested severity
# ---------------------------------------------------------------------------------------------

DANGER_RANK = {"": 0, "none": 0, "potential": 1, "actual": 2}
OPERATIONS_RANK = {"": 0, "none": 0, "partial": 1, "degraded": 2, "stopped": 3}
#: Systems whose loss endangers care directly.
CARE_CRITICAL_SYSTEMS = frozenset({"telephony", "dpi", "prescription", "laboratory",
                                   "biomedical"})
MAJOR_HEALTH_RECORDS = 10_000
MAJOR_PERSONAL_RECORDS = 100_000
SIGNIFICANT_SYSTEMS = 3
MAJOR_SYSTEMS = 5
SIGNIFICANT_REACH = 2
MAJOR_REACH = 5

REASONS: dict[str, Any] = {
    "patient_harm": gettext_lazy("Actual danger to patients"),
    "operations_stopped": gettext_lazy("Operations stopped"),
    "emergency_telephony": gettext_lazy("Telephony / emergency call centre hit with "
                                        "degraded or stopped operations"),
    "critical_systems_down": gettext_lazy("Several care-critical systems hit with degraded "
                                          "or stopped operations"),
    "ransomware_disruption": gettext_lazy("Ransomware with degraded or stopped operations, or "
                                          "several systems hit"),
    "health_data_mass_disclosure": gettext_lazy("Health data of at least 10,000 records "
                                                "disclosed"),
    "personal_data_mass_disclosure": gettext_lazy("Personal data of at least 100,000 records "
                                                  "disclosed"),
    "many_systems": gettext_lazy("Five or more systems hit"),
    "wide_spread": gettext_lazy("Five or more establishments reached through the same "
                                "supplier"),
    "patient_danger_potential": gettext_lazy("Potential danger to patients"),
    "patient_care_affected": gettext_lazy("Patient care affected (early warning)"),
    "operations_degraded": gettext_lazy("Operations degraded or partly affected"),
    "ransomware": gettext_lazy("Ransomware"),
    "personal_data_disclosure": gettext_lazy("Personal or health data disclosed"),
    "critical_system": gettext_lazy("A care-critical system hit"),
    "several_systems": gettext_lazy("Three or more systems hit"),
    "spread": gettext_lazy("Other establishments reached through the same supplier"),
    "no_impact": gettext_lazy("No impact that raises the severity"),
}


@dataclass(frozen=True)
class Impacts:
    """What the report says about impacts; blank values mean not known yet."""

    patient_care_affected: str = "unknown"  # early warning: yes / no / unknown
    patient_danger: str = ""  # none / potential / actual
    operations_impact: str = ""  # none / partial / degraded / stopped
    data_confidentiality: bool = False
    personal_data: bool = False
    health_data: bool = False
    records_affected: int | None = None
    ransomware: bool = False  # kind ransomware, or a ransom was demanded
    systems_hit: frozenset[str] = frozenset()
    establishments_reached: int = 1  # through the same supplier, this one included


@dataclass(frozen=True)
class Assessment:
    severity: str
    reasons: tuple[str, ...]  # codes of REASONS that set the level

    @property
    def reason_labels(self) -> list[str]:
        return [str(REASONS[r]) for r in self.reasons]


def suggest_severity(impacts: Impacts) -> Assessment:
    """The severity the impacts suggest: the highest level any rule reaches.

    Monotone by construction: reporting more impact never lowers the suggestion.
    """
    i = impacts
    danger = DANGER_RANK.get(i.patient_danger, 0)
    ops = OPERATIONS_RANK.get(i.operations_impact, 0)
    disrupted = ops >= OPERATIONS_RANK["degraded"]
    critical = i.systems_hit & CARE_CRITICAL_SYSTEMS
    records = i.records_affected or 0
    disclosed = i.data_confidentiality and (i.personal_data or i.health_data)
    major = [
        ("patient_harm", danger >= 2),
        ("operations_stopped", ops >= OPERATIONS_RANK["stopped"]),
        ("emergency_telephony", "telephony" in i.systems_hit and disrupted),
        ("critical_systems_down", len(critical) >= 2 and disrupted),
        ("ransomware_disruption", i.ransomware and (
            disrupted or len(i.systems_hit) >= SIGNIFICANT_SYSTEMS)),
        ("health_data_mass_disclosure", i.data_confidentiality and i.health_data
         and records >= MAJOR_HEALTH_RECORDS),
        ("personal_data_mass_disclosure", disclosed and records >= MAJOR_PERSONAL_RECORDS),
        ("many_systems", len(i.systems_hit) >= MAJOR_SYSTEMS),
        ("wide_spread", i.establishments_reached >= MAJOR_REACH),
    ]
    reasons = tuple(code for code, hit in major if hit)
    if reasons:
        return Assessment(Severity.MAJOR, reasons)
    significant = [
        ("patient_danger_potential", danger >= 1),
        ("patient_care_affected", i.patient_care_affected == "yes"),
        ("operations_degraded", ops >= OPERATIONS_RANK["partial"]),
        ("ransomware", i.ransomware),
        ("personal_data_disclosure", disclosed),
        ("critical_system", bool(critical)),
        ("several_systems", len(i.systems_hit) >= SIGNIFICANT_SYSTEMS),
        ("spread", i.establishments_reached >= SIGNIFICANT_REACH),
    ]
    reasons = tuple(code for code, hit in significant if hit)
    if reasons:
        return Assessment(Severity.SIGNIFICANT, reasons)
    return Assessment(Severity.MINOR, ("no_impact",))


def impacts_of(report: Any, *, kind: str = "", establishments_reached: int = 1) -> Impacts:
    """Read the impacts off a report-like object (attributes of reports.Report)."""
    return Impacts(
        patient_care_affected=getattr(report, "patient_care_affected", "unknown") or "unknown",
        patient_danger=getattr(report, "patient_danger", "") or "",
        operations_impact=getattr(report, "operations_impact", "") or "",
        data_confidentiality=bool(getattr(report, "data_confidentiality", False)),
        personal_data=bool(getattr(report, "personal_data", False)),
        health_data=bool(getattr(report, "health_data", False)),
        records_affected=getattr(report, "records_affected", None),
        ransomware=kind == Kind.RANSOMWARE or bool(getattr(report, "ransom_demanded", False)),
        systems_hit=frozenset(getattr(report, "systems_hit", None) or ()),
        establishments_reached=max(1, establishments_reached),
    )


SEVERITY_RANK = {Severity.MINOR: 0, Severity.SIGNIFICANT: 1, Severity.MAJOR: 2}


# ---------------------------------------------------------------------------------------------
# Checks of input
# ---------------------------------------------------------------------------------------------

def _choice_error(value: str, choices: type[models.TextChoices]) -> str | None:
    if value and value not in choices.values:
        return _("“%(value)s” is not one of the available choices.") % {"value": value[:50]}
    return None


def qualification_errors(
    *, origin: str, kind: str, severity: str, suggested: str, comment: str = "",
    attack_vector: str = "", detection_source: str = "", detection_stage: str = "",
    ransomware_extent: str = "",
) -> dict[str, str]:
    """Field -> message for everything wrong with a qualification (empty when it is fine)."""
    errors: dict[str, str] = {}
    if not origin:
        errors["origin"] = _("Choose the origin.")
    elif origin not in Origin.values:
        errors["origin"] = _choice_error(origin, Origin) or ""
    if not kind:
        errors["kind"] = _("Choose the kind of incident.")
    elif kind not in Kind.values:
        errors["kind"] = _choice_error(kind, Kind) or ""
    if "origin" not in errors and "kind" not in errors and kind not in kinds_of(origin):
        errors["origin"] = _(
            "“%(kind)s” is not a %(origin)s kind: choose the matching origin or "
            "“Undetermined”.") % {"kind": Kind(kind).label, "origin": Origin(origin).label.lower()}
    if severity and severity not in Severity.values:
        errors["severity"] = _choice_error(severity, Severity) or ""
    for name, value, choices in (
        ("attack_vector", attack_vector, AttackVector),
        ("detection_source", detection_source, DetectionSource),
        ("detection_stage", detection_stage, DetectionStage),
        ("ransomware_extent", ransomware_extent, RansomwareExtent),
    ):
        err = _choice_error(value, choices)
        if err:
            errors[name] = err
    if ransomware_extent and kind and kind != Kind.RANSOMWARE and "ransomware_extent" not in errors:
        errors["ransomware_extent"] = _("The ransomware extent applies to ransomware only.")
    err = text_error(comment, MAX_COMMENT)
    if err:
        errors["comment"] = err
    elif (severity and "severity" not in errors and severity != suggested
          and not comment.strip()):
        errors["comment"] = _(
            "You chose a severity other than the suggested one (%(suggested)s): say why.") % {
            "suggested": Severity(suggested).label.lower()}
    return errors


def is_out_of_hours(at: dt.datetime, tz: dt.tzinfo = PARIS) -> bool:
    """Outside office hours in France: weekends, and weekdays before 8:00 or from 19:00."""
    local = at.astimezone(tz)
    return local.weekday() >= 5 or local.hour < 8 or local.hour >= 19


def support_errors(
    *, type: str, started_at: dt.datetime | None, ended_at: dt.datetime | None,
    notes: str, now: dt.datetime,
) -> dict[str, str]:
    """Field -> message for a support record."""
    errors: dict[str, str] = {}
    if not type:
        errors["type"] = _("Choose the type of support.")
    else:
        err = _choice_error(type, SupportType)
        if err:
            errors["type"] = err
    if started_at is None:
        errors["started_at"] = _("Give the start date and time.")
    elif started_at > now + CLOCK_SKEW:
        errors["started_at"] = _("The start cannot be in the future.")
    elif started_at.year < 2000:
        errors["started_at"] = _("The start is too far in the past.")
    if ended_at is not None:
        if ended_at > now + CLOCK_SKEW:
            errors["ended_at"] = _("The end cannot be in the future: leave it empty while "
                                   "the support goes on.")
        elif started_at is not None and ended_at < started_at:
            errors["ended_at"] = _("The end is before the start.")
    err = text_error(notes)
    if err:
        errors["notes"] = err
    return errors


def is_overdue(state: str, due_at: dt.datetime | None, now: dt.datetime) -> bool:
    """A regulatory clock still due whose deadline has passed."""
    return state == "due" and due_at is not None and due_at < now


def conflict_message(who: str, at_text: str) -> str:
    """What the second of two concurrent editors reads."""
    return _(
        "This case was changed by %(who)s at %(at)s since you opened it. Nothing was saved: "
        "reload the page to see their changes, then apply yours again.") % {
        "who": who, "at": at_text}
