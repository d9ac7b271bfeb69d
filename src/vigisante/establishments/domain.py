"""Pure rules about establishments: FINESS numbers and their département."""

from __future__ import annotations

import re

from vigisante.establishments.regions import DEPARTEMENTS

_FINESS_RE = re.compile(r"^(?P<dept>[0-9][0-9]|2A|2B|9[A-F])[0-9]{7}$")


def normalise_finess(value: str) -> str:
    """Strip spaces and upper-case a FINESS number as typed by a person."""
    return re.sub(r"\s+", "", value or "").upper()


def finess_error(value: str) -> str | None:
    """Return why `value` is not a FINESS number, or None when it is one."""
    if len(value) != 9:
        return f"A FINESS number has 9 characters; this one has {len(value)}."
    match = _FINESS_RE.match(value)
    if not match:
        return ("A FINESS number is a département code (01-95, 2A, 2B, 9A-9F) "
                "followed by 7 digits.")
    if match.group("dept") not in DEPARTEMENTS:
        return f"{match.group('dept')} is not a département code."
    return None


def departement_of(finess: str) -> str:
    """The département code a valid FINESS number belongs to."""
    return finess[:2]
