"""Who may do what to alerts: the rules of `vigisante.core.access` for `Alert` (registered by
the app), and the small helpers the sharing pages, API and services call.

CERT staff see, write, send every alert and see who read it; a reporter sees the sent alerts
delivered to one of its establishments and records that it read them; a machine account (the
MISP feed) sees those of its establishment, or as a partner the sent alerts up to TLP:AMBER;
observers and everyone else get nothing (404).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from vigisante.accounts.access import REPORTER, STAFF, establishment_ids
from vigisante.accounts.models import Membership, Role
from vigisante.core import access
from vigisante.indicators.models import Campaign
from vigisante.sharing.models import Alert, AlertRecipient, IncomingIntel


def _delivered_q(user) -> Q:
    mine = Membership.objects.filter(user_id=user.pk).values("establishment_id")
    return Q(sent_at__isnull=False,
             pk__in=AlertRecipient.objects.filter(establishment_id__in=mine).values("alert_id"))


def _delivered_test(user, alert: Alert) -> bool:
    # Recipients exist only once sent (an in-memory draft object may be stale).
    return AlertRecipient.objects.filter(
        alert_id=alert.pk, establishment_id__in=establishment_ids(user)).exists()


DELIVERED = access.where("sent to one of the user's establishments", _delivered_q,
                         _delivered_test)


def _partner_q(user) -> Q:
    """A machine account without establishment is a partner (a CERT, an agency): the sent
    alerts up to TLP:AMBER (docs/taxii.md)."""
    if Membership.objects.filter(user_id=user.pk).exists():
        return Q(pk__in=[])
    return Q(sent_at__isnull=False, tlp__in=["clear", "green", "amber"])


PARTNER_SENT = access.where("sent, up to TLP:AMBER, to partners (machine accounts without "
                            "establishment)", _partner_q)

ALERT_RULES: access.Rules = {
    # machine accounts read alerts through the MISP feed only (accounts.authentication)
    "view": {STAFF: access.EVERY, REPORTER: DELIVERED, Role.MACHINE: DELIVERED | PARTNER_SENT},
    "write": {STAFF: access.EVERY},         # drafts: create, change, preview
    "send": {STAFF: access.EVERY},
    "receipts": {STAFF: access.EVERY},      # who has read it
    "mark_read": {REPORTER: DELIVERED},     # the read receipt of a recipient
    "export": {STAFF: access.EVERY, REPORTER: DELIVERED},  # STIX bundle, MISP event
}

#: Incoming intelligence (STIX bundles, MISP events): CERT staff only.
INTEL_RULES: access.Rules = {
    "view": {STAFF: access.EVERY},
    "submit": {STAFF: access.EVERY},        # upload a bundle or an event
    "review": {STAFF: access.EVERY},        # accept into indicators, dismiss
}

#: A campaign as STIX or MISP (its name and summary pass the anonymity guard): staff.
CAMPAIGN_RULES: access.Rules = {
    "export": {STAFF: access.EVERY},
}


def register() -> None:
    access.register(Alert, ALERT_RULES, app="sharing")
    access.register(IncomingIntel, INTEL_RULES, app="sharing")
    access.register(Campaign, CAMPAIGN_RULES, app="sharing")


def is_staff(user) -> bool:
    """May write and send alerts (CERT staff)."""
    return access.allowed(user, "write", Alert)


def is_reader(user) -> bool:
    """Receives alerts and records readings (reporters)."""
    return access.allowed(user, "mark_read", Alert)


def require_staff(user) -> None:
    access.require(user, "write", Alert)


def visible_alerts(user) -> QuerySet[Alert]:
    """The alerts `user` may see."""
    return access.restrict(Alert.objects.all(), user, "view")


def get_visible_alert(user, pk) -> Alert:
    """The alert if `user` may see it; 404 otherwise (no hint that it exists)."""
    return access.get_or_404(Alert.objects.all(), user, "view", pk)
