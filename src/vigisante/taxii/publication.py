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
The bundles come from `vigisante.sharing.exports` (only shareable indicators; a campaign's
name and summary only when the anonymity guard passes them). Unmarked objects the others need
(the CERT's identity, the TLP marking definitions) go along into each collection that
receives something of the same bundle.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from vigisante.indicators.models import Campaign, CampaignStatus, Indicator, Tlp
from vigisante.sharing import exports, stix
from vigisante.sharing.models import Alert
from vigisante.taxii import storage
from vigisante.taxii.models import Audience, Collection

OPEN = {Tlp.CLEAR, Tlp.GREEN}
MARKING_TLP = {ref: tlp for tlp, ref in stix.TLP_IDS.items()}
ORDER = [str(t) for t in (Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED)]
CHUNK = 5000


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
    alerts = (Alert.objects.sent().exclude(tlp=Tlp.RED).select_related("campaign")
              .prefetch_related("target_suppliers").order_by("id"))
    for alert in alerts:
        suppliers = [s.pk for s in alert.target_suppliers.all()]
        result.route(exports.alert_stix(alert), alert_audience(alert, suppliers))
    return result


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
