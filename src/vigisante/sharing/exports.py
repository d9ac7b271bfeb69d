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

from vigisante.indicators.models import Campaign, Indicator, IndicatorQuerySet
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


def _shareable(qs: IndicatorQuerySet) -> list[Indicator]:
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
    if alert.campaign_id and alert.campaign is not None:
        campaign_name = campaign_view(alert.campaign).name or None
    return stix.bundle(stix.alert_objects(
        alert, _shareable(alert.indicators.all()), campaign=alert.campaign,
        campaign_name=campaign_name, malware=[alert.malware] if alert.malware else [],
        creator=who), creator=who)


def indicators_stix(indicators: IndicatorQuerySet) -> dict[str, Any]:
    """The STIX 2.1 bundle of indicators (only the shareable ones)."""
    who = creator()
    return stix.bundle(stix.indicator_objects(_shareable(indicators), creator=who),
                       creator=who)


# -- MISP ---------------------------------------------------------------------------------------

def _rsit_many(campaign_ids) -> dict[int, list[tuple[str, str]]]:
    """campaign id -> the RSIT classification the CERT gave most of its reports (a campaign's
    reports are qualified one by one: the most frequent one says what the campaign is)."""
    from collections import Counter

    from vigisante.triage.models import Case

    ids = {c for c in campaign_ids if c}
    if not ids:
        return {}
    counts: dict[int, Counter] = {}
    for campaign_id, klass, kind in Case.objects.filter(
            report__campaign_memberships__campaign_id__in=ids).exclude(rsit_class="") \
            .exclude(rsit_type="").values_list("report__campaign_memberships__campaign_id",
                                                "rsit_class", "rsit_type"):
        if campaign_id in ids:
            counts.setdefault(campaign_id, Counter())[(klass, kind)] += 1
    return {k: [min(c.items(), key=lambda item: (-item[1], item[0]))[0]]
            for k, c in counts.items()}


def _rsit(campaign_id: int | None) -> list[tuple[str, str]]:
    return _rsit_many([campaign_id]).get(campaign_id, []) if campaign_id else []


def _alert_event(alert: Alert, indicators, rsit) -> dict[str, Any]:
    from vigisante.sharing import misp

    changed = max(t for t in (alert.created_at, alert.updated_at, alert.sent_at) if t)
    return misp.event(key=f"alert/{alert.pk}", info=alert.title,
                      date=(alert.sent_at or alert.created_at).date(), changed=changed,
                      tlp=alert.tlp, indicators=indicators, rsit=rsit, creator=creator_name())


def alert_misp(alert: Alert) -> dict[str, Any]:
    """The MISP event of an alert."""
    return _alert_event(alert, _shareable(alert.indicators.all()), _rsit(alert.campaign_id))


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


def _feed_alerts(user) -> QuerySet[Alert]:
    from vigisante.core import access

    return access.restrict(Alert.objects.sent(), user, "view").order_by("pk")


def _feed_campaigns(user) -> QuerySet[Campaign] | None:
    from vigisante.core import access
    from vigisante.indicators.models import CampaignStatus

    if not access.allowed(user, "export", Campaign):
        return None
    return access.restrict(Campaign.objects.filter(
        status__in=[CampaignStatus.CONFIRMED, CampaignStatus.CLOSED]), user, "export") \
        .order_by("pk")


def _alert_events(alerts: list[Alert]) -> list[dict[str, Any]]:
    """The events of several alerts in three queries, whatever their number."""
    from vigisante.indicators.models import Status

    through = Alert.indicators.through
    by_alert: dict[int, list[Indicator]] = {}
    rows = through.objects.filter(
        alert_id__in=[a.pk for a in alerts], indicator__status=Status.CONFIRMED,
        indicator__noisy=False).select_related("indicator").order_by(
        "indicator__type", "indicator__value")
    for row in rows:
        by_alert.setdefault(row.alert_id, []).append(row.indicator)
    rsit = _rsit_many(a.campaign_id for a in alerts)
    return [_alert_event(a, by_alert.get(a.pk, []),
                         rsit.get(a.campaign_id, []) if a.campaign_id else [])
            for a in alerts]


def feed_events(user) -> list[dict[str, Any]]:
    """The MISP events of the feed `user` may fetch: the sent alerts it may see, and for the
    CERT's staff the confirmed and closed campaigns too."""
    events = _alert_events(list(_feed_alerts(user)))
    campaigns = _feed_campaigns(user)
    if campaigns is not None:
        events += [campaign_misp(c) for c in campaigns]
    return events


def feed_event(user, event_uuid: str) -> dict[str, Any] | None:
    """One event of the user's feed by its uuid, built alone (None when not in the feed)."""
    from vigisante.sharing import misp

    name = creator_name()
    for pk in _feed_alerts(user).values_list("pk", flat=True):
        if misp.misp_uuid(name, f"alert/{pk}") == event_uuid:
            return alert_misp(Alert.objects.get(pk=pk))
    campaigns = _feed_campaigns(user)
    for pk in campaigns.values_list("pk", flat=True) if campaigns is not None else ():
        if misp.misp_uuid(name, f"campaign/{pk}") == event_uuid:
            return campaign_misp(Campaign.objects.get(pk=pk))
    return None
