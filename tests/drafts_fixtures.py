"""Reports to draft from, at fixed times: complete, partial, and late (GDPR after 72 h).

Times are fixed (discovery on 14 March 2026, 08:30 Paris) so that drafts are byte-stable and
can be compared with the golden files in tests/golden/drafts/.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from vigisante.clocks import services as clocks
from vigisante.drafts import services as drafts
from vigisante.indicators.models import Indicator, Sighting, SightingSource, Status
from vigisante.reports import services as reports
from vigisante.reports.models import Report
from vigisante.triage import services as triage

PARIS = ZoneInfo("Europe/Paris")
DISCOVERED = dt.datetime(2026, 3, 14, 8, 30, tzinfo=PARIS)
RECEIVED = dt.datetime(2026, 3, 14, 9, 10, tzinfo=PARIS)
NOW = dt.datetime(2026, 3, 15, 11, 0, tzinfo=PARIS)  # 26.5 h after discovery
LATE_NOW = dt.datetime(2026, 3, 17, 17, 0, tzinfo=PARIS)  # 80.5 h after discovery

FULL_FACTS = {
    "people_categories": "Patients hospitalisés et consultants du service d'imagerie",
    "likely_consequences": "Divulgation possible de comptes rendus d'imagerie ; risque "
                           "d'hameçonnage ciblé des patients.",
    "measures_proposed": "Information individuelle des patients ; surveillance des sites de "
                         "fuite ; réinitialisation des comptes.",
    "advice_to_people": "Méfiez-vous des appels ou courriels se réclamant de l'hôpital.",
    "cross_border": "Non : aucun prestataire ni patient hors de France identifié.",
    "status_update": "Les serveurs d'imagerie sont restaurés à 60 %.",
    "mitigation_ongoing": "Reconstruction de l'annuaire ; filtrage renforcé en sortie.",
    "ransom_channel": "Note de rançon sur les écrans et adresse de contact sur un site .onion.",
    "losses": "Activité d'imagerie réduite de moitié pendant quatre jours.",
    "complaint_reference": "PV 2026/0314-117",
    "insurer": "Mutuelle des Hôpitaux Assurances (fictive)",
    "policy_number": "CYB-0042-7781",
}


def _at(report: Report, *, discovered: dt.datetime, received: dt.datetime) -> Report:
    Report.objects.filter(pk=report.pk).update(discovered_at=discovered, created_at=received)
    report.refresh_from_db()
    clocks.recompute(report)
    return report


def make_complete(est, reporter, analyst) -> Report:
    """A ransomware attack on imaging, with every fact the drafts ask for."""
    est.town, est.insured = "Valbrune", True
    est.dpo_name, est.dpo_email, est.dpo_phone = ("Claire Martin", "dpo@ch-valbrune.example",
                                                  "+33 1 23 45 67 89")
    est.save()
    reporter.full_name, reporter.phone = "Paul Durand", "+33 6 12 34 56 78"
    reporter.save()
    report = reports.create_early_warning(actor=reporter, data=dict(
        establishment=est, description="Chiffrement des serveurs d'imagerie ; note de rançon "
        "affichée sur les postes de radiologie.", discovered_at=DISCOVERED, ongoing=True,
        suspected_malicious="yes", patient_care_affected="yes", support_requested=True,
        callback_phone="+33 6 12 34 56 78"))
    report = _at(report, discovered=DISCOVERED, received=RECEIVED)
    reports.save_notification(actor=reporter, report_id=report.pk, data=dict(
        systems_hit=["imaging", "directory"], perimeter="Plateau d'imagerie, annuaire",
        operations_impact="degraded", degraded_since=DISCOVERED + dt.timedelta(hours=1),
        patient_danger="potential", patient_danger_narrative="Examens d'imagerie reportés.",
        data_availability=True, data_confidentiality=True, personal_data=True,
        health_data=True, people_affected=1200, records_affected=45000, ransom_demanded=True,
        measures_taken="Isolement du réseau d'imagerie ; restauration depuis les sauvegardes."),
        complete=True)
    Report.objects.filter(pk=report.pk).update(
        notification_at=dt.datetime(2026, 3, 14, 18, 0, tzinfo=PARIS))
    report.refresh_from_db()
    clocks.recompute(report)
    triage.qualify(actor=analyst, report_id=report.pk, origin="malicious", kind="ransomware")
    clocks.recompute(report.pk)
    for kind, value in (("ipv4", "203.0.113.66"), ("domain", "lockpay-support.example")):
        ind = Indicator.objects.create(type=kind, value=value, status=Status.CONFIRMED,
                                       first_seen=RECEIVED, last_seen=RECEIVED)
        Sighting.objects.create(report=report, indicator=ind, source=SightingSource.REPORT,
                                created_at=RECEIVED)
    drafts.save_facts(actor=reporter, report_id=report.pk, data=FULL_FACTS)
    return report


def make_partial(est, reporter, discovered: dt.datetime = DISCOVERED,
                 received: dt.datetime = RECEIVED) -> Report:
    """An early warning, then only "personal data involved": most facts are missing."""
    report = reports.create_early_warning(actor=reporter, data=dict(
        establishment=est, description="Messagerie compromise, envoi de courriels frauduleux.",
        discovered_at=discovered, ongoing=True, suspected_malicious="unknown",
        patient_care_affected="no", support_requested=False, callback_phone=""))
    report = _at(report, discovered=discovered, received=received)
    reports.save_notification(actor=reporter, report_id=report.pk,
                              data={"personal_data": True})
    clocks.recompute(report.pk)
    report.refresh_from_db()
    return report
