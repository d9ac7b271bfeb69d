"""VERIS incident files (the format of the VERIS Community Database), schema 1.3.x and 1.4.x:
version detection, upgrade of older files to the 1.4.1 shape, validation against the
shipped 1.4.1 schema (veris-1.4.1-verisc-merged.json, CC BY-SA 4.0, see data/), and the
mapping onto a report and its `ExternalIncident`.

The differences handled (docs/observatory.md lists them too):
- 1.3.0-1.3.2: `discovery_method` is a flat string ("Ext - Customer", "Int - Antivirus",
  "Prt - Audit", "Unknown"); from 1.3.3 it is hierarchical like actor/action/attribute.
- 1.3.x: `asset.governance` (removed in 1.4); `asset.cloud` and `victim.government` were
  optional and are required in 1.4 (filled with "Unknown" / "NA").
- 1.3.x: `plus.attribute.confidentiality` held `data_misuse`, `credit_monitoring`, ...;
  1.4.1 keeps only `data_abuse` (data_misuse "Y" becomes data_abuse "Yes").
- Renamed enumerations: hacking/malware "MitM" -> "AitM" (1.4.0), error "Omission" ->
  "Other" (1.4.0), assets "S - Remote access" -> "N - Remote access" and "N - HSM" ->
  "S - Secrets vault" (1.4.1), plus.attribute.confidentiality.partner_data/partner_number
  -> data_victim "Partner" and data_total (1.4.1).
- Keys of action/actor/attribute/discovery_method are lower-case in the schema; files
  written by older tools with "Hacking", "External", ... are accepted.
A 1.3.x or 1.4.0 file is upgraded (a copy: the original JSON is what is kept), then
validated against 1.4.1 like any 1.4.x file ("adapted validation").
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

SCHEMA_PATH = Path(__file__).resolve().parent / "data" / "veris-1.4.1-verisc-merged.json"
ACTIONS = ("hacking", "malware", "social", "error", "misuse", "physical", "environmental",
           "unknown")
MALICIOUS_ACTIONS = {"hacking", "malware", "social", "misuse", "physical"}
PERSONAL_DATA = {"Personal", "Sensitive Personal", "Medical"}
_VERSION = re.compile(r"^1\.(3|4)(\.\d+)?$")

NAICS_SECTORS = {
    "11": "Agriculture", "21": "Mining", "22": "Utilities", "23": "Construction",
    "31": "Manufacturing", "32": "Manufacturing", "33": "Manufacturing",
    "42": "Wholesale trade", "44": "Retail trade", "45": "Retail trade",
    "48": "Transportation", "49": "Transportation", "51": "Information", "52": "Finance",
    "53": "Real estate", "54": "Professional services", "55": "Management of companies",
    "56": "Administrative services", "61": "Educational services",
    "62": "Health care and social assistance", "71": "Arts and entertainment",
    "72": "Accommodation and food", "81": "Other services", "92": "Public administration",
    "00": "Unknown",
}
NAICS_HEALTH = {"621": "Ambulatory health care", "622": "Hospitals",
                "623": "Nursing and residential care", "624": "Social assistance"}


class VerisError(ValueError):
    """The file is not a VERIS incident this importer accepts; the message says why,
    `category` groups the reasons in the summary."""

    def __init__(self, message: str, category: str = "") -> None:
        super().__init__(message)
        self.category = category or message


@cache
def schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def validator():
    from jsonschema import Draft4Validator

    return Draft4Validator(schema())


def schema_version(doc: dict[str, Any]) -> str:
    """'1.3' or '1.4' for a supported file, else VerisError."""
    version = doc.get("schema_version")
    if not isinstance(version, str) or not _VERSION.match(version.strip()):
        raise VerisError(_("unsupported schema_version %(v)r (1.3.x and 1.4.x are)") % {
            "v": version}, _("unsupported schema version"))
    return "1." + _VERSION.match(version.strip()).group(1)


def _lower_keys(doc: dict[str, Any]) -> None:
    for key in ("action", "actor", "attribute", "discovery_method"):
        node = doc.get(key)
        if isinstance(node, dict):
            doc[key] = {k.lower() if isinstance(k, str) else k: v for k, v in node.items()}


_DISCOVERY_BRANCH = {"ext": "external", "int": "internal", "prt": "partner"}
_DISCOVERY_ALIASES = {"reported by user": "Reported by employee",
                      "user": "Reported by employee", "unrelated party": "Unrelated 3rd party",
                      "unrelated 3rd party": "Unrelated 3rd party",
                      "it audit": "It review", "nids": "Nids", "hids": "Hids"}


def _discovery_from_string(value: str) -> dict[str, Any]:
    """1.3.0-1.3.2 flat discovery_method ("Ext - Customer") -> 1.4 hierarchy."""
    text = value.strip()
    if text.lower() in ("unknown", ""):
        return {"unknown": True}
    if text.lower() == "other":
        return {"other": True}
    prefix, _sep, rest = text.partition(" - ")
    branch = _DISCOVERY_BRANCH.get(prefix.strip().lower())
    if branch is None:
        return {"other": True}
    enum = (schema()["properties"]["discovery_method"]["properties"][branch]["properties"]
            ["variety"]["items"]["enum"])
    wanted = _DISCOVERY_ALIASES.get(rest.strip().lower(), rest.strip())
    match = next((e for e in enum if e.lower() == wanted.lower()), None)
    return {branch: {"variety": [match or ("Unknown" if "unknown" in wanted.lower()
                                           else "Other")]}}


def _rename(values: list[Any], old: str, new: str) -> list[Any]:
    out = [new if v == old else v for v in values]
    return list(dict.fromkeys(out))  # a rename can create a duplicate


def upgrade(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of a 1.3.x / 1.4.0 incident in the 1.4.1 shape (see the module docstring)."""
    d = copy.deepcopy(doc)
    _lower_keys(d)
    version = str(d.get("schema_version", "")).strip()
    if isinstance(d.get("discovery_method"), str):
        d["discovery_method"] = _discovery_from_string(d["discovery_method"])
    action = d.get("action") if isinstance(d.get("action"), dict) else {}
    for name in ("hacking", "malware"):
        node = action.get(name)
        if isinstance(node, dict) and isinstance(node.get("variety"), list):
            node["variety"] = _rename(node["variety"], "MitM", "AitM")
    err = action.get("error")
    if isinstance(err, dict) and isinstance(err.get("variety"), list):
        err["variety"] = _rename(err["variety"], "Omission", "Other")
    asset = d.get("asset")
    if isinstance(asset, dict):
        if isinstance(asset.get("assets"), list):
            asset["assets"] = [
                dict(a, variety={"S - Remote access": "N - Remote access",
                                 "N - HSM": "S - Secrets vault"}.get(a.get("variety"),
                                                                   a.get("variety")))
                if isinstance(a, dict) else a for a in asset["assets"]]
        if version.startswith("1.3"):
            asset.pop("governance", None)
            asset.setdefault("cloud", ["Unknown"])
    victim = d.get("victim")
    if version.startswith("1.3") and isinstance(victim, dict) and "government" not in victim:
        victim["government"] = ["Unknown" if str(victim.get("industry", "")).startswith("92")
                                else "NA"]
    if version.startswith("1.3"):
        d.setdefault("summary", "")
    _upgrade_plus(d)
    d["schema_version"] = "1.4.1"
    return d


def _upgrade_plus(d: dict[str, Any]) -> None:
    plus = d.get("plus")
    if not isinstance(plus, dict) or not isinstance(plus.get("attribute"), dict):
        return
    conf = plus["attribute"].get("confidentiality")
    if isinstance(conf, dict):
        attribute = d.setdefault("attribute", {})
        target = attribute.get("confidentiality") if isinstance(attribute, dict) else None
        if str(conf.get("partner_data", "")).startswith(("Y", "y")) and isinstance(target,
                                                                                   dict):
            victims = target.setdefault("data_victim", [])
            if isinstance(victims, list) and "Partner" not in victims:
                victims.append("Partner")
            number = conf.get("partner_number")
            if isinstance(number, int) and number != target.get("data_total"):
                target["data_total"] = int(target.get("data_total") or 0) + number
        kept = {}
        if "data_abuse" in conf:
            kept["data_abuse"] = conf["data_abuse"]
        elif str(conf.get("data_misuse", "")).upper().startswith("Y"):
            kept["data_abuse"] = "Yes"
        plus["attribute"] = {"confidentiality": kept} if kept else {}
    for key in list(plus["attribute"]):
        if key != "confidentiality":
            plus["attribute"].pop(key)
    if not plus["attribute"]:
        plus.pop("attribute")


def validation_errors(doc: dict[str, Any], limit: int = 3) -> list[str]:
    """Why `doc` (in the 1.4.1 shape) does not validate: at most `limit` messages."""
    errors = sorted(validator().iter_errors(doc), key=lambda e: [str(p) for p in e.path])
    out = []
    for e in errors[:limit]:
        where = "/".join(str(p) for p in e.absolute_path) or "(root)"
        out.append(f"{where}: {e.message[:200]}")
    return out


@dataclass
class VerisRecord:
    incident_id: str
    version: str
    date: dt.date
    month_known: bool
    report: dict[str, Any]
    external: dict[str, Any]
    attributes: list[tuple[str, str]] = field(default_factory=list)


def parse(doc: Any) -> VerisRecord:
    """Check one incident and map it, or raise VerisError saying why it is refused."""
    if not isinstance(doc, dict):
        raise VerisError(_("not a JSON object"))
    version = schema_version(doc)
    upgraded = upgrade(doc)
    errors = validation_errors(upgraded)
    if errors:
        category = _("does not validate against VERIS 1.4.1")
        raise VerisError(f"{category}: " + "; ".join(errors), category)
    incident_id = upgraded["incident_id"].strip()
    if not incident_id or len(incident_id) > 200:
        raise VerisError(_("incident_id is empty or longer than 200 characters"),
                         _("bad incident_id"))
    return _map(upgraded, incident_id, doc["schema_version"].strip(), version)


def _incident_date(d: dict[str, Any]) -> tuple[dt.date, bool]:
    inc = d["timeline"]["incident"]
    year, month, day = inc["year"], inc.get("month"), inc.get("day")
    try:
        return dt.date(year, month or 1, day or 1), month is not None
    except ValueError:  # e.g. 30 February: keep the month
        return dt.date(year, month or 1, 1), month is not None


def _map(d: dict[str, Any], incident_id: str, version: str, major: str) -> VerisRecord:
    action = d.get("action", {})
    attribute = d.get("attribute", {})
    conf = attribute.get("confidentiality") or {}
    victim = d.get("victim") or {}
    attrs: list[tuple[str, str]] = []
    for name in ACTIONS:
        if name in action:
            attrs.append(("action", name.capitalize()))
            for v in action[name].get("variety", []) or []:
                attrs.append(("variety", f"{name.capitalize()}: {v}"[:120]))
    for name in ("external", "internal", "partner", "unknown"):
        if name in d.get("actor", {}):
            attrs.append(("actor", name.capitalize()))
    for a in (d.get("asset") or {}).get("assets", []):
        attrs.append(("asset", a["variety"][:120]))
    for branch, node in d.get("discovery_method", {}).items():
        if isinstance(node, dict):
            attrs += [("discovery", f"{branch.capitalize()}: {v}"[:120])
                      for v in node.get("variety", [])]
        elif node is True:
            attrs.append(("discovery", branch.capitalize()))
    data_varieties = [x["variety"] for x in conf.get("data", []) or []]
    attrs += [("data", v) for v in data_varieties]
    abuse = (((d.get("plus") or {}).get("attribute") or {}).get("confidentiality") or {}
             ).get("data_abuse", "")
    ransomware = ("Ransomware" in (action.get("malware") or {}).get("variety", [])
                  or abuse == "Yes - Data ransomed")
    disclosure = str(conf.get("data_disclosure", "")).lower()
    availability = (attribute.get("availability") or {}).get("variety", [])
    industry = str(victim.get("industry", "")).replace("-", "")[:6]
    date, month_known = _incident_date(d)
    at = dt.datetime.combine(date, dt.time(12), tzinfo=dt.UTC)
    present = [n for n in ACTIONS if n in action]
    malicious = any(n in MALICIOUS_ACTIONS for n in present)
    report = {
        "created_at": at, "discovered_at": at, "description": str(d.get("summary", ""))[:5000],
        "ongoing": False, "stage": "final",
        "suspected_malicious": "yes" if malicious else ("no" if present and set(present) <= {
            "error", "environmental"} else "unknown"),
        "data_confidentiality": disclosure in ("yes", "potentially"),
        "data_integrity": "integrity" in attribute,
        "data_availability": "availability" in attribute,
        "personal_data": bool(PERSONAL_DATA & set(data_varieties)),
        "health_data": "Medical" in data_varieties or "Patient" in conf.get("data_victim", []),
        "records_affected": conf.get("data_total") if (conf.get("data_total") or 0) >= 0
        else None,
        "ransom_demanded": ransomware,
        "operations_impact": "degraded" if {"Interruption", "Destruction", "Loss"} & set(
            availability) else ("partial" if availability else ""),
    }
    external = {
        "year": date.year, "month": date.month if month_known else None, "date": date,
        "entity_type": _industry_label(industry), "industry": industry,
        "is_health": industry.startswith("62"),
        "country": (victim.get("country") or [""])[0][:8], "state": str(victim.get(
            "state", ""))[:40],
        "action": ", ".join(n.capitalize() for n in present)[:120],
        "disclosure": disclosure if disclosure in ("yes", "potentially", "no", "unknown")
        else "",
        "ransomware": ransomware, "records_affected": report["records_affected"],
        "schema_version": version[:12],
    }
    return VerisRecord(incident_id, major, date, month_known, report, external,
                       list(dict.fromkeys(attrs)))


def _industry_label(code: str) -> str:
    if code[:3] in NAICS_HEALTH:
        return NAICS_HEALTH[code[:3]]
    return NAICS_SECTORS.get(code[:2], "Unknown" if not code else f"NAICS {code[:2]}")


def content_hash(doc: Any) -> str:
    """sha256 of the canonical JSON of the original file (to skip unchanged re-imports)."""
    return hashlib.sha256(json.dumps(doc, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()
