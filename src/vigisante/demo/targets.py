"""The yearly figures the synthetic demo data must reproduce, from the published observatory.

`year_targets()` turns `data/observatory-published.json` (a copy of the figures the sector's
observatory published) into exact counts per year. Rules, applied the same way to every
figure:
- a published count is used as it is; a published share becomes round(share x reports);
- where a figure is a list of two sources, the first is taken;
- a figure missing for a year is interpolated linearly, as a share of the reports, between
  the nearest years that publish it, and outside them takes the mean share of those years.
Pure: no ORM, no clock.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PUBLISHED_PATH = Path(__file__).resolve().parent.parent / "data" / "observatory-published.json"
YEARS = tuple(range(2019, 2025))

# The 2024 published extent of ransomware at detection; other years use its proportions.
EXTENTS = ("several_servers", "one_server", "workstation_only", "at_supplier")


def round_half_up(x: float) -> int:
    """Round .5 up (Python's round() rounds half to even)."""
    return int(math.floor(x + 0.5))


def first(value: Any) -> Any:
    """Where two sources differ the file gives a list: take the first."""
    return value[0] if isinstance(value, list) else value


def load_published(path: Path = PUBLISHED_PATH) -> dict[int, dict[str, Any]]:
    """The published figures, by year."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return {int(year): figures for year, figures in data["years"].items()}


def fill(known: dict[int, float], years=YEARS) -> dict[int, float]:
    """Complete a per-year series: linear between known years, their mean outside."""
    if not known:
        raise ValueError("nothing to interpolate from")
    points = sorted(known.items())
    mean = sum(v for _y, v in points) / len(points)
    out = {}
    for year in years:
        if year in known:
            out[year] = known[year]
            continue
        before = [(y, v) for y, v in points if y < year]
        after = [(y, v) for y, v in points if y > year]
        if before and after:
            (y0, v0), (y1, v1) = before[-1], after[0]
            out[year] = v0 + (v1 - v0) * (year - y0) / (y1 - y0)
        else:
            out[year] = mean
    return out


def allocate(total: int, weights: Mapping[str, float]) -> dict[str, int]:
    """Split `total` in proportion to `weights` (largest remainder, deterministic)."""
    keys = [k for k, w in weights.items() if w > 0]
    if not keys or total <= 0:
        return {k: 0 for k in weights}
    wsum = sum(weights[k] for k in keys)
    raw = {k: total * weights[k] / wsum for k in keys}
    out = {k: int(math.floor(raw[k])) for k in keys}
    rest = total - sum(out.values())
    for k in sorted(keys, key=lambda k: (-(raw[k] - out[k]), keys.index(k)))[:rest]:
        out[k] += 1
    return {k: out.get(k, 0) for k in weights}


def _plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).lower()


def region_code(name: str) -> str:
    """The region code of a region name as the published file spells it (no accents)."""
    from vigisante.establishments.regions import REGIONS

    for code, full in REGIONS.items():
        if _plain(full) == _plain(name):
            return code
    raise KeyError(name)


@dataclass(frozen=True)
class YearTarget:
    """Exact counts one year of synthetic reports must have."""

    year: int
    reports: int
    structures: int
    malicious: int
    ransomware: int
    # (minimum reports, number of structures with at least that many)
    repeat: tuple[tuple[int, int], ...] = ()
    region_reports: dict[str, int] = field(default_factory=dict)
    category_reports: dict[str, int] = field(default_factory=dict)  # group -> reports
    medico_social_structures: int | None = None
    undetermined: int = 0
    phishing: int | None = None
    account_compromise: int | None = None
    system_compromise: int | None = None
    supplier_involved: int = 0
    support_requests: int = 0
    technical_support: int = 0
    technical_distinct_establishments: bool = False
    no_impact: int = 0
    degraded: int = 0
    degraded_mean_days: float = 1.0
    ransomware_degraded: int = 0
    danger_any: int = 0
    danger_actual: int = 0
    care_affected: int = 0
    data_availability: int | None = None
    data_integrity: int = 0
    data_confidentiality: int = 0
    data_impact_any: int | None = None
    ransomware_extent: dict[str, int] = field(default_factory=dict)


# 2020's "by structure type": the category groups it names.
CATEGORY_GROUPS = {
    "ehpad": ("ehpad",),
    "radiotherapy_centre": ("radiotherapy",),
    "other": ("medico_social", "other"),
}


def _shares(pub, n, getter) -> dict[int, float]:
    """Known shares of reports of a figure: getter(year figures, reports) -> share or None."""
    out = {}
    for year, figures in pub.items():
        value = getter(figures, n[year]) if year in n else None
        if value is not None:
            out[year] = value
    return out


def _count(figures, key):
    value = figures.get(key)
    return None if value is None else first(value)


def _share_of(key):
    return lambda f, n: (_count(f, key) / n) if _count(f, key) is not None else None


def _share(key):
    return lambda f, n: f.get(key)


def _counts(pub, n, *getters) -> dict[int, int]:
    """Per-year counts: the published count where there is one, else an interpolated share."""
    known: dict[int, float] = {}
    for getter in getters:
        for year, share in _shares(pub, n, getter).items():
            known.setdefault(year, share)
    series = fill(known)
    return {y: round_half_up(series[y] * n[y]) for y in YEARS}


def year_targets(pub: dict[int, dict[str, Any]] | None = None) -> dict[int, YearTarget]:
    """Exact counts per year of the demo data (see the module docstring for the rules)."""
    pub = load_published() if pub is None else pub
    n = {y: first(f["reports"]) for y, f in pub.items() if f.get("reports") is not None}
    exact = {}  # year -> {field: published count used as is}
    for year in YEARS:
        f = pub.get(year, {})
        exact[year] = {k: _count(f, k) for k in f}

    def counts(*getters):
        return _counts(pub, n, *getters)

    malicious = counts(_share("malicious_share"))
    ransomware = counts(_share_of("ransomware"), _share("ransomware_share_of_reports"))
    structures = counts(_share_of("structures"))
    supplier = counts(_share("supplier_involved_share"))
    support = counts(_share_of("support_requests"), _share("support_request_share"))
    no_impact = counts(_share("no_impact_share"))
    degraded = counts(_share("degraded_mode_share"))
    danger_any = counts(
        lambda f, k: ((f["patient_endangerment_potential"] + f.get(
            "patient_endangerment_actual", 0)) / k)
        if f.get("patient_endangerment_potential") is not None else None,
        _share_of("patient_endangerment"), _share("patient_endangerment_share"))
    danger_actual = counts(_share_of("patient_endangerment_actual"))
    care = counts(_share("patient_care_affected_share"))
    integrity = counts(_share_of("data_integrity"))
    disclosure = counts(_share_of("data_disclosure"), _share_of("data_disclosure_approx"))
    impact_any = counts(_share("data_impact_share"))
    availability = counts(_share_of("data_availability_loss"))
    # Shares of other counts (not of reports)
    rw_degraded = fill({y: f["ransomware_with_degraded_mode"] / first(f["ransomware"])
                        for y, f in pub.items() if f.get("ransomware_with_degraded_mode")})
    technical = fill({
        y: (f.get("technical_interventions") or f.get("establishments_given_technical_support"))
        / first(f["support_requests"])
        for y, f in pub.items()
        if f.get("support_requests") and (f.get("technical_interventions")
                                          or f.get("establishments_given_technical_support"))})
    degraded_days = fill({y: f["degraded_mode_mean_days"] for y, f in pub.items()
                          if f.get("degraded_mode_mean_days")})
    extent_2024 = next((f["ransomware_extent"] for _y, f in sorted(pub.items())
                        if f.get("ransomware_extent")), {e: 1 for e in EXTENTS})

    out = {}
    for year in YEARS:
        f, e = pub.get(year, {}), exact[year]
        reports = n[year]
        rw = ransomware[year]
        repeat = []
        if e.get("structures_more_than_2_reports") is not None:
            repeat.append((3, e["structures_more_than_2_reports"]))
        if e.get("structures_4_or_more_reports") is not None:
            repeat.append((4, e["structures_4_or_more_reports"]))
        if e.get("structures_more_than_4_reports") is not None:
            repeat.append((5, e["structures_more_than_4_reports"]))
        regions = {region_code(k): v for k, v in (f.get("by_region") or {}).items()}
        categories = {}
        if f.get("by_structure_type"):
            bst = f["by_structure_type"]
            categories = {g: bst[g] for g in CATEGORY_GROUPS if g in bst}
        ms = None
        if f.get("by_structure_type_reporting"):
            b = f["by_structure_type_reporting"]
            ms = round_half_up(structures[year] * b["medico_social"] / sum(b.values()))
        extent = allocate(rw, {k: extent_2024.get(k, 0) for k in EXTENTS})
        if year in pub and f.get("ransomware_extent"):
            extent = {k: f["ransomware_extent"].get(k, 0) for k in EXTENTS}
        mal = malicious[year]
        out[year] = YearTarget(
            year=year, reports=reports, structures=structures[year], malicious=mal,
            ransomware=rw, repeat=tuple(sorted(repeat)), region_reports=regions,
            category_reports=categories, medico_social_structures=ms,
            undetermined=round_half_up(0.03 * (reports - mal)),
            phishing=round_half_up(f["phishing_share_of_malicious"] * mal)
            if f.get("phishing_share_of_malicious") else None,
            account_compromise=round_half_up(f["account_compromise_share_of_malicious"] * mal)
            if f.get("account_compromise_share_of_malicious") else None,
            system_compromise=e.get("system_compromises"),
            supplier_involved=supplier[year], support_requests=support[year],
            technical_support=round_half_up(technical[year] * support[year]),
            technical_distinct_establishments=bool(
                f.get("establishments_given_technical_support")),
            no_impact=no_impact[year], degraded=degraded[year],
            degraded_mean_days=degraded_days[year],
            ransomware_degraded=round_half_up(rw_degraded[year] * rw),
            danger_any=danger_any[year], danger_actual=danger_actual[year],
            care_affected=care[year],
            data_availability=availability[year] if e.get("data_availability_loss") else None,
            data_integrity=integrity[year], data_confidentiality=disclosure[year],
            data_impact_any=None if e.get("data_availability_loss") else impact_any[year],
            ransomware_extent=extent,
        )
    return out
