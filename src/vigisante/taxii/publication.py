"""What goes into which collection: sent alerts, confirmed campaigns and confirmed indicators,
as STIX 2.1 objects built by `vigisante.sharing.stix` (deterministic ids, `modified` = the
source's last change), stored as new versions when they changed (storage.store is idempotent).

Routing, by TLP (the object's marking) and audience:
- TLP:CLEAR and TLP:GREEN objects go to the collection for everyone, whatever their source;
- TLP:AMBER confirmed indicators and campaigns go to the partners' collection;
- a sent TLP:AMBER or AMBER+STRICT alert goes to the collection of every establishment when
  it targeted everyone, to the collections of its categories when it targeted categories
  only, and (TLP:AMBER) to the partners' collection. An alert with finer targets (sectors,
  regions, NIS2 status, a supplier's customers) goes to the collection of each establishment
  it was delivered to (`AlertRecipient`, the rule the site applies), created when first
  needed, which only that establishment's machine accounts (and the CERT) read;
- nothing TLP:RED, nothing unconfirmed or noisy, ever; a collection never holds an object of
  a TLP it does not carry (`Collection.tlps`).

Withdrawal: an object the collections hold that the plan puts in no collection any more (an
indicator rejected or found noisy after it was published, made TLP:RED, its relationships, a
campaign no longer confirmed) gets a new version wherever it is, `"revoked": true` with a new
`modified`, so that a client polling `added_after` sees it go. One that only moved (a TLP
made stricter) keeps its last version where it was. An indicator or vulnerability revoked everywhere
is recorded as a `sharing.Withdrawal` (the MISP events then mark its attribute deleted, and
the reports that listed it get a new version). Should it be shared again (e.g. no longer
noisy), its new version's `modified` is two seconds after the revocation (`exports.RESHARED`),
as in the bundles and MISP events (STIX says a revoked object stays revoked; we prefer that a
firewall blocks an indicator the CERT confirmed again, under the same id).
The bundles come from `vigisante.sharing.exports` (only shareable indicators; a campaign's
name and summary only when the anonymity guard passes them). Unmarked objects the others need
(the CERT's identity, the TLP marking definitions) go along into each collection that
receives something of the same bundle.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from vigisante.indicators.models import Campaign, CampaignStatus, Indicator, Tlp
from vigisante.sharing import exports, stix
from vigisante.sharing.models import Alert, AlertRecipient, Withdrawal
from vigisante.taxii import protocol, storage
from vigisante.taxii.defaults import NAMESPACE
from vigisante.taxii.models import Audience, Collection, StixObject

OPEN = {Tlp.CLEAR, Tlp.GREEN}
MARKING_TLP = {ref: tlp for tlp, ref in stix.TLP_IDS.items()}
ORDER = [str(t) for t in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)]
CHUNK = 5000
#: Never revoked: the creator's identity and the TLP marking definitions everything refers to.
KEPT = ("identity", "marking-definition")
#: Withdrawn from sharing when revoked in every collection (what the feeds and MISP list).
VALUES = ("indicator", "vulnerability")
MS = dt.timedelta(milliseconds=1)


def tlp_of(obj: dict) -> str | None:
    """The TLP of an object from its marking (None: unmarked)."""
    found = [MARKING_TLP[r] for r in obj.get("object_marking_refs", ()) if r in MARKING_TLP]
    return max(found, key=ORDER.index) if found else None


class Plan:
    """Objects to add, per collection alias."""

    def __init__(self, collections: dict[str, Collection]):
        self.collections = collections
        self.objects: dict[str, dict[str, dict]] = defaultdict(dict)

    def _put(self, alias: str, obj: dict) -> None:
        self.objects[alias][f"{obj['id']}@{obj.get('modified', '')}"] = obj

    def route(self, bundle: dict, amber_to: Iterable[str]) -> None:
        """Route a bundle's marked objects by TLP; its unmarked ones (the creator's identity,
        the marking definitions) go along into every collection that received something."""
        amber_to = list(amber_to)
        objects = bundle.get("objects", [])
        reached: set[str] = set()
        for obj in objects:
            tlp = tlp_of(obj)
            if tlp is None or tlp == Tlp.RED:
                continue
            for alias in (["everyone"] if tlp in OPEN else amber_to):
                collection = self.collections.get(alias)
                if collection is not None and tlp in collection.tlps:
                    self._put(alias, obj)
                    reached.add(alias)
        for obj in objects:
            if tlp_of(obj) is None:
                for alias in reached:
                    self._put(alias, obj)


def finer(alert: Alert, supplier_ids: list[int]) -> bool:
    """The alert targets more finely than everyone or whole categories."""
    return not alert.target_all and bool(alert.target_sectors or alert.target_regions
                                         or alert.target_nis2 or supplier_ids)


def alert_audience(alert: Alert, supplier_ids: list[int],
                   recipients: Iterable[int] = ()) -> list[str]:
    """The collections (aliases) of a sent alert's TLP:AMBER objects; `recipients` are the
    establishments it was delivered to (used for finer targets only)."""
    out = []
    if alert.tlp == Tlp.AMBER:
        out.append("partners")
    if alert.target_all:
        out.append("establishments")
    elif finer(alert, supplier_ids):
        out.extend(establishment_alias(pk) for pk in sorted(set(recipients)))
    elif alert.target_categories:
        out.extend(f"category-{c}" for c in alert.target_categories)
    return out


def establishment_alias(establishment_id: int) -> str:
    return f"establishment-{establishment_id}"


def establishment_collection(establishment_id: int) -> Collection:
    """The collection of one establishment (created the first time an alert needs it)."""
    alias = establishment_alias(establishment_id)
    collection, _created = Collection.objects.get_or_create(alias=alias, defaults={
        "id": uuid.uuid5(NAMESPACE, alias),
        "title": "Alerts delivered to your establishment (TLP:AMBER)",
        "description": "TLP:AMBER alerts sent to establishments chosen by sector, region, "
                       "NIS2 status or supplier, delivered to this establishment.",
        "audience": Audience.ESTABLISHMENT, "establishment_id": establishment_id,
        "tlps": ["amber", "amber+strict"]})
    return collection


def _indicator_chunks() -> Iterable[list[int]]:
    qs = Indicator.objects.shareable().exclude(tlp=Tlp.RED).order_by("id")
    last = 0
    while True:
        ids = list(qs.filter(id__gt=last).values_list("id", flat=True)[:CHUNK])
        if not ids:
            return
        yield ids
        last = ids[-1]


def plan() -> Plan:
    collections = {c.alias: c for c in Collection.objects.exclude(audience=Audience.INBOX)}
    result = Plan(collections)
    for ids in _indicator_chunks():
        result.route(exports.indicators_stix(Indicator.objects.filter(pk__in=ids)),
                     ["partners"])
    campaigns = (Campaign.objects.filter(status=CampaignStatus.CONFIRMED,
                                         merged_into__isnull=True).order_by("id"))
    for campaign in campaigns:
        result.route(exports.campaign_stix(campaign), ["partners"])
    alerts = list(Alert.objects.sent().exclude(tlp=Tlp.RED).select_related("campaign")
                  .prefetch_related("target_suppliers").order_by("id"))
    suppliers = {a.pk: [s.pk for s in a.target_suppliers.all()] for a in alerts}
    narrow = [a.pk for a in alerts
              if a.tlp in (Tlp.AMBER, Tlp.AMBER_STRICT) and finer(a, suppliers[a.pk])]
    recipients: dict[int, list[int]] = defaultdict(list)
    for alert_id, establishment_id in AlertRecipient.objects.filter(
            alert_id__in=narrow).values_list("alert_id", "establishment_id"):
        recipients[alert_id].append(establishment_id)
    for alert in alerts:
        audience = alert_audience(alert, suppliers[alert.pk], recipients.get(alert.pk, ()))
        for alias in audience:
            if alias.startswith("establishment-") and alias not in collections:
                collections[alias] = establishment_collection(int(alias.split("-", 1)[1]))
        result.route(exports.alert_stix(alert), audience)
    return result


def _revoked(obj: dict, when: dt.datetime) -> dict:
    out = dict(obj)
    out["revoked"] = True
    out["modified"] = stix.timestamp(when)
    return out


def _changes(collection: Collection, planned: dict[str, dict], now: dt.datetime,
             everywhere: set[str]) -> tuple[list[dict], set[str]]:
    """What to store in `collection`: the planned objects (one shared again after it was
    revoked there gets a version after the revocation) and a revoked version of each object
    the collection holds that the plan has in no collection any more (`everywhere`: the ids
    of the whole plan). One that only moved (an indicator whose TLP became stricter) keeps
    its last version where it was: revoking it there would tell a reader who also reads the
    other collection that it is no longer valid. Also returns the ids revoked."""
    wanted = {obj["id"] for obj in planned.values()}
    latest = StixObject.objects.filter(collection=collection, latest=True).exclude(type__in=KEPT)
    gone = set(latest.filter(revoked=False).values_list("stix_id", flat=True)) - everywhere
    back = {sid: version for sid, version in
            latest.filter(revoked=True).values_list("stix_id", "version") if sid in wanted}
    out = []
    for obj in planned.values():
        revoked_at = back.get(obj["id"])
        version = protocol.object_version(obj)
        if revoked_at is not None and (version is None or version <= revoked_at):
            obj = dict(obj, modified=stix.timestamp(revoked_at + exports.RESHARED))
        out.append(obj)
    ids = sorted(gone)
    for start in range(0, len(ids), storage.CHUNK):
        for payload, version in latest.filter(stix_id__in=ids[start:start + storage.CHUNK]) \
                .values_list("payload", "version"):
            out.append(_revoked(json.loads(payload), max(now, version + MS)))
    return out, gone


def _record_withdrawals(revoked: set[str]) -> int:
    """Indicators and vulnerabilities no collection serves any more, unrevoked: withdrawn
    from sharing (the MISP events mark them deleted). Returns how many are new or moved."""
    values = sorted(sid for sid in revoked if sid.split("--", 1)[0] in VALUES)
    changed = 0
    for start in range(0, len(values), storage.CHUNK):
        chunk = values[start:start + storage.CHUNK]
        rows = StixObject.objects.filter(stix_id__in=chunk, latest=True)
        still = set(rows.filter(revoked=False).values_list("stix_id", flat=True))
        when: dict[str, dt.datetime] = {}
        for sid, at in rows.filter(revoked=True).values_list("stix_id", "version"):
            if sid not in still:
                when[sid] = max(at, when.get(sid, at))
        known = dict(Withdrawal.objects.filter(stix_id__in=list(when))
                     .values_list("stix_id", "withdrawn_at"))
        for sid, at in sorted(when.items()):
            if known.get(sid) != at:
                Withdrawal.objects.update_or_create(stix_id=sid,
                                                    defaults={"withdrawn_at": at})
                changed += 1
    return changed


def publish(now: dt.datetime | None = None) -> dict[str, int]:
    """Bring every collection up to date (new versions, revoked versions of what left);
    returns the number of new versions per alias."""
    now = now or timezone.now()
    added: dict[str, int] = defaultdict(int)
    for _round in range(2):
        # A new withdrawal changes the reports that listed the indicator (their `modified`
        # follows it): a second round publishes those at once.
        result = plan()
        everywhere = {obj["id"] for objects in result.objects.values()
                      for obj in objects.values()}
        revoked: set[str] = set()
        for alias, collection in result.collections.items():
            with transaction.atomic():
                objects, gone = _changes(collection, result.objects.get(alias, {}), now,
                                         everywhere)
                outcomes = storage.store(collection, objects)
            revoked |= gone
            added[alias] += sum(1 for _i, _v, outcome in outcomes if outcome == "added")
        with transaction.atomic():
            if not _record_withdrawals(revoked):
                break
    return {alias: count for alias, count in added.items() if count}
