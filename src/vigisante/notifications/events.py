"""The e-mails Vigisanté sends, and who may receive each."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

CERT = "cert"
ESTABLISHMENT = "establishment"
AUTHORITY = "authority"


@dataclass(frozen=True)
class Event:
    label: object
    help: object
    audiences: frozenset[str]


EVENTS: dict[str, Event] = {
    "report_received": Event(
        _("A report is received"),
        _("For the CERT: every new report. For an establishment: the receipt of the reports "
          "you file."), frozenset({CERT, ESTABLISHMENT})),
    "acknowledged": Event(
        _("The CERT acknowledges a report"),
        _("An analyst has taken charge of your report."), frozenset({ESTABLISHMENT})),
    "message": Event(
        _("A new message about a report"),
        _("A message from the CERT, or an establishment's answer."),
        frozenset({CERT, ESTABLISHMENT})),
    "assignment": Event(
        _("A report is assigned to me"), _("An analyst assigned a report to you."),
        frozenset({CERT})),
    "clock_reminder": Event(
        _("A regulatory deadline is near"),
        _("A reminder before a deadline (CNIL, NIS2, complaint) of a report."),
        frozenset({CERT, ESTABLISHMENT})),
    "clock_overdue": Event(
        _("A regulatory deadline has passed"),
        _("When a deadline passes and nothing has been recorded."),
        frozenset({CERT, ESTABLISHMENT})),
    "alert": Event(
        _("The CERT sends an alert"),
        _("A warning of the CERT to establishments about a threat (phishing wave, supplier "
          "compromise, ...), with what to do."), frozenset({ESTABLISHMENT})),
    "transmission": Event(
        _("A report is transmitted to my authority"),
        _("A report of your scope arrived, was qualified, changed severity or impact on "
          "patients, or was resolved: its summary and a link."), frozenset({AUTHORITY})),
    "transmission_reminder": Event(
        _("A transmission to the authorities is late"),
        _("A transmission to the ARS, HFDS, DGS or defence chain is not sent near or past "
          "its target delay (held back, or the worker is down)."), frozenset({CERT})),
}


def audience_of(user) -> str | None:
    """Which side a user is on; observers (and machine accounts) receive no e-mail."""
    if getattr(user, "is_cert_staff", False):
        return CERT
    if getattr(user, "is_reporter", False):
        return ESTABLISHMENT
    if getattr(user, "is_authority", False):
        return AUTHORITY
    return None


def events_for(user) -> list[str]:
    """The events a user may choose to receive."""
    audience = audience_of(user)
    return [name for name, event in EVENTS.items() if audience in event.audiences]
