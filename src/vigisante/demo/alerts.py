"""Early warning in the demo: synthetic indicators in recent reports, two campaigns and the
alerts the CERT sent from them (issue 7).

Everything goes through the real services: each chosen report gets an update naming the
indicators, `indicators.services.ingest_report` extracts and correlates them, an analyst
confirms them (`review`), names and confirms the campaigns, writes the alerts and sends them
(`sharing.services`, anonymity guard included). Indicator values are fictitious: the
documentation address ranges (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24) and names under
.example, .test and .invalid. The registry records which establishments use which supplier.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone

from vigisante.demo.data import DEMO_DOMAIN, DemoData

PHISHING_REPORTS = 12
SUPPLIER_REPORTS = 4
PHISHING_TEXT = (
    "Courriels de fausse facture reçus par plusieurs agents, expéditeur "
    "facturation@paiement-sante.example (réponse vers relance@paiement-sante.example), "
    "lien hxxps://portail.paiement-sante[.]example/facture/consulter.php, serveur 192.0.2.45, "
    "pièce jointe facture_1342.zip (SHA-256 "
    "5f0c3a1e9b7d4c2a8e6f1b3d5c7a9e0f2b4d6c8a0e1f3b5d7c9a2e4f6b8d0c1a)."
)
SUPPLIER_TEXT = (
    "Le prestataire signale une mise à jour piégée de son agent de télémaintenance : le poste "
    "contacte update.telemaintenance-gamma.test (198.51.100.23) et c2.relais-gamma.invalid "
    "(203.0.113.77) ; binaire agent_maj.exe, SHA-256 "
    "9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9."
)
# Names under reserved TLDs (.example, .test, .invalid): the extraction engine rightly keeps
# them out of real reports, so the demo records them as the analyst's own entries.
PHISHING_NAMES = [("email", "facturation@paiement-sante.example"),
                  ("email", "relance@paiement-sante.example"),
                  ("domain", "portail.paiement-sante.example"),
                  ("url", "https://portail.paiement-sante.example/facture/consulter.php")]
SUPPLIER_NAMES = [("domain", "update.telemaintenance-gamma.test"),
                  ("domain", "c2.relais-gamma.invalid")]
SUPPLIER = "Hébergeur de données de santé Gamma (fictif)"


def seed(data: DemoData, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Load the early-warning part of the demo (inside the demo's seed transaction)."""
    from vigisante.accounts.models import User

    analyst = User.objects.get(email=f"analyste@{DEMO_DOMAIN}")
    supplier, customers = _registry(data)
    phishing, compromise = _choose_reports(supplier, customers)
    _add_updates(phishing, PHISHING_TEXT)
    _add_updates(compromise, SUPPLIER_TEXT)
    _ingest_and_confirm(analyst, phishing, PHISHING_NAMES)
    _ingest_and_confirm(analyst, compromise, SUPPLIER_NAMES)
    wave = _campaign(analyst, phishing, "Vague d'hameçonnage « fausse facture » (fictif)",
                     "Courriels de fausse facture menant à une page de vol d'identifiants.")
    breach = _campaign(analyst, compromise,
                       "Compromission de la télémaintenance d'un hébergeur (fictif)",
                       "Mise à jour piégée de l'agent de télémaintenance du prestataire.")
    alerts = _alerts(analyst, wave, breach, supplier)
    log(f"{len(phishing) + len(compromise)} reports with indicators, 2 campaigns, "
        f"{len(alerts)} alerts")
    return {"campaigns": 2, "alerts": len(alerts), "supplier_uses": len(customers)}


def _registry(data: DemoData):
    """Who uses which supplier: every establishment that reported an incident involving a
    supplier is its customer; the hosting supplier of the demo also hosts every tenth one."""
    from vigisante.establishments.models import Establishment, Supplier, SupplierUse
    from vigisante.reports.models import Report

    pairs = set(Report.objects.filter(supplier__isnull=False)
                .values_list("establishment_id", "supplier_id"))
    supplier = Supplier.objects.get(name=SUPPLIER)
    ids = list(Establishment.objects.filter(synthetic=True).order_by("finess")
               .values_list("pk", flat=True))
    pairs |= {(pk, supplier.pk) for pk in ids[::10]}
    SupplierUse.objects.bulk_create(
        [SupplierUse(establishment_id=e, supplier_id=s) for e, s in sorted(pairs)],
        batch_size=500, ignore_conflicts=True)
    customers = set(SupplierUse.objects.filter(supplier=supplier)
                    .values_list("establishment_id", flat=True))
    return supplier, customers


def _choose_reports(supplier, customers: set[int]) -> tuple[list, list]:
    """The latest reports, one per establishment: a dozen for the phishing wave, and four of
    the hosting supplier's customers for its compromise."""
    from vigisante.reports.models import Report

    phishing: list[Any] = []
    compromise: list[Any] = []
    seen: set[int] = set()
    for report in Report.objects.sector().select_related("created_by").order_by(
            "-created_at", "-pk")[:400]:
        if report.establishment_id in seen:
            continue
        if report.establishment_id in customers and len(compromise) < SUPPLIER_REPORTS:
            compromise.append(report)
        elif len(phishing) < PHISHING_REPORTS:
            phishing.append(report)
        else:
            continue
        seen.add(report.establishment_id)
        if len(phishing) == PHISHING_REPORTS and len(compromise) == SUPPLIER_REPORTS:
            break
    return phishing, compromise


def _add_updates(reports: list, text: str) -> None:
    from vigisante.reports.models import ReportUpdate

    now = timezone.now()
    ReportUpdate.objects.bulk_create([
        ReportUpdate(report=r, author=r.created_by, text=text,
                     created_at=min(now, r.created_at + dt.timedelta(minutes=40)))
        for r in reports])


def _ingest_and_confirm(analyst, reports: list, names: list[tuple[str, str]]) -> None:
    """Extract the reports' indicators (the real ingestion), add the reserved-TLD names as
    the analyst's, and confirm every indicator of the demo updates."""
    from vigisante.indicators import services as indicators
    from vigisante.indicators.models import Indicator, Sighting

    now = timezone.now()
    for report in reports:
        indicators.ingest_report(report, actor=None)
    for type_, value in names:
        indicator, _created = Indicator.objects.get_or_create(
            type=type_, value=value, defaults={"first_seen": now, "last_seen": now})
        Sighting.objects.bulk_create(
            [Sighting(report=r, indicator=indicator, source="analyst", created_at=now)
             for r in reports], ignore_conflicts=True)
    ids = (Sighting.objects.filter(report__in=reports, source__in=("update", "analyst"))
           .values_list("indicator_id", flat=True).distinct())
    for indicator in Indicator.objects.filter(pk__in=ids).order_by("type", "value"):
        indicators.review(actor=analyst, indicator=indicator, status="confirmed", tlp="green",
                          confidence=90)


def _campaign(analyst, reports: list, name: str, summary: str):
    """The campaign the correlation made of these reports, named and confirmed."""
    from vigisante.indicators import campaigns
    from vigisante.indicators.models import Campaign, CampaignStatus

    ids = [r.pk for r in reports]
    found = (Campaign.objects.filter(memberships__report_id__in=ids)
             .exclude(status=CampaignStatus.MERGED).order_by("pk").first())
    if found is None:  # correlation left them apart: the analyst groups them by hand
        found = Campaign.objects.create(created_at=timezone.now())
    for report in reports:
        campaigns.add_report(actor=analyst, campaign_id=found.pk, report=report)
    outsiders = list(found.memberships.exclude(report_id__in=ids)
                     .values_list("report_id", flat=True))
    if outsiders:  # linked for another reason: kept apart from this campaign
        campaigns.split(actor=analyst, campaign_id=found.pk, report_ids=outsiders)
    return campaigns.update_campaign(actor=analyst, campaign_id=found.pk, name=name,
                                     summary=summary, status=CampaignStatus.CONFIRMED)


def _alerts(analyst, wave, breach, supplier) -> list:
    from vigisante.accounts.models import Role, User
    from vigisante.sharing import services
    from vigisante.sharing.domain import Targets
    from vigisante.sharing.models import AlertRead, AlertRecipient

    now = timezone.now()
    sent = []
    for campaign, targets, tlp, title, situation, actions, ago in (
        (wave, Targets(everyone=True), "green",
         "Hameçonnage : fausses factures visant les établissements de santé",
         "Depuis plusieurs jours, des agents d'établissements de santé reçoivent des courriels "
         "de fausse facture. Le lien mène à une fausse page de connexion qui vole les mots de "
         "passe de messagerie ; la pièce jointe compressée contient un programme malveillant.",
         "Bloquez les adresses, le lien et le serveur ci-dessous sur la passerelle de "
         "messagerie et le proxy. Cherchez-les dans les journaux des sept derniers jours. "
         "Réinitialisez les mots de passe des comptes qui ont cliqué et prévenez le CERT.",
         dt.timedelta(hours=20)),
        (breach, Targets(suppliers=frozenset({supplier.pk})), "amber",
         "Compromission de l'outil de télémaintenance d'un hébergeur",
         "Une mise à jour piégée de l'agent de télémaintenance d'un hébergeur de données de "
         "santé installe un accès à distance pour les attaquants chez ses clients.",
         "Coupez l'accès de télémaintenance de ce prestataire jusqu'à nouvel ordre, cherchez "
         "les indicateurs ci-dessous sur vos serveurs et signalez tout résultat au CERT.",
         dt.timedelta(hours=3)),
    ):
        draft = services.Draft(title=title, situation=situation, actions=actions, tlp=tlp,
                               indicators=list(campaign.indicators()), targets=targets,
                               campaign=campaign)
        alert = services.save_draft(actor=analyst, draft=draft, now=now - ago)
        alert = services.send(actor=analyst, alert=alert, now=now - ago).alert
        # As if e-mailed when sent: the demo does not print hundreds of e-mails.
        AlertRecipient.objects.filter(alert=alert).update(emailed_at=now - ago)
        sent.append(alert)
    # A third of the other establishments' reporters have read the wave's alert.
    readers = User.objects.filter(
        role=Role.REPORTER, password__startswith="!",
        memberships__establishment__alerts_received__alert=sent[0]).order_by("pk")
    AlertRead.objects.bulk_create(
        [AlertRead(alert=sent[0], user=u, read_at=(sent[0].sent_at or now) + dt.timedelta(hours=1))
         for u in list(readers)[::3]], ignore_conflicts=True)
    return sent
