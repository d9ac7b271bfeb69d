"""Pure rules about establishments: FINESS numbers, their département, region and sector."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from vigisante.establishments.regions import DEPARTEMENTS

_FINESS_RE = re.compile(r"^(?P<dept>[0-9][0-9]|2A|2B|9[A-F])[0-9]{7}$")

# Categories of the medico-social sector; every other category is in the health sector.
MEDICO_SOCIAL_CATEGORY_CODES = frozenset({"ehpad", "medico_social"})


def normalise_finess(value: str) -> str:
    """Strip spaces and upper-case a FINESS number as typed by a person."""
    return re.sub(r"\s+", "", value or "").upper()


def finess_error(value: str) -> str | None:
    """Return why `value` is not a FINESS number, or None when it is one."""
    if len(value) != 9:
        message = _("A FINESS number has 9 characters; this one has %(n)d.") % {"n": len(value)}
        if len(value) == 8 and value.isdigit():
            message += " " + _("A spreadsheet may have dropped its leading zero.")
        return message
    match = _FINESS_RE.match(value)
    if not match:
        return _("A FINESS number is a département code (01-95, 2A, 2B, 9A-9F) "
                 "followed by 7 digits.")
    if match.group("dept") not in DEPARTEMENTS:
        return _("%(d)s is not a département code.") % {"d": match.group("dept")}
    return None


def departement_of(finess: str) -> str:
    """The département code a valid FINESS number belongs to."""
    return finess[:2]


def normalise_departement(value: str) -> str:
    """Upper-case a département code and restore a leading zero a spreadsheet dropped."""
    value = (value or "").strip().upper()
    if len(value) == 1 and value.isdigit():
        value = "0" + value
    return value


def region_of(departement: str) -> str | None:
    """The region code of a département code, or None when the code is unknown."""
    entry = DEPARTEMENTS.get(departement)
    return entry[1] if entry else None


def sector_of(category: str) -> str:
    """The sector implied by a category code: EHPAD and other medico-social, else health."""
    return "medico_social" if category in MEDICO_SOCIAL_CATEGORY_CODES else "health"
