"""Who may use the indicators app: CERT staff only, everyone else gets "not found".

One small function, to be switched over to vigisante.core.access when it lands."""

from __future__ import annotations

from django.http import Http404


def is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active
                and user.is_cert_staff)


def require_staff(user) -> None:
    if not is_staff(user):
        raise Http404("Not found.")


def register() -> None:
    """The policy's rules for the correlation rebuilds (vigisante.core.access)."""
    from vigisante.accounts.access import STAFF
    from vigisante.core import access
    from vigisante.indicators.models import CorrelationRebuild

    access.register(CorrelationRebuild, {
        "view": {STAFF: access.EVERY},   # the page and its runs
        "run": {STAFF: access.EVERY},    # queue a rebuild
    }, app="indicators")
