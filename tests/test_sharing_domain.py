"""Pure rules of alerts (targets, TLP, anonymity guard), and targets resolved by one query."""

from __future__ import annotations

import itertools
import random

import pytest
from conftest import make_establishment
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigisante.establishments.models import Category, Nis2Status, Sector, Supplier, SupplierUse
from vigisante.establishments.regions import DEPARTEMENTS
from vigisante.sharing import domain
from vigisante.sharing.domain import Guard, Targets
from vigisante.sharing.targeting import targeted

REGIONS_USED = ["IDF", "ARA", "BRE", "OCC"]
DEPTS = {"IDF": "75", "ARA": "69", "BRE": "35", "OCC": "31"}


def test_targets_errors():
    assert domain.targets_error(Targets()) is not None
    assert "not both" in domain.targets_error(Targets(everyone=True,
                                                      region=frozenset({"IDF"})))
    assert domain.targets_error(Targets(everyone=True)) is None
    assert domain.targets_error(Targets(suppliers=frozenset({3}))) is None


def test_matches_is_and_between_criteria_or_within():
    t = Targets(category=frozenset({"ch", "chu"}), region=frozenset({"IDF"}))
    attrs = dict(sector="health", nis2_status="essential")
    assert domain.matches(t, category="ch", region="IDF", **attrs)
    assert domain.matches(t, category="chu", region="IDF", **attrs)
    assert not domain.matches(t, category="ch", region="ARA", **attrs)
    assert not domain.matches(t, category="lab", region="IDF", **attrs)
    s = Targets(suppliers=frozenset({1, 2}))
    assert domain.matches(s, category="lab", region="ARA", suppliers={2, 9}, **attrs)
    assert not domain.matches(s, category="lab", region="ARA", suppliers={9}, **attrs)
    assert domain.matches(Targets(everyone=True), category="x", region="y", **attrs)
    assert not domain.matches(Targets(), category="ch", region="IDF", **attrs)


def test_tlp_order():
    assert domain.tlp_error("green", ["clear", "green"]) is None
    assert "TLP:AMBER" in domain.tlp_error("green", ["amber", "clear"])
    assert domain.tlp_error("red", ["amber+strict"]) is None
    assert domain.tlp_error("amber", []) is None


# -- Anonymity guard ---------------------------------------------------------------------------

def guard_of_valbrune() -> Guard:
    ids = domain.identities(
        name="Centre hospitalier de Valbrune (fictif)", finess="750000011", town="Valbrune",
        references=["VS-2026-00042"], emails=["rssi@ch-valbrune.example"],
        phones=["+33 6 12 34 56 78"], people=["Jeanne Martin"])
    return Guard(identities=ids, free_texts=[
        "Les écrans des urgences affichent une demande de rançon depuis ce matin sept heures"])


@pytest.mark.parametrize("text,kind", [
    ("Le CENTRE HOSPITALIER DE VALBRUNE a été touché", "name"),
    ("comme au CH de Valbrune", "town"),
    ("FINESS 75 000 001 1", "finess"),
    ("suite au signalement vs-2026-00042", "reference"),
    ("écrivez à RSSI@ch-valbrune.example", "contact"),
    ("appelez le 06.12.34.56.78", "contact"),
    ("appelez le +33612345678", "contact"),
    ("Mme jeanne MARTIN a signalé", "contact"),
    ("Constat : les ecrans des urgences affichent une demande de rancon depuis hier",
     "free_text"),
])
def test_guard_finds_identities_whatever_the_case_accents_and_spacing(text, kind):
    leaks = guard_of_valbrune().leaks({"situation": text})
    assert kind in {leak.kind for leak in leaks}, leaks
    message = leaks[0].message("What is happening")
    assert "What is happening" in message and "remove it" in message


@pytest.mark.parametrize("text", [
    "Une vague d'hameçonnage vise les établissements de santé de plusieurs régions.",
    "Bloquez 192.0.2.15 et le domaine facture-sante.example ; changez les mots de passe.",
    "Valbrunette est un autre nom",  # a word that only starts like the town
    "Le 7500000110 n'est pas un FINESS de la liste",
    "Les écrans des urgences affichent un message",  # fewer than 8 words in common
])
def test_guard_lets_ordinary_alert_text_through(text):
    assert guard_of_valbrune().leaks({"situation": text}) == []


def test_name_core_drops_generic_words():
    assert domain.name_core("Centre hospitalier de Valbrune (fictif)") == "valbrune"
    assert domain.name_core("Clinique du Parc") == ""  # too short to tell one apart
    assert domain.name_core("EHPAD Les Tilleuls de Montfleury (fictif)") == \
        "tilleuls montfleury"


@given(st.text(min_size=0, max_size=60), st.text(min_size=0, max_size=60),
       st.sampled_from(["Valbrune", "VALBRUNE", "valbrune", "Vâlbrüne", "VS-2026-00042",
                        "750000011", "rssi@ch-valbrune.example"]))
@settings(max_examples=200, deadline=None)
def test_guard_finds_an_identity_anywhere(before, after, identity):
    text = f"{before} {identity} {after}"
    assert guard_of_valbrune().leaks({"title": text}), text


@given(st.text(max_size=200))
@settings(max_examples=200, deadline=None)
def test_guard_never_crashes_on_any_text(text):
    guard_of_valbrune().leaks({"title": text, "actions": text * 3})


# -- Targets resolved by one query, checked against the pure rule -------------------------------

@pytest.fixture
def pool(db):
    """A fixed set of establishments crossing every attribute, some customers of suppliers."""
    rng = random.Random(7)
    suppliers = [Supplier.objects.create(name=f"Supplier {i} (synthetic)") for i in range(4)]
    establishments = []
    combos = itertools.product(Category.values[:5], REGIONS_USED, Nis2Status.values)
    for n, (category, region, nis2) in enumerate(combos):
        if rng.random() < 0.5:
            continue
        dept = DEPTS[region]
        assert dept in DEPARTEMENTS
        est = make_establishment(f"{dept}{n:07d}", f"Est {n} (synthetic)", category=category,
                                 region=region, nis2_status=nis2,
                                 sector=rng.choice(Sector.values))
        for supplier in rng.sample(suppliers, rng.randrange(3)):
            SupplierUse.objects.create(establishment=est, supplier=supplier,
                                       product=rng.choice(["", "DPI", "PACS"]))
        establishments.append(est)
    return establishments, suppliers


def _subset(values):
    return st.frozensets(st.sampled_from(values), max_size=3)


@st.composite
def targets(draw, supplier_ids):
    if draw(st.booleans()) and draw(st.booleans()):
        return Targets(everyone=True)
    return Targets(category=draw(_subset(Category.values[:6])),
                   sector=draw(_subset(Sector.values)), region=draw(_subset(REGIONS_USED)),
                   nis2_status=draw(_subset(Nis2Status.values)),
                   suppliers=draw(_subset(supplier_ids)))


def test_targeted_query_agrees_with_the_pure_rule(pool, django_assert_num_queries):
    establishments, suppliers = pool
    uses = {}
    for use in SupplierUse.objects.all():
        uses.setdefault(use.establishment_id, set()).add(use.supplier_id)

    @given(targets([s.pk for s in suppliers]))
    @settings(max_examples=80, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    def check(t):
        expected = {e.pk for e in establishments if domain.matches(
            t, category=e.category, sector=e.sector, region=e.region,
            nis2_status=e.nis2_status, suppliers=uses.get(e.pk, set()))}
        with django_assert_num_queries(0 if t.is_empty else 1):
            got = set(targeted(t).values_list("pk", flat=True))
        assert got == expected

    check()
    assert set(targeted(Targets(everyone=True)).values_list("pk", flat=True)) == {
        e.pk for e in establishments}
