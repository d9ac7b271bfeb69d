"""Reading STIX 2.0 and 2.1 content: a bundle, a TAXII envelope or one object.

Real feeds drift: 2.0 and 2.1 objects mixed, custom objects and properties, extensions,
several versions of one object. All of it is kept whole. What is refused is what is not STIX
at all: not an object, an object without a `type` or an `id` of that type.
"""

from __future__ import annotations

import re
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
from vigisante.sharing.stix.builders import TLP1_IDS, TLP_IDS
from vigisante.sharing.stix.patterns import candidates as pattern_candidates

_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{0,248}[a-z0-9]$")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
_ID = re.compile(r"^([a-z0-9][a-z0-9-]{0,248}[a-z0-9])--(" + _UUID + ")$")
_KNOWN_TLP = {ref: tlp for tlp, ref in TLP_IDS.items()} | TLP1_IDS


def _objects_of(data: Any) -> tuple[list[Any], str, str | None]:
    """(objects, bundle id, bundle spec_version)."""
    if not isinstance(data, dict):
        raise IntelError(_("This is not STIX: expected a JSON object (a bundle)."))
    kind = data.get("type")
    if kind == "bundle":
        objects = data.get("objects", [])
        bundle_id = text_of(data, "id")
        version = data.get("spec_version") if isinstance(data.get("spec_version"), str) \
            else None
    elif kind is None and "objects" in data:  # a TAXII envelope
        objects, bundle_id, version = data.get("objects"), "", None
    elif isinstance(kind, str) and "id" in data:  # one object
        objects, bundle_id, version = [data], "", None
    else:
        raise IntelError(_("This is not STIX: expected a bundle (\"type\": \"bundle\") with "
                           "its \"objects\"."))
    if not isinstance(objects, list):
        raise IntelError(_("The bundle's \"objects\" must be a list."))
    if not objects:
        raise IntelError(_("The bundle holds no object."))
    if len(objects) > MAX_OBJECTS:
        raise IntelError(_("Too many objects (%(n)d; at most %(max)d): split the bundle.")
                         % {"n": len(objects), "max": MAX_OBJECTS})
    return objects, bundle_id[:200], version


def _check(index: int, obj: Any) -> str:
    if not isinstance(obj, dict):
        raise IntelError(_("Object %(i)d is not a JSON object.") % {"i": index + 1})
    kind, ident = obj.get("type"), obj.get("id")
    if not isinstance(kind, str) or not _TYPE.match(kind):
        raise IntelError(_("Object %(i)d has no valid \"type\".") % {"i": index + 1})
    match = _ID.match(ident) if isinstance(ident, str) else None
    if not match or match.group(1) != kind:
        raise IntelError(_("Object %(i)d (%(type)s) has no valid \"id\" (expected "
                           "“%(type)s--” and a UUID).") % {"i": index + 1, "type": kind})
    return kind


def _marking_tlps(objects: list[dict]) -> dict[str, str]:
    """marking-definition id -> TLP, for the predefined ids and the TLP definitions given."""
    found = dict(_KNOWN_TLP)
    for obj in objects:
        if obj["type"] != "marking-definition":
            continue
        tlp = None
        definition = obj.get("definition")
        if obj.get("definition_type") == "tlp" and isinstance(definition, dict):
            tlp = tlp_from_name(definition.get("tlp"))
        for ext in (obj.get("extensions") or {}).values() if isinstance(
                obj.get("extensions"), dict) else ():
            if isinstance(ext, dict) and "tlp_2_0" in ext:
                tlp = tlp_from_name(ext["tlp_2_0"]) or tlp
        tlp = tlp or (tlp_from_name(obj.get("name")) if obj.get("name") else None)
        if tlp:
            found[obj["id"]] = tlp
    return found


def _object_tlp(obj: dict, markings: dict[str, str]) -> str | None:
    tlp = None
    refs = obj.get("object_marking_refs")
    for ref in refs if isinstance(refs, list) else ():
        if isinstance(ref, str):
            tlp = stricter(tlp, markings.get(ref))
    return tlp


def read_stix(data: Any) -> Parsed:
    objects, bundle_id, bundle_version = _objects_of(data)
    types = [_check(i, obj) for i, obj in enumerate(objects)]
    markings = _marking_tlps(objects)
    collector = Collector()
    versions: dict[str, int] = {}
    bundle_tlp = None
    skipped = 0
    reports = []
    revoked = []
    for obj in objects:
        version = obj.get("spec_version") or bundle_version or "2.0"
        version = version if isinstance(version, str) else "?"
        versions[version] = versions.get(version, 0) + 1
        tlp = _object_tlp(obj, markings)
        bundle_tlp = stricter(bundle_tlp, tlp)
        kind = obj["type"]
        if kind == "report" and isinstance(obj.get("name"), str):
            reports.append(obj["name"])
        if obj.get("revoked") is True:
            if kind in ("indicator", "vulnerability"):
                revoked.append(obj["id"])
            continue
        if kind == "indicator":
            if obj.get("pattern_type", "stix") != "stix":
                skipped += 1
                continue
            found = pattern_candidates(obj.get("pattern"))
            if not found:
                skipped += 1
            for type_, value in found:
                collector.add(type_, value, tlp=tlp, confidence=obj.get("confidence"),
                              ref=obj["id"])
        elif kind == "vulnerability":
            for ref in obj.get("external_references") or []:
                if isinstance(ref, dict) and str(ref.get("source_name", "")).lower() == "cve":
                    collector.add("cve", ref.get("external_id"), tlp=tlp, ref=obj["id"])
    warnings = []
    if set(versions) - {"2.1"}:
        warnings.append(_("Spec versions: %(v)s.") % {"v": ", ".join(
            f"{v} ({n})" for v, n in sorted(versions.items()))})
    if skipped:
        warnings.append(_("%(n)d indicators have patterns that are not simple values "
                          "(kept, not proposed).") % {"n": skipped})
    if collector.invalid:
        warnings.append(_("%(n)d values are not valid indicators (kept, not proposed).")
                        % {"n": collector.invalid})
    title = reports[0] if len(reports) == 1 else _("STIX bundle (%(n)d objects)") % {
        "n": len(objects)}
    return Parsed(fmt="stix", title=title[:300], external_id=bundle_id, objects=objects,
                  candidates=collector.candidates(), tlp=bundle_tlp, warnings=warnings,
                  counts=count_types(types), revoked=revoked)
