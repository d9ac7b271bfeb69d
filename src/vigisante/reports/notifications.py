"""E-mails about reports: acknowledgement to the establishment, alert to the CERT."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from vigisante.reports.models import Report

log = logging.getLogger(__name__)


def send_report_received(report_id: int) -> None:
    """Acknowledge a new report to its author and tell the CERT's mailbox."""
    try:
        report = Report.objects.select_related("establishment", "created_by").get(pk=report_id)
        url = settings.SITE_URL + reverse("reports:detail", args=[report.pk])
        recipients = []
        if report.created_by and report.created_by.email and report.created_by.is_reporter:
            recipients.append(report.created_by.email)
        context = {"report": report, "url": url}
        with translation.override("fr"):
            if recipients:
                send_mail(
                    render_to_string("reports/email/ack_subject.txt", context).strip(),
                    render_to_string("reports/email/ack_body.txt", context),
                    settings.DEFAULT_FROM_EMAIL, recipients,
                )
            send_mail(
                f"[Vigisanté] {report.reference} - {report.establishment}",
                render_to_string("reports/email/cert_body.txt", context),
                settings.DEFAULT_FROM_EMAIL, [settings.CERT_EMAIL],
            )
    except Exception:  # noqa: BLE001 - a mail outage must never lose a report
        log.exception("could not send the acknowledgement of report %s", report_id)
