"""The rebuild (set-based, from scratch) and the incremental path (report by report, as the
worker correlates them) give the same links and the same proposed campaigns, on a generated
dataset; on SQLite and PostgreSQL. Also the vectorised connected components against the plain
union-find."""

from __future__ import annotations

import random

import numpy as np
import pytest
from conftest import make_establishment
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from indicators_helpers import new_report, qualify, sight

from vigisante.indicators import campaigns, correlation, domain, services
from vigisante.indicators.models import Campaign, CampaignStatus, Indicator, Link

KINDS = ["ransomware", "phishing", "data_leak", "ddos", "malware", "other"]
SYSTEMS = ["dpi", "imaging", "email", "vpn", "laboratory", "telephony", "website", "network"]
SUPPLIERS = [""] * 12 + ["Medisoft (fictif)", "  MEDISOFT (fictif) ", "Acme Santé (fictif)"]


def _dataset(seed: int, n_reports: int = 36, popular: float = 0.0) -> list:
    """Reports of a dozen establishments over 30 days: shared confirmed and pending
    indicators, suppliers named with varying case and spaces, kinds on systems."""
    rnd = random.Random(seed)
    ests = [make_establishment(f"69{seed % 100:02d}{i:05d}", f"Établissement {seed}-{i} (fictif)")
            for i in range(12)]
    pool = [("domain", f"c2-{seed}-{i}.example") for i in range(40)] + \
        [("sha256", f"{seed:04x}{i:060x}") for i in range(6)]
    confirmed = {*rnd.sample(pool, 30), ("domain", f"popular-{seed}.example")}
    reports = []
    for _ in range(n_reports):
        report = new_report(rnd.choice(ests), days_ago=rnd.uniform(0, 30),
                            supplier_name=rnd.choice(SUPPLIERS))
        if rnd.random() < 0.5:
            qualify(report, rnd.choice(KINDS), rnd.sample(SYSTEMS, rnd.randint(1, 2)))
        values = rnd.sample(pool, rnd.randint(0, 2))
        if rnd.random() < popular:  # a value many reports hold (noise)
            values.append(("domain", f"popular-{seed}.example"))
        for value in values:
            sight(report, value, status="confirmed" if value in confirmed else "pending")
        reports.append(report)
    return reports


def _links() -> set:
    return set(Link.objects.values_list("report_a_id", "report_b_id", "reason", "indicator_id",
                                        "supplier_id", "detail"))


def _proposals() -> set[frozenset[int]]:
    out = set()
    for camp in Campaign.objects.filter(status=CampaignStatus.PROPOSED):
        out.add(frozenset(camp.memberships.values_list("report_id", flat=True)))
    return out


def _incremental(reports, seed: int) -> None:
    order = list(reports)
    random.Random(seed + 1).shuffle(order)
    for report in order:
        now = timezone.now()
        campaigns.attach_new_links(correlation.correlate_reports([report.pk], now), now)


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rebuild_gives_the_links_and_proposals_of_the_incremental_path(seed, settings):
    settings.CORRELATION_WINDOW_DAYS = 3
    reports = _dataset(seed)
    _incremental(reports, seed)
    links, proposals = _links(), _proposals()
    assert {reason for _a, _b, reason, *_ in links} == {"indicator", "supplier", "kind_system"}
    assert len(proposals) >= 3 and max(map(len, proposals)) >= 3  # several groups
    # The proposals are the connected groups of the links.
    assert proposals == {frozenset(g) for g in domain.components((a, b) for a, b, *_ in links)}
    Link.objects.all().delete()
    result = services.rebuild()
    assert _links() == links
    assert _proposals() == proposals
    assert result == {"links": len(links), "proposals": len(proposals)}
    # Proposals are numbered in the order of their lowest report.
    firsts = [min(c.memberships.values_list("report_id", flat=True))
              for c in Campaign.objects.filter(status=CampaignStatus.PROPOSED).order_by("id")]
    assert firsts == sorted(firsts)


@pytest.mark.django_db
def test_with_noise_the_rebuild_gives_the_incremental_links(settings):
    """An indicator turning noisy drops its links on both paths (the proposals it had joined
    are not split by the incremental path: the rebuild recomputes them)."""
    settings.CORRELATION_NOISE_REPORTS = 3
    reports = _dataset(4, n_reports=30, popular=0.3)
    _incremental(reports, 4)
    assert Indicator.objects.filter(noisy=True).exists()
    links = _links()
    Indicator.objects.update(noisy=False)
    Link.objects.all().delete()
    services.rebuild()
    assert _links() == links and Indicator.objects.filter(noisy=True).exists()
    assert _proposals() == {frozenset(g) for g in
                            domain.components((a, b) for a, b, *_ in links)}


@pytest.mark.django_db
def test_the_rebuild_grows_kept_campaigns_and_proposes_the_other_groups(analyst, settings):
    settings.CORRELATION_WINDOW_DAYS = 3
    reports = _dataset(5)
    _incremental(reports, 5)
    groups = sorted(_proposals(), key=min)
    first, second = (Campaign.objects.get(memberships__report_id=min(g)) for g in groups[:2])
    campaigns.update_campaign(actor=analyst, campaign_id=first.pk, name="Vague (fictif)",
                              status="confirmed")
    # An analyst splits one report off the second group into its own reviewed proposal.
    loner = max(groups[1])
    split = campaigns.split(actor=analyst, campaign_id=second.pk, report_ids=[loner])
    campaigns.acknowledge(actor=analyst, campaign_id=second.pk)
    result = services.rebuild()
    first.refresh_from_db()
    assert first.status == "confirmed"
    assert set(first.memberships.values_list("report_id", flat=True)) == groups[0]
    # The reviewed proposals keep their reports; the group's other reports join the lower id.
    assert set(second.memberships.values_list("report_id", flat=True)) == groups[1] - {loner}
    assert set(split.memberships.values_list("report_id", flat=True)) == {loner}
    fresh = Campaign.objects.filter(status=CampaignStatus.PROPOSED, reviewed_at__isnull=True)
    assert {frozenset(c.memberships.values_list("report_id", flat=True)) for c in fresh} \
        == set(groups[2:])
    assert result["proposals"] == len(groups) - 2


@pytest.mark.django_db
def test_the_rebuild_with_no_links_proposes_nothing():
    reports = _dataset(6, n_reports=3)
    Link.objects.all().delete()
    services.rebuild()
    assert not Campaign.objects.exists() and len(reports) == 3


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 60), st.integers(1, 60)), max_size=120))
def test_vectorised_components_match_the_union_find(edges):
    edges = [(a, b) for a, b in edges if a != b]
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    nodes, root = domain.component_arrays(a, b)
    groups: dict[int, set[int]] = {}
    for node, r in zip(nodes.tolist(), root.tolist(), strict=True):
        groups.setdefault(nodes[r].item(), set()).add(node)
    assert sorted(groups.values(), key=min) == domain.components(edges)
    assert all(min(g) == r for r, g in groups.items())  # the root is the smallest node
