"""The sector's incident kinds and their RSIT class/type (rsit-machinetag.json, shipped).

The RSIT file (MISP taxonomies, CC0 or BSD-2, see data/misp-taxonomies-LICENSE.md) is the
interchange vocabulary; each sector kind maps to exactly one RSIT class/type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from django.db import models
from django.utils.translation import gettext_lazy as _

RSIT_PATH = Path(__file__).resolve().parent.parent / "data" / "rsit-machinetag.json"


class Origin(models.TextChoices):
    MALICIOUS = "malicious", _("Malicious")
    NON_MALICIOUS = "non_malicious", _("Non-malicious")
    UNDETERMINED = "undetermined", _("Undetermined")


class Kind(models.TextChoices):
    # malicious
    RANSOMWARE = "ransomware", _("Ransomware")
    ACCOUNT_COMPROMISE = "account_compromise", _("Account compromise (directory, VPN, webmail)")
    SYSTEM_COMPROMISE = "system_compromise", _("System compromise")
    PHISHING = "phishing", _("Phishing and malspam")
    VULNERABILITY_EXPLOIT = "vulnerability_exploit", _("Exploitation of an exposed vulnerability")
    MALWARE = "malware", _("Trojan and other malware")
    DATA_LEAK = "data_leak", _("Data exfiltration or disclosure")
    FRAUD = "fraud", _("Fraud and identity theft")
    DDOS = "ddos", _("Denial of service (DDoS)")
    DEFACEMENT = "defacement", _("Defacement")
    # non-malicious
    SUPPLIER_FAILURE = "supplier_failure", _("Supplier or host failure")
    TELECOM_LOSS = "telecom_loss", _("Loss of telecom link")
    CRITICAL_MALFUNCTION = "critical_malfunction", _("Serious malfunction of critical systems")
    PRESCRIPTION_BUG = "prescription_bug", _("Bug in prescription or dispensing software")
    HARDWARE_FAILURE = "hardware_failure", _("Hardware, power or cooling failure")
    HUMAN_ERROR = "human_error", _("Human error")
    THEFT_LOSS = "theft_loss", _("Theft or loss of equipment")
    OTHER = "other", _("Other")


MALICIOUS_KINDS = frozenset({
    Kind.RANSOMWARE, Kind.ACCOUNT_COMPROMISE, Kind.SYSTEM_COMPROMISE, Kind.PHISHING,
    Kind.VULNERABILITY_EXPLOIT, Kind.MALWARE, Kind.DATA_LEAK, Kind.FRAUD, Kind.DDOS,
    Kind.DEFACEMENT,
})

# kind -> (RSIT class, RSIT type)
KIND_TO_RSIT: dict[str, tuple[str, str]] = {
    Kind.RANSOMWARE: ("malicious-code", "infected-system"),
    Kind.ACCOUNT_COMPROMISE: ("intrusions", "unprivileged-account-compromise"),
    Kind.SYSTEM_COMPROMISE: ("intrusions", "system-compromise"),
    Kind.PHISHING: ("fraud", "phishing"),
    Kind.VULNERABILITY_EXPLOIT: ("intrusion-attempts", "exploit"),
    Kind.MALWARE: ("malicious-code", "infected-system"),
    Kind.DATA_LEAK: ("information-content-security", "data-leak"),
    Kind.FRAUD: ("fraud", "masquerade"),
    Kind.DDOS: ("availability", "ddos"),
    Kind.DEFACEMENT: ("intrusions", "application-compromise"),
    Kind.SUPPLIER_FAILURE: ("availability", "outage"),
    Kind.TELECOM_LOSS: ("availability", "outage"),
    Kind.CRITICAL_MALFUNCTION: ("availability", "outage"),
    Kind.PRESCRIPTION_BUG: ("information-content-security",
                            "unauthorised-information-modification"),
    Kind.HARDWARE_FAILURE: ("availability", "outage"),
    Kind.HUMAN_ERROR: ("availability", "misconfiguration"),
    Kind.THEFT_LOSS: ("information-content-security", "data-loss"),
    Kind.OTHER: ("other", "undetermined"),
}


RSIT_VERSION = 1003  # the version of rsit-machinetag.json shipped in data/


@dataclass(frozen=True)
class Rsit:
    version: int
    classes: dict[str, list[str]]
    labels: dict[str, str] = field(default_factory=dict)  # "class" or "class/type" -> label

    def is_valid(self, rsit_class: str, rsit_type: str) -> bool:
        return rsit_type in self.classes.get(rsit_class, [])

    def label(self, rsit_class: str, rsit_type: str = "") -> str:
        """The expanded English name of a class, or of a class/type pair."""
        if not rsit_class:
            return ""
        cls = self.labels.get(rsit_class, rsit_class)
        if not rsit_type:
            return cls
        return f"{cls} / {self.labels.get(f'{rsit_class}/{rsit_type}', rsit_type)}"


def load_rsit(path: Path = RSIT_PATH) -> Rsit:
    """Parse an RSIT machinetag file (MISP taxonomy format)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    classes = {v["predicate"]: [e["value"] for e in v["entry"]] for v in data["values"]}
    labels = {p["value"]: p.get("expanded", p["value"]) for p in data["predicates"]}
    for v in data["values"]:
        for e in v["entry"]:
            labels[f"{v['predicate']}/{e['value']}"] = e.get("expanded", e["value"])
    return Rsit(version=int(data["version"]), classes=classes, labels=labels)


@cache
def rsit() -> Rsit:
    """Load the shipped RSIT machinetag file once."""
    return load_rsit()


def rsit_of(kind: str) -> tuple[str, str]:
    """The RSIT class and type of a sector kind."""
    return KIND_TO_RSIT[kind]


def kinds_of(origin: str) -> list[str]:
    """The kinds an origin admits (undetermined admits every kind)."""
    if origin == Origin.UNDETERMINED:
        return list(Kind.values)
    return [k for k in Kind.values if origin_of(k) in (origin, Origin.UNDETERMINED)]


def origin_of(kind: str) -> str:
    """The origin a kind implies (malicious kinds vs the rest)."""
    if kind == Kind.OTHER:
        return Origin.UNDETERMINED
    return Origin.MALICIOUS if kind in MALICIOUS_KINDS else Origin.NON_MALICIOUS
