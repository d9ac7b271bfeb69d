"""The regulatory drafts of the demo: the featured establishments have a data-protection
officer, and the newest recent report of a demo reporter with a running GDPR clock has its
CNIL notification drafted, completed and recorded as sent (so the clock shows as met)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from vigisante.demo.data import DemoData

DPO = {
    "ch": ("Claire Martin (fictive)", "dpo@ch-valbrune.demo.example.org"),
    "ehpad": ("Louis Bernard (fictif)", "dpo@ehpad.demo.example.org"),
    "clinic": ("Inès Robert (fictive)", "dpo@clinique.demo.example.org"),
    "lab": ("Inès Robert (fictive)", "dpo@clinique.demo.example.org"),
}
FACTS = {
    "people_categories": "Patients hospitalisés et consultants (fictif)",
    "likely_consequences": "Divulgation possible de données de santé ; risque d'hameçonnage "
                           "ciblé des patients (fictif).",
    "measures_proposed": "Information individuelle des patients ; surveillance des sites de "
                         "fuite (fictif).",
    "advice_to_people": "Méfiez-vous des appels et courriels se réclamant de l'hôpital.",
}


def seed(data: DemoData, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    from vigisante.accounts.models import User
    from vigisante.clocks.models import Clock
    from vigisante.drafts import services as drafts
    from vigisante.establishments.models import Establishment

    for kind, (name, email) in DPO.items():
        index = data.featured.get(kind)
        if index is not None:
            Establishment.objects.filter(finess=data.establishments[index].finess).update(
                dpo_name=name, dpo_email=email)
    # The printed demo reporters (not the registry's other accounts): one of their recent
    # reports with a running GDPR clock, the newest.
    reporters = User.objects.filter(email__in=[a.email for a in data.accounts
                                               if a.demo and a.role == "reporter"])
    recent = dt.datetime.now(dt.UTC) - dt.timedelta(days=30)
    clock = (Clock.objects.filter(regime="gdpr_breach", state="due",
                                  report__created_at__gte=recent,
                                  report__establishment__members__in=reporters)
             .select_related("report").order_by("-report__created_at").first())
    if clock is None:
        log("drafts: no report with a running GDPR clock to draft from")
        return {"drafts_sent": 0}
    reporter = reporters.filter(establishments=clock.report.establishment_id).first()
    report = clock.report
    drafts.save_facts(actor=reporter, report_id=report.pk, data=FACTS)
    drafts.build(actor=reporter, report_id=report.pk, kind="gdpr_notification")
    sent_at = max(report.created_at, report.discovered_at) + dt.timedelta(minutes=45)
    drafts.record_sent(actor=reporter, report_id=report.pk, kind="gdpr_notification",
                       sent_at=min(sent_at, dt.datetime.now(dt.UTC)),
                       reference="CNIL-DEMO-0001 (fictif)")
    log(f"drafts: the CNIL notification of {report.reference} recorded as sent")
    return {"drafts_sent": 1, "drafts_report": report.reference}
