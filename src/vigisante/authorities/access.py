"""Who may do what in the chain of authorities (rules of `vigisante.core.access`).

An authority sees a report only once a transmission about it was **sent** to its scope (a
held transmission shows nothing), and then only as a need-to-know summary (action
"summary" on Report): never the report page itself, its texts, attachments, indicators,
notes, messages with the establishment or the reporter's contacts. The CERT sees every
transmission, holds and releases them, and writes to an authority.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from vigisante.accounts.access import STAFF
from vigisante.accounts.models import Role
from vigisante.authorities.models import (
    AuthorityAccount,
    AuthorityMessage,
    State,
    Transmission,
)
from vigisante.core import access
from vigisante.reports.access import SECTOR
from vigisante.reports.models import Report

AUTHORITY = Role.AUTHORITY
_CACHE = "_authority_scope"
NOWHERE = ("", "-")  # matches no row: an authority user without a scope sees nothing


def scope_of(user: Any) -> tuple[str, str] | None:
    """(authority, region) of an authority user (cached on the user object); None without
    a scope."""
    if user is None or not getattr(user, "is_authenticated", False) or user.pk is None:
        return None
    cached = getattr(user, _CACHE, False)
    if cached is False:
        row = (AuthorityAccount.objects.filter(user_id=user.pk)
               .values_list("authority", "region").first())
        cached = (str(row[0]), str(row[1])) if row else None
        setattr(user, _CACHE, cached)
    return cached if isinstance(cached, tuple) else None


def _scope_q(user: Any, prefix: str = "") -> Q:
    authority, region = scope_of(user) or NOWHERE
    return Q(**{f"{prefix}authority": authority, f"{prefix}region": region})


def _transmitted_q(user: Any) -> Q:
    return Q(pk__in=Transmission.objects.filter(_scope_q(user), state=State.SENT)
             .values("report_id"))


def _transmitted_test(user: Any, report: Any) -> bool:
    scope = scope_of(user)
    if scope is None or report.pk is None:
        return False
    return Transmission.objects.filter(report_id=report.pk, authority=scope[0],
                                       region=scope[1], state=State.SENT).exists()


TRANSMITTED = access.where("reports transmitted to the user's authority", _transmitted_q,
                           _transmitted_test)

OWN_SENT = access.where(
    "sent to the user's authority",
    lambda user: _scope_q(user) & Q(state=State.SENT),
    lambda user, t: (t.authority, t.region) == (scope_of(user) or NOWHERE)
    and t.state == State.SENT)

OWN_MESSAGES = access.where(
    "messages to the user's authority", lambda user: _scope_q(user),
    lambda user, m: (m.authority, m.region) == (scope_of(user) or NOWHERE))

REPORT_RULES: access.Rules = {
    # the need-to-know summary page and its API
    "summary": {STAFF: SECTOR, AUTHORITY: SECTOR & TRANSMITTED},
    # the CERT's side: see the transmissions on the case page, hold, release, write
    "transmissions": {STAFF: SECTOR},
    "hold_transmissions": {STAFF: SECTOR},
    "message_authority": {STAFF: SECTOR},
}

TRANSMISSION_RULES: access.Rules = {
    "view": {STAFF: access.EVERY, AUTHORITY: OWN_SENT},
    # the CERT's page of late and held transmissions across every report
    "oversee": {STAFF: access.EVERY},
    "mark_read": {AUTHORITY: OWN_SENT},
}

MESSAGE_RULES: access.Rules = {
    "view": {STAFF: access.EVERY, AUTHORITY: OWN_MESSAGES},
}

DASHBOARD = "summary"  # the dashboard lists what the role may summarise


def register() -> None:
    access.register(Report, REPORT_RULES, app="authorities")
    access.register(Transmission, TRANSMISSION_RULES, app="authorities")
    access.register(AuthorityMessage, MESSAGE_RULES, app="authorities")


def is_authority(user: Any) -> bool:
    return access.allowed(user, "mark_read", Transmission)
