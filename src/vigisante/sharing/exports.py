"""What we share about an alert, a campaign or indicators, loaded from the database and
handed to the pure builders (STIX in `sharing.stix`, MISP in `sharing.misp`).

Only shareable indicators (confirmed, not noisy) ever leave. One that was published and then
withdrawn (rejected or found noisy: `Withdrawal`, written by the TAXII publication) is listed
in MISP events as a deleted attribute, and moves the `modified` of the reports and the
timestamp of the events that list it; shared again, its version follows the withdrawal.
A campaign's name and summary
are analysts' text written for the CERT: they leave only when the anonymity guard finds no
reporting establishment's identity or report text in them; otherwise the campaign is shared
as "Campaign N" without a summary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import QuerySet

from vigisante.indicators.models import Campaign, Indicator, IndicatorQuerySet
from vigisante.reports.models import Report
from vigisante.sharing import stix
from vigisante.sharing.models import Alert, Withdrawal

INDICATOR_FIELDS = ("id", "type", "value", "tlp", "confidence", "first_seen", "reviewed_at")
LINKED_FIELDS = (*INDICATOR_FIELDS, "status", "noisy")
#: A version shared again after it was withdrawn comes this long after the withdrawal: MISP
#: timestamps are whole seconds, and the withdrawal's deleted attribute is stamped one second
#: past its own second (misp.deleted_attribute), so the version shared again comes after it.
RESHARED = dt.timedelta(seconds=2)


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
    withdrawn: list[Indicator] = field(default_factory=list)
    changed: dt.datetime | None = None


def _shareable(qs: IndicatorQuerySet) -> list[Indicator]:
    return list(qs.shareable().only(*INDICATOR_FIELDS).order_by("type", "value"))


def withdrawals(indicators: list[Indicator]) -> dict[int, dt.datetime]:
    """indicator pk -> when it was withdrawn from sharing (one query; none: {})."""
    who = creator()
    by_id = {stix.indicator_id(i.type, i.value, who): i.pk for i in indicators}
    if not by_id:
        return {}
    return {by_id[sid]: at for sid, at in Withdrawal.objects.filter(
        stix_id__in=list(by_id)).values_list("stix_id", "withdrawn_at")}


@dataclass
class Linked:
    """The indicators an alert or a campaign lists: those shared (in order), those withdrawn
    after they were shared (each with its `withdrawn_at`), and the latest such change."""

    shared: list[Indicator]
    withdrawn: list[Indicator]
    changed: dt.datetime | None


def linked(indicators: list[Indicator], withdrawn: dict[int, dt.datetime]) -> Linked:
    """Split `indicators` (with LINKED_FIELDS); one shared again after it was withdrawn gets
    the withdrawal plus `RESHARED` as its last change (in memory only)."""
    shared, gone, changes = [], [], []
    for ind in sorted(indicators, key=lambda i: (i.type, i.value)):
        at = withdrawn.get(ind.pk)
        if ind.shareable:
            if at is not None:
                if ind.reviewed_at is None or ind.reviewed_at <= at:
                    ind.reviewed_at = at + RESHARED
                changes.append(ind.reviewed_at)
            shared.append(ind)
        elif at is not None:
            ind.withdrawn_at = at  # type: ignore[attr-defined]
            gone.append(ind)
            changes.append(at)
    return Linked(shared, gone, max(changes) if changes else None)


def _linked(qs: IndicatorQuerySet) -> Linked:
    indicators = list(qs.only(*LINKED_FIELDS))
    return linked(indicators, withdrawals(indicators))


def campaign_view(campaign: Campaign) -> CampaignView:
    """The campaign's shareable indicators, malware named in its sent alerts, its TLP (the
    strictest of its indicators', at least AMBER) and its name and summary if anonymous."""
    from vigisante.sharing import domain, services

    found = _linked(Indicator.objects.filter(
        sightings__report__campaign_memberships__campaign=campaign).distinct())
    indicators = found.shared
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
        indicators=indicators, malware=malware, tlp=tlp, withdrawn=found.withdrawn,
        changed=found.changed)


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
    found = _linked(alert.indicators.all())
    return stix.bundle(stix.alert_objects(
        alert, found.shared, campaign=alert.campaign,
        campaign_name=campaign_name, malware=[alert.malware] if alert.malware else [],
        creator=who, changed=found.changed), creator=who)


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


def _alert_event(alert: Alert, found: Linked, rsit) -> dict[str, Any]:
    from vigisante.sharing import misp

    changed = max(t for t in (alert.created_at, alert.updated_at, alert.sent_at, found.changed)
                  if t)
    return misp.event(key=f"alert/{alert.pk}", info=alert.title,
                      date=(alert.sent_at or alert.created_at).date(), changed=changed,
                      tlp=alert.tlp, indicators=found.shared, rsit=rsit,
                      creator=creator_name(), withdrawn=found.withdrawn)


def alert_misp(alert: Alert) -> dict[str, Any]:
    """The MISP event of an alert."""
    return _alert_event(alert, _linked(alert.indicators.all()), _rsit(alert.campaign_id))


def campaign_misp(campaign: Campaign) -> dict[str, Any]:
    """The MISP event of a campaign (named only when the name passes the anonymity guard)."""
    from vigisante.sharing import misp

    view = campaign_view(campaign)
    changed = max(t for t in (campaign.created_at, campaign.confirmed_at, campaign.reviewed_at,
                              view.changed) if t)
    return misp.event(key=f"campaign/{campaign.pk}",
                      info=view.name or f"Campaign {campaign.pk}",
                      date=campaign.created_at.date(), changed=changed, tlp=view.tlp,
                      indicators=view.indicators, rsit=_rsit(campaign.pk),
                      creator=creator_name(), withdrawn=view.withdrawn)


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
    """The events of several alerts in four queries, whatever their number."""
    through = Alert.indicators.through
    by_alert: dict[int, list[Indicator]] = {}
    rows = through.objects.filter(alert_id__in=[a.pk for a in alerts]).select_related(
        "indicator").order_by("indicator__type", "indicator__value")
    for row in rows:
        by_alert.setdefault(row.alert_id, []).append(row.indicator)
    withdrawn = withdrawals([i for found in by_alert.values() for i in found])
    rsit = _rsit_many(a.campaign_id for a in alerts)
    return [_alert_event(a, linked(by_alert.get(a.pk, []), withdrawn),
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
