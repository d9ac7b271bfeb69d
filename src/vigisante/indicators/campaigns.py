"""Campaigns: the connected groups of linked reports, proposed automatically, then confirmed,
named, merged or split by analysts."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vigisante.core import audit, events
from vigisante.indicators import domain
from vigisante.indicators.access import require_staff
from vigisante.indicators.models import Campaign, CampaignReport, CampaignStatus, Link

ACTIVE = (CampaignStatus.PROPOSED, CampaignStatus.CONFIRMED)


def attach_new_links(pairs: Iterable[tuple[int, int]], now) -> list[int]:
    """Put the reports of new links (`pairs` of report ids, as the correlation statements
    return them) into campaigns; returns the campaigns touched. A group of newly linked reports
    joins the campaign one of them already belongs to (confirmed first, then the oldest),
    untouched proposals it bridges are merged into it, and a group with no campaign becomes a
    new proposal."""
    groups = domain.components(pairs)
    if not groups:
        return []
    reports = set().union(*groups)
    memberships = list(CampaignReport.objects.filter(
        report_id__in=reports, campaign__status__in=ACTIVE,
    ).values_list("report_id", "campaign_id", "campaign__status", "campaign__reviewed_at",
                  "campaign__created_at"))
    by_report: dict[int, set[int]] = {}
    info: dict[int, dict] = {}
    for report_id, cid, status, reviewed, created in memberships:
        by_report.setdefault(report_id, set()).add(cid)
        info[cid] = {"id": cid, "status": status, "reviewed": reviewed is not None,
                     "created": created}
    touched: set[int] = set()
    new_members: list[CampaignReport] = []
    for group in groups:
        cids = set().union(*(by_report.get(r, set()) for r in group))
        target, merged = domain.plan_attach([info[c] for c in cids])
        if target is None:
            camp = Campaign.objects.create(created_at=now, last_link_at=now)
            target = camp.pk
            info[target] = {"id": target, "status": CampaignStatus.PROPOSED, "reviewed": False,
                            "created": now}
        if merged:
            _merge_members(merged, target, now, None)
        touched.update(cids | {target})
        free = [r for r in sorted(group)
                if not (by_report.get(r, set()) - set(merged))]
        new_members += [CampaignReport(campaign_id=target, report_id=r, added_at=now)
                        for r in free]
        for r in free:
            by_report[r] = {target}
    CampaignReport.objects.bulk_create(new_members, ignore_conflicts=True)
    Campaign.objects.filter(pk__in=touched, status__in=ACTIVE).update(last_link_at=now)
    return sorted(touched)


def _merge_members(sources: Iterable[int], target: int, now, actor) -> None:
    """Move the reports of `sources` into `target` and mark the sources merged."""
    sources = list(sources)
    have = set(CampaignReport.objects.filter(campaign_id=target)
               .values_list("report_id", flat=True))
    moving = (CampaignReport.objects.filter(campaign_id__in=sources)
              .exclude(report_id__in=have).values_list("report_id", flat=True).distinct())
    CampaignReport.objects.bulk_create(
        [CampaignReport(campaign_id=target, report_id=r, added_at=now, added_by=actor)
         for r in set(moving)], ignore_conflicts=True)
    CampaignReport.objects.filter(campaign_id__in=sources).delete()
    Campaign.objects.filter(pk__in=sources).update(status=CampaignStatus.MERGED,
                                                   merged_into_id=target)


def rebuild_campaigns(now) -> int:
    """After a rebuild of every link: drop the proposals no analyst has looked at and propose
    the connected groups that no kept campaign covers. Returns the number of proposals."""
    Campaign.objects.filter(status=CampaignStatus.PROPOSED, reviewed_at__isnull=True).delete()
    groups = domain.components(Link.objects.values_list("report_a_id", "report_b_id")
                               .iterator(chunk_size=10000))
    kept: dict[int, int] = {}
    for report_id, cid in (CampaignReport.objects.filter(campaign__status__in=ACTIVE)
                           .order_by("campaign__created_at", "campaign_id")
                           .values_list("report_id", "campaign_id")):
        kept.setdefault(report_id, cid)
    members: list[CampaignReport] = []
    fresh = [g for g in groups if not any(r in kept for r in g)]
    for group in groups:
        owners = {kept[r] for r in group if r in kept}
        if owners:
            target = min(owners)
            members += [CampaignReport(campaign_id=target, report_id=r, added_at=now)
                        for r in group if r not in kept]
    camps = Campaign.objects.bulk_create(
        [Campaign(created_at=now, last_link_at=now) for _ in fresh])
    for camp, group in zip(camps, fresh, strict=True):
        members += [CampaignReport(campaign_id=camp.pk, report_id=r, added_at=now)
                    for r in group]
    CampaignReport.objects.bulk_create(members, batch_size=5000, ignore_conflicts=True)
    return len(fresh)


# --- analysts' actions ---------------------------------------------------------------------

def get_campaign(user, pk) -> Campaign:
    from django.http import Http404

    require_staff(user)
    try:
        return Campaign.objects.get(pk=int(pk))
    except (Campaign.DoesNotExist, TypeError, ValueError):
        raise Http404("No such campaign.") from None


def _locked(actor, pk) -> Campaign:
    camp = get_campaign(actor, pk)
    return Campaign.objects.select_for_update().get(pk=camp.pk)


def _check_text(name: str, summary: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if len(name) > 200:
        errors["name"] = [_("At most 200 characters.")]
    if len(summary) > 5000:
        errors["summary"] = [_("At most 5,000 characters.")]
    if "\x00" in name or "\x00" in summary:
        errors["name"] = [_("The text holds a forbidden character.")]
    return errors


@transaction.atomic
def update_campaign(*, actor, campaign_id, name: str | None = None,
                    summary: str | None = None, status: str | None = None) -> Campaign:
    """Name, describe, confirm or close a campaign."""
    camp = _locked(actor, campaign_id)
    before = audit.snapshot(camp, ["name", "summary", "status"])
    name = camp.name if name is None else str(name).strip()
    summary = camp.summary if summary is None else str(summary).strip()
    errors = _check_text(name, summary)
    if status is not None and status not in (CampaignStatus.PROPOSED, CampaignStatus.CONFIRMED,
                                             CampaignStatus.CLOSED):
        errors["status"] = [_("Unknown status.")]
    if camp.status == CampaignStatus.MERGED:
        errors["status"] = [_("This campaign was merged into another one.")]
    if status == CampaignStatus.CONFIRMED and not name:
        errors["name"] = [_("Name the campaign to confirm it.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    camp.name, camp.summary = name, summary
    if status is not None and status != camp.status:
        camp.status = status
        if status == CampaignStatus.CONFIRMED:
            camp.confirmed_by, camp.confirmed_at = actor, now
    camp.reviewed_at = now
    camp.save()
    old, new = audit.diff(before, audit.snapshot(camp, ["name", "summary", "status"]))
    audit.record(actor=actor, action="campaign.update", obj=camp, before=old, after=new)
    events.emit("campaign.changed", campaign_id=camp.pk)
    return camp


@transaction.atomic
def acknowledge(*, actor, campaign_id) -> Campaign:
    """The analyst has seen the campaign's new links: it leaves the queue."""
    camp = _locked(actor, campaign_id)
    camp.reviewed_at = timezone.now()
    camp.save(update_fields=["reviewed_at"])
    return camp


@transaction.atomic
def merge(*, actor, campaign_id, into_id) -> Campaign:
    """Merge one campaign into another; the merged one keeps pointing at its successor."""
    source = _locked(actor, campaign_id)
    target = _locked(actor, into_id)
    if source.pk == target.pk:
        raise ValidationError({"into": [_("A campaign cannot be merged into itself.")]})
    if CampaignStatus.MERGED in (source.status, target.status):
        raise ValidationError({"into": [_("This campaign was merged into another one.")]})
    now = timezone.now()
    _merge_members([source.pk], target.pk, now, actor)
    Campaign.objects.filter(pk=target.pk).update(reviewed_at=now)
    audit.record(actor=actor, action="campaign.merge", obj=target,
                 after={"merged": source.pk, "into": target.pk})
    target.refresh_from_db()
    return target


@transaction.atomic
def split(*, actor, campaign_id, report_ids, name: str = "") -> Campaign:
    """Move some reports of a campaign into a new campaign (confirmed if named)."""
    source = _locked(actor, campaign_id)
    name = str(name or "").strip()
    errors = _check_text(name, "")
    try:
        wanted = {int(r) for r in report_ids}
    except (TypeError, ValueError):
        wanted = set()
        errors["reports"] = [_("Choose reports of this campaign.")]
    members = set(source.memberships.values_list("report_id", flat=True))
    if source.status == CampaignStatus.MERGED:
        errors["reports"] = [_("This campaign was merged into another one.")]
    elif not wanted or not wanted <= members:
        errors["reports"] = [_("Choose reports of this campaign.")]
    elif wanted == members:
        errors["reports"] = [_("Leave at least one report in the campaign.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    status = CampaignStatus.CONFIRMED if name else CampaignStatus.PROPOSED
    new = Campaign.objects.create(
        name=name, status=status, created_at=now, reviewed_at=now, last_link_at=now,
        confirmed_by=actor if name else None, confirmed_at=now if name else None)
    CampaignReport.objects.filter(campaign=source, report_id__in=wanted).update(
        campaign=new, added_at=now, added_by=actor)
    Campaign.objects.filter(pk=source.pk).update(reviewed_at=now)
    audit.record(actor=actor, action="campaign.split", obj=source,
                 after={"new": new.pk, "reports": sorted(wanted)})
    return new


@transaction.atomic
def add_report(*, actor, campaign_id, report) -> CampaignReport:
    """Put a report into a campaign by hand (or from "are we affected?")."""
    camp = _locked(actor, campaign_id) if actor is not None and actor.is_cert_staff else \
        Campaign.objects.select_for_update().get(pk=campaign_id)
    if camp.status == CampaignStatus.MERGED:
        camp = Campaign.objects.get(pk=camp.merged_into_id)
    now = timezone.now()
    member, _created = CampaignReport.objects.get_or_create(
        campaign=camp, report=report,
        defaults={"added_at": now, "added_by": actor if getattr(actor, "pk", None) else None})
    Campaign.objects.filter(pk=camp.pk).update(last_link_at=now)
    return member


def new_correlations(user) -> int:
    """How many campaigns have links no analyst has seen yet (the queue item)."""
    require_staff(user)
    return Campaign.objects.filter(status__in=ACTIVE, last_link_at__isnull=False).filter(
        Q(reviewed_at__isnull=True) | Q(last_link_at__gt=F("reviewed_at"))).count()
