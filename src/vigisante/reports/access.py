"""Who may do what to reports (registered with vigisante.core.access at start-up).

Imported records (VERIS, HHS) are public data sets kept for the observatory's figures: no role
may open, change or download them as reports. Only sector records are reports.
"""

from __future__ import annotations

from django.db.models import Q

from vigisante.accounts.access import REPORTER, STAFF, member_of
from vigisante.core import access
from vigisante.establishments.models import Establishment
from vigisante.reports.models import Report, Source

SECTOR = access.where("sector records", lambda user: Q(source=Source.SECTOR),
                      lambda user, report: report.source == Source.SECTOR)
OWN = member_of("establishment")

#: The reports pages and API: what each role may do to a report.
REPORT_RULES: access.Rules = {
    "view": {STAFF: SECTOR, REPORTER: SECTOR & OWN},
    # file a new report (for which establishment: Establishment "report" below)
    "create": {STAFF: access.EVERY, REPORTER: access.EVERY},
    # complete the notification and the final report, add updates and attachments
    "change": {STAFF: SECTOR, REPORTER: SECTOR & OWN},
    "download": {STAFF: SECTOR, REPORTER: SECTOR & OWN},  # attachment files
    # file a report received by phone or e-mail (channel other than web/API)
    "record_on_behalf": {STAFF: access.EVERY},
}

#: For which establishments a user may file a report.
ESTABLISHMENT_RULES: access.Rules = {
    "report": {STAFF: access.EVERY, REPORTER: member_of("")},
}


def register() -> None:
    access.register(Report, REPORT_RULES, app="reports")
    access.register(Establishment, ESTABLISHMENT_RULES, app="reports")
