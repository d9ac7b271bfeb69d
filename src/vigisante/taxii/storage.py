"""The stored versions of STIX objects in collections: adding (in bulk, idempotent), selecting
with the TAXII filters and a keyset cursor, deleting.

Each row is one version (`modified`, else `created`, else the date it was added) of one
object in one collection; adding a version already there changes nothing. `latest`/`first`
are kept right on every change, so that the default `match[version]=last` is one indexed
condition. `date_added` is strictly increasing within one call (a microsecond apart), and
rows are served in (date_added, id) order: `next` is a keyset cursor on that pair.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from vigisante.taxii import protocol
from vigisante.taxii.models import Collection, StixObject

CHUNK = 500


def _dumps(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def store(collection: Collection, objects: Iterable[dict], *, added_by=None,
          now: dt.datetime | None = None) -> list[tuple[str, str, str]]:
    """Add checked STIX objects (see `protocol.check_object`) to `collection`.

    Returns one `(id, version, outcome)` per object, outcome "added" or "present" (that
    version was already there). One transaction; writers of a collection are serialised."""
    now = now or timezone.now()
    prepared: list[tuple[str, str, dt.datetime, str, str, bool]] = []
    for obj in objects:
        version = protocol.object_version(obj) or now
        prepared.append((obj["id"], obj["type"], version, obj.get("spec_version", "2.1"),
                         _dumps(obj), obj.get("revoked") is True))
    results: list[tuple[str, str, str]] = []
    with transaction.atomic():
        Collection.objects.select_for_update().filter(pk=collection.pk).exists()
        for start in range(0, len(prepared), CHUNK):
            chunk = prepared[start:start + CHUNK]
            results.extend(_store_chunk(collection, chunk, added_by, now + dt.timedelta(
                microseconds=start)))
    return results


def _store_chunk(collection, chunk, added_by, base: dt.datetime):
    ids = {item[0] for item in chunk}
    existing: dict[str, list[tuple[int, dt.datetime, bool, bool]]] = defaultdict(list)
    for row in (StixObject.objects.filter(collection=collection, stix_id__in=ids)
                .values_list("id", "stix_id", "version", "latest", "first")):
        existing[row[1]].append((row[0], row[2], row[3], row[4]))
    known = {(sid, v) for sid, rows in existing.items() for _pk, v, _l, _f in rows}
    new_rows: list[StixObject] = []
    results = []
    for offset, (stix_id, kind, version, spec, payload, revoked) in enumerate(chunk):
        stamp = protocol.format_timestamp(version)
        if (stix_id, version) in known:
            results.append((stix_id, stamp, "present"))
            continue
        known.add((stix_id, version))
        new_rows.append(StixObject(
            collection=collection, stix_id=stix_id, type=kind, spec_version=spec,
            version=version, date_added=base + dt.timedelta(microseconds=offset),
            latest=False, first=False, payload=payload, revoked=revoked, added_by=added_by))
        results.append((stix_id, stamp, "added"))
    if not new_rows:
        return results
    # latest / first over the old and new versions of each touched object
    by_id: dict[str, list] = defaultdict(list)
    for new in new_rows:
        by_id[new.stix_id].append(new)
    no_longer_latest, no_longer_first = [], []
    for stix_id, rows in by_id.items():
        old = existing.get(stix_id, [])
        versions = [r.version for r in rows] + [v for _pk, v, _l, _f in old]
        newest, oldest = max(versions), min(versions)
        for item in rows:
            item.latest = item.version == newest
            item.first = item.version == oldest
        for pk, version, latest, first in old:
            if latest and version != newest:
                no_longer_latest.append(pk)
            if first and version != oldest:
                no_longer_first.append(pk)
    if no_longer_latest:
        StixObject.objects.filter(pk__in=no_longer_latest).update(latest=False)
    if no_longer_first:
        StixObject.objects.filter(pk__in=no_longer_first).update(first=False)
    StixObject.objects.bulk_create(new_rows, batch_size=CHUNK)
    return results


def _version_q(versions: list[str]) -> Q:
    if not versions:
        versions = ["last"]
    q = Q(pk__in=[])
    stamps = []
    for value in versions:
        if value == "all":
            return Q()
        if value == "last":
            q |= Q(latest=True)
        elif value == "first":
            q |= Q(first=True)
        else:
            stamps.append(protocol.parse_timestamp(value))
    if stamps:
        q |= Q(version__in=stamps)
    return q


def select(collection: Collection, filters: protocol.Filters, *, fields: tuple[str, ...],
           object_id: str | None = None, versions: bool = True) -> tuple[list[tuple], bool]:
    """The rows of a page (values of `fields`, after "id" and "date_added"), and whether more
    follow. `versions=False` ignores match[version] (the versions endpoint: all of them)."""
    qs = StixObject.objects.filter(collection=collection)
    if object_id is not None:
        qs = qs.filter(stix_id=object_id)
    if filters.ids:
        qs = qs.filter(stix_id__in=filters.ids)
    if filters.types:
        qs = qs.filter(type__in=filters.types)
    if filters.spec_versions:
        qs = qs.filter(spec_version__in=filters.spec_versions)
    if versions:
        qs = qs.filter(_version_q(filters.versions))
    if filters.added_after is not None:
        qs = qs.filter(date_added__gt=filters.added_after)
    if filters.next is not None:
        when, row_id = filters.next
        qs = qs.filter(Q(date_added__gt=when) | Q(date_added=when, id__gt=row_id))
    rows = list(qs.order_by("date_added", "id")
                .values_list("id", "date_added", *fields)[:filters.limit + 1])
    more = len(rows) > filters.limit
    return rows[:filters.limit], more


def delete(collection: Collection, object_id: str, filters: protocol.Filters) -> int:
    """Delete the versions of one object that match (all of them by default); the flags of
    what is left are recomputed. Returns how many versions went."""
    with transaction.atomic():
        qs = StixObject.objects.filter(collection=collection, stix_id=object_id)
        if filters.spec_versions:
            qs = qs.filter(spec_version__in=filters.spec_versions)
        if filters.versions:
            qs = qs.filter(_version_q(filters.versions))
        count, _detail = qs.delete()
        left = StixObject.objects.filter(collection=collection, stix_id=object_id)
        versions = list(left.values_list("version", flat=True))
        if versions:
            left.update(latest=False, first=False)
            left.filter(version=max(versions)).update(latest=True)
            left.filter(version=min(versions)).update(first=True)
    return count
