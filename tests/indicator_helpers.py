"""Indicators, sightings and campaigns made directly in the database, for the feed tests."""

from __future__ import annotations

from django.utils import timezone

from vigisante.indicators.models import (
    Campaign,
    CampaignReport,
    CampaignStatus,
    Indicator,
    Sighting,
    SightingSource,
)


def make_indicator(type_: str, value: str, *, tlp: str = "green", status: str = "confirmed",
                   noisy: bool = False, reviewed_at=None) -> Indicator:
    now = timezone.now()
    return Indicator.objects.create(type=type_, value=value, tlp=tlp, status=status,
                                    noisy=noisy, first_seen=now, last_seen=now,
                                    reviewed_at=reviewed_at or now)


def make_campaign(reports, indicators, *, name: str = "Phishing wave (synthetic)",
                  status: str = CampaignStatus.CONFIRMED) -> Campaign:
    now = timezone.now()
    campaign = Campaign.objects.create(name=name, status=status, created_at=now)
    for report in reports:
        CampaignReport.objects.create(campaign=campaign, report=report, added_at=now)
        for ind in indicators:
            Sighting.objects.get_or_create(report=report, indicator=ind, defaults=dict(
                source=SightingSource.REPORT, created_at=now))
    return campaign
