"""What goes into which collection: sent alerts, confirmed campaigns and confirmed indicators,
as STIX 2.1 objects built by `vigisante.sharing.stix` (deterministic ids, `modified` = the
source's last change), stored as new versions when they changed (storage.store is idempotent).

Routing, by TLP (the object's marking) and audience:
- TLP:CLEAR and TLP:GREEN objects go to the collection for everyone, whatever their source;
- TLP:AMBER confirmed indicators and campaigns go to the partners' collection;
- a sent TLP:AMBER or AMBER+STRICT alert goes to the collection of every establishment when
  it targeted everyone, to the collections of its categories when it targeted categories
  only, and (TLP:AMBER) to the partners' collection. An alert with finer targets (regions,
  NIS2 status, a supplier's customers) is not published over TAXII: its recipients read it
  on the site and get its indicators in their feeds;
- nothing TLP:RED, nothing unconfirmed or noisy, ever; a collection never holds an object of
  a TLP it does not carry (`Collection.tlps`).
Unmarked objects the others need (the CERT's identity, the TLP marking definitions) go along
into each collection that receives something.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from vigisante.indicators.models import Campaign, CampaignStatus, Indicator, Status, Tlp
from vigisante.sharing import stix
from vigisante.sharing.models import Alert
from vigisante.taxii import storage
from vigisante.taxii.models import Audience, Collection

OPEN = {Tlp.CLEAR, Tlp.GREEN}
MARKING_TLP = {ref: tlp for tlp, ref in stix.TLP_IDS.items()}
CHUNK = 5000


def tlp_of(obj: dict) -> str | None:
    """The TLP of an object from its marking (None: unmarked)."""
    found = [MARKING_TLP[r] for r in obj.get("object_marking_refs", ()) if r in MARKING_TLP]
    order = [str(t) for t in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)]
    return max(found, key=order.index) if found else None


class Plan:
    """Objects to add, per collection alias."""

    def __init__(self, collections: dict[str, Collection]):
        self.collections = collections
        self.objects: dict[str, dict[str, dict]] = defaultdict(dict)

    def route(self, objects: Iterable[dict], amber_to: Iterable[str]) -> None:
        amber_to = list(amber_to)
        for obj in objects:
            tlp = tlp_of(obj)
            if tlp is None or tlp == Tlp.RED:
                continue
            targets = ["everyone"] if tlp in OPEN else amber_to
            for alias in targets:
                collection = self.collections.get(alias)
                if collection is not None and tlp in collection.tlps:
                    self.objects[alias][f"{obj['id']}@{obj.get('modified', '')}"] = obj

    def complete(self) -> None:
        """Add the identity and the marking definitions each collection's objects use."""
        creator = stix.identity()
        for objects in self.objects.values():
            if not objects:
                continue
            used = {r for o in list(objects.values()) for r in o.get("object_marking_refs", ())}
            for tlp, ref in stix.TLP_IDS.items():
                if ref in used:
                    marking = stix.tlp_marking(tlp)
                    objects[f"{marking['id']}@"] = marking
            objects[f"{creator['id']}@{creator.get('modified', '')}"] = creator


def alert_audience(alert: Alert, supplier_ids: list[int]) -> list[str]:
    """The collections (aliases) of a sent alert's TLP:AMBER objects."""
    out = []
    if alert.tlp == Tlp.AMBER:
        out.append("partners")
    if alert.target_all:
        out.append("establishments")
    elif alert.target_categories and not (alert.target_sectors or alert.target_regions
                                          or alert.target_nis2 or supplier_ids):
        out.extend(f"category-{c}" for c in alert.target_categories)
    return out


def _indicators() -> Iterable[list[Indicator]]:
    qs = (Indicator.objects.shareable().exclude(tlp=Tlp.RED)
          .only("id", "type", "value", "tlp", "confidence", "first_seen", "reviewed_at")
          .order_by("id"))
    last = 0
    while True:
        chunk = list(qs.filter(id__gt=last)[:CHUNK])
        if not chunk:
            return
        yield chunk
        last = chunk[-1].id


def plan() -> Plan:
    collections = {c.alias: c for c in Collection.objects.exclude(audience=Audience.INBOX)}
    result = Plan(collections)
    for chunk in _indicators():
        result.route(stix.indicator_objects(chunk), ["partners"])
    campaigns = (Campaign.objects.filter(status=CampaignStatus.CONFIRMED,
                                         merged_into__isnull=True)
                 .order_by("id"))
    for campaign in campaigns:
        members = list(Indicator.objects.shareable().exclude(tlp=Tlp.RED).filter(
            sightings__report__campaign_memberships__campaign=campaign).distinct())
        tlp = _campaign_tlp(members)
        result.route(stix.campaign_objects(campaign, members, tlp=tlp), ["partners"])
    alerts = (Alert.objects.sent().exclude(tlp=Tlp.RED)
              .prefetch_related("indicators", "target_suppliers").order_by("id"))
    for alert in alerts:
        members = [i for i in alert.indicators.all()
                   if i.status == Status.CONFIRMED and not i.noisy and i.tlp != Tlp.RED]
        suppliers = [s.pk for s in alert.target_suppliers.all()]
        result.route(stix.alert_objects(alert, members), alert_audience(alert, suppliers))
    result.complete()
    return result


def _campaign_tlp(indicators: list[Indicator]) -> str:
    """A campaign is shared at the strictest TLP of its indicators, TLP:AMBER at least
    (what the CERT knows of a campaign is need-to-know unless it says otherwise)."""
    order = [str(t) for t in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT)]
    tlps = [str(i.tlp) for i in indicators if str(i.tlp) in order] + [str(Tlp.AMBER)]
    return max(tlps, key=order.index)


def publish() -> dict[str, int]:
    """Add what changed to every collection; returns the number of new versions per alias."""
    result = plan()
    added: dict[str, int] = {}
    for alias, objects in result.objects.items():
        collection = result.collections[alias]
        with transaction.atomic():
            outcomes = storage.store(collection, list(objects.values()))
        added[alias] = sum(1 for _i, _v, outcome in outcomes if outcome == "added")
    return added
