"""Synthetic reports of one past year, shaped to hit that year's targets exactly (pure).

Each figure the observatory counts is set by picking exactly the target number of reports,
with weights that keep the data coherent (ransomware runs in degraded mode more often than
phishing, a data leak is what discloses data, ...). `demo.fields` then fills in the rest.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from vigisante.demo.targets import CATEGORY_GROUPS, YearTarget, allocate

PARIS = ZoneInfo("Europe/Paris")
MONTH_WEIGHTS = (9, 8, 8, 8, 8, 7, 7, 6, 9, 10, 10, 10)
HOUR_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 8, 10, 10, 10, 9, 7, 9, 10, 10, 9, 8, 6, 4, 3, 2, 2, 1)

# How likely a structure of each category is to report (bigger structures report more).
REPORTING_WEIGHT = {
    "chu": 8.0, "ch": 4.0, "clinic": 2.0, "espic": 2.0, "clcc": 3.0, "radiotherapy": 1.5,
    "lab": 1.2, "army": 2.0, "ehpad": 0.6, "medico_social": 0.6, "other": 1.0,
}
MALICIOUS_MIX = {
    "phishing": 35, "account_compromise": 28, "system_compromise": 10,
    "vulnerability_exploit": 7, "malware": 8, "data_leak": 5, "fraud": 4, "ddos": 2,
    "defacement": 1,
}
NON_MALICIOUS_MIX = {
    "supplier_failure": 28, "telecom_loss": 20, "critical_malfunction": 15,
    "prescription_bug": 8, "hardware_failure": 14, "human_error": 11, "theft_loss": 4,
}
# Kinds that favour some categories (others weigh 1)
KIND_CATEGORY_WEIGHT: dict[str, dict[str, float]] = {
    "ransomware": {"chu": 3, "ch": 3, "clinic": 2, "espic": 2, "clcc": 2, "ehpad": 0.5},
    "telecom_loss": {"chu": 3, "ch": 3, "ehpad": 0.7},
    "prescription_bug": {"chu": 2, "ch": 2, "clinic": 2, "ehpad": 0.5},
    "data_leak": {"lab": 3, "radiotherapy": 2},
    "theft_loss": {"ehpad": 3, "medico_social": 3},
}


@dataclass
class Row:
    """One synthetic report and the CERT's case on it, as plain field values."""

    year: int
    establishment: int  # index into the establishment list
    created_at: dt.datetime
    reference: str = ""
    kind: str = ""
    notified: bool = True
    report: dict[str, Any] = field(default_factory=dict)
    case: dict[str, Any] = field(default_factory=dict)
    supports: list[dict[str, Any]] = field(default_factory=list)
    transitions: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    notes: list[tuple[dt.datetime, str]] = field(default_factory=list)
    messages: list[tuple[dt.datetime, bool, str]] = field(default_factory=list)
    by_staff: bool = False  # recorded by an analyst (phone, e-mail)
    duplicate_of: int | None = None  # index of another live row


def weighted_order(rng: random.Random, items: Iterable, weight: Callable[[Any], float]) -> list:
    """A random order where heavier items tend to come first (Efraimidis-Spirakis)."""
    keyed = []
    for item in items:
        w = max(float(weight(item)), 1e-6)
        keyed.append((rng.random() ** (1.0 / w), item))
    keyed.sort(key=lambda kv: kv[0], reverse=True)
    return [item for _key, item in keyed]


def pick(rng: random.Random, items: Sequence, k: int,
         weight: Callable[[Any], float] = lambda _i: 1.0) -> list:
    """Exactly `k` distinct items, heavier ones more likely."""
    if k > len(items):
        raise ValueError(f"cannot pick {k} out of {len(items)}")
    return weighted_order(rng, items, weight)[:k] if k > 0 else []


def structure_counts(rng: random.Random, reports: int, structures: int,
                     repeat: Sequence[tuple[int, int]]) -> list[int]:
    """Reports per structure: numbers summing to `reports`, with exactly the published number
    of structures at or above each threshold. When the published figures cannot all hold
    (2019: 55 structures with more than 2 reports out of 392 reports do not fit in 300
    structures), the repeat figures win and there are fewer structures."""
    tiers = sorted(repeat)
    # (lower bound, upper bound or None, how many structures)
    bounds: list[tuple[int, int | None, int]] = []
    base_upper = tiers[0][0] - 1 if tiers else None
    bounds.append((1, base_upper, structures - (tiers[0][1] if tiers else 0)))
    for i, (threshold, at_least) in enumerate(tiers):
        nxt = tiers[i + 1] if i + 1 < len(tiers) else None
        bounds.append((threshold, nxt[0] - 1 if nxt else None,
                       at_least - (nxt[1] if nxt else 0)))
    minimum = sum(lo * n for lo, _hi, n in bounds)
    if minimum > reports:
        lo, hi, n = bounds[0]
        bounds[0] = (lo, hi, n - (minimum - reports))
        if bounds[0][2] < 0:
            raise ValueError("repeat-reporter figures exceed the reports")
    counts: list[int] = []
    caps: list[int | None] = []
    for lo, hi, n in bounds:
        counts += [lo] * n
        caps += [hi] * n
    extras = reports - sum(counts)
    while extras > 0:
        open_ = [i for i, c in enumerate(counts) if (cap := caps[i]) is None or c < cap]
        i = rng.choices(open_, weights=[counts[j] for j in open_])[0]
        counts[i] += 1
        extras -= 1
    rng.shuffle(counts)
    return counts


def _take_sum(counts: list[int], total: int) -> list[int]:
    """Remove from `counts` some that sum exactly to `total` (there are many 1s)."""
    taken, need = [], total
    for c in list(counts):
        if c <= need:
            taken.append(c)
            counts.remove(c)
            need -= c
        if need == 0:
            return taken
    raise ValueError(f"cannot make {total} from the structure counts")


def _attribute_in(name: str, values: Collection[str]) -> Callable[[Any], bool]:
    """A predicate: the establishment's `name` is one of `values`."""
    return lambda e: getattr(e, name) in values


def assign_establishments(rng: random.Random, target: YearTarget, pool: Sequence[Any],
                          repeat_counts: list[int]) -> list[int]:
    """The establishment (index into `pool`) of each report of the year."""
    counts = list(repeat_counts)
    groups: list[tuple[Callable[[Any], bool], list[int]]] = []
    for code, total in sorted(target.region_reports.items()):
        groups.append((_attribute_in("region", {code}), _take_sum(counts, total)))
    for name, total in sorted(target.category_reports.items()):
        groups.append((_attribute_in("category", CATEGORY_GROUPS[name]),
                       _take_sum(counts, total)))
    if target.medico_social_structures is not None:
        k = target.medico_social_structures
        groups.append((_attribute_in("sector", {"medico_social"}), counts[:k]))
        counts = counts[k:]
    in_group = [p for p, _c in groups]
    groups.append((lambda e: not any(p(e) for p in in_group), counts))
    out: list[int] = []
    for predicate, group_counts in groups:
        members = [i for i, e in enumerate(pool) if predicate(e)]
        if len(group_counts) > len(members):
            raise ValueError(f"{target.year}: {len(group_counts)} structures needed, "
                             f"{len(members)} available")
        chosen = weighted_order(rng, members, lambda i: REPORTING_WEIGHT[pool[i].category])
        for est, c in zip(chosen, sorted(group_counts, reverse=True), strict=False):
            out += [est] * c
    return out


def random_moment(rng: random.Random, year: int) -> dt.datetime:
    """A time in `year` (Paris), spread over months, away from New Year in any time zone."""
    month = rng.choices(range(1, 13), weights=MONTH_WEIGHTS)[0]
    last = 28 if month == 2 else 30
    day = rng.randint(2 if month == 1 else 1, min(last, 29 if month == 12 else last))
    hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
    local = dt.datetime(year, month, day, hour, rng.randint(0, 59), rng.randint(0, 59),
                        tzinfo=PARIS)
    return local.astimezone(dt.UTC)


def _category_weight(weights: Mapping[str, float], pool, rows: list[Row]
                     ) -> Callable[[int], float]:
    """The weight of row `i`: its establishment's category in `weights` (1 if absent)."""
    return lambda i: weights.get(pool[rows[i].establishment].category, 1.0)


def assign_kinds(rng: random.Random, target: YearTarget, rows: list[Row], pool) -> None:
    """Kinds with exactly the target malicious, ransomware and published kind counts."""
    fixed = {"ransomware": target.ransomware}
    for kind in ("phishing", "account_compromise", "system_compromise"):
        if getattr(target, kind) is not None:
            fixed[kind] = getattr(target, kind)
    rest = target.malicious - sum(fixed.values())
    mix = {k: w for k, w in MALICIOUS_MIX.items() if k not in fixed}
    counts = {**fixed, **allocate(rest, mix)}
    non_mal = target.reports - target.malicious - target.undetermined
    counts.update(allocate(non_mal, NON_MALICIOUS_MIX))
    counts["other"] = target.undetermined
    free = list(range(len(rows)))
    for kind, k in counts.items():
        weights = KIND_CATEGORY_WEIGHT.get(kind, {})
        chosen = pick(rng, free, k, _category_weight(weights, pool, rows))
        for i in chosen:
            rows[i].kind = kind
        chosen_set = set(chosen)
        free = [i for i in free if i not in chosen_set]
    assert not free, "every report has a kind"


def generate_year(rng: random.Random, target: YearTarget, pool, now: dt.datetime) -> list[Row]:
    """All reports of one past year, referenced in order of receipt."""
    counts = structure_counts(rng, target.reports, target.structures, target.repeat)
    establishments = assign_establishments(rng, target, pool, counts)
    rows = [Row(year=target.year, establishment=e, created_at=random_moment(rng, target.year))
            for e in establishments]
    rows.sort(key=lambda r: (r.created_at, r.establishment))
    for n, row in enumerate(rows, start=1):
        row.reference = f"VS-{target.year}-{n:05d}"
    assign_kinds(rng, target, rows, pool)
    from vigisante.demo import fields as demo_fields

    demo_fields.shape_year(rng, target, rows, pool, now)
    return rows
