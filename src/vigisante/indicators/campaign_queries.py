"""What campaign pages and the API show, read in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Max, Min, Q

from vigisante.establishments.regions import REGIONS
from vigisante.indicators.access import require_staff
from vigisante.indicators.models import Campaign, CampaignStatus, Indicator, Link
from vigisante.reports.models import Report


def campaign_list(user, *, status: str = ""):
    """Campaigns (merged ones hidden unless asked) with their counts, newest activity first."""
    require_staff(user)
    qs = Campaign.objects.all()
    qs = qs.filter(status=status) if status else qs.exclude(status=CampaignStatus.MERGED)
    return qs.annotate(
        report_count=Count("memberships", distinct=True),
        establishment_count=Count("memberships__report__establishment", distinct=True),
        first_report_at=Min("memberships__report__created_at"),
        last_report_at=Max("memberships__report__created_at"),
    ).order_by("-last_link_at", "-id")


@dataclass
class CampaignView:
    campaign: Campaign
    reports: list = field(default_factory=list)       # timeline: oldest first
    indicators: list = field(default_factory=list)
    categories: list = field(default_factory=list)    # (code, label, count)
    regions: list = field(default_factory=list)       # (code, name, count)
    links: list = field(default_factory=list)
    kinds: list = field(default_factory=list)         # (code, count)
    new_links: bool = False


def campaign_view(campaign: Campaign) -> CampaignView:
    """Timeline, indicators, categories, regions hit, and why the reports are linked."""
    from vigisante.establishments.models import Category

    view = CampaignView(campaign=campaign)
    view.reports = list(
        Report.objects.filter(campaign_memberships__campaign=campaign)
        .select_related("establishment", "case", "supplier").order_by("created_at", "id"))
    ids = [r.pk for r in view.reports]
    view.indicators = list(
        Indicator.objects.shareable().filter(sightings__report_id__in=ids)
        .annotate(reports=Count("sightings", filter=Q(sightings__report_id__in=ids)))
        .order_by("-reports", "type", "value")[:500]) if ids else []
    cats: dict[str, int] = {}
    regions: dict[str, int] = {}
    kinds: dict[str, int] = {}
    seen = set()
    for r in view.reports:
        est = r.establishment
        kind = getattr(getattr(r, "case", None), "kind", "") or ""
        if kind:
            kinds[kind] = kinds.get(kind, 0) + 1
        if est is None or est.pk in seen:
            continue
        seen.add(est.pk)
        cats[est.category] = cats.get(est.category, 0) + 1
        regions[est.region] = regions.get(est.region, 0) + 1
    labels = dict(Category.choices)
    view.categories = sorted(((c, labels.get(c, c), n) for c, n in cats.items()),
                             key=lambda t: (-t[2], str(t[1])))
    view.regions = sorted(((c, REGIONS.get(c, c), n) for c, n in regions.items()),
                          key=lambda t: (-t[2], t[1]))
    view.kinds = sorted(kinds.items(), key=lambda t: (-t[1], t[0]))
    view.links = list(
        Link.objects.filter(report_a_id__in=ids, report_b_id__in=ids)
        .select_related("report_a", "report_b", "indicator").order_by("-created_at", "id")[:200]
    ) if ids else []
    view.new_links = bool(campaign.last_link_at and (
        campaign.reviewed_at is None or campaign.last_link_at > campaign.reviewed_at))
    return view
