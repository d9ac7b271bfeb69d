"""Fixture data of the observatory tests: a few dozen sector reports with their cases,
supports and (when the clocks app exists) clocks, generated from a seed.

`build()` writes them and returns the list of plain-Python specs it wrote, from which the
tests compute the expected figures independently of the observatory's code.
"""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

import pytest
from conftest import make_establishment

from vigisante.reports.models import Report
from vigisante.triage.models import Case, Support

PARIS = ZoneInfo("Europe/Paris")
ESTABLISHMENTS = [
    # finess, name, category, sector, region
    ("750000011", "CHU Alpha", "chu", "health", "IDF"),
    ("690000022", "EHPAD Les Tilleuls", "ehpad", "medico_social", "ARA"),
    ("310000033", "Clinique Beta", "clinic", "health", "OCC"),
    ("330000044", "Laboratoire Gamma", "lab", "health", "NAQ"),
    ("130000055", "Centre hospitalier Delta", "ch", "health", "PAC"),
    ("590000066", "Foyer Epsilon", "medico_social", "medico_social", "HDF"),
    ("670000077", "Centre de radiothérapie Zeta", "radiotherapy", "health", "GES"),
    ("350000088", "CH Eta", "ch", "health", "BRE"),
]
KINDS = [("ransomware", "malicious"), ("phishing", "malicious"),
         ("account_compromise", "malicious"), ("ddos", "malicious"),
         ("telecom_loss", "non_malicious"), ("supplier_failure", "non_malicious"),
         ("human_error", "non_malicious"), ("", "undetermined"), ("", "")]
SYSTEMS = ["dpi", "email", "telephony", "laboratory", "imaging", "vpn"]


def _spec(rng: random.Random, i: int, created: dt.datetime, est: int) -> dict:
    kind, origin = KINDS[rng.randrange(len(KINDS))]
    discovered = created - dt.timedelta(hours=rng.choice([0.5, 2, 6, 30, 100, 200]))
    ops = rng.choice(["none", "degraded", "stopped", "partial", ""])
    degraded = ops in ("degraded", "stopped")
    return {
        "i": i, "created": created, "discovered": discovered, "est": est,
        "kind": kind, "origin": origin,
        "state": rng.choice(["qualified"] * 8 + ["duplicate", "rejected", "received"]),
        "extent": rng.choice(["workstation_only", "one_server", "several_servers", ""])
        if kind == "ransomware" else "",
        "detection_source": rng.choice(["internal_tool", "user", "supplier", ""]),
        "detection_stage": rng.choice(["initial_access", "after_impact", ""]),
        "ops": ops,
        "degraded_hours": rng.choice([5, 30, 80, 400, 1000]) if degraded else None,
        "care": rng.choice(["yes", "no", "unknown"]),
        "danger": rng.choice(["none", "potential", "actual", ""]),
        "availability": rng.random() < 0.5, "integrity": rng.random() < 0.2,
        "confidentiality": rng.random() < 0.3, "health_data": rng.random() < 0.5,
        "records": rng.choice([None, 10, 1500]),
        "systems": rng.sample(SYSTEMS, rng.randrange(0, 3)),
        "support_requested": rng.random() < 0.4,
        "supplier": rng.choice(["", "", "Softcare", "softcare ", "NetHost"]),
        "supports": [(rng.choice(["remote_advice", "technical_help", "on_site", "escalation"]),
                      rng.random() < 0.3) for _ in range(rng.randrange(0, 3))],
    }


def specs(seed: int = 7) -> list[dict]:
    """The reports to write: 2023 (with both edges of the year), 2022, and a few earlier."""
    rng = random.Random(seed)
    out = []
    for i in range(48):
        created = dt.datetime(2023, 1 + i % 12, 1 + (i * 7) % 27, 10, 0, tzinfo=PARIS)
        out.append(_spec(rng, i, created, rng.randrange(len(ESTABLISHMENTS))))
    # the edges: late on 31 December counts in 2023, just after midnight in 2024
    out.append(_spec(rng, 48, dt.datetime(2023, 12, 31, 23, 30, tzinfo=PARIS), 0))
    out.append(_spec(rng, 49, dt.datetime(2024, 1, 1, 0, 30, tzinfo=PARIS), 0))
    out.append(_spec(rng, 50, dt.datetime(2023, 1, 1, 0, 10, tzinfo=PARIS), 1))
    for i in range(51, 71):
        created = dt.datetime(2022, 1 + i % 12, 3, 9, 0, tzinfo=PARIS)
        out.append(_spec(rng, i, created, rng.randrange(len(ESTABLISHMENTS))))
    for i, year in enumerate([2019, 2020, 2021, 2021], start=71):
        out.append(_spec(rng, i, dt.datetime(year, 6, 1, 12, tzinfo=PARIS), 2))
    # establishment 0 reports often: a repeat reporter with a narrative naming it
    out[0]["danger"], out[0]["narrative"] = "actual", (
        "Au CHU Alpha (FINESS 750000011), un patient a été transféré ; "
        "contact : dr.x@chu-alpha.fr, 01 23 45 67 89.")
    return out


def build(seed: int = 7) -> list[dict]:
    """Write the establishments and the reports of `specs(seed)`; return the specs."""
    ests = [make_establishment(f, n, category=c, sector=s, region=r)
            for f, n, c, s, r in ESTABLISHMENTS]
    out = specs(seed)
    for sp in out:
        est = ests[sp["est"]]
        sp["est_name"], sp["category"], sp["sector"], sp["region"] = (
            est.name, est.category, est.sector, est.region)
        dh = sp["degraded_hours"]
        report = Report.objects.create(
            reference=f"VS-T-{sp['i']:05d}", establishment=est, channel="web",
            created_at=sp["created"], description=f"Incident {sp['i']}",
            discovered_at=sp["discovered"], suspected_malicious="unknown",
            patient_care_affected=sp["care"], support_requested=sp["support_requested"],
            systems_hit=sp["systems"], operations_impact=sp["ops"],
            degraded_since=sp["created"] if dh else None,
            degraded_until=sp["created"] + dt.timedelta(hours=dh) if dh else None,
            patient_danger=sp["danger"],
            patient_danger_narrative=sp.get("narrative", ""),
            data_availability=sp["availability"], data_integrity=sp["integrity"],
            data_confidentiality=sp["confidentiality"], health_data=sp["health_data"],
            records_affected=sp["records"], supplier_involved=bool(sp["supplier"]),
            supplier_name=sp["supplier"])
        Case.objects.update_or_create(report=report, defaults=dict(
            state=sp["state"], origin=sp["origin"], kind=sp["kind"],
            ransomware_extent=sp["extent"], detection_source=sp["detection_source"],
            detection_stage=sp["detection_stage"]))
        case = Case.objects.get(report=report)
        for n, (kind, ooh) in enumerate(sp["supports"]):
            Support.objects.create(case=case, type=kind, out_of_hours=ooh,
                                   started_at=sp["created"] + dt.timedelta(hours=n + 1))
        sp["report_id"] = report.pk
    return out


def in_2023(sp: dict) -> bool:
    """Counted in the 2023 report: received in 2023 (Paris time), not a duplicate/rejected."""
    return sp["created"].astimezone(PARIS).year == 2023 and sp["state"] not in (
        "duplicate", "rejected")


@pytest.mark.django_db
def test_fixture_builds_reports_with_cases():
    written = build()
    assert Report.objects.count() == len(written)
    assert Case.objects.count() == len(written)
    assert any(in_2023(s) for s in written)
