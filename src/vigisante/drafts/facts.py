"""The facts a draft is written from, and where the reporter completes each one that is missing.

Pure: no ORM, no request. ``Source`` holds the plain values of a report (services read them
from the database, with choice labels already in the draft's language); ``values(source)``
turns them into the strings the templates place, ``None`` for a fact not given yet (a gap).
Dates and times are written in Europe/Paris, in the draft's language.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

PARIS = ZoneInfo("Europe/Paris")

# Where a missing fact is completed: a page of the report, or the drafts' own pages.
NOTIFICATION = "notification"
FINAL = "final"
EXTRA = "facts"
DPO = "dpo"
CERT = "cert"  # only the CERT can give it (qualification): no link for the reporter


@dataclass(frozen=True)
class Fact:
    name: str
    label: object
    where: str = ""  # "" = always known
    field: str = ""  # the form field to complete (defaults to the name)

    @property
    def anchor(self) -> str:
        return f"id_{self.field or self.name}"


_F = Fact
FACTS: dict[str, Fact] = {f.name: f for f in [
    _F("reference", gettext_lazy("report reference")),
    _F("establishment", gettext_lazy("establishment")),
    _F("finess", gettext_lazy("FINESS number")),
    _F("town", gettext_lazy("town")),
    _F("category", gettext_lazy("category of establishment")),
    _F("contact", gettext_lazy("person to contact")),
    _F("dpo_contact", gettext_lazy("data-protection officer's contact"), DPO, "dpo_name"),
    _F("discovered_at", gettext_lazy("when the incident was found")),
    _F("reported_at", gettext_lazy("when it was reported to the CERT")),
    _F("notification_at", gettext_lazy("when the notification was completed"), NOTIFICATION,
       "operations_impact"),
    _F("drafted_at", gettext_lazy("date of this draft")),
    _F("description", gettext_lazy("what is happening")),
    _F("perimeter", gettext_lazy("perimeter"), NOTIFICATION),
    _F("systems_hit", gettext_lazy("systems hit"), NOTIFICATION),
    _F("operations_impact", gettext_lazy("impact on operations"), NOTIFICATION),
    _F("degraded_mode", gettext_lazy("degraded mode"), NOTIFICATION, "degraded_since"),
    _F("patient_impact", gettext_lazy("impact on patients"), NOTIFICATION, "patient_danger"),
    _F("nature", gettext_lazy("nature of the breach (confidentiality, integrity, availability)"),
       NOTIFICATION, "data_confidentiality"),
    _F("data_categories", gettext_lazy("categories of personal data"), NOTIFICATION,
       "personal_data"),
    _F("people_categories", gettext_lazy("categories of people concerned"), EXTRA),
    _F("people_affected", gettext_lazy("approximate number of people concerned"), NOTIFICATION),
    _F("records_affected", gettext_lazy("approximate number of records concerned"),
       NOTIFICATION),
    _F("likely_consequences", gettext_lazy("likely consequences for the people"), EXTRA),
    _F("measures_taken", gettext_lazy("measures taken"), NOTIFICATION),
    _F("measures_proposed", gettext_lazy("measures proposed, to limit the harm"), EXTRA),
    _F("delay_reasons", gettext_lazy("reasons for notifying after 72 hours"), EXTRA),
    _F("advice_to_people", gettext_lazy("what the people concerned can do"), EXTRA),
    _F("malicious", gettext_lazy("whether an unlawful or malicious act is suspected")),
    _F("cross_border", gettext_lazy("possible cross-border impact"), EXTRA),
    _F("severity", gettext_lazy("severity (CERT's assessment)"), CERT),
    _F("threat_type", gettext_lazy("type of threat"), CERT),
    _F("indicators", gettext_lazy("indicators of compromise")),
    _F("status_update", gettext_lazy("what changed since the notification"), EXTRA),
    _F("root_cause", gettext_lazy("root cause"), FINAL),
    _F("final_impact", gettext_lazy("final impact"), FINAL),
    _F("mitigation_ongoing", gettext_lazy("mitigation still under way"), EXTRA),
    _F("resolved_at", gettext_lazy("when the incident was resolved"), FINAL),
    _F("timeline", gettext_lazy("timeline")),
    _F("ransom", gettext_lazy("ransom demand"), NOTIFICATION, "ransom_demanded"),
    _F("ransom_channel", gettext_lazy("how the ransom demand was made"), EXTRA),
    _F("losses", gettext_lazy("losses known so far"), EXTRA),
    _F("supplier", gettext_lazy("supplier involved"), NOTIFICATION, "supplier_name"),
    _F("complaint_filed_on", gettext_lazy("date of the complaint"), NOTIFICATION),
    _F("complaint_reference", gettext_lazy("complaint receipt number"), EXTRA),
    _F("insurer", gettext_lazy("insurer"), EXTRA),
    _F("policy_number", gettext_lazy("insurance policy number"), EXTRA),
]}

#: Facts the reporter types on the drafts' page because the report form does not ask them.
EXTRA_FACTS = [name for name, f in FACTS.items() if f.where == EXTRA]

#: Yes/no conditions a template can test with {% if %} (facts can be tested too).
CONDITIONS = {
    "late_gdpr": "the GDPR notification is made more than 72 hours after discovery",
    "incomplete": "some facts are still missing: the notification is made in phases",
    "health_data": "health data are involved",
    "ransom_demanded": "a ransom was demanded",
    "resolved": "the incident is resolved",
    "patients_in_danger": "patients were put in danger or harmed",
}


@dataclass(frozen=True)
class Source:
    """A report's plain values, read by the services (labels already translated)."""

    reference: str
    establishment: str
    finess: str
    town: str
    category: str
    discovered_at: dt.datetime
    reported_at: dt.datetime
    now: dt.datetime
    description: str = ""
    reporter_name: str = ""
    reporter_email: str = ""
    reporter_phone: str = ""
    dpo_name: str = ""
    dpo_email: str = ""
    dpo_phone: str = ""
    notification_at: dt.datetime | None = None
    resolved_at: dt.datetime | None = None
    perimeter: str = ""
    systems_hit: tuple[str, ...] = ()
    operations_impact: str = ""  # label
    operations_impact_code: str = ""  # none / partial / degraded / stopped
    degraded_since: dt.datetime | None = None
    degraded_until: dt.datetime | None = None
    patient_care_affected: str = "unknown"  # yes / no / unknown
    patient_danger: str = ""  # raw value: none / potential / actual
    patient_danger_label: str = ""
    patient_danger_narrative: str = ""
    data_availability: bool = False
    data_integrity: bool = False
    data_confidentiality: bool = False
    personal_data: bool = False
    health_data: bool = False
    people_affected: int | None = None
    records_affected: int | None = None
    ransom_demanded: bool = False
    supplier_involved: bool = False
    supplier_name: str = ""
    measures_taken: str = ""
    root_cause: str = ""
    final_impact: str = ""
    complaint_filed_on: dt.date | None = None
    suspected_malicious: str = "unknown"  # reporter: yes / no / unknown
    origin: str = ""  # CERT: malicious / non_malicious / undetermined
    kind: str = ""  # CERT's qualification, label
    severity: str = ""  # CERT's qualification, label
    gdpr_due_at: dt.datetime | None = None
    updates: tuple[tuple[dt.datetime, str], ...] = ()
    #: the drafts recorded as sent, told in the draft's language: (sent at, sentence)
    sendings: tuple[tuple[dt.datetime, str], ...] = ()
    indicators: tuple[tuple[str, str], ...] = ()  # (type label, value)
    extra: dict[str, str] = field(default_factory=dict)


def when(at: dt.datetime | None) -> str | None:
    """An instant in Europe/Paris, in the active language: "30/11/2026 14:05 (heure de Paris)"."""
    if at is None:
        return None
    local = at.astimezone(PARIS)
    return _("%(date)s at %(time)s (Paris time)") % {
        "date": day(local.date()), "time": local.strftime("%H:%M")}


def day(d: dt.date | None) -> str | None:
    if d is None:
        return None
    return _("%(d)02d/%(m)02d/%(y)04d") % {"d": d.day, "m": d.month, "y": d.year}


def _number(n: int | None) -> str | None:
    return None if n is None else number_format(n, force_grouping=True)


def _text(s: str) -> str | None:
    s = (s or "").strip()
    return s or None


def _join(items: list[str]) -> str:
    return ", ".join(items)


def _yes_no_unknown(value: str) -> str:
    return {"yes": _("yes"), "no": _("no")}.get(value, _("not known yet"))


def _nature(s: Source) -> str | None:
    kinds = [label for flag, label in (
        (s.data_confidentiality, _("loss of confidentiality (data disclosed or accessed)")),
        (s.data_integrity, _("loss of integrity (data altered)")),
        (s.data_availability, _("loss of availability (data unavailable or destroyed)")),
    ) if flag]
    return _join(kinds) or None


def _data_categories(s: Source) -> str | None:
    kinds = []
    if s.personal_data:
        kinds.append(_("identification and contact data"))
    if s.health_data:
        kinds.append(_("health data (special category, GDPR art. 9)"))
    return _join(kinds) or None


def _malicious(s: Source) -> str:
    if s.origin == "malicious" or s.suspected_malicious == "yes":
        return _("yes: an unlawful or malicious act is suspected")
    if s.origin == "non_malicious" or s.suspected_malicious == "no":
        return _("no: no unlawful or malicious act is suspected at this stage")
    return _("not known yet")


def _patient_impact(s: Source) -> str | None:
    parts = [_("patient care affected: %(answer)s") % {
        "answer": _yes_no_unknown(s.patient_care_affected)}]
    if s.patient_danger_label:
        parts.append(_("danger to patients: %(level)s") % {"level": s.patient_danger_label})
    if s.patient_danger_narrative.strip():
        parts.append(s.patient_danger_narrative.strip())
    return "; ".join(parts)


def _degraded(s: Source) -> str | None:
    if s.degraded_since is None:
        if s.operations_impact_code in ("none", "partial", "stopped"):
            return _("no degraded mode")
        return None
    if s.degraded_until is None:
        return _("since %(since)s, still under way") % {"since": when(s.degraded_since)}
    return _("from %(since)s to %(until)s") % {"since": when(s.degraded_since),
                                                "until": when(s.degraded_until)}


def _contact(s: Source) -> str | None:
    parts = [p for p in (s.reporter_name, s.reporter_email, s.reporter_phone) if p]
    return ", ".join(parts) or None


def _dpo(s: Source) -> str | None:
    if not s.dpo_name.strip() or not (s.dpo_email.strip() or s.dpo_phone.strip()):
        return None
    return ", ".join(p.strip() for p in (s.dpo_name, s.dpo_email, s.dpo_phone) if p.strip())


def _timeline(s: Source) -> str:
    rows = [(s.discovered_at, _("Incident found.")), (s.reported_at, _("Reported to the CERT."))]
    rows += [(at, text) for at, text in (*s.updates, *s.sendings)]
    if s.notification_at:
        rows.append((s.notification_at, _("Notification completed.")))
    if s.resolved_at:
        rows.append((s.resolved_at, _("Incident resolved.")))
    rows.sort(key=lambda r: r[0])
    return "\n".join("- " + _("%(when)s: %(what)s") % {"when": when(at),
                                                        "what": " ".join(text.split())}
                     for at, text in rows)


def _indicators(s: Source) -> str:
    if not s.indicators:
        return _("none identified yet")
    return "\n".join(f"- {kind}: {value}" for kind, value in s.indicators)


def _ransom(s: Source) -> str:
    return _("yes") if s.ransom_demanded else _("no ransom demand received")


def values(s: Source) -> dict[str, str | None]:
    """Every fact as the text a draft shows, None where the report does not give it yet."""
    extra = {k: _text(s.extra.get(k, "")) for k in EXTRA_FACTS}
    v: dict[str, str | None] = {
        "reference": s.reference,
        "establishment": s.establishment,
        "finess": s.finess or None,
        "town": s.town or None,
        "category": s.category,
        "contact": _contact(s),
        "dpo_contact": _dpo(s),
        "discovered_at": when(s.discovered_at),
        "reported_at": when(s.reported_at),
        "notification_at": when(s.notification_at),
        "drafted_at": when(s.now),
        "description": _text(s.description),
        "perimeter": _text(s.perimeter),
        "systems_hit": _join(list(s.systems_hit)) or None,
        "operations_impact": s.operations_impact or None,
        "degraded_mode": _degraded(s),
        "patient_impact": _patient_impact(s),
        "nature": _nature(s),
        "data_categories": _data_categories(s),
        "people_affected": _number(s.people_affected),
        "records_affected": _number(s.records_affected),
        "measures_taken": _text(s.measures_taken),
        "malicious": _malicious(s),
        "severity": s.severity or None,
        "threat_type": s.kind or None,
        "indicators": _indicators(s),
        "root_cause": _text(s.root_cause),
        "final_impact": _text(s.final_impact),
        "resolved_at": when(s.resolved_at),
        "timeline": _timeline(s),
        "ransom": _ransom(s),
        "supplier": _text(s.supplier_name) if s.supplier_involved else _("none"),
        "complaint_filed_on": day(s.complaint_filed_on),
        **extra,
    }
    if not s.ransom_demanded:
        v["ransom_channel"] = _("not applicable")
    return v


def conditions(s: Source, vals: dict[str, str | None]) -> dict[str, bool]:
    due = s.gdpr_due_at
    return {
        "late_gdpr": due is not None and s.now > due,
        "incomplete": any(vals.get(n) is None for n in (
            "nature", "data_categories", "people_affected", "records_affected",
            "likely_consequences", "measures_taken", "dpo_contact")),
        "health_data": s.health_data,
        "ransom_demanded": s.ransom_demanded,
        "resolved": s.resolved_at is not None,
        "patients_in_danger": s.patient_danger in ("potential", "actual"),
    }
