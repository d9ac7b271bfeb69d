"""Who may triage a report (registered with vigisante.core.access at start-up).

The CERT's actions on a report's case are actions on the Report: triage adds them to the
reports app's table. Imported records have no case: only sector records are triaged.
"""

from __future__ import annotations

from vigisante.accounts.access import ADMIN, REPORTER, STAFF
from vigisante.core import access
from vigisante.reports.access import OWN, SECTOR
from vigisante.reports.models import Report

TRIAGE_RULES: access.Rules = {
    "triage": {STAFF: SECTOR},  # the queue, the case page, notes and history (read)
    "acknowledge": {STAFF: SECTOR},
    "qualify": {STAFF: SECTOR},
    "transition": {STAFF: SECTOR},
    "reopen": {ADMIN: SECTOR},  # move a closed, rejected or duplicate case back
    "assign": {STAFF: SECTOR},
    "note": {STAFF: SECTOR},
    "message": {STAFF: SECTOR},
    "support": {STAFF: SECTOR},
    "reply": {REPORTER: SECTOR & OWN},  # the establishment answers the CERT
}


def register() -> None:
    access.register(Report, TRIAGE_RULES, app="triage")
