"""E-mails about reports: the receipt to the establishment and the alert to the CERT, both as
the "report_received" notification (each user's preferences and language apply)."""

from __future__ import annotations

import logging

from vigisante.notifications.services import cert_recipients, notify
from vigisante.reports.models import Report

log = logging.getLogger(__name__)


def send_report_received(report_id: int) -> None:
    """Acknowledge a new report to its author and tell the CERT (staff and its mailbox)."""
    try:
        report = Report.objects.select_related("establishment", "created_by").get(pk=report_id)
        author = report.created_by
        recipients = [author] if author is not None and author.is_reporter else []
        notify(event="report_received", recipients=[*recipients, *cert_recipients()],
               context={"report": report, "actor": author})
    except Exception:  # noqa: BLE001 - a mail outage must never lose a report
        log.exception("could not send the acknowledgement of report %s", report_id)
