"""Every login, failed login and logout is an audit event (never with the password)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from vigisante.core import audit


def _client(request) -> dict:
    if request is None:
        return {}
    return {"ip": request.META.get("REMOTE_ADDR", ""),
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:200]}


@receiver(user_logged_in, dispatch_uid="vigisante.accounts.audit_login")
def audit_login(sender, request, user, **kwargs) -> None:
    audit.record(actor=user, action="auth.login", object_type="accounts.user",
                 object_id=str(user.pk), after=_client(request))


@receiver(user_login_failed, dispatch_uid="vigisante.accounts.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Only the identifier typed is kept: Django already masks the password, and we drop
    # every other credential anyway.
    user_model = get_user_model()
    email = str(credentials.get(user_model.USERNAME_FIELD) or credentials.get("username")
                or "")[:254]
    user = user_model.objects.filter(email__iexact=email).only("pk").first() if email else None
    audit.record(actor=None, action="auth.login_failed", object_type="accounts.user",
                 object_id=str(user.pk) if user else "",
                 after={"email": email, **_client(request)})


@receiver(user_logged_in, dispatch_uid="vigisante.accounts.session_clock")
def start_session_clock(sender, request, user, **kwargs) -> None:
    """Start the idle and lifetime clocks of a new session (accounts.middleware)."""
    session = getattr(request, "session", None)
    if session is not None:
        import time

        from vigisante.accounts.middleware import SESSION_SEEN, SESSION_STARTED

        session[SESSION_STARTED] = session[SESSION_SEEN] = time.time()


@receiver(user_logged_out, dispatch_uid="vigisante.accounts.audit_logout")
def audit_logout(sender, request, user, **kwargs) -> None:
    if user is None or not getattr(user, "pk", None):
        return  # logging out an anonymous session changes nothing
    audit.record(actor=user, action="auth.logout", object_type="accounts.user",
                 object_id=str(user.pk), after=_client(request))
