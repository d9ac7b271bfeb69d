"""Reading incoming intelligence (STIX 2.x bundles, MISP events): pure, no ORM, no clock.

`read(fmt, data)` takes decoded JSON and returns a `Parsed`: every object kept whole (unknown
types included), the indicators an analyst may accept (canonical `(type, value)` pairs with
their TLP), a title and warnings. It raises `IntelError` (a clear message) when the input is
not what the format says; nothing is stored by this module.
"""

from vigisante.sharing.intake.common import Candidate, IntelError, Parsed, read

__all__ = ["Candidate", "IntelError", "Parsed", "read"]
