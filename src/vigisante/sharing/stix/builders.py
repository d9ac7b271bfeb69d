"""STIX 2.1 objects built from our records: pure functions, no ORM, no clock.

Every builder takes plain objects (model instances or anything with the same attributes) and
returns plain dicts, ready for `json.dumps`. Ids are deterministic: a UUIDv5 over a fixed
namespace, the creator's id and the object's natural key (an indicator's type and value, a
campaign's or an alert's number), so exporting the same thing twice gives the same id; and
`modified` is the source's last change, so it stays the same until the source changes.

What is never put in an object: a reporting establishment, its FINESS, town or people, a
report or its reference, any free text of a report. Alerts and campaigns carry only what an
analyst wrote for sharing (checked by the anonymity guard before sharing).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterable
from typing import Any

from vigisante.sharing.stix.patterns import LABELS, pattern_for

NAMESPACE = uuid.UUID("467629a4-770f-41bc-b518-2c43aa2fe798")
DEFAULT_CREATOR = "Vigisanté CERT"
#: Timestamps of objects whose content never changes (our identity, a malware family).
FIXED_TIME = "2026-01-01T00:00:00.000Z"

# TLP 2.0 (FIRST), as the OASIS "TLP 2.0" extension definition publishes them: fixed ids.
TLP_EXTENSION = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"
TLP_CREATED = "2022-10-01T00:00:00.000Z"
TLP_IDS = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
#: TLP 1.0 ids predefined by STIX 2.1 (read on import only).
TLP1_IDS = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}


_NS_BYTES = NAMESPACE.bytes


def _uuid5(name: str) -> str:
    """`str(uuid.uuid5(NAMESPACE, name))`, without building UUID objects (the export of
    100,000 indicators makes 100,000 of them)."""
    digest = bytearray(hashlib.sha1(_NS_BYTES + name.encode("utf-8"),
                                    usedforsecurity=False).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50  # version 5
    digest[8] = (digest[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = digest.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def stix_id(type_: str, *key: Any) -> str:
    """`type--uuid5(namespace, type|key...)`: the same key always gives the same id."""
    name = "|".join([type_, *(str(k) for k in key)])
    return f"{type_}--{_uuid5(name)}"


def timestamp(value: dt.datetime | None) -> str:
    """A STIX timestamp: UTC, millisecond precision, `Z`."""
    if value is None:
        return FIXED_TIME
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC).replace(tzinfo=None)
    return value.isoformat(timespec="milliseconds") + "Z"


def _latest(*values: dt.datetime | None) -> dt.datetime | None:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def identity(name: str = DEFAULT_CREATOR) -> dict[str, Any]:
    """The CERT as the creator of everything it shares."""
    return {"type": "identity", "spec_version": "2.1", "id": stix_id("identity", name),
            "created": FIXED_TIME, "modified": FIXED_TIME, "name": name,
            "identity_class": "organization", "sectors": ["healthcare"]}


def tlp_marking(tlp: str) -> dict[str, Any]:
    """The TLP 2.0 marking definition of `tlp` (clear, green, amber, amber+strict, red)."""
    return {"type": "marking-definition", "spec_version": "2.1", "id": TLP_IDS[tlp],
            "created": TLP_CREATED, "name": f"TLP:{tlp.upper()}",
            "extensions": {TLP_EXTENSION: {"extension_type": "property-extension",
                                           "tlp_2_0": tlp}}}


def _creator_id(creator: dict[str, Any] | None) -> str:
    return (creator or identity())["id"]


def indicator_id(type_: str, value: str, creator: dict[str, Any] | None = None) -> str:
    """The id of an indicator (or of the vulnerability a CVE becomes)."""
    kind = "vulnerability" if type_ == "cve" else "indicator"
    return stix_id(kind, _creator_id(creator), type_, value)


def indicator_objects(indicators: Iterable[Any], *,
                      creator: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """One `indicator` per indicator (a `vulnerability` for a CVE), marked with its TLP.

    Each item needs `type`, `value`, `tlp`, `confidence`, `first_seen` and `reviewed_at`
    (when it was last confirmed or changed by an analyst): `created` is `first_seen`,
    `modified` the later of the two."""
    creator_id = _creator_id(creator)
    out = []
    for ind in indicators:
        created = ind.first_seen
        reviewed = ind.reviewed_at
        modified = reviewed if reviewed is not None and reviewed > created else created
        modified_at = timestamp(modified)
        common = {"spec_version": "2.1", "created_by_ref": creator_id,
                  "created": timestamp(created), "modified": modified_at,
                  "object_marking_refs": [TLP_IDS[ind.tlp]]}
        if ind.type == "cve":
            out.append({"type": "vulnerability", "id": stix_id(
                "vulnerability", creator_id, ind.type, ind.value), **common,
                "name": ind.value,
                "external_references": [{"source_name": "cve", "external_id": ind.value}]})
            continue
        out.append({
            "type": "indicator", "id": stix_id("indicator", creator_id, ind.type, ind.value),
            **common, "name": f"{LABELS[ind.type]}: {ind.value}"[:300],
            "indicator_types": ["malicious-activity"],
            "pattern": pattern_for(ind.type, ind.value), "pattern_type": "stix",
            "pattern_version": "2.1", "valid_from": modified_at,
            "confidence": int(ind.confidence)})
    return out


def malware_objects(names: Iterable[str], *,
                    creator: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A `malware` family per name (e.g. a ransomware family), one id per name."""
    creator_id = _creator_id(creator)
    seen: dict[str, dict[str, Any]] = {}
    for name in names:
        name = " ".join(str(name).split())[:200]
        if not name or name.lower() in seen:
            continue
        seen[name.lower()] = {
            "type": "malware", "spec_version": "2.1",
            "id": stix_id("malware", creator_id, name.lower()), "created_by_ref": creator_id,
            "created": FIXED_TIME, "modified": FIXED_TIME, "name": name, "is_family": True,
            "object_marking_refs": [TLP_IDS["clear"]]}
    return list(seen.values())


def relationship(source: dict[str, Any], kind: str, target: dict[str, Any], *,
                 creator: dict[str, Any] | None = None,
                 tlp: str = "clear") -> dict[str, Any]:
    """`source kind target`; its time is the later of the two ends' creation."""
    created = max(source["created"], target["created"])
    creator_id = _creator_id(creator)
    return {"type": "relationship", "spec_version": "2.1",
            "id": stix_id("relationship", creator_id, source["id"], kind, target["id"]),
            "created_by_ref": creator_id, "created": created, "modified": created,
            "relationship_type": kind, "source_ref": source["id"], "target_ref": target["id"],
            "object_marking_refs": [TLP_IDS[tlp]]}


def _links(owner: dict[str, Any], objects: list[dict[str, Any]], malware: list[dict[str, Any]],
           creator: dict[str, Any] | None, tlp: str) -> list[dict[str, Any]]:
    """indicator -indicates-> owner, owner -targets-> vulnerability, owner -uses-> malware."""
    rels = []
    for obj in objects:
        if obj["type"] == "indicator":
            rels.append(relationship(obj, "indicates", owner, creator=creator, tlp=tlp))
        elif obj["type"] == "vulnerability":
            rels.append(relationship(owner, "targets", obj, creator=creator, tlp=tlp))
    for family in malware:
        rels.append(relationship(owner, "uses", family, creator=creator, tlp=tlp))
    return rels


def campaign_objects(campaign: Any, indicators: Iterable[Any], *, tlp: str = "amber",
                     malware: Iterable[str] = (), name: str | None = None,
                     description: str | None = None,
                     creator: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A `campaign`, its indicators, malware families and the relationships between them.

    `campaign` needs `pk`, `created_at`, `confirmed_at`, `reviewed_at` (every analyst change
    sets it): `modified` is the latest. `name` and `description` are what may be shared
    (the exporter passes them once checked by the anonymity guard)."""
    creator_id = _creator_id(creator)
    modified = _latest(campaign.created_at, campaign.confirmed_at, campaign.reviewed_at)
    obj = {"type": "campaign", "spec_version": "2.1",
           "id": stix_id("campaign", creator_id, campaign.pk), "created_by_ref": creator_id,
           "created": timestamp(campaign.created_at), "modified": timestamp(modified),
           "name": (name or f"Campaign {campaign.pk}")[:300],
           "object_marking_refs": [TLP_IDS[tlp]]}
    if description:
        obj["description"] = description
    objects = indicator_objects(indicators, creator=creator)
    families = malware_objects(malware, creator=creator)
    return [obj, *objects, *families, *_links(obj, objects, families, creator, tlp)]


def alert_objects(alert: Any, indicators: Iterable[Any], *, campaign: Any = None,
                  campaign_name: str | None = None, malware: Iterable[str] = (),
                  creator: dict[str, Any] | None = None,
                  changed: dt.datetime | None = None) -> list[dict[str, Any]]:
    """A `report` (the alert as the establishments read it) with its indicators, malware
    families, campaign and relationships, all under the alert's TLP for what it adds.

    `alert` needs `pk`, `title`, `situation`, `actions`, `tlp`, `created_at`, `updated_at`
    (changed by every edit, and by sending) and `sent_at`; `changed` is a later change of
    what it lists (an indicator withdrawn, or shared again), if any."""
    creator_id = _creator_id(creator)
    tlp = alert.tlp
    objects = indicator_objects(indicators, creator=creator)
    families = malware_objects(malware, creator=creator)
    extra: list[dict[str, Any]] = []
    if campaign is not None:
        extra = campaign_objects(campaign, [], tlp=tlp, malware=(), name=campaign_name,
                                 creator=creator)
        owner = extra[0]
        extra += _links(owner, objects, families, creator, tlp)
    else:
        for family in families:
            extra += [relationship(o, "indicates", family, creator=creator, tlp=tlp)
                      for o in objects if o["type"] == "indicator"]
    modified = _latest(alert.created_at, alert.updated_at, alert.sent_at, changed)
    refs = [o["id"] for o in [*objects, *families, *extra]]
    report = {
        "type": "report", "spec_version": "2.1",
        "id": stix_id("report", creator_id, "alert", alert.pk), "created_by_ref": creator_id,
        "created": timestamp(alert.created_at), "modified": timestamp(modified),
        "name": alert.title, "description": f"{alert.situation}\n\n{alert.actions}".strip(),
        "report_types": ["threat-report"],
        "published": timestamp(alert.sent_at or modified),
        "object_refs": refs or [creator_id], "object_marking_refs": [TLP_IDS[tlp]]}
    return [report, *objects, *families, *extra]


def bundle(objects: Iterable[dict[str, Any]], *,
           creator: dict[str, Any] | None = None) -> dict[str, Any]:
    """A bundle of `objects` (each id once) with the creator's identity and the TLP marking
    definitions they use; its id depends only on its content's ids and versions."""
    creator = creator or identity()
    by_id: dict[str, dict[str, Any]] = {creator["id"]: creator}
    tlps: set[str] = set()
    for obj in objects:
        by_id.setdefault(obj["id"], obj)
        tlps.update(obj.get("object_marking_refs", ()))
    markings = [tlp_marking(t) for t, ref in TLP_IDS.items() if ref in tlps]
    everything = [*markings, *by_id.values()]
    key = ",".join(f"{o['id']}@{o.get('modified', '')}" for o in everything)
    return {"type": "bundle", "id": f"bundle--{_uuid5(key)}",
            "objects": everything}


def dumps(data: dict[str, Any]) -> str:
    """Compact JSON (UTF-8 characters kept)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))
