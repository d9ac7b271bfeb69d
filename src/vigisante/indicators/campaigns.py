"""Campaigns: the connected groups of linked reports, proposed automatically, then confirmed,
named, merged or split by analysts."""

from __future__ import annotations

import json
from collections.abc import Iterable

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from vigisante.core import audit, events
from vigisante.indicators import domain
from vigisante.indicators.access import require_staff
from vigisante.indicators.models import Campaign, CampaignReport, CampaignStatus, Link

ACTIVE = (CampaignStatus.PROPOSED, CampaignStatus.CONFIRMED)


def attach_new_links(pairs: Iterable[tuple[int, int]], now,
                     memberships: list[tuple] | None = None) -> list[int]:
    """Put the reports of new links (`pairs` of report ids, as the correlation statements
    return them) into campaigns; returns the campaigns touched. A group of newly linked reports
    joins the campaign one of them already belongs to (confirmed first, then the oldest),
    untouched proposals it bridges are merged into it, and a group with no campaign becomes a
    new proposal. `memberships`: the active campaigns of the pairs' reports as (report,
    campaign, status, reviewed, created), when the caller read them already
    (`correlation.correlate_report`)."""
    groups = domain.components(pairs)
    if not groups:
        return []
    if memberships is None:
        reports = set().union(*groups)
        memberships = [
            (r, cid, status, reviewed is not None, created)
            for r, cid, status, reviewed, created in CampaignReport.objects.filter(
                report_id__in=reports, campaign__status__in=ACTIVE,
            ).values_list("report_id", "campaign_id", "campaign__status",
                          "campaign__reviewed_at", "campaign__created_at")]
    by_report: dict[int, set[int]] = {}
    info: dict[int, dict] = {}
    for report_id, cid, status, reviewed, created in memberships:
        by_report.setdefault(report_id, set()).add(cid)
        info[cid] = {"id": cid, "status": status, "reviewed": bool(reviewed),
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
    if connection.vendor == "postgresql":
        # The add path's last statement: memberships and the queue's timestamp together.
        from vigisante.indicators.correlation import prepared

        prepared(_attach_sql(), {
            "campaigns": [m.campaign_id for m in new_members],
            "reports": [m.report_id for m in new_members], "now": now,
            "touched": sorted(touched)})
    else:
        CampaignReport.objects.bulk_create(new_members, ignore_conflicts=True)
        Campaign.objects.filter(pk__in=touched, status__in=ACTIVE).update(last_link_at=now)
    return sorted(touched)


def _attach_sql() -> str:
    member, campaign = CampaignReport._meta.db_table, Campaign._meta.db_table
    active = ", ".join(f"'{s}'" for s in ACTIVE)
    return (f"WITH m AS (INSERT INTO {member} (campaign_id, report_id, added_at, added_by_id) "
            f"SELECT c, r, %(now)s, NULL FROM unnest(%(campaigns)s::bigint[], "
            f"%(reports)s::bigint[]) AS t(c, r) ON CONFLICT DO NOTHING RETURNING id) "
            f"UPDATE {campaign} SET last_link_at = %(now)s "
            f"WHERE id = ANY(%(touched)s::bigint[]) AND status IN ({active})")


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
    the connected groups that no kept campaign covers. Returns the number of proposals.

    Set-based: the links' pairs are read in one query, their connected components computed
    over arrays (`domain.component_arrays`), and the memberships written in one statement; no
    loop over reports or groups in Python. A group holding reports of kept campaigns (confirmed,
    or proposals an analyst reviewed) joins the lowest-numbered of them; the other groups
    become new proposals, numbered in the order of their lowest report id."""
    Campaign.objects.filter(status=CampaignStatus.PROPOSED, reviewed_at__isnull=True).delete()
    nodes, root = domain.component_arrays(*_link_pairs())
    if not len(nodes):
        return 0
    # Each report's kept campaign: the first of its active campaigns (oldest, then lowest id).
    kept_pairs = np.array(
        list(CampaignReport.objects.filter(campaign__status__in=ACTIVE)
             .order_by("report_id", "campaign__created_at", "campaign_id")
             .values_list("report_id", "campaign_id")), dtype=np.int64).reshape(-1, 2)
    none = np.iinfo(np.int64).max
    kept = np.full(len(nodes), none, dtype=np.int64)
    if len(kept_pairs):
        first = np.ones(len(kept_pairs), dtype=bool)
        first[1:] = kept_pairs[1:, 0] != kept_pairs[:-1, 0]
        kr, kc = kept_pairs[first, 0], kept_pairs[first, 1]
        at = np.searchsorted(nodes, kr).clip(0, len(nodes) - 1)
        hit = nodes[at] == kr
        kept[at[hit]] = kc[hit]
    # The campaign each group joins: the lowest kept campaign id among its reports.
    target = np.full(len(nodes), none, dtype=np.int64)  # indexed by the group's root
    np.minimum.at(target, root, kept)
    fresh_roots = np.flatnonzero((target == none) & (root == np.arange(len(nodes))))
    target[fresh_roots] = _new_proposals(len(fresh_roots), now)
    joining = kept == none  # reports already in a kept campaign stay where they are
    _insert_members(target[root[joining]], nodes[joining], now)
    return len(fresh_roots)


def _link_pairs():
    """Every link's (report_a, report_b) as two integer arrays, read in one query: the pairs
    come as comma-separated text (one row per 100,000 report ids, far below a text's limit),
    which numpy parses several times faster than the driver builds tuples."""
    table = Link._meta.db_table
    pair = "CAST(report_a_id AS TEXT) || ',' || CAST(report_b_id AS TEXT)"
    agg = (f"string_agg({pair}, ',')" if connection.vendor == "postgresql"
           else f"group_concat({pair}, ',')")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {agg} FROM {table} GROUP BY report_a_id / 100000")
        pairs = [np.fromstring(text, sep=",", dtype=np.int64) for (text,) in cursor.fetchall()]
    both = np.concatenate(pairs).reshape(-1, 2) if pairs else np.zeros((0, 2), dtype=np.int64)
    return both[:, 0], both[:, 1]


def _new_proposals(count: int, now):
    """Create `count` proposed campaigns in one statement; their ids in ascending order."""
    if not count:
        return np.zeros(0, dtype=np.int64)
    table = Campaign._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)
    insert = (f"INSERT INTO {table} (name, status, summary, created_at, last_link_at) "
              f"SELECT '', %s, '', %s, %s FROM ")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(insert + "generate_series(1, %s) RETURNING id",
                           [CampaignStatus.PROPOSED, stamp, stamp, count])
        else:
            cursor.execute("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                           "WHERE i < %s) " + insert + "n RETURNING id",
                           [count, CampaignStatus.PROPOSED, stamp, stamp])
        ids = np.array([row[0] for row in cursor.fetchall()], dtype=np.int64)
    ids.sort()
    return ids


def _insert_members(campaign_ids, report_ids, now) -> None:
    """Write (campaign, report) memberships from two arrays in one statement."""
    if not len(report_ids):
        return
    table = CampaignReport._meta.db_table
    stamp = connection.ops.adapt_datetimefield_value(now)
    columns = f"INSERT INTO {table} (campaign_id, report_id, added_at, added_by_id) "
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                columns + "SELECT c, r, %s, NULL FROM unnest(%s::bigint[], %s::bigint[]) "
                "AS t(c, r) ON CONFLICT DO NOTHING",
                [stamp, campaign_ids.tolist(), report_ids.tolist()])
        else:
            cursor.execute(
                columns + "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
                "%s, NULL FROM json_each(%s) WHERE 1 ON CONFLICT DO NOTHING",
                [stamp, json.dumps(np.stack([campaign_ids, report_ids], axis=1).tolist())])


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
