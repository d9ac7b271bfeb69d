"""Filters for e-mail templates, which carry their French and English text side by side (so a
French e-mail is French whatever the state of the message catalogue)."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()

_REGIMES = {
    "cert_resolution": ("Informer le CERT de la résolution", "Tell the CERT when resolved"),
    "gdpr_breach": ("RGPD : notification de la violation de données à la CNIL",
                    "GDPR: personal-data breach notification to the CNIL"),
    "nis2_early_warning": ("NIS2 : alerte précoce", "NIS2: early warning"),
    "nis2_notification": ("NIS2 : notification de l'incident", "NIS2: incident notification"),
    "nis2_final": ("NIS2 : rapport final", "NIS2: final report"),
    "insurance_complaint": ("Assurance cyber : dépôt de plainte",
                            "Cyber-insurance: criminal complaint"),
}
_RECIPIENTS = {
    "Police or gendarmerie": "Police ou gendarmerie",
}
_HOW_TO_CLOSE = {
    "cert_resolution": ("Complétez le rapport final une fois l'incident résolu.",
                        "Complete the final report once the incident is resolved."),
    "gdpr_breach": ("Notifiez la CNIL, puis indiquez la date dans le formulaire de "
                    "notification.",
                    "Notify the CNIL, then record the date in the notification form."),
    "nis2_early_warning": ("Le dépôt de ce signalement vaut alerte précoce.",
                           "Filing this report is the early warning."),
    "nis2_notification": ("Complétez l'étape de notification de ce signalement.",
                          "Complete the notification stage of this report."),
    "nis2_final": ("Complétez le rapport final.", "Complete the final report."),
    "insurance_complaint": ("Déposez plainte, puis indiquez sa date dans le formulaire de "
                            "notification.",
                            "File a complaint, then record its date in the notification form."),
}
_TRISTATE = {"yes": ("oui", "yes"), "no": ("non", "no"), "unknown": ("ne sait pas", "unknown"),
             True: ("oui", "yes"), False: ("non", "no")}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "fr" else pair[1]


@register.filter
def regime_name(regime: str, lang: str) -> str:
    pair = _REGIMES.get(regime)
    return _pick(pair, lang) if pair else regime


@register.filter
def how_to_close(regime: str, lang: str) -> str:
    pair = _HOW_TO_CLOSE.get(regime)
    return _pick(pair, lang) if pair else ""


@register.filter
def recipient_name(recipient: str, lang: str) -> str:
    return _RECIPIENTS.get(recipient, recipient) if lang == "fr" else recipient


@register.filter
def yes_no(value, lang: str) -> str:
    pair = _TRISTATE.get(value)
    return _pick(pair, lang) if pair else str(value or "")


@register.filter
def duration(delta: dt.timedelta | None, lang: str) -> str:
    """'2 j 3 h 05 min' / '2 d 3 h 05 min' of an absolute duration."""
    if delta is None:
        return ""
    minutes = int(abs(delta).total_seconds() // 60)
    days, hours, mins = minutes // 1440, (minutes % 1440) // 60, minutes % 60
    parts = []
    if days:
        parts.append(f"{days} {'j' if lang == 'fr' else 'd'}")
    if days or hours:
        parts.append(f"{hours} h")
    parts.append(f"{mins:02d} min" if parts else f"{mins} min")
    return " ".join(parts)


@register.simple_tag
def time_between(start: dt.datetime | None, end: dt.datetime | None) -> dt.timedelta | None:
    if start is None or end is None:
        return None
    return end - start
