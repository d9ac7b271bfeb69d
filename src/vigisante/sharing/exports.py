"""What we share about an alert, a campaign or indicators, loaded from the database and
handed to the pure builders (STIX in `sharing.stix`, MISP in `sharing.misp`).

Only shareable indicators (confirmed, not noisy) ever leave. A campaign's name and summary
are analysts' text written for the CERT: they leave only when the anonymity guard finds no
reporting establishment's identity or report text in them; otherwise the campaign is shared
as "Campaign N" without a summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from vigisante.indicators.models import Campaign, Indicator
from vigisante.reports.models import Report
from vigisante.sharing import stix
from vigisante.sharing.models import Alert

INDICATOR_FIELDS = ("id", "type", "value", "tlp", "confidence", "first_seen", "reviewed_at")


def creator_name() -> str:
    return getattr(settings, "SHARING_CREATOR_NAME", stix.builders.DEFAULT_CREATOR)


def creator() -> dict[str, Any]:
    return stix.identity(creator_name())


@dataclass
class CampaignView:
    """A campaign as it may be shared."""

    campaign: Campaign
    name: str
    summary: str
    indicators: list[Indicator] = field(default_factory=list)
    malware: list[str] = field(default_factory=list)
    tlp: str = "amber"


def _shareable(qs: QuerySet[Indicator]) -> list[Indicator]:
    return list(qs.shareable().only(*INDICATOR_FIELDS).order_by("type", "value"))


def campaign_view(campaign: Campaign) -> CampaignView:
    """The campaign's shareable indicators, malware named in its sent alerts, its TLP (the
    strictest of its indicators', at least AMBER) and its name and summary if anonymous."""
    from vigisante.sharing import domain, services

    indicators = _shareable(campaign.indicators())
    reports = Report.objects.filter(campaign_memberships__campaign=campaign)
    guard = services.guard_for_reports(reports)
    leaks = guard.leaks({"name": campaign.name or "", "summary": campaign.summary or ""})
    leaking = {leak.field for leak in leaks}
    tlps = [i.tlp for i in indicators] + ["amber"]
    tlp = max(tlps, key=domain.TLP_ORDER.index)
    malware = sorted({a.malware for a in campaign.alerts.filter(sent_at__isnull=False)
                      if a.malware})
    return CampaignView(
        campaign=campaign,
        name="" if "name" in leaking else campaign.name,
        summary="" if "summary" in leaking else campaign.summary,
        indicators=indicators, malware=malware, tlp=tlp)


def campaign_stix(campaign: Campaign) -> dict[str, Any]:
    """The STIX 2.1 bundle of a campaign."""
    view = campaign_view(campaign)
    who = creator()
    return stix.bundle(stix.campaign_objects(
        campaign, view.indicators, tlp=view.tlp, malware=view.malware, name=view.name or None,
        description=view.summary or None, creator=who), creator=who)


def alert_stix(alert: Alert) -> dict[str, Any]:
    """The STIX 2.1 bundle of an alert (its text passed the anonymity guard to be sent)."""
    who = creator()
    campaign_name = None
    if alert.campaign_id:
        campaign_name = campaign_view(alert.campaign).name or None
    return stix.bundle(stix.alert_objects(
        alert, _shareable(alert.indicators.all()), campaign=alert.campaign,
        campaign_name=campaign_name, malware=[alert.malware] if alert.malware else [],
        creator=who), creator=who)


def indicators_stix(indicators: QuerySet[Indicator]) -> dict[str, Any]:
    """The STIX 2.1 bundle of indicators (only the shareable ones)."""
    who = creator()
    return stix.bundle(stix.indicator_objects(_shareable(indicators), creator=who),
                       creator=who)


# -- MISP ---------------------------------------------------------------------------------------

def _rsit(campaign_id: int | None) -> list[tuple[str, str]]:
    """The RSIT classifications the CERT gave the campaign's reports (no report named)."""
    if not campaign_id:
        return []
    from vigisante.triage.models import Case

    return sorted(set(Case.objects.filter(
        report__campaign_memberships__campaign_id=campaign_id).exclude(rsit_class="")
        .exclude(rsit_type="").values_list("rsit_class", "rsit_type")))


def alert_misp(alert: Alert) -> dict[str, Any]:
    """The MISP event of an alert."""
    from vigisante.sharing import misp

    changed = max(t for t in (alert.created_at, alert.updated_at, alert.sent_at) if t)
    return misp.event(key=f"alert/{alert.pk}", info=alert.title,
                      date=(alert.sent_at or alert.created_at).date(), changed=changed,
                      tlp=alert.tlp, indicators=_shareable(alert.indicators.all()),
                      rsit=_rsit(alert.campaign_id), creator=creator_name())


def campaign_misp(campaign: Campaign) -> dict[str, Any]:
    """The MISP event of a campaign (named only when the name passes the anonymity guard)."""
    from vigisante.sharing import misp

    view = campaign_view(campaign)
    changed = max(t for t in (campaign.created_at, campaign.confirmed_at, campaign.reviewed_at)
                  if t)
    return misp.event(key=f"campaign/{campaign.pk}",
                      info=view.name or f"Campaign {campaign.pk}",
                      date=campaign.created_at.date(), changed=changed, tlp=view.tlp,
                      indicators=view.indicators, rsit=_rsit(campaign.pk),
                      creator=creator_name())


def feed_events(user) -> list[dict[str, Any]]:
    """The MISP events of the feed `user` may fetch: the sent alerts it may see, and for the
    CERT's staff the confirmed and closed campaigns too."""
    from vigisante.core import access
    from vigisante.indicators.models import CampaignStatus

    alerts = access.restrict(Alert.objects.sent(), user, "view").order_by("pk")
    events = [alert_misp(a) for a in alerts.select_related("campaign")]
    if access.allowed(user, "export", Campaign):
        campaigns = access.restrict(Campaign.objects.filter(
            status__in=[CampaignStatus.CONFIRMED, CampaignStatus.CLOSED]), user, "export")
        events += [campaign_misp(c) for c in campaigns.order_by("pk")]
    return events
