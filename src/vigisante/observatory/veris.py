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
    return {branch: {"variety": [match or rest.strip()]}}  # unknown: kept as written


# Values that a VERIS release renamed or moved, as its converter scripts (bin/convert_*.py of
# the VERIS project) map them; the key is where the value sits. A record of any version (and
# a record that says 1.4.1 but still carries an old value: drift) is mapped the same way.
RENAMED: dict[tuple[str, ...], dict[str, str]] = {
    ("action", "hacking", "variety"): {
        "MitM": "AitM",  # 1.4.0
        "Footprinting": "Profile host",  # 1.3.6
        "HTTP Response Splitting": "HTTP response splitting"},  # 1.3.6
    ("action", "malware", "variety"): {
        "MitM": "AitM",  # 1.4.0
        "Ram scraper": "RAM scraper"},  # 1.3.5
    ("action", "error", "variety"): {"Omission": "Other"},  # 1.3.7
    ("action", "hacking", "vector"): {"Backdoor or C2": "Backdoor"},  # 1.3.6
    ("action", "social", "vector"): {"Website": "Web application"},  # 1.3.5
    ("action", "malware", "vector"): {
        "Web drive-by": "Web application - drive-by",  # 1.3.5
        "Web download": "Web application - download"},  # 1.3.5
    ("action", "physical", "vector"): {
        "Visitor privileges": "Victim work area",  # 1.3.5
        "Uncontrolled location": "Public facility"},  # 1.3.5
    ("asset", "assets", "variety"): {
        "S - Remote access": "N - Remote access",  # 1.4.1
        "N - HSM": "S - Secrets vault"},  # 1.4.1
}
_INCIDENT_KEYS = ("action", "actor", "asset", "attribute", "timeline", "victim",
                  "discovery_method", "impact", "summary")


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    """A list field as a list: a lone value written without its brackets counts as one."""
    if isinstance(value, list):
        return value
    return [] if value is None or value == "" or isinstance(value, dict) else [value]


def _version_tuple(version: Any) -> tuple[int, ...] | None:
    if not isinstance(version, str | int | float):
        return None
    parts = re.findall(r"\d+", str(version))
    return tuple(int(p) for p in parts[:3]) if parts else None


class Upgrade:
    """A copy of an incident in the 1.4.1 shape, with what was mapped and what stays outside
    the 1.4.1 schema (values kept as written)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = copy.deepcopy(doc)
        self.mapped: list[str] = []
        self.outside: list[str] = []
        written = doc.get("schema_version")
        self.version = written.strip() if isinstance(written, str) else (
            "" if written is None else str(written))
        self.vt = _version_tuple(self.version)
        if self.vt is None or self.vt[0] != 1 or len(self.vt) < 2 or self.vt[1] not in (2, 3, 4):
            self.outside.append(_("schema_version: %(v)s is not a VERIS 1.2-1.4 version "
                                  "(read as 1.4.1)") % {"v": repr(written) if written
                                                        is not None else _("missing")})
        self._run()

    def note(self, where: str, old: Any, new: Any) -> None:
        self.mapped.append(f"{where}: {old!r} → {new!r}")

    @property
    def legacy(self) -> bool:
        """Written to a schema older than 1.4 (or guessed so from its shape)."""
        if self.vt is not None and self.vt[:2] < (1, 4):
            return True
        return isinstance(self.doc.get("discovery_method"), str)

    def _run(self) -> None:
        d = self.doc
        _lower_keys(d)
        victim = d.get("victim")
        if isinstance(victim, list):  # VERIS 1.2: a list of victims, the first one primary
            first = next((v for v in victim if isinstance(v, dict)), None)
            if first is not None:
                d["victim"] = first
                self.note("victim", _("a list"), _("its first victim"))
        if isinstance(d.get("discovery_method"), str):
            flat = d["discovery_method"]
            d["discovery_method"] = new = _discovery_from_string(flat)
            self.note("discovery_method", flat, "; ".join(
                f"{k}: {', '.join(map(str, _list(_dict(v).get('variety'))))}" if
                isinstance(v, dict) else str(k) for k, v in new.items()))
        for (top, branch, name), renames in RENAMED.items():
            if top == "asset":
                for item in _list(_dict(d.get("asset")).get("assets")):
                    value = item.get(name) if isinstance(item, dict) else None
                    if isinstance(value, str) and value in renames:
                        item[name] = renames[value]
                        self.note("asset.assets.variety", value, renames[value])
                continue
            node = _dict(_dict(d.get(top)).get(branch))
            if name not in node:
                continue
            values = _list(node[name])
            out = []
            for v in values:
                renamed = renames.get(v, v) if isinstance(v, str) else v
                if renamed != v:
                    self.note(f"{top}.{branch}.{name}", v, renamed)
                out.append(renamed)
            if out != values:  # a rename can create a duplicate
                node[name] = list(dict.fromkeys(out)) if all(isinstance(v, str) for v in out) \
                    else out
        self._moves(_dict(d.get("action")))
        asset = d.get("asset")
        if self.legacy:
            if isinstance(asset, dict):
                if "governance" in asset:
                    self.note("asset.governance", asset["governance"], _("(removed in 1.3.3)"))
                    asset.pop("governance")
                asset.setdefault("cloud", ["Unknown"])
            victim = d.get("victim")
            if isinstance(victim, dict) and "government" not in victim:
                victim["government"] = ["Unknown" if str(victim.get("industry", "")).startswith(
                    "92") else "NA"]
            d.setdefault("summary", "")
        _upgrade_plus(d, self)
        d["schema_version"] = "1.4.1"
        self._validate()

    def _moves(self, action: dict[str, Any]) -> None:
        """Values the 1.3.6 converter moved to another field."""
        hacking = action.get("hacking")
        if isinstance(hacking, dict) and "Use of backdoor or C2" in _list(hacking.get("variety")):
            hacking["variety"] = [v for v in _list(hacking["variety"])
                                  if v != "Use of backdoor or C2"] or ["Unknown"]
            vectors = _list(hacking.get("vector"))
            hacking["vector"] = [*vectors, "Backdoor"] if "Backdoor" not in vectors else vectors
            self.note("action.hacking.variety", "Use of backdoor or C2",
                      "action.hacking.vector: Backdoor")
        malware = action.get("malware")
        if isinstance(malware, dict) and "SQL injection" in _list(malware.get("variety")):
            malware["variety"] = [v for v in _list(malware["variety"]) if v != "SQL injection"]
            hack = action.setdefault("hacking", {})
            if isinstance(hack, dict):
                hack["variety"] = [*_list(hack.get("variety")), "SQLi"]
                hack.setdefault("vector", ["Unknown"])
            if not malware["variety"]:
                action.pop("malware")
            self.note("action.malware.variety", "SQL injection", "action.hacking.variety: SQLi")

    def _validate(self) -> None:
        """Fix what has a known or evident 1.4.1 spelling (a value differing only in case or
        spaces, a lone value for a list, digits for a number), then list what is left."""
        errors = list(validator().iter_errors(self.doc))
        for _pass in range(3):
            fixed = False
            for e in errors:
                fixed |= self._fix(e)
            if not fixed:
                break
            errors = list(validator().iter_errors(self.doc))
        seen = set()
        for e in sorted(errors, key=lambda e: [str(p) for p in e.absolute_path]):
            message = _describe(e)
            if message not in seen:
                seen.add(message)
                self.outside.append(message)

    def _fix(self, e) -> bool:
        path = list(e.absolute_path)
        if not path:
            return False
        parent = self.doc
        for key in path[:-1]:
            try:
                parent = parent[key]
            except (KeyError, IndexError, TypeError):
                return False
        key, value = path[-1], e.instance
        where = _where(path)
        if e.validator == "enum" and isinstance(value, str):
            wanted = " ".join(value.split()).casefold()
            match = next((x for x in e.validator_value if isinstance(x, str)
                          and x.casefold() == wanted), None)
            if match is not None and match != value:
                parent[key] = match
                self.note(where, value, match)
                return True
        if e.validator == "uniqueItems" and isinstance(value, list):
            try:
                parent[key] = list(dict.fromkeys(value))
            except TypeError:  # unhashable items
                return False
            self.note(where, value, parent[key])
            return True
        if e.validator == "type":
            expected = _list(e.validator_value)
            if "array" in expected and not isinstance(value, list):
                parent[key] = [value]
                self.note(where, value, [value])
                return True
            if "integer" in expected and isinstance(value, str) and value.strip().isdigit():
                parent[key] = int(value.strip())
                self.note(where, value, parent[key])
                return True
        return False


def _where(path: list) -> str:
    return ".".join("[]" if isinstance(p, int) else str(p) for p in path).replace(".[]", "[]")


def _describe(e) -> str:
    """One line per kind of departure from the 1.4.1 schema, without list indexes, so that
    the summary can count records per line."""
    where = _where(list(e.absolute_path)) or "(root)"
    value = e.instance
    shown = repr(value) if isinstance(value, str | int | float | bool) or value is None else \
        type(value).__name__
    if e.validator == "enum":
        return _("%(where)s: %(value)s is not a VERIS 1.4.1 value") % {
            "where": where, "value": shown}
    if e.validator == "required":
        missing = [k for k in e.validator_value if isinstance(value, dict) and k not in value]
        return _("%(where)s: %(field)s missing") % {"where": where,
                                                    "field": ", ".join(missing)}
    if e.validator == "additionalProperties" and isinstance(value, dict):
        allowed = set(_dict(e.schema.get("properties")))
        extra = sorted(k for k in value if k not in allowed)
        return _("%(where)s: field %(field)s not in VERIS 1.4.1") % {
            "where": where, "field": ", ".join(extra)}
    if e.validator == "type":
        return _("%(where)s: %(value)s is not of type %(type)s") % {
            "where": where, "value": shown, "type": " or ".join(_list(e.validator_value))}
    return f"{where}: {e.message[:160]}"


def upgrade(doc: dict[str, Any]) -> dict[str, Any]:
    """A copy of an incident in the 1.4.1 shape (see the module docstring)."""
    return Upgrade(doc).doc


def _upgrade_plus(d: dict[str, Any], up: Upgrade) -> None:
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
                total = target.get("data_total")
                target["data_total"] = (total if isinstance(total, int) else 0) + number
            up.note("plus.attribute.confidentiality.partner_data", conf["partner_data"],
                    "attribute.confidentiality.data_victim: Partner")
        kept = {}
        abuse = {"y": "Yes", "n": "No", "u": "Unknown"}
        if "data_abuse" in conf:
            value = conf["data_abuse"]
            kept["data_abuse"] = abuse.get(value.lower(), value) if isinstance(value, str) \
                else value
            if kept["data_abuse"] != value:
                up.note("plus.attribute.confidentiality.data_abuse", value, kept["data_abuse"])
        elif isinstance(conf.get("data_misuse"), str) and conf["data_misuse"][:1]:
            kept["data_abuse"] = abuse.get(conf["data_misuse"][:1].lower(), "Other")
            up.note("plus.attribute.confidentiality.data_misuse", conf["data_misuse"],
                    "data_abuse: " + kept["data_abuse"])
        for key in sorted(set(conf) - {"data_abuse", "data_misuse", "partner_data",
                                       "partner_number"}):
            up.note(f"plus.attribute.confidentiality.{key}", conf[key],
                    _("(not in 1.4.1; kept in the original)"))
        plus["attribute"] = {"confidentiality": kept} if kept else {}
    for key in list(plus["attribute"]):
        if key != "confidentiality":
            up.note(f"plus.attribute.{key}", "…", _("(not in 1.4.1; kept in the original)"))
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
    date: dt.date | None
    month_known: bool
    report: dict[str, Any]
    external: dict[str, Any]
    attributes: list[tuple[str, str]] = field(default_factory=list)
    mapped: list[str] = field(default_factory=list)
    outside: list[str] = field(default_factory=list)


def record_id(doc: dict[str, Any]) -> str:
    """The record's id: incident_id, else VCDB's plus.master_id; "" when it has neither.
    (Several VCDB records can share an incident_id: the importer keeps each, see
    veris_import.Keys.)"""
    for value in (doc.get("incident_id"), _dict(doc.get("plus")).get("master_id")):
        if isinstance(value, str | int) and str(value).strip():
            return str(value).strip()[:200]
    return ""


def parse(doc: Any) -> VerisRecord:
    """Map one incident, whatever its schema version; VerisError only for what is not an
    incident at all. Values outside the 1.4.1 schema are kept as written and listed in
    `outside`; values with a known 1.4.1 equivalent are mapped and listed in `mapped`."""
    if not isinstance(doc, dict):
        raise VerisError(_("not a JSON object"))
    if not any(k in doc or k.capitalize() in doc for k in _INCIDENT_KEYS):
        raise VerisError(_("no incident in it (none of action, actor, asset, attribute, "
                           "timeline, victim, discovery_method, impact, summary)"),
                         _("no incident in it"))
    up = Upgrade(doc)
    incident_id = record_id(doc)
    if not incident_id:
        incident_id = "sha256-" + content_hash(doc)[:40]
        up.outside.append(_("incident_id: missing (identified by its content)"))
    rec = _map(up.doc, incident_id, up.version[:12], up.version)
    if rec.date is None:
        up.outside.append(_("timeline.incident.year: missing or not a year (in no period)"))
    rec.mapped, rec.outside = up.mapped, up.outside
    return rec


NO_DATE = dt.date(1900, 1, 1)  # Report.created_at of a record without an incident year


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _incident_date(d: dict[str, Any]) -> tuple[dt.date | None, bool]:
    inc = _dict(_dict(d.get("timeline")).get("incident"))
    year, month, day = _int(inc.get("year")), _int(inc.get("month")), _int(inc.get("day"))
    if year is None or not 1 <= year <= 9999:
        return None, False
    if month is not None and not 1 <= month <= 12:
        month = None
    if month is None:
        day = None  # a day without its month says nothing
    try:
        return dt.date(year, month or 1, day or 1), month is not None
    except ValueError:  # e.g. 30 February: keep the month
        return dt.date(year, month or 1, 1), month is not None


def _text(value: Any, limit: int) -> str:
    if isinstance(value, str):
        return value[:limit]
    return "" if value is None else json.dumps(value, ensure_ascii=False)[:limit]


def _map(d: dict[str, Any], incident_id: str, version: str, major: str) -> VerisRecord:
    """The report and ExternalIncident of an incident in the 1.4.1 shape. Every field is
    read defensively: a record outside the schema may hold anything anywhere."""
    action = _dict(d.get("action"))
    attribute = _dict(d.get("attribute"))
    conf = _dict(attribute.get("confidentiality"))
    victim = _dict(d.get("victim"))
    attrs: list[tuple[str, str]] = []
    for name in ACTIONS:
        if name in action:
            attrs.append(("action", name.capitalize()))
            for v in _list(_dict(action[name]).get("variety")):
                attrs.append(("variety", f"{name.capitalize()}: {_text(v, 100)}"[:120]))
    actor = _dict(d.get("actor"))
    for name in ("external", "internal", "partner", "unknown"):
        if name in actor:
            attrs.append(("actor", name.capitalize()))
    for a in _list(_dict(d.get("asset")).get("assets")):
        variety = _dict(a).get("variety") if isinstance(a, dict) else a
        if variety not in (None, ""):
            attrs.append(("asset", _text(variety, 120)))
    for branch, node in _dict(d.get("discovery_method")).items():
        if isinstance(node, dict):
            attrs += [("discovery", f"{str(branch).capitalize()}: {_text(v, 100)}"[:120])
                      for v in _list(node.get("variety"))]
        elif node is True:
            attrs.append(("discovery", str(branch).capitalize()[:120]))
    data_varieties = [_text(_dict(x).get("variety") if isinstance(x, dict) else x, 120)
                      for x in _list(conf.get("data"))]
    data_varieties = [v for v in data_varieties if v]
    attrs += [("data", v) for v in data_varieties]
    abuse = _dict(_dict(_dict(d.get("plus")).get("attribute")).get("confidentiality")).get(
        "data_abuse", "")
    ransomware = ("Ransomware" in _list(_dict(action.get("malware")).get("variety"))
                  or abuse == "Yes - Data ransomed")
    disclosure = _text(conf.get("data_disclosure"), 20).lower()
    availability = [v for v in _list(_dict(attribute.get("availability")).get("variety"))
                    if isinstance(v, str)]
    industry = _text(victim.get("industry"), 20).replace("-", "").strip()[:6]
    date, month_known = _incident_date(d)
    at = dt.datetime.combine(date or NO_DATE, dt.time(12), tzinfo=dt.UTC)
    present = [n for n in ACTIONS if n in action]
    malicious = any(n in MALICIOUS_ACTIONS for n in present)
    total = _int(conf.get("data_total"))
    victims = [v for v in _list(conf.get("data_victim")) if isinstance(v, str)]
    country = next((c for c in _list(victim.get("country")) if isinstance(c, str)), "")
    report = {
        "created_at": at, "discovered_at": at, "description": _text(d.get("summary"), 5000),
        "ongoing": False, "stage": "final",
        "suspected_malicious": "yes" if malicious else ("no" if present and set(present) <= {
            "error", "environmental"} else "unknown"),
        "data_confidentiality": disclosure in ("yes", "potentially"),
        "data_integrity": "integrity" in attribute,
        "data_availability": "availability" in attribute,
        "personal_data": bool(PERSONAL_DATA & set(data_varieties)),
        "health_data": "Medical" in data_varieties or "Patient" in victims,
        "records_affected": total if total is not None and 0 <= total < 2**63 else None,
        "ransom_demanded": ransomware,
        "operations_impact": "degraded" if {"Interruption", "Destruction", "Loss"} & set(
            availability) else ("partial" if availability else ""),
    }
    external = {
        "year": date.year if date else None,
        "month": date.month if date and month_known else None, "date": date,
        "entity_type": _industry_label(industry), "industry": industry,
        "is_health": industry.startswith("62"),
        "country": country[:8], "state": _text(victim.get("state"), 40),
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
