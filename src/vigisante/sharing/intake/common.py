"""What both readers share: the result, the error, TLP names and candidate values."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

#: Limits on one piece of incoming intelligence (bytes are checked by the service).
MAX_OBJECTS = 20_000
MAX_CANDIDATES = 10_000
MAX_VALUE = 2048

TLP_ORDER = ("clear", "green", "amber", "amber+strict", "red")
#: TLP names as they appear in STIX markings and MISP tags (TLP 1.0 "white" is CLEAR).
TLP_NAMES = {"white": "clear", "clear": "clear", "green": "green", "amber": "amber",
             "amber+strict": "amber+strict", "amber-strict": "amber+strict", "red": "red"}


class IntelError(ValueError):
    """The input cannot be read as the format says; the message says why (for people)."""


@dataclass(frozen=True)
class Candidate:
    """An indicator found in the intelligence, in our canonical form."""

    type: str
    value: str
    tlp: str | None = None
    confidence: int | None = None
    ref: str = ""  # the STIX id or MISP attribute uuid it came from


@dataclass
class Parsed:
    fmt: str
    title: str
    external_id: str
    objects: list[Any]
    candidates: list[Candidate] = field(default_factory=list)
    tlp: str | None = None  # the strictest TLP seen
    warnings: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    # Withdrawn by the source: STIX ids of revoked indicators and CVEs; uuids of deleted MISP
    # attributes, one entry per attribute ("" for one without a uuid).
    revoked: list[str] = field(default_factory=list)


def stricter(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if TLP_ORDER.index(a) >= TLP_ORDER.index(b) else b


def text_of(data: dict, key: str, default: str = "") -> str:
    """`data[key]` when it is a string, else `default` (real feeds put anything anywhere)."""
    value = data.get(key)
    return value if isinstance(value, str) else default


def tlp_from_name(name: object) -> str | None:
    """`TLP:AMBER+STRICT`, `tlp:white`, `amber` ... -> our TLP, or None."""
    if not isinstance(name, str):
        return None
    text = name.strip().lower()
    if text.startswith("tlp:"):
        text = text[4:]
    return TLP_NAMES.get(text.strip().strip('"'))


def canonical(type_: str, value: str) -> tuple[str, str] | None:
    """The canonical `(type, value)` of a candidate, or None when it is not a valid one (the
    same rules as the extraction engine). A domain under .onion is an onion address."""
    from vigisante.indicators.extraction import canonical as clean

    if not isinstance(value, str) or not value.strip() or len(value) > MAX_VALUE \
            or "\x00" in value:
        return None
    value = value.strip()
    if type_ == "domain" and value.lower().rstrip(".").endswith(".onion"):
        type_ = "onion"
    if type_ in ("ipv4", "ipv6") and "/" in value:
        return None  # a network range is not one indicator
    try:
        result = clean(type_, value)
    except (ValueError, UnicodeError):
        return None
    return (type_, result) if result else None


class Collector:
    """Candidates in first-seen order, one per (type, value), the strictest TLP kept."""

    def __init__(self) -> None:
        self.found: dict[tuple[str, str], Candidate] = {}
        self.invalid = 0

    def add(self, type_: str, value: Any, *, tlp: str | None, confidence: Any = None,
            ref: str = "") -> None:
        key = canonical(type_, value) if isinstance(value, str) else None
        if key is None:
            self.invalid += 1
            return
        if key in self.found:
            old = self.found[key]
            self.found[key] = Candidate(key[0], key[1], stricter(old.tlp, tlp), old.confidence,
                                        old.ref)
            return
        if len(self.found) >= MAX_CANDIDATES:
            raise IntelError(_("More than %(n)d indicators in one piece of intelligence: "
                               "split it.") % {"n": MAX_CANDIDATES})
        conf = confidence if isinstance(confidence, int) and not isinstance(confidence, bool) \
            and 0 <= confidence <= 100 else None
        self.found[key] = Candidate(key[0], key[1], tlp, conf, str(ref)[:200])

    def candidates(self) -> list[Candidate]:
        return list(self.found.values())


def count_types(types) -> dict[str, int]:
    return dict(Counter(types).most_common())


def read(fmt: str, data: Any) -> Parsed:
    """Read decoded JSON `data` as `fmt` ("stix" or "misp")."""
    if fmt == "stix":
        from vigisante.sharing.intake.stix import read_stix

        return read_stix(data)
    if fmt == "misp":
        from vigisante.sharing.intake.misp import read_misp

        return read_misp(data)
    raise IntelError(_("Unknown format: give “stix” or “misp”."))
