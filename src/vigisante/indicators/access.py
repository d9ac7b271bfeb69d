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
