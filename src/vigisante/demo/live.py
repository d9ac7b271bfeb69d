"""About twenty reports of the last days, in every stage and state, for the live demo (pure)."""

from __future__ import annotations

import datetime as dt
import random

from vigisante.demo.fields import H, fill_row
from vigisante.demo.reports import PARIS, Row

# (kind, where, stage, state, hours ago (of 288), support, impact, danger, care)
# where: a featured establishment ("ch", "ehpad", "clinic", "lab") or a category
SCENARIOS = [
    ("ransomware", "ch", "early_warning", "received", 2, "", "stopped", "", "yes"),
    ("phishing", "ch", "notification", "qualified", 30, "", "none", "none", "no"),
    ("telecom_loss", "ehpad", "notification", "acknowledged", 20, "", "degraded", "potential",
     "yes"),
    ("account_compromise", "clinic", "early_warning", "received", 5, "", "", "", "unknown"),
    ("supplier_failure", "lab", "notification", "in_support", 60, "remote_advice", "degraded",
     "none", "yes"),
    ("data_leak", "lab", "final", "resolved", 250, "", "none", "none", "no"),
    ("prescription_bug", "chu", "final", "closed", 280, "", "partial", "potential", "yes"),
    ("ddos", "ch", "notification", "closed", 200, "", "partial", "none", "no"),
    ("ransomware", "clinic", "notification", "in_support", 70, "on_site", "degraded",
     "potential", "yes"),
    ("human_error", "ehpad", "early_warning", "rejected", 100, "", "", "", "no"),
    ("ransomware", "=8", "early_warning", "duplicate", 68, "", "", "", "yes"),
    ("hardware_failure", "espic", "final", "resolved", 180, "", "degraded", "none", "yes"),
    ("system_compromise", "chu", "notification", "qualified", 40, "", "partial", "none", "no"),
    ("fraud", "ehpad", "early_warning", "acknowledged", 16, "", "", "", "no"),
    ("vulnerability_exploit", "clcc", "notification", "qualified", 50, "", "none", "none", "no"),
    ("critical_malfunction", "ch", "early_warning", "received", 8, "", "", "", "yes"),
    ("malware", "lab", "notification", "acknowledged", 26, "", "none", "none", "no"),
    ("theft_loss", "medico_social", "final", "closed", 230, "", "none", "none", "no"),
    ("defacement", "radiotherapy", "notification", "in_support", 90, "remote_advice", "none",
     "none", "no"),
    ("telecom_loss", "ch", "early_warning", "received", 1, "", "", "", "yes"),
    ("other", "army", "early_warning", "received", 12, "", "", "", "unknown"),
    ("account_compromise", "ch", "final", "closed", 260, "technical_help", "partial", "none",
     "no"),
]
QUALIFIED_STATES = {"qualified", "in_support", "resolved", "closed"}
PATH = {  # the transitions that lead to a state
    "received": [],
    "acknowledged": ["acknowledged"],
    "qualified": ["acknowledged", "qualified"],
    "in_support": ["acknowledged", "qualified", "in_support"],
    "resolved": ["acknowledged", "qualified", "resolved"],
    "closed": ["acknowledged", "qualified", "resolved", "closed"],
    "rejected": ["acknowledged", "rejected"],
    "duplicate": ["duplicate"],
}
MESSAGES = [
    (True, "Bonjour, le CERT a bien reçu votre signalement. Pouvez-vous confirmer l'isolement "
           "des serveurs touchés ?"),
    (False, "Oui, les serveurs sont isolés du réseau depuis ce matin. Nous passons en mode "
            "dégradé papier."),
    (True, "Un intervenant du CERT sera sur place demain à 9 h (exemple fictif)."),
]


def _establishment(where: str, pool, featured, rng, rows) -> int:
    if where in featured:
        return featured[where]
    if where.startswith("="):
        return rows[int(where[1:])].establishment
    return rng.choice([i for i, e in enumerate(pool) if e.category == where])


def live_rows(rng: random.Random, pool, featured: dict[str, int],
              now: dt.datetime) -> list[Row]:
    """Recent reports of the current year, numbered in order of receipt."""
    year = now.astimezone(PARIS).year
    start = max(now - dt.timedelta(hours=288),
                dt.datetime(year, 1, 1, 0, 5, tzinfo=PARIS).astimezone(dt.UTC))
    rows: list[Row] = []
    for kind, where, stage, state, hours, support, impact, danger, care in SCENARIOS:
        created = now - (now - start) * (hours / 288)
        row = Row(year=year, establishment=_establishment(where, pool, featured, rng, rows),
                  created_at=created, kind=kind, notified=stage != "early_warning")
        notified = row.notified
        row.report.update(
            operations_impact=impact, patient_danger=danger, patient_care_affected=care,
            data_availability=notified and kind in ("ransomware", "supplier_failure",
                                                    "telecom_loss"),
            data_integrity=notified and kind == "prescription_bug",
            data_confidentiality=notified and kind in ("data_leak", "theft_loss"),
            supplier_involved=notified and kind == "supplier_failure",
            support_requested=bool(support) or state == "received" and kind == "ransomware",
            _degraded_days=0.5,
        )
        if kind == "ransomware":
            row.case["ransomware_extent"] = "one_server"
        if support:
            row.supports.append({"type": support, "started_at": created, "ended_at": None,
                                 "out_of_hours": False,
                                 "notes": "Accompagnement du CERT (données fictives)."})
        fill_row(rng, row, pool, now, final=stage == "final", max_delay_hours=8)
        _live_case(rng, row, state, now)
        if state in ("received", "in_support") or stage == "early_warning":
            row.report.update(ongoing=True, degraded_until=None, resolved_at=None)
        rows.append(row)
        if state == "duplicate":
            row.duplicate_of = 8
    order = sorted(range(len(rows)), key=lambda i: rows[i].created_at)
    for n, i in enumerate(order, start=1):
        rows[i].reference = rows[i].report["reference"] = f"VS-{year}-{n:05d}"
    for row in rows:
        if row.duplicate_of is not None:
            row.case["_duplicate_of"] = rows[row.duplicate_of].reference
    return rows


def _live_case(rng: random.Random, row: Row, state: str, now: dt.datetime) -> None:
    """Give the case the state of its scenario, with transitions between receipt and now."""
    case = row.case
    steps = PATH[state]
    span = now - row.created_at
    times = sorted(row.created_at + span * rng.uniform(0.05, 0.9) for _ in steps)
    row.transitions = []
    prev = "received"
    for to, at in zip(steps, times, strict=True):
        row.transitions.append((prev, to, at))
        prev = to
    case["state"] = state
    case["state_changed_at"] = times[-1] if times else row.created_at
    if state not in QUALIFIED_STATES:
        for key in ("origin", "kind", "rsit_class", "rsit_type", "severity",
                    "suggested_severity", "attack_vector", "detection_source",
                    "detection_stage", "ransomware_extent"):
            case[key] = ""
        case["qualified_at"] = None
    else:
        case["qualified_at"] = times[1]
    if state == "received":
        case["_assigned"] = None
    for support in row.supports:
        support["started_at"] = times[2] if state == "in_support" else row.created_at + span * .1
        support["ended_at"] = None if state == "in_support" else row.created_at + span * .5
    if state == "in_support" and row.kind == "ransomware":
        for k, (from_cert, text) in enumerate(MESSAGES):
            row.messages.append((times[-1] + (now - times[-1]) * (k + 1) / 4, from_cert, text))
        row.notes.append((times[1], "Souche connue, indicateurs partagés avec l'ANSSI "
                                    "(note interne, fictive)."))
    if row.report.get("final_at") and row.report["final_at"] > now:
        row.report["final_at"] = now - H
