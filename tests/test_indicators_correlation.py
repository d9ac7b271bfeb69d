"""Correlation of reports (shared indicator, supplier, kind on a system) and the proposed
campaigns it builds, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from indicators_helpers import new_report, qualify, sight

from vigisante.indicators import campaigns, correlation, services
from vigisante.indicators.models import Campaign, CampaignStatus, Indicator, Link

pytestmark = pytest.mark.django_db

EVIL = ("domain", "evil-payload.example")


def _correlate(*reports):
    now = timezone.now()
    campaigns.attach_new_links(correlation.correlate_reports([r.pk for r in reports], now), now)
    return now


def _pairs(reason=None):
    qs = Link.objects.all() if reason is None else Link.objects.filter(reason=reason)
    return {(a, b) for a, b in qs.values_list("report_a_id", "report_b_id")}


def test_a_confirmed_shared_indicator_links_reports_and_proposes_a_campaign():
    r1, r2, r3 = new_report(), new_report(), new_report()
    sight(r1, EVIL, ("ipv4", "203.0.113.7"), status="confirmed")
    sight(r2, EVIL, status="confirmed")
    sight(r3, ("ipv4", "198.51.100.9"), status="confirmed")
    _correlate(r2)
    assert _pairs() == {(r1.pk, r2.pk)}
    link = Link.objects.get()
    assert link.reason == "indicator" and link.indicator.value == EVIL[1]
    camp = Campaign.objects.get()
    assert camp.status == CampaignStatus.PROPOSED
    assert set(camp.reports.values_list("pk", flat=True)) == {r1.pk, r2.pk}
    assert {i.value for i in camp.indicators()} == {EVIL[1], "203.0.113.7"}
    assert _correlate(r2) and Link.objects.count() == 1  # idempotent


def test_pending_and_rejected_indicators_link_nothing_until_confirmed(analyst):
    r1, r2 = new_report(), new_report()
    (ind,) = sight(r1, EVIL)
    sight(r2, EVIL)
    _correlate(r1, r2)
    assert not Link.objects.exists() and not Campaign.objects.exists()
    services.review(actor=analyst, indicator=ind, status="confirmed", tlp="green",
                    confidence=80)
    assert _pairs("indicator") == {(r1.pk, r2.pk)}
    assert Campaign.objects.get().reports.count() == 2
    services.review(actor=analyst, indicator=ind, status="rejected")
    assert not Link.objects.exists()


def test_a_value_seen_in_too_many_reports_is_flagged_noisy(settings):
    settings.CORRELATION_NOISE_REPORTS = 3
    reports = [new_report() for _ in range(4)]
    for r in reports[:3]:
        sight(r, EVIL, ("sha256", "a" * 64), status="confirmed")
    _correlate(*reports[:3])
    assert len(_pairs()) == 3 and not Indicator.objects.filter(noisy=True).exists()
    sight(reports[3], EVIL, status="confirmed")
    _correlate(reports[3])
    noisy = Indicator.objects.get(value=EVIL[1])
    assert noisy.noisy and not noisy.shareable
    # The noisy value's links are gone; the hash still links the first three.
    assert set(Link.objects.values_list("indicator__value", flat=True)) == {"a" * 64}
    assert reports[3].pk not in {p for pair in _pairs() for p in pair}


def test_same_supplier_within_the_window_across_establishments():
    r1 = new_report(days_ago=20, supplier_name="Maincare Solutions")
    r2 = new_report(days_ago=10, supplier_name="  MAINCARE solutions ")
    r3 = new_report(days_ago=0, supplier_name="maincare solutions")
    same_est = new_report(r3.establishment, days_ago=0, supplier_name="Maincare Solutions")
    other = new_report(days_ago=0, supplier_name="Another vendor")
    _correlate(r1, r2, r3, same_est, other)
    assert _pairs("supplier") == {(r1.pk, r2.pk), (r2.pk, r3.pk), (r2.pk, same_est.pk)}
    assert Link.objects.filter(reason="supplier").first().detail.lower().strip() \
        == "maincare solutions"
    # r1-r2 and r2-r3 chain into one campaign (connected components).
    camp = Campaign.objects.get()
    assert set(camp.reports.values_list("pk", flat=True)) == {r1.pk, r2.pk, r3.pk, same_est.pk}


def test_same_kind_on_the_same_system_within_the_window(settings):
    settings.CORRELATION_WINDOW_DAYS = 7
    r1, r2, r3, r4 = (new_report(days_ago=d) for d in (5, 1, 0, 30))
    qualify(r1, "ransomware", ["dpi", "imaging"])
    qualify(r2, "ransomware", ["imaging"])
    qualify(r3, "phishing", ["imaging"])
    qualify(r4, "ransomware", ["imaging"])
    other = new_report(days_ago=0)
    qualify(other, "other", ["imaging"])
    _correlate(r1, r2, r3, r4, other)
    assert _pairs("kind_system") == {(r1.pk, r2.pk)}
    assert Link.objects.get().detail == "ransomware:imaging"


def test_rebuild_gives_the_same_links_as_incremental_correlation(analyst):
    r1, r2, r3 = new_report(), new_report(supplier_name="Acme"), new_report(supplier_name="acme")
    sight(r1, EVIL, status="confirmed")
    sight(r2, EVIL, status="confirmed")
    qualify(r1, "phishing", ["email"])
    qualify(r3, "phishing", ["email"])
    _correlate(r1, r2, r3)
    before = set(Link.objects.values_list("report_a_id", "report_b_id", "reason",
                                          "indicator_id"))
    campaigns.update_campaign(actor=analyst, campaign_id=Campaign.objects.get().pk,
                              name="Wave", status="confirmed")
    result = services.rebuild(actor=analyst)
    after = set(Link.objects.values_list("report_a_id", "report_b_id", "reason",
                                         "indicator_id"))
    assert after == before and result["links"] == len(before) == 3
    assert result["proposals"] == 0  # the confirmed campaign already covers them
    assert Campaign.objects.get().name == "Wave"


def test_new_links_join_the_existing_campaign_and_merge_untouched_proposals():
    a1, a2, b1, b2 = (new_report() for _ in range(4))
    sight(a1, ("domain", "a.example"), status="confirmed")
    sight(a2, ("domain", "a.example"), status="confirmed")
    sight(b1, ("domain", "b.example"), status="confirmed")
    sight(b2, ("domain", "b.example"), status="confirmed")
    _correlate(a1, a2, b1, b2)
    assert Campaign.objects.count() == 2
    bridge = new_report()
    sight(bridge, ("domain", "a.example"), ("domain", "b.example"), status="confirmed")
    _correlate(bridge)
    live = Campaign.objects.exclude(status="merged")
    assert live.count() == 1
    assert live.get().reports.count() == 5
    merged = Campaign.objects.get(status="merged")
    assert merged.merged_into == live.get()


def test_correlating_a_report_costs_the_same_queries_whatever_its_indicators():
    counts = []
    for n in (2, 40):
        other, report = new_report(), new_report()
        values = [("domain", f"x{i}-{n}.example") for i in range(n)]
        sight(other, *values, status="confirmed")
        sight(report, *values, status="confirmed")
        with CaptureQueriesContext(connection) as ctx:
            _correlate(report)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 20
