"""Who may see which alert: decided here only (to be switched over to vigisante.core.access
when it lands).

CERT staff see every alert, drafts included; a reporter sees the sent alerts delivered to one
of its establishments; observers and everyone else see none.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404

from vigisante.sharing.models import Alert, AlertRecipient


def is_staff(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active
                and getattr(user, "is_cert_staff", False))


def is_reader(user) -> bool:
    """A reporter: the alerts of its establishments are for it."""
    return bool(user is not None and user.is_authenticated and user.is_active
                and getattr(user, "is_reporter", False))


def require_staff(user) -> None:
    if not is_staff(user):
        raise Http404("No such page.")


def visible_alerts(user) -> QuerySet[Alert]:
    """The alerts `user` may see."""
    if is_staff(user):
        return Alert.objects.all()
    if is_reader(user):
        delivered = AlertRecipient.objects.filter(
            alert=OuterRef("pk"), establishment__memberships__user=user)
        return Alert.objects.sent().filter(Exists(delivered))
    return Alert.objects.none()


def get_visible_alert(user, pk) -> Alert:
    """The alert if `user` may see it; 404 otherwise (no hint that it exists)."""
    try:
        return visible_alerts(user).get(pk=int(pk))
    except (Alert.DoesNotExist, ValueError, TypeError, OverflowError):
        raise Http404("No such alert.") from None
