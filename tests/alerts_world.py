"""A campaign over several establishments, for the alerts tests: reports filed through the
real service, confirmed indicators sighted in them, recipients with reporters."""

from __future__ import annotations

from dataclasses import dataclass, field

from conftest import make_establishment, make_user
from django.utils import timezone

from vigisante.accounts.models import Role, User
from vigisante.establishments.models import Establishment, Supplier, SupplierUse
from vigisante.indicators.models import Campaign, CampaignReport, Indicator, Sighting
from vigisante.reports import services as report_services
from vigisante.reports.models import Report, ReportUpdate
from vigisante.sharing import services
from vigisante.sharing.domain import Targets

VICTIMS = [
    # (finess, name, town, region, category)
    ("750000011", "Centre hospitalier de Valbrune (synthetic)", "Valbrune", "IDF", "ch"),
    ("690000022", "Clinique Sainte-Odile de Montfleury (synthetic)", "Montfleury", "ARA",
     "clinic"),
    ("350000033", "EHPAD Les Tilleuls de Kerlannoy (synthetic)", "Kerlannoy", "BRE", "ehpad"),
    ("310000044", "Laboratoire Ravel de Pontorme (synthetic)", "Pontorme", "OCC", "lab"),
]
INDICATORS = [("ipv4", "192.0.2.45"), ("domain", "facture-sante.example"),
              ("url", "https://facture-sante.example/dossier"),
              ("email", "compta@facture-sante.example"),
              ("sha256", "a" * 64)]


@dataclass
class World:
    victims: list[Establishment]
    reporters: list[User]
    reports: list[Report]
    indicators: list[Indicator]
    campaign: Campaign
    bystander: Establishment
    bystander_reporter: User
    analyst: User
    supplier: Supplier
    secrets: list[str] = field(default_factory=list)


def build(analyst: User | None = None) -> World:
    now = timezone.now()
    analyst = analyst or make_user("analyst.world@example.org", Role.ANALYST)
    supplier = Supplier.objects.create(name="Hexa Santé (synthetic)")
    victims, reporters, reports = [], [], []
    for i, (finess, name, town, region, category) in enumerate(VICTIMS):
        sector = "medico_social" if category == "ehpad" else "health"
        est = make_establishment(finess, name, town=town, region=region, category=category,
                                 sector=sector)
        reporter = make_user(f"rssi{i}@{town.lower()}-sante.example", establishments=[est])
        User.objects.filter(pk=reporter.pk).update(full_name=f"Camille Durand{i}",
                                                   phone=f"+33 6 00 00 0{i} 1{i}")
        reporter.refresh_from_db()
        report = report_services.create_early_warning(actor=reporter, data=dict(
            establishment=est, discovered_at=now - timezone.timedelta(hours=2 + i),
            description=f"Chez nous à {town}, des agents ont reçu un courriel de fausse "
                        f"facture envoyé depuis compta@facture-sante.example ; le poste "
                        f"numéro {i} du service de radiologie a cliqué sur le lien.",
            ongoing=True, suspected_malicious="yes", patient_care_affected="no",
            support_requested=False, callback_phone=f"+33 1 40 00 00 0{i}"))
        ReportUpdate.objects.create(report=report, author=reporter, created_at=now,
                                    text=f"Mise à jour : le directeur {town} a coupé la "
                                         "messagerie du site principal pendant deux heures.")
        SupplierUse.objects.create(establishment=est, supplier=supplier, product="DPI Hexa")
        victims.append(est)
        reporters.append(reporter)
        reports.append(report)
    indicators = [Indicator.objects.create(type=t, value=v, status="confirmed", tlp="green",
                                           confidence=80, first_seen=now, last_seen=now,
                                           reviewed_by=analyst, reviewed_at=now)
                  for t, v in INDICATORS]
    for report in reports:
        for indicator in indicators:
            Sighting.objects.create(report=report, indicator=indicator, source="report",
                                    created_at=now)
    campaign = Campaign.objects.create(name="Fausses factures (synthetic)", status="confirmed",
                                       summary="Valbrune first", created_at=now,
                                       confirmed_by=analyst, confirmed_at=now)
    for report in reports:
        CampaignReport.objects.create(campaign=campaign, report=report, added_at=now,
                                      added_by=analyst)
    bystander = make_establishment("130000055", "Hôpital de Bellac (synthetic)", town="Bellac",
                                   region="PAC")
    bystander_reporter = make_user("rssi@bellac.example", establishments=[bystander])
    return World(victims, reporters, reports, indicators, campaign, bystander,
                 bystander_reporter, analyst, supplier)


def identifying_values(world: World) -> list[str]:
    """Every value that would identify a reporting establishment."""
    out = []
    for est, reporter, report in zip(world.victims, world.reporters, world.reports,
                                     strict=True):
        out += [est.name, est.finess, est.town, report.reference, reporter.email,
                reporter.full_name, reporter.phone, report.callback_phone,
                report.description[:40]]
        out += [u.text[:40] for u in report.updates.all()]
    return out


def draft(world: World, **overrides) -> services.Draft:
    values = dict(
        title="Vague de fausses factures visant les établissements de santé",
        situation="Des courriels de fausse facture circulent depuis hier ; ils mènent à une "
                  "page qui vole les mots de passe de messagerie.",
        actions="Bloquez les indicateurs ci-dessous, prévenez les services administratifs et "
                "changez les mots de passe des comptes qui ont cliqué.",
        tlp="green", indicators=list(world.indicators), targets=Targets(everyone=True),
        campaign=world.campaign)
    values.update(overrides)
    return services.Draft(**values)
