"""Pure rules of alerts: who an alert targets, TLP order, and the anonymity guard.

No ORM, no clock. `services` turns `Targets` into one query and gathers the identities that
the guard looks for.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# -- Targeting ----------------------------------------------------------------------------------

#: Establishment attributes an alert can target, in the order the form shows them.
ATTRIBUTES = ("category", "sector", "region", "nis2_status")


@dataclass(frozen=True)
class Targets:
    """Everyone, or the establishments matching every criterion given (AND between
    criteria, OR between the values of one criterion). `suppliers` are supplier ids: their
    customers in the registry."""

    everyone: bool = False
    category: frozenset[str] = frozenset()
    sector: frozenset[str] = frozenset()
    region: frozenset[str] = frozenset()
    nis2_status: frozenset[str] = frozenset()
    suppliers: frozenset[int] = frozenset()

    @property
    def criteria(self) -> dict[str, frozenset]:
        """The criteria given (name -> accepted values); empty for everyone."""
        if self.everyone:
            return {}
        named = {name: getattr(self, name) for name in ATTRIBUTES}
        named["suppliers"] = self.suppliers
        return {name: values for name, values in named.items() if values}

    @property
    def is_empty(self) -> bool:
        return not self.everyone and not self.criteria


def targets_error(targets: Targets) -> str | None:
    """Why `targets` cannot be used, or None."""
    if targets.everyone and any(getattr(targets, n) for n in (*ATTRIBUTES, "suppliers")):
        return _("Choose either every establishment or criteria, not both.")
    if targets.is_empty:
        return _("Choose who receives the alert: every establishment, or at least one "
                 "category, sector, region, NIS2 status or supplier.")
    return None


def matches(targets: Targets, *, category: str, sector: str, region: str, nis2_status: str,
            suppliers: Iterable[int] = ()) -> bool:
    """Whether an establishment with these attributes is a recipient (the query's rule)."""
    if targets.is_empty:
        return False
    attributes = {"category": category, "sector": sector, "region": region,
                  "nis2_status": nis2_status}
    for name, values in targets.criteria.items():
        if name == "suppliers":
            if not values & set(suppliers):
                return False
        elif attributes[name] not in values:
            return False
    return True


# -- TLP ----------------------------------------------------------------------------------------

TLP_ORDER = ("clear", "green", "amber", "amber+strict", "red")


def tlp_error(alert_tlp: str, indicator_tlps: Iterable[str]) -> str | None:
    """An alert may not be less restricted than the most restricted indicator it carries."""
    strictest = max((t for t in indicator_tlps if t in TLP_ORDER), key=TLP_ORDER.index,
                    default=None)
    if strictest and alert_tlp in TLP_ORDER \
            and TLP_ORDER.index(alert_tlp) < TLP_ORDER.index(strictest):
        return _("An indicator of this alert is TLP:%(i)s; the alert must be TLP:%(i)s or "
                 "more restricted.") % {"i": strictest.upper()}
    return None


# -- Anonymity guard ----------------------------------------------------------------------------

NAME, FINESS, TOWN, REFERENCE, CONTACT, FREE_TEXT = (
    "name", "finess", "town", "reference", "contact", "free_text")

#: Words that describe a kind of establishment rather than name one.
GENERIC_WORDS = frozenset("""
    centre center hospitalier hospitaliere hospitalisation hopital hopitaux chu chr ch chi
    clinique polyclinique ehpad residence maison foyer institut instituts service services
    laboratoire laboratoires biologie medicale medical medicaux groupe groupement
    universitaire regional regionale intercommunal departemental prive privee public
    publique prives fondation mutualiste association accueil specialise specialisee
    medicalise medicalisee medico educatif soins infirmiers domicile sante dialyse
    radiotherapie cancer lutte contre armees instruction site pole gcs ght
    de du des la le les l d et en sur sous a au aux fictif
""".split())
FREE_TEXT_WORDS = 8  # a run of this many words copied from a report is refused


@dataclass(frozen=True)
class Identity:
    """A value that identifies a reporting establishment, and what it is."""

    kind: str
    value: str


@dataclass(frozen=True)
class Leak:
    field: str
    kind: str
    value: str

    def message(self, field_label: str) -> str:
        labels = {
            NAME: _("the name of a reporting establishment"),
            FINESS: _("the FINESS number of a reporting establishment"),
            TOWN: _("the town of a reporting establishment"),
            REFERENCE: _("the reference of a linked report"),
            CONTACT: _("a contact of a reporting establishment"),
            FREE_TEXT: _("text copied from a linked report"),
        }
        return _("%(field)s contains %(what)s (“%(value)s”). An alert never says who "
                 "reported: remove it.") % {
            "field": field_label, "what": labels[self.kind], "value": self.value[:80]}


def fold(text: str) -> str:
    """Lower case, no accents, every run of other characters one space, padded with spaces."""
    text = unicodedata.normalize("NFKD", text or "").casefold()
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " " + " ".join(re.findall(r"[0-9a-z]+", text)) + " "


def _digits_joined(text: str) -> str:
    """Digits grouped with spaces, dots or dashes (06 12 34 56 78) joined into one number."""
    return re.sub(r"(?<=\d)[\s.\-/]+(?=\d)", "", text or "")


def name_core(name: str) -> str:
    """The distinctive part of an establishment's name ('Centre hospitalier de Valbrune
    (fictif)' -> 'valbrune'), or '' when too short to tell one establishment apart."""
    words = [w for w in fold(name).split() if w not in GENERIC_WORDS]
    core = " ".join(words)
    return core if len(core) >= 6 else ""


def phone_forms(phone: str) -> set[str]:
    """The national and international digit forms of a phone number (8 digits or more)."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) < 8:
        return set()
    forms = {digits}
    if digits.startswith("33") and len(digits) == 11:
        forms.add("0" + digits[2:])
    elif digits.startswith("0") and len(digits) == 10:
        forms.add("33" + digits[1:])
    return forms


def _shingles(text: str, size: int = FREE_TEXT_WORDS) -> set[str]:
    """Every run of `size` words of `text`, folded."""
    words = fold(text).split()
    return {" ".join(words[i:i + size]) for i in range(len(words) - size + 1)}


@dataclass
class Guard:
    """What to look for: the identities of the reporting establishments and the free texts
    of their reports. Built once per check by the service."""

    identities: list[Identity] = field(default_factory=list)
    free_texts: list[str] = field(default_factory=list)

    def leaks(self, fields: Mapping[str, str]) -> list[Leak]:
        """Every identity found in the given fields (field name -> text), at most one per
        field and value."""
        found: list[Leak] = []
        copied: set[str] = set()
        for text in self.free_texts:
            copied |= _shingles(text)
        for name, text in fields.items():
            folded = fold(text)
            joined = fold(_digits_joined(text))
            seen: set[str] = set()
            for identity in self.identities:
                if identity.value in seen:
                    continue
                if _contains(folded, joined, identity):
                    seen.add(identity.value)
                    found.append(Leak(name, identity.kind, identity.value))
            common = sorted(_shingles(text) & copied) if copied else []
            if common:
                found.append(Leak(name, FREE_TEXT, common[0]))
        return found


def _contains(folded: str, joined: str, identity: Identity) -> bool:
    needle = fold(identity.value).strip()
    if not needle:
        return False
    if f" {needle} " in folded:
        return True
    digits = re.sub(r"\D", "", identity.value)
    if identity.kind in (FINESS, CONTACT) and digits and len(digits) >= 8 \
            and f" {digits} " in joined:
        return True
    return identity.kind == FINESS and f" {needle} " in joined


def identities(*, name: str = "", finess: str = "", town: str = "",
               references: Iterable[str] = (), emails: Iterable[str] = (),
               phones: Iterable[str] = (), people: Iterable[str] = ()) -> list[Identity]:
    """The identities of one reporting establishment, in the guard's forms."""
    out = []
    if name:
        out.append(Identity(NAME, name))
        core = name_core(name)
        if core:
            out.append(Identity(NAME, core))
    if finess:
        out.append(Identity(FINESS, finess))
    if town and len(fold(town).strip()) >= 3:
        out.append(Identity(TOWN, town))
    out += [Identity(REFERENCE, r) for r in references if r]
    out += [Identity(CONTACT, e) for e in emails if e]
    out += [Identity(CONTACT, p) for phone in phones for p in sorted(phone_forms(phone))]
    out += [Identity(CONTACT, p) for p in people if p and len(fold(p).split()) >= 2]
    return out
