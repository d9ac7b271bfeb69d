"""Impacts, support and qualification of a year's synthetic reports, hitting the targets (pure).

Every published count (degraded mode, danger to patients, data impact, supplier involved,
support requests, ransomware extent, ...) is set on exactly the target number of reports;
the remaining fields are filled coherently with the report's kind.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Mapping
from typing import Any

from vigisante.core.taxonomy import origin_of, rsit_of
from vigisante.demo import texts
from vigisante.demo.reports import Row, pick, weighted_order
from vigisante.demo.targets import YearTarget

H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)

IMPACT_WEIGHT: dict[str, dict[str, float]] = {  # kind -> weight for degraded / none
    "degraded": {"ransomware": 10, "system_compromise": 4, "supplier_failure": 5,
                 "telecom_loss": 5, "critical_malfunction": 5, "hardware_failure": 5,
                 "ddos": 3, "prescription_bug": 2, "human_error": 2, "phishing": 0.2,
                 "fraud": 0.1, "data_leak": 0.3, "theft_loss": 0.2},
    "none": {"phishing": 10, "account_compromise": 6, "fraud": 8, "vulnerability_exploit": 6,
             "malware": 5, "data_leak": 5, "theft_loss": 6, "defacement": 3, "other": 3,
             "human_error": 2, "system_compromise": 1},
}
DATA_WEIGHT: dict[str, dict[str, float]] = {
    "confidentiality": {"data_leak": 40, "account_compromise": 4, "theft_loss": 20,
                        "ransomware": 4, "system_compromise": 3, "human_error": 3,
                        "phishing": 1},
    "integrity": {"prescription_bug": 40, "critical_malfunction": 6, "ransomware": 5,
                  "defacement": 20, "system_compromise": 3, "human_error": 3},
    "availability": {"ransomware": 40, "supplier_failure": 8, "telecom_loss": 8,
                     "critical_malfunction": 8, "hardware_failure": 8, "ddos": 10,
                     "system_compromise": 3, "human_error": 2},
}
SUPPLIER_WEIGHT = {"supplier_failure": 40, "telecom_loss": 15, "prescription_bug": 10,
                   "critical_malfunction": 4, "data_leak": 2, "system_compromise": 2}
SUPPORT_WEIGHT = {"ransomware": 25, "system_compromise": 8, "account_compromise": 3,
                  "data_leak": 4, "vulnerability_exploit": 3, "malware": 2}
OPS_FACTOR = {"stopped": 3.0, "degraded": 2.0, "partial": 1.2, "none": 0.5, "": 1.0}
SUPPLIER_KINDS = {  # kind -> what the involved supplier supplies
    "supplier_failure": ("dpi", "host", "laboratory", "imaging"),
    "telecom_loss": ("telecom",), "prescription_bug": ("prescription",),
    "critical_malfunction": ("dpi", "imaging", "biomedical"),
    "data_leak": ("host", "email"), "ransomware": ("host", "dpi"),
}
SYSTEMS = {
    "ransomware": ["dpi", "administration", "email", "directory", "imaging", "laboratory",
                   "network"],
    "account_compromise": ["email", "vpn", "directory"],
    "system_compromise": ["network", "directory", "administration", "website"],
    "phishing": ["email"], "vulnerability_exploit": ["vpn", "network", "website"],
    "malware": ["administration", "email"], "data_leak": ["dpi", "laboratory", "email"],
    "fraud": ["email", "administration"], "ddos": ["website", "network"],
    "defacement": ["website"], "supplier_failure": ["dpi", "laboratory", "imaging", "website"],
    "telecom_loss": ["telephony", "network"], "critical_malfunction": ["dpi", "imaging"],
    "prescription_bug": ["prescription"], "hardware_failure": ["network", "biomedical", "dpi"],
    "human_error": ["network", "administration", "dpi"], "theft_loss": ["administration"],
    "other": ["network"],
}
VECTORS = {
    "ransomware": ["phishing_email", "stolen_credentials", "exposed_service",
                   "supplier_access"],
    "account_compromise": ["stolen_credentials", "phishing_email"],
    "system_compromise": ["exposed_service", "stolen_credentials", "supplier_access"],
    "phishing": ["phishing_email"], "vulnerability_exploit": ["exposed_service"],
    "malware": ["phishing_email", "removable_media"], "data_leak": ["web", "stolen_credentials"],
    "fraud": ["phishing_email", "other"], "ddos": ["other"], "defacement": ["web"],
}
DETECTION = {  # kind -> ((source, weight)...), ((stage, weight)...)
    "ransomware": ((("ransom_note", 6), ("internal_tool", 3), ("supplier", 1)),
                   (("after_impact", 7), ("before_encryption", 2), ("lateral_movement", 1))),
    "phishing": ((("user", 7), ("internal_tool", 3)),
                 (("blocked_attempt", 5), ("initial_access", 5))),
    "account_compromise": ((("internal_tool", 4), ("cert_alert", 3), ("user", 3)),
                           (("initial_access", 6), ("lateral_movement", 4))),
    "vulnerability_exploit": ((("cert_alert", 4), ("internal_tool", 6)),
                              (("blocked_attempt", 4), ("initial_access", 6))),
}
DEFAULT_DETECTION = ((("internal_tool", 5), ("user", 3), ("third_party", 1), ("cert_alert", 1)),
                     (("initial_access", 7), ("lateral_movement", 2), ("after_impact", 1)))


def _w(table: Mapping[str, float], rows: list[Row], default: float = 1.0):
    return lambda i: table.get(rows[i].kind, default)


def _choice(rng: random.Random, pairs) -> str:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs])[0]


def shape_year(rng: random.Random, target: YearTarget, rows: list[Row], pool,
               now: dt.datetime) -> None:
    """Set every counted figure on exactly the target number of reports, then fill the rest."""
    all_ = list(range(len(rows)))
    _unnotified(rng, target, rows)
    notified = [i for i in all_ if rows[i].notified]
    for r in rows:
        r.report.update(operations_impact="", patient_danger="", data_availability=False,
                        data_integrity=False, data_confidentiality=False,
                        supplier_involved=False, support_requested=False)
    _extent(rng, target, rows)
    _operations(rng, target, rows, notified)
    _danger(rng, target, rows, notified, all_)
    _data(rng, target, rows, notified)
    _suppliers(rng, target, rows, notified)
    _support(rng, target, rows, all_)
    for row in rows:
        fill_row(rng, row, pool, now)


def _unnotified(rng, target: YearTarget, rows: list[Row]) -> None:
    """The last year keeps a few reports never completed beyond the early warning."""
    if target.year != 2024:
        return
    minor = [i for i, r in enumerate(rows) if r.kind in ("phishing", "fraud", "human_error")
             and r.created_at.month >= 11]
    for i in pick(rng, minor, min(12, len(minor))):
        rows[i].notified = False


def _extent(rng, target: YearTarget, rows: list[Row]) -> None:
    ransomware = [i for i, r in enumerate(rows) if r.kind == "ransomware"]
    extents = [e for e, k in target.ransomware_extent.items() for _ in range(k)]
    rng.shuffle(extents)
    for i, extent in zip(ransomware, extents, strict=True):
        rows[i].case["ransomware_extent"] = extent


def _operations(rng, target: YearTarget, rows: list[Row], notified: list[int]) -> None:
    ransomware = [i for i in notified if rows[i].kind == "ransomware"]
    others = [i for i in notified if rows[i].kind != "ransomware"]
    free_slots = len(notified) - target.no_impact - target.degraded
    rw_degraded = min(target.degraded, max(target.ransomware_degraded,
                                           len(ransomware) - free_slots))
    extent_w = {"several_servers": 5, "one_server": 4, "at_supplier": 3, "workstation_only": 1}
    degraded = pick(rng, ransomware, rw_degraded,
                    lambda i: extent_w[rows[i].case["ransomware_extent"]])
    degraded += pick(rng, others, target.degraded - rw_degraded,
                     _w(IMPACT_WEIGHT["degraded"], rows, 1.0))
    taken = set(degraded)
    none = pick(rng, [i for i in others if i not in taken], target.no_impact,
                _w(IMPACT_WEIGHT["none"], rows, 0.5))
    taken |= set(none)
    for i in degraded:
        rows[i].report["operations_impact"] = "degraded"
    for i in none:
        rows[i].report["operations_impact"] = "none"
    for i in notified:
        if i not in taken:
            stop = 0.35 if rows[i].kind in ("ransomware", "ddos", "telecom_loss") else 0.15
            rows[i].report["operations_impact"] = "stopped" if rng.random() < stop else "partial"
    # degraded-mode durations with exactly the published mean
    raw = [rng.expovariate(1.0) for _ in degraded]
    scale = target.degraded_mean_days * len(degraded) / (sum(raw) or 1.0)
    for i, r in zip(degraded, raw, strict=True):
        rows[i].report["_degraded_days"] = r * scale


def _ops_factor(rows: list[Row]):
    return lambda i: OPS_FACTOR[rows[i].report.get("operations_impact", "")]


def _danger(rng, target: YearTarget, rows: list[Row], notified: list[int],
            all_: list[int]) -> None:
    kind_w = {"ransomware": 3, "prescription_bug": 5, "telecom_loss": 3,
              "critical_malfunction": 2, "hardware_failure": 1.5}
    factor = _ops_factor(rows)

    def weight(i: int) -> float:
        return factor(i) ** 2 * kind_w.get(rows[i].kind, 0.5)

    actual = pick(rng, notified, target.danger_actual, weight)
    rest = [i for i in notified if i not in set(actual)]
    potential = pick(rng, rest, target.danger_any - target.danger_actual, weight)
    for i in notified:
        rows[i].report["patient_danger"] = "none"
    for i in actual:
        rows[i].report["patient_danger"] = "actual"
    for i in potential:
        rows[i].report["patient_danger"] = "potential"
    danger = set(actual) | set(potential)
    others = [i for i in all_ if i not in danger]
    care = danger | set(pick(rng, others, max(0, target.care_affected - len(danger)),
                             lambda i: factor(i) ** 3))
    for i in all_:
        if i in care:
            rows[i].report["patient_care_affected"] = "yes"
        elif rows[i].report.get("operations_impact") not in ("none", "") and rng.random() < .15:
            rows[i].report["patient_care_affected"] = "unknown"
        else:
            rows[i].report["patient_care_affected"] = "no"


def _data(rng, target: YearTarget, rows: list[Row], notified: list[int]) -> None:
    conf = pick(rng, notified, target.data_confidentiality,
                _w(DATA_WEIGHT["confidentiality"], rows, 0.2))
    integ = pick(rng, notified, target.data_integrity, _w(DATA_WEIGHT["integrity"], rows, 0.2))
    for i in conf:
        rows[i].report["data_confidentiality"] = True
    for i in integ:
        rows[i].report["data_integrity"] = True
    avail_w = _w(DATA_WEIGHT["availability"], rows, 0.3)
    if target.data_availability is not None:
        avail = pick(rng, notified, target.data_availability, avail_w)
    else:
        base = set(conf) | set(integ)
        outside = [i for i in notified if i not in base]
        assert target.data_impact_any is not None  # a year has one of the two figures
        avail = pick(rng, outside, target.data_impact_any - len(base), avail_w)
        avail += [i for i in base if rows[i].kind == "ransomware"]
    for i in avail:
        rows[i].report["data_availability"] = True


def _suppliers(rng, target: YearTarget, rows: list[Row], notified: list[int]) -> None:
    forced = [i for i in notified if rows[i].case.get("ransomware_extent") == "at_supplier"]
    rest = [i for i in notified if i not in set(forced)]
    chosen = forced + pick(rng, rest, target.supplier_involved - len(forced),
                           _w(SUPPLIER_WEIGHT, rows, 0.5))
    for i in chosen:
        rows[i].report["supplier_involved"] = True


def _support(rng, target: YearTarget, rows: list[Row], all_: list[int]) -> None:
    factor = _ops_factor(rows)
    requests = pick(rng, all_, target.support_requests,
                    lambda i: SUPPORT_WEIGHT.get(rows[i].kind, 1.0) * factor(i))
    for i in requests:
        rows[i].report["support_requested"] = True
    order = weighted_order(rng, requests,
                           lambda i: {"ransomware": 10, "system_compromise": 5}.get(
                               rows[i].kind, 1.0))
    technical: list[int] = []
    seen: set[Any] = set()
    for i in order:
        if len(technical) == target.technical_support:
            break
        if target.technical_distinct_establishments and rows[i].establishment in seen:
            continue
        technical.append(i)
        seen.add(rows[i].establishment)
    escalations = 0
    for i in requests:
        row = rows[i]
        if i in technical:
            big = row.case.get("ransomware_extent") in ("several_servers", "one_server")
            kind = "on_site" if big and rng.random() < 0.4 else "technical_help"
        elif row.kind == "ransomware" and escalations < 2:
            kind, escalations = "escalation", escalations + 1
        else:
            kind = "remote_advice"
        start = row.created_at + rng.uniform(0.5, 12) * H
        row.supports.append({
            "type": kind, "started_at": start, "ended_at": start + rng.uniform(0.1, 6) * D,
            "out_of_hours": start.hour < 6 or start.hour >= 18 or start.weekday() >= 5,
            "notes": "Accompagnement du CERT (données fictives).",
        })


def _tri(rng, yes: float, unknown: float) -> str:
    x = rng.random()
    return "yes" if x < yes else "unknown" if x < yes + unknown else "no"


def fill_row(rng: random.Random, row: Row, pool, now: dt.datetime,
             final: bool | None = None, max_delay_hours: float | None = None) -> None:
    """Every other field of a report and its case, coherent with what was set."""
    kind, rep = row.kind, row.report
    est = pool[row.establishment]
    origin = origin_of(kind)
    created = row.created_at
    delay = rng.choice([rng.uniform(0.3, 24), rng.uniform(0.3, 24), rng.uniform(24, 72),
                        rng.uniform(72, 400)]) * H
    if max_delay_hours is not None:
        delay = rng.uniform(0.2, max_delay_hours) * H
    discovered = created - delay
    if discovered.year != created.year or discovered.month != created.month:
        discovered = created - rng.uniform(0.2, 3) * H
    channel = rng.choices(["web", "api", "phone", "email"], weights=[70, 10, 12, 8])[0]
    row.by_staff = channel in ("phone", "email")
    rep.update(
        reference=row.reference, channel=channel, source="sector", created_at=created,
        description=rng.choice(texts.DESCRIPTIONS[kind]), discovered_at=discovered,
        ongoing=False, stage="early_warning",
        suspected_malicious=(_tri(rng, .8, .2) if origin == "malicious" else "unknown"
                             if origin == "undetermined" else "no" if rng.random() < .7
                             else "unknown"),
        callback_phone=f"+33 1 99 00 {rng.randint(0, 99):02d} {rng.randint(0, 99):02d}",
    )
    if row.notified:
        _fill_notification(rng, row, est, discovered, now, final)
    _fill_case(rng, row, origin, now)


def _fill_notification(rng, row: Row, est, discovered: dt.datetime, now: dt.datetime,
                       final: bool | None = None) -> None:
    kind, rep = row.kind, row.report
    systems = SYSTEMS[kind]
    hit = sorted(set(rng.sample(systems, rng.randint(1, min(3, len(systems))))))
    if rep["patient_danger"] != "none" and kind == "telecom_loss":
        hit = sorted(set(hit) | {"telephony"})
    notification_at = row.created_at + min(rng.uniform(2, 144) * H, (now - row.created_at) * .5)
    conf = rep["data_confidentiality"]
    personal = conf or ("dpi" in hit and rng.random() < 0.5) or rng.random() < 0.15
    people = records = None
    if conf:
        people = int(10 ** rng.uniform(1, 5.3))
        records = people * rng.randint(1, 6)
    elif personal and rng.random() < 0.3:
        people = int(10 ** rng.uniform(0.5, 3))
    days = rep.pop("_degraded_days", None)
    since = until = None
    if rep["operations_impact"] == "degraded":
        since = discovered + rng.uniform(0, 4) * H
        until = since + dt.timedelta(days=days)
    malicious = origin_of(kind) == "malicious"
    rep.update(
        notification_at=notification_at, systems_hit=hit,
        perimeter=rng.choice(texts.PERIMETERS), degraded_since=since, degraded_until=until,
        patient_danger_narrative=(rng.choice(texts.PATIENT_ACTUAL)
                                  if rep["patient_danger"] == "actual" else
                                  rng.choice(texts.PATIENT_POTENTIAL)
                                  if rep["patient_danger"] == "potential" else ""),
        personal_data=personal,
        health_data=personal and bool({"dpi", "laboratory", "imaging"} & set(hit)),
        people_affected=people, records_affected=records,
        ransom_demanded=kind == "ransomware" and rng.random() < 0.85,
        _supplier_kind=rng.choice(SUPPLIER_KINDS.get(kind, ("host", "dpi")))
        if rep["supplier_involved"] else "",
        measures_taken=rng.choice(texts.MEASURES),
        causes=rng.choice(texts.CAUSES) if rng.random() < 0.6 else "",
        complaint_filed_on=(discovered + rng.uniform(1, 5) * D).date()
        if malicious and (est.insured or kind == "ransomware") and rng.random() < 0.8 else None,
        dpa_notified_on=(discovered + rng.uniform(1, 4) * D).date()
        if conf and personal and rng.random() < 0.8 else None,
        stage="notification",
    )
    if final is None:
        final = row.created_at < dt.datetime(2024, 10, 1, tzinfo=dt.UTC) or rng.random() < .6
    if final:
        final_at = notification_at + min(rng.uniform(7, 60) * D, (now - notification_at) * .5)
        resolved = min(discovered + rng.uniform(0.2, 20) * D, final_at)
        if until and resolved < until:
            resolved = min(until + rng.uniform(1, 24) * H, final_at)
        rep.update(
            final_at=final_at, resolved_at=resolved, stage="final",
            root_cause=rng.choice(texts.ROOT_CAUSES["malicious" if malicious else "other"]),
            final_impact=rng.choice(texts.FINAL_IMPACTS),
            lessons_learned=rng.choice(texts.LESSONS),
        )


def severity_of(row: Row) -> str:
    """A plausible severity from the impacts (the analyst's call, not the suggested rule)."""
    rep = row.report
    ops, danger = rep.get("operations_impact", ""), rep.get("patient_danger", "")
    if danger == "actual" or ops == "stopped" or (row.kind == "ransomware" and ops == "degraded"):
        return "major"
    if ops in ("degraded", "partial") or danger == "potential" or rep.get("data_confidentiality"):
        return "significant"
    return "minor"


def _fill_case(rng, row: Row, origin: str, now: dt.datetime) -> None:
    kind, case = row.kind, row.case
    rsit_class, rsit_type = rsit_of(kind)
    ack = row.created_at + rng.uniform(0.2, 8) * H
    qualified = ack + rng.uniform(1, 48) * H
    severity = severity_of(row)
    source = stage = vector = ""
    if origin == "malicious":
        sources, stages = DETECTION.get(kind, DEFAULT_DETECTION)
        source, stage = _choice(rng, sources), _choice(rng, stages)
        vector = rng.choice(VECTORS[kind])
        if case.get("ransomware_extent") == "workstation_only" and rng.random() < 0.6:
            stage = "before_encryption"
    elif kind != "other":
        source = _choice(rng, (("user", 6), ("internal_tool", 2), ("supplier", 2)))
    final_at = row.report.get("final_at")
    closed = max(final_at or qualified, qualified) + rng.uniform(1, 10) * D
    closed = min(closed, now - H)
    case.update(
        state="closed" if final_at else "resolved", origin=origin, kind=kind,
        rsit_class=rsit_class, rsit_type=rsit_type, severity=severity,
        suggested_severity=severity, attack_vector=vector, detection_source=source,
        detection_stage=stage, qualified_at=qualified, state_changed_at=closed,
    )
    case.setdefault("ransomware_extent", "")
    case["_assigned"] = rng.randrange(3)  # one of the CERT's analysts
    row.transitions = [("received", "acknowledged", ack), ("acknowledged", "qualified", qualified)]
    last = "qualified"
    if row.supports:
        start = max(row.supports[0]["started_at"], qualified)
        row.transitions.append(("qualified", "in_support", start))
        last = "in_support"
    resolved = row.report.get("resolved_at") or min(closed - H, now - H)
    row.transitions.append((last, "resolved", max(resolved, qualified)))
    if final_at:
        row.transitions.append(("resolved", "closed", closed))
    else:
        case["state_changed_at"] = max(resolved, qualified)
