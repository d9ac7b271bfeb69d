"""MISP events and the MISP feed, built from our records: pure functions, no ORM, no clock.

An alert or a campaign becomes one MISP event (`{"Event": {...}}`): typed attributes (one per
indicator), TLP and RSIT tags, our organisation as creator. Uuids are deterministic (UUIDv5 of
the creator and the natural key), like the STIX ids. The feed is what a MISP instance fetches
when it subscribes: `manifest.json` (one entry per event), `<uuid>.json` (the event), and
`hashes.csv` (the md5 of each attribute value, with its event uuid).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Iterable
from typing import Any

from vigisante.sharing.stix.builders import NAMESPACE

#: our type -> (MISP attribute type, category, to_ids)
ATTRIBUTES = {
    "ipv4": ("ip-dst", "Network activity", True),
    "ipv6": ("ip-dst", "Network activity", True),
    "domain": ("domain", "Network activity", True),
    "onion": ("domain", "Network activity", True),
    "url": ("url", "Network activity", True),
    "email": ("email-src", "Payload delivery", True),
    "md5": ("md5", "Payload delivery", True),
    "sha1": ("sha1", "Payload delivery", True),
    "sha256": ("sha256", "Payload delivery", True),
    "cve": ("vulnerability", "External analysis", False),
    "bitcoin": ("btc", "Financial fraud", True),
}
#: TLP 2.0 tags (MISP "tlp" taxonomy) and their colours.
TLP_TAGS = {"clear": ("tlp:clear", "#ffffff"), "green": ("tlp:green", "#33ff00"),
            "amber": ("tlp:amber", "#ffc000"), "amber+strict": ("tlp:amber+strict", "#ffc000"),
            "red": ("tlp:red", "#ff2b2b")}
#: Event distribution by TLP: CLEAR to all communities, GREEN to the receiving community,
#: stricter ones stay in the receiving organisation.
DISTRIBUTION = {"clear": "3", "green": "1", "amber": "0", "amber+strict": "0", "red": "0"}


def misp_uuid(*key: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, "|".join(["misp", *(str(k) for k in key)])))


def org(name: str) -> dict[str, str]:
    return {"name": name, "uuid": misp_uuid("org", name)}


def _epoch(value: dt.datetime) -> str:
    return str(int(value.timestamp()))


def tags(tlp: str, rsit: Iterable[tuple[str, str]] = ()) -> list[dict[str, str]]:
    """The TLP tag, then one `rsit:class="type"` tag per RSIT classification."""
    name, colour = TLP_TAGS[tlp]
    out = [{"name": name, "colour": colour}]
    for klass, kind in sorted(set(rsit)):
        if klass and kind:
            out.append({"name": f'rsit:{klass}="{kind}"', "colour": "#0071c3"})
    return out


def _epoch_up(value: dt.datetime) -> int:
    """Whole seconds, rounded up (a change a millisecond after another is a later second)."""
    whole = int(value.timestamp())
    return whole + 1 if value.timestamp() > whole else whole


def attribute(ind: Any, event_uuid: str) -> dict[str, Any]:
    """One attribute for an indicator (`type`, `value`, `first_seen`, `reviewed_at`)."""
    kind, category, to_ids = ATTRIBUTES[ind.type]
    changed = max(t for t in (ind.first_seen, ind.reviewed_at) if t is not None)
    return {"uuid": misp_uuid(event_uuid, ind.type, ind.value), "type": kind,
            "category": category, "value": ind.value, "to_ids": to_ids,
            "distribution": "5", "comment": "", "timestamp": str(_epoch_up(changed)),
            "disable_correlation": False}


def deleted_attribute(ind: Any, event_uuid: str) -> dict[str, Any]:
    """The attribute of an indicator withdrawn after it was shared (`withdrawn_at`): MISP
    deletes its copy when it syncs (`deleted`), and no longer blocks it (`to_ids` false)."""
    out = attribute(ind, event_uuid)
    # One second past the withdrawal's own second: every stamp an earlier fetch of the
    # event can have seen is at most that second (changes before the withdrawal, rounded
    # up), so the event's timestamp always moves and a subscribed MISP fetches it again,
    # even when the withdrawal follows the last change within the same second.
    out.update(to_ids=False, deleted=True, timestamp=str(_epoch_up(ind.withdrawn_at) + 1),
               comment="Withdrawn by the CERT (false positive or too common).")
    return out


def event(*, key: str, info: str, date: dt.date, changed: dt.datetime, tlp: str,
          indicators: Iterable[Any], rsit: Iterable[tuple[str, str]] = (),
          creator: str, withdrawn: Iterable[Any] = ()) -> dict[str, Any]:
    """A MISP event: `key` names it for its uuid (e.g. "alert/12"), `changed` is its last
    change (the event's timestamp: the attributes' never exceed it). `withdrawn` are the
    indicators withdrawn after they were shared (each with `withdrawn_at`): deleted
    attributes."""
    event_uuid = misp_uuid(creator, key)
    attributes = [attribute(i, event_uuid) for i in indicators]
    attributes += [deleted_attribute(i, event_uuid) for i in withdrawn]
    latest = max([int(_epoch(changed)), *(int(a["timestamp"]) for a in attributes)])
    return {"Event": {
        "uuid": event_uuid, "info": info[:65535], "date": date.isoformat(),
        "timestamp": str(latest), "publish_timestamp": str(latest), "published": True,
        "analysis": "2", "threat_level_id": "2", "distribution": DISTRIBUTION[tlp],
        "Orgc": org(creator), "Tag": tags(tlp, rsit), "Attribute": attributes}}


def manifest(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The feed's `manifest.json`: each event's uuid -> its summary."""
    out = {}
    for wrapped in events:
        e = wrapped["Event"]
        out[e["uuid"]] = {"Orgc": e["Orgc"], "Tag": e["Tag"], "info": e["info"],
                          "date": e["date"], "analysis": int(e["analysis"]),
                          "threat_level_id": int(e["threat_level_id"]),
                          "timestamp": int(e["timestamp"])}
    return out


def hashes(events: Iterable[dict[str, Any]]) -> str:
    """The feed's `hashes.csv`: `md5(value),event uuid`, one line per attribute."""
    lines = []
    for wrapped in events:
        e = wrapped["Event"]
        for a in e["Attribute"]:
            if a.get("deleted"):
                continue
            digest = hashlib.md5(a["value"].encode("utf-8"), usedforsecurity=False).hexdigest()
            lines.append(f"{digest},{e['uuid']}\n")
    return "".join(lines)
