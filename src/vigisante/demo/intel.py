"""Demo incoming intelligence (issue 8): a STIX 2.1 bundle from a fictional national CERT and a
MISP event from a fictional partner, received through `sharing.services.ingest_intel` and
waiting for an analyst's review. Documentation-range addresses and fictional names only."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from vigisante.demo.data import DemoData

NATIONAL = "CERT national (fictif)"
PARTNER = "CSIRT régional partenaire (fictif)"
STIX_VALUES = [("ipv4", "203.0.113.77"), ("ipv4", "203.0.113.78"), ("ipv6", "2001:db8:77::1"),
               ("sha256", "7" * 64), ("md5", "b" * 32), ("cve", "CVE-2024-3400")]
MISP_ATTRIBUTES = [("ip-dst", "198.51.100.200"), ("ip-dst|port", "198.51.100.201|8443"),
                   ("sha1", "c" * 40), ("vulnerability", "CVE-2023-4966"),
                   ("text", "Campagne d'exploitation de passerelles VPN (fictif)")]


def _stix_bundle(now: dt.datetime) -> dict[str, Any]:
    from vigisante.sharing import stix

    creator = stix.identity(NATIONAL)
    first = now - dt.timedelta(days=2)
    items = [SimpleNamespace(type=t, value=v, tlp="green", confidence=85, first_seen=first,
                             reviewed_at=first) for t, v in STIX_VALUES]
    report = SimpleNamespace(pk=1, title="Exploitation de pare-feu exposés (fictif)",
                             situation="Des pare-feu exposés sur Internet sont exploités.",
                             actions="Appliquez le correctif et cherchez ces indicateurs.",
                             tlp="green", created_at=first, updated_at=first, sent_at=first)
    objects = stix.alert_objects(report, items, malware=["FictiveRAT"], creator=creator)
    objects.append({"type": "x-cert-fr-advisory", "id": stix.stix_id(
        "x-cert-fr-advisory", creator["id"], 1), "reference": "AVIS-FICTIF-2026-001"})
    return stix.bundle(objects, creator=creator)


def _misp_event(now: dt.datetime) -> dict[str, Any]:
    from vigisante.sharing import misp

    return {"Event": {
        "uuid": misp.misp_uuid(PARTNER, "demo"), "info": "Passerelles VPN ciblées (fictif)",
        "date": (now - dt.timedelta(days=1)).date().isoformat(), "analysis": "1",
        "threat_level_id": "2", "Orgc": misp.org(PARTNER),
        "Tag": [{"name": "tlp:amber"}, {"name": 'rsit:intrusions="system-compromise"'}],
        "Attribute": [{"type": t, "value": v, "category": "Network activity",
                       "to_ids": t != "text", "uuid": misp.misp_uuid(PARTNER, t, v)}
                      for t, v in MISP_ATTRIBUTES]}}


def seed(data: DemoData, log: Callable[[str], None] = lambda _m: None) -> dict[str, Any]:
    """Receive the two pieces (inside the demo's seed transaction)."""
    from vigisante.sharing.services import ingest_intel

    now = timezone.now()
    stix_item = ingest_intel(source=f"TAXII: {NATIONAL}", fmt="stix", payload=_stix_bundle(now))
    misp_item = ingest_intel(source=f"MISP: {PARTNER}", fmt="misp", payload=_misp_event(now))
    count = stix_item.candidates.count() + misp_item.candidates.count()
    log(f"2 pieces of incoming intelligence ({count} indicators to review)")
    return {"pieces": 2, "candidates": count}
