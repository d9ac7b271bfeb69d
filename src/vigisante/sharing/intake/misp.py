"""Reading MISP event JSON: `{"Event": {...}}`, a bare event, or a REST answer
`{"response": [...]}` holding one or more events.

Attributes (top-level and inside MISP objects) of a type we know become candidates; deleted
ones (or those of a deleted object) are not candidates: their uuids are listed in
`Parsed.revoked`, as STIX revocations are, for the service to match against what we accepted
earlier; every event is kept whole.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from vigisante.sharing.intake.common import (
    MAX_OBJECTS,
    Collector,
    IntelError,
    Parsed,
    count_types,
    stricter,
    text_of,
    tlp_from_name,
)

#: MISP attribute type -> our type ("ip" = IPv4 or IPv6, decided by the value).
ATTRIBUTE_TYPES = {
    "ip-dst": "ip", "ip-src": "ip", "domain": "domain", "hostname": "domain", "url": "url",
    "email": "email", "email-src": "email", "email-dst": "email", "md5": "md5", "sha1": "sha1",
    "sha256": "sha256", "vulnerability": "cve", "btc": "bitcoin",
}
#: Composite types: the part of `a|b` to read.
COMPOSITE = {"ip-dst|port": (0, "ip"), "ip-src|port": (0, "ip"), "domain|ip": (0, "domain"),
             "hostname|port": (0, "domain"), "filename|md5": (1, "md5"),
             "filename|sha1": (1, "sha1"), "filename|sha256": (1, "sha256")}


def _events_of(data: Any) -> list[dict]:
    if isinstance(data, dict) and "response" in data:
        items = data["response"]
        if isinstance(items, dict):
            items = [items]
    elif isinstance(data, list):
        items = data
    else:
        items = [data]
    if not isinstance(items, list) or not items:
        raise IntelError(_("This is not a MISP event: expected {\"Event\": {...}}."))
    events = []
    for item in items:
        event = item.get("Event", item) if isinstance(item, dict) else None
        if not isinstance(event, dict) or not (
                "Attribute" in event or "Object" in event or "info" in event):
            raise IntelError(_("This is not a MISP event: expected {\"Event\": {...}} with "
                               "its \"info\" and \"Attribute\" list."))
        for key in ("Attribute", "Object", "Tag"):
            if key in event and not isinstance(event[key], list):
                raise IntelError(_("The event's \"%(key)s\" must be a list.") % {"key": key})
        events.append(event)
    return events


def _tags_tlp(tags: Any) -> str | None:
    tlp = None
    for tag in tags if isinstance(tags, list) else ():
        name = tag.get("name") if isinstance(tag, dict) else tag
        if isinstance(name, str) and name.lower().startswith("tlp:"):
            tlp = stricter(tlp, tlp_from_name(name))
    return tlp


def _guess_ip(value: str) -> str:
    return "ipv6" if ":" in value else "ipv4"


def _deleted(item: dict) -> bool:
    return item.get("deleted") in (True, "1", 1, "true")


def _add(collector: Collector, attribute: Any, default_tlp: str | None,
         deleted: list[str], object_deleted: bool = False) -> str:
    if not isinstance(attribute, dict):
        raise IntelError(_("An attribute is not a JSON object."))
    kind = attribute.get("type")
    value = attribute.get("value")
    if not isinstance(kind, str):
        raise IntelError(_("An attribute has no \"type\"."))
    if object_deleted or _deleted(attribute):
        deleted.append(text_of(attribute, "uuid")[:200])
        return kind
    if not isinstance(value, str):
        return kind
    tlp = stricter(default_tlp, _tags_tlp(attribute.get("Tag")))
    ref = text_of(attribute, "uuid")
    ours: str | None
    if kind in COMPOSITE:
        index, ours = COMPOSITE[kind]
        parts = value.split("|")
        if len(parts) != 2:
            collector.invalid += 1
            return kind
        value = parts[index]
        if kind == "domain|ip":
            collector.add(_guess_ip(parts[1]), parts[1], tlp=tlp, ref=ref)
    else:
        ours = ATTRIBUTE_TYPES.get(kind)
    if ours is None:
        return kind
    if ours == "ip":
        ours = _guess_ip(value)
    collector.add(ours, value, tlp=tlp, ref=ref)
    return kind


def read_misp(data: Any) -> Parsed:
    events = _events_of(data)
    collector = Collector()
    types: list[str] = []
    event_tlp = None
    count = 0
    deleted: list[str] = []  # uuids of the deleted attributes ("" when one has none)
    for event in events:
        tlp = _tags_tlp(event.get("Tag"))
        event_tlp = stricter(event_tlp, tlp)
        # (attribute, in a deleted object): an object deleted deletes its attributes
        attributes = [(a, False) for a in event.get("Attribute") or []]
        for obj in event.get("Object") or []:
            if not isinstance(obj, dict) or not isinstance(obj.get("Attribute", []), list):
                raise IntelError(_("A MISP object is not a JSON object with an "
                                   "\"Attribute\" list."))
            attributes += [(a, _deleted(obj)) for a in obj.get("Attribute") or []]
        count += len(attributes)
        if count > MAX_OBJECTS:
            raise IntelError(_("Too many attributes (more than %(max)d): split the event.")
                             % {"max": MAX_OBJECTS})
        for attribute, object_deleted in attributes:
            types.append(_add(collector, attribute, tlp, deleted, object_deleted))
    warnings = []
    if collector.invalid:
        warnings.append(_("%(n)d values are not valid indicators (kept, not proposed).")
                        % {"n": collector.invalid})
    first = events[0]
    info = text_of(first, "info")
    title = info if len(events) == 1 else _("%(n)d MISP events") % {"n": len(events)}
    uuid = text_of(first, "uuid") if len(events) == 1 else ""
    return Parsed(fmt="misp", title=(title or _("MISP event"))[:300], external_id=uuid[:200],
                  objects=[{"Event": e} for e in events], candidates=collector.candidates(),
                  tlp=event_tlp, warnings=warnings, counts=count_types(types),
                  revoked=deleted)
