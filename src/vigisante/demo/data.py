"""Synthetic demo data: deterministic generation, separate from the database writes.

`generate(now)` returns plain values (establishments, suppliers, accounts, reports with their
cases) built from a fixed seed; `demo.load` writes them. Everything is fictional and labelled
so: establishment names end with "(fictif)", `Establishment.synthetic` is set, e-mail
addresses are under example.org, phone numbers are in the range reserved for fiction.
Reports of 2019-2024 follow the published observatory figures (see `demo.targets`).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from vigisante.demo import texts
from vigisante.demo.reports import PARIS, Row, generate_year, weighted_order
from vigisante.demo.targets import YEARS, YearTarget, year_targets
from vigisante.establishments.regions import DEPARTEMENTS, REGIONS

SEED = 20190101
DEMO_DOMAIN = "demo.example.org"
DEMO_PASSWORD = "vigisante-demo"
TOKEN_NAME = "demo"
TOTP_DEVICE_NAME = "demo (synthetic)"

CATEGORY_COUNTS = {
    "ehpad": 200, "medico_social": 40, "ch": 250, "chu": 32, "clinic": 120, "espic": 60,
    "clcc": 18, "radiotherapy": 20, "lab": 50, "army": 8, "other": 2,
}
MEDICO_SOCIAL = {"ehpad", "medico_social"}
# Départements with a large population get more establishments.
BIG_DEPARTEMENTS = {
    "06", "13", "31", "33", "34", "35", "38", "44", "59", "62", "67", "69", "75", "76", "77",
    "78", "91", "92", "93", "94", "95",
}
LEGAL_STATUS = {
    "chu": (("public", 1),), "ch": (("public", 1),), "army": (("public", 1),),
    "clinic": (("private_forprofit", 1),), "lab": (("private_forprofit", 1),),
    "radiotherapy": (("private_forprofit", 7), ("public", 3)),
    "espic": (("private_nonprofit", 1),), "clcc": (("private_nonprofit", 1),),
    "ehpad": (("public", 45), ("private_nonprofit", 30), ("private_forprofit", 25)),
    "medico_social": (("private_nonprofit", 7), ("public", 3)),
    "other": (("private_nonprofit", 1),),
}
NIS2 = {
    "chu": (("essential", 1),), "clcc": (("essential", 1),), "army": (("essential", 1),),
    "ch": (("essential", 7), ("important", 3)),
    "clinic": (("important", 60), ("essential", 25), ("unknown", 15)),
    "espic": (("important", 60), ("essential", 25), ("unknown", 15)),
    "lab": (("important", 5), ("not_in_scope", 3), ("unknown", 2)),
    "radiotherapy": (("important", 4), ("not_in_scope", 4), ("unknown", 2)),
    "ehpad": (("not_in_scope", 7), ("important", 1), ("unknown", 2)),
    "medico_social": (("not_in_scope", 7), ("important", 1), ("unknown", 2)),
    "other": (("unknown", 1),),
}
INSURED = {"chu": .6, "ch": .35, "clinic": .5, "espic": .4, "clcc": .5, "lab": .3,
           "radiotherapy": .3, "army": .1, "ehpad": .1, "medico_social": .1, "other": .1}


@dataclass(frozen=True)
class EstablishmentSpec:
    finess: str
    name: str
    category: str
    sector: str
    legal_status: str
    region: str
    departement: str
    nis2_status: str
    insured: bool
    town: str = ""


@dataclass(frozen=True)
class AccountSpec:
    email: str
    role: str
    full_name: str
    establishments: tuple[int, ...] = ()
    demo: bool = False  # a login handed out by `vigisante demo` (others cannot log in)
    scope: tuple[str, str] | None = None  # an authority's (authority, region)

    @property
    def totp_key(self) -> bytes:
        """The fixed, public second-factor secret of a demo staff account."""
        return hashlib.sha1(f"vigisante-demo-totp:{self.email}".encode()).digest()

    @property
    def totp_secret(self) -> str:
        """The same secret in base32, as authenticator apps take it."""
        return base64.b32encode(self.totp_key).decode()


@dataclass
class DemoData:
    seed: int
    establishments: list[EstablishmentSpec]
    suppliers: list[tuple[str, str]]
    accounts: list[AccountSpec]
    rows: list[Row]
    targets: dict[int, YearTarget]
    featured: dict[str, int] = field(default_factory=dict)

    @property
    def analysts(self) -> list[AccountSpec]:
        return [a for a in self.accounts if a.role == "analyst"]


def demo_totp_key(email: str) -> bytes:
    """The second-factor secret a demo staff account was given."""
    return AccountSpec(email=email.lower(), role="", full_name="").totp_key


def _choice(rng: random.Random, pairs) -> str:
    return rng.choices([p for p, _w in pairs], weights=[w for _p, w in pairs])[0]


def generate_establishments(rng: random.Random) -> list[EstablishmentSpec]:
    """A few hundred fictional structures in every region and category."""
    depts = list(DEPARTEMENTS)

    def dept_weight(d: str) -> float:
        return 2.5 if d in BIG_DEPARTEMENTS else 0.5 if d in ("2A", "2B") else 1.0

    plan: list[tuple[str, str]] = []  # (category, département)
    # A public hospital in every region first, so that all of them are present.
    first_dept: dict[str, str] = {}
    for d in depts:
        first_dept.setdefault(DEPARTEMENTS[d][1], d)
    for region in sorted(REGIONS):
        plan.append(("ch", first_dept[region]))
    for d in weighted_order(rng, depts, dept_weight)[:CATEGORY_COUNTS["chu"]]:
        plan.append(("chu", d))
    for category, count in CATEGORY_COUNTS.items():
        already = sum(1 for c, _d in plan if c == category)
        for _ in range(count - already):
            plan.append((category, rng.choices(depts, weights=[dept_weight(d) for d in depts])[0]))
    used_towns, used_finess = {"Valbrune"}, set()
    out: list[Any] = []
    for category, dept in plan:
        town_name = "Valbrune" if not out else texts.town(rng, used_towns)
        while True:
            finess = f"{dept}{rng.randrange(10 ** 7):07d}"
            if finess not in used_finess:
                used_finess.add(finess)
                break
        out.append(EstablishmentSpec(
            finess=finess, name=texts.establishment_name(category, town_name, rng),
            category=category,
            sector="medico_social" if category in MEDICO_SOCIAL else "health",
            legal_status=_choice(rng, LEGAL_STATUS[category]),
            region=DEPARTEMENTS[dept][1], departement=dept,
            nis2_status=_choice(rng, NIS2[category]),
            insured=rng.random() < INSURED[category], town=town_name,
        ))
    return out


def authority_accounts(pool: list[EstablishmentSpec],
                       featured: dict[str, int]) -> list[AccountSpec]:
    """The regional health agencies of the featured hospital's and EHPAD's regions (two
    regions), and the ministry: its defence and security official and its health
    directorate."""
    d = DEMO_DOMAIN
    first = pool[featured["ch"]].region
    second = pool[featured["ehpad"]].region
    if second == first:
        second = next(e.region for e in pool if e.region != first)
    return [
        AccountSpec(f"ars.{first.lower()}@{d}", "authority", f"ARS {first} (démo)", demo=True,
                    scope=("ars", first)),
        AccountSpec(f"ars.{second.lower()}@{d}", "authority", f"ARS {second} (démo)",
                    demo=True, scope=("ars", second)),
        AccountSpec(f"hfds@{d}", "authority", "HFDS du ministère (démo)", demo=True,
                    scope=("hfds", "")),
        AccountSpec(f"dgs@{d}", "authority", "DGS, veille sanitaire (démo)", demo=True,
                    scope=("dgs", "")),
    ]


def generate_accounts(pool: list[EstablishmentSpec], featured: dict[str, int]) -> list[AccountSpec]:
    """The demo logins, colleagues of the CERT, and one reporter per establishment."""
    d = DEMO_DOMAIN
    accounts = [
        AccountSpec(f"analyste@{d}", "analyst", "Analyste CERT (démo)", demo=True),
        AccountSpec(f"admin@{d}", "admin", "Administrateur (démo)", demo=True),
        AccountSpec(f"observateur@{d}", "observer", "Observateur (démo)", demo=True),
        AccountSpec(f"rssi.valbrune@{d}", "reporter", "RSSI du CH de Valbrune (démo)",
                    (featured["ch"],), demo=True),
        AccountSpec(f"direction.ehpad@{d}", "reporter", "Direction de l'EHPAD (démo)",
                    (featured["ehpad"],), demo=True),
        AccountSpec(f"dsi.groupe@{d}", "reporter", "DSI d'un groupe privé (démo)",
                    (featured["clinic"], featured["lab"]), demo=True),
        *authority_accounts(pool, featured),
        AccountSpec(f"analyste2@{d}", "analyst", "Analyste CERT 2 (fictif)"),
        AccountSpec(f"analyste3@{d}", "analyst", "Analyste CERT 3 (fictif)"),
    ]
    for i, est in enumerate(pool):
        accounts.append(AccountSpec(f"signalement.{est.finess.lower()}@{d}", "reporter",
                                    f"Référent sécurité {est.finess} (fictif)", (i,)))
    return accounts


def generate(now: dt.datetime, seed: int = SEED, published=None) -> DemoData:
    """The whole synthetic data set; the same for the same seed and `now`."""
    if now.astimezone(PARIS).year <= max(YEARS):
        raise ValueError("the live demo reports belong to a year after the published ones")
    rng = random.Random(f"{seed}-establishments")
    pool = generate_establishments(rng)
    featured = {
        "ch": 0,
        "ehpad": next(i for i, e in enumerate(pool) if e.category == "ehpad"),
        "clinic": next(i for i, e in enumerate(pool) if e.category == "clinic"),
        "lab": next(i for i, e in enumerate(pool) if e.category == "lab"),
    }
    targets = year_targets(published)
    rows: list[Row] = []
    for year in YEARS:
        rows += generate_year(random.Random(f"{seed}-{year}"), targets[year], pool, now)
    from vigisante.demo.live import live_rows

    rows += live_rows(random.Random(f"{seed}-live"), pool, featured, now)
    return DemoData(seed=seed, establishments=pool, suppliers=list(texts.SUPPLIERS),
                    accounts=generate_accounts(pool, featured), rows=rows, targets=targets,
                    featured=featured)
