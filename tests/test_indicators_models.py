"""The indicators app's tables and their constraints (both databases)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from vigisante.indicators.models import (
    Campaign,
    CampaignReport,
    Indicator,
    Link,
    LinkReason,
    Sighting,
    SightingSource,
)


def _indicator(value="evil.example", type_="domain", **extra) -> Indicator:
    now = timezone.now()
    return Indicator.objects.create(type=type_, value=value, first_seen=now, last_seen=now,
                                    **extra)


@pytest.mark.django_db
def test_one_indicator_per_type_and_value():
    _indicator()
    _indicator(type_="url", value="evil.example")  # another type: another indicator
    with pytest.raises(IntegrityError), transaction.atomic():
        _indicator()


@pytest.mark.django_db
def test_one_sighting_per_report_and_indicator(report_a):
    ind = _indicator()
    Sighting.objects.create(report=report_a, indicator=ind, source=SightingSource.REPORT,
                            created_at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        Sighting.objects.create(report=report_a, indicator=ind, source=SightingSource.UPDATE,
                                created_at=timezone.now())


@pytest.mark.django_db
def test_links_are_ordered_and_unique_per_reason(report_a, reporter_a, early_warning_data):
    from vigisante.reports import services

    other = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    low, high = sorted([report_a, other], key=lambda r: r.pk)
    ind = _indicator(status="confirmed")
    now = timezone.now()
    Link.objects.create(report_a=low, report_b=high, reason=LinkReason.INDICATOR, indicator=ind,
                        created_at=now)
    Link.objects.create(report_a=low, report_b=high, reason=LinkReason.KIND_SYSTEM,
                        created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(report_a=low, report_b=high, reason=LinkReason.KIND_SYSTEM,
                            created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(report_a=low, report_b=high, reason=LinkReason.INDICATOR,
                            indicator=ind, created_at=now)
    with pytest.raises(IntegrityError), transaction.atomic():
        Link.objects.create(report_a=high, report_b=low, reason=LinkReason.SUPPLIER,
                            created_at=now)


@pytest.mark.django_db
def test_campaign_indicators_are_confirmed_and_not_noisy(report_a):
    now = timezone.now()
    camp = Campaign.objects.create(created_at=now)
    CampaignReport.objects.create(campaign=camp, report=report_a, added_at=now)
    good = _indicator("good.example", status="confirmed")
    for ind in (good, _indicator("pending.example"),
                _indicator("noisy.example", status="confirmed", noisy=True)):
        Sighting.objects.create(report=report_a, indicator=ind, source=SightingSource.REPORT,
                                created_at=now)
    assert list(camp.indicators()) == [good]
    assert list(report_a.campaigns.all()) == [camp]
