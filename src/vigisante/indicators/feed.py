"""Which indicators an account may receive: the feed, "are we affected?", check-logs.

The rule is the `receive` action of `Indicator` in the access policy (vigisante.core.access,
registered by `register()` from the app's `ready()`):
- only confirmed, not noisy indicators, ever;
- CERT staff: all of them, whatever their TLP;
- reporters (and their API tokens, which is what a server running `vigisante check-logs`
  uses): TLP:CLEAR and TLP:GREEN, plus TLP:AMBER and TLP:AMBER+STRICT on their own
  establishments' need to know: the indicators of a campaign one of their reports belongs
  to, and those of an alert sent to one of their establishments;
- machine accounts (a security tool's or a partner's account for TAXII and the feeds,
  docs/taxii.md): one of an establishment receives what its establishment's reporters do; one
  without establishment is a partner (a CERT, an agency): TLP:CLEAR, TLP:GREEN and TLP:AMBER
  (never AMBER+STRICT, which stays within the recipient organisation);
- observers and anyone else: none (404). TLP:RED never reaches a reporter or a machine.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from vigisante.accounts.access import REPORTER, STAFF
from vigisante.accounts.models import Membership, Role
from vigisante.core import access
from vigisante.indicators.models import CampaignStatus, Indicator, Sighting, Status, Tlp

OPEN_TLPS = (Tlp.CLEAR, Tlp.GREEN)
NEED_TO_KNOW_TLPS = (Tlp.AMBER, Tlp.AMBER_STRICT)
LIVE_CAMPAIGNS = (CampaignStatus.PROPOSED, CampaignStatus.CONFIRMED, CampaignStatus.CLOSED)


def _need_to_know(user) -> Q:
    own_reports = Q(report__establishment__memberships__user=user)
    campaign_ids = (apps.get_model("indicators", "CampaignReport").objects
                    .filter(own_reports, campaign__status__in=LIVE_CAMPAIGNS)
                    .values("campaign_id"))
    known = Q(id__in=Sighting.objects.filter(
        report__campaign_memberships__campaign_id__in=campaign_ids).values("indicator_id"))
    alert_ids = _alerted_indicator_ids(user)
    if alert_ids is not None:
        known |= Q(id__in=alert_ids)
    return Q(tlp__in=NEED_TO_KNOW_TLPS) & known


SHAREABLE = access.where(
    "confirmed, not noisy", lambda user: Q(status=Status.CONFIRMED, noisy=False),
    lambda user, ind: ind.status == Status.CONFIRMED and not ind.noisy)
OPEN = access.where("TLP:CLEAR or TLP:GREEN", lambda user: Q(tlp__in=OPEN_TLPS),
                    lambda user, ind: ind.tlp in OPEN_TLPS)
NEED_TO_KNOW = access.where("TLP:AMBER of own campaigns and alerts", _need_to_know)



def _partner_amber(user) -> Q:
    if Membership.objects.filter(user_id=user.pk).exists():
        return Q(pk__in=[])
    return Q(tlp=Tlp.AMBER)


PARTNER_AMBER = access.where("TLP:AMBER for partners (machine accounts without "
                             "establishment)", _partner_amber)

FEED_RULES = {
    "receive": {STAFF: SHAREABLE, REPORTER: SHAREABLE & (OPEN | NEED_TO_KNOW),
                Role.MACHINE: SHAREABLE & (OPEN | NEED_TO_KNOW | PARTNER_AMBER)},
}


def register() -> None:
    access.register(Indicator, FEED_RULES, app="indicators-feed")


def may_use_feed(user) -> bool:
    return access.allowed(user, "receive", Indicator)


def visible_indicators(user) -> QuerySet[Indicator]:
    """The confirmed, not noisy indicators this user may receive."""
    return access.restrict(Indicator.objects.all(), user, "receive")


def _alerted_indicator_ids(user):
    """Ids of the indicators of the alerts sent to the user's establishments (sharing app)."""
    if not apps.is_installed("vigisante.sharing"):
        return None
    try:
        alert_model = apps.get_model("sharing", "Alert")
        through = alert_model.indicators.through
    except (LookupError, AttributeError):
        return None
    return through.objects.filter(
        alert__sent_at__isnull=False,
        alert__recipients__establishment__memberships__user=user).values("indicator_id")


def parse_since(value: str) -> dt.datetime | None:
    """An ISO 8601 date or date-time (naive means UTC); None when it is not one."""
    value = (value or "").strip()
    if not value or len(value) > 40:
        return None
    try:
        parsed = parse_datetime(value.replace(" ", "+"))
        if parsed is None:
            day = parse_date(value)
            if day is None:
                return None
            parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        return None
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed


def since_filter(since: dt.datetime) -> Q:
    """Indicators confirmed (or, never reviewed, last seen) at or after `since`."""
    return Q(reviewed_at__gte=since) | Q(reviewed_at__isnull=True, last_seen__gte=since)
