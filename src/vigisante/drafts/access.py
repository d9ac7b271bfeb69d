"""Who may use the regulatory drafts of a report (registered with vigisante.core.access).

The establishment's reporters draft, complete and record what they sent; the CERT reads the
same drafts (to help) and may record a sending the establishment reported by phone. Imported
records have no drafts. Editing the templates is an admin's act, in the admin site.
"""

from __future__ import annotations

from vigisante.accounts.access import ADMIN, REPORTER, STAFF
from vigisante.core import access
from vigisante.drafts.models import DraftTemplate
from vigisante.reports.access import OWN, SECTOR
from vigisante.reports.models import Report

REPORT_RULES: access.Rules = {
    "draft": {STAFF: SECTOR, REPORTER: SECTOR & OWN},  # read drafts, download them
    # complete the drafts' facts, the DPO contact, and record a draft as sent
    "complete_drafts": {STAFF: SECTOR, REPORTER: SECTOR & OWN},
}
TEMPLATE_RULES: access.Rules = {
    "view": {STAFF: access.EVERY},
    "change": {ADMIN: access.EVERY},
}


def register() -> None:
    access.register(Report, REPORT_RULES, app="drafts")
    access.register(DraftTemplate, TEMPLATE_RULES, app="drafts")
