"""Who is calling a machine endpoint (TAXII, the feeds): HTTP Basic or an API token.

Machine endpoints are plain Django views used by security tools, not by people: no session,
no CSRF, no second factor. They call `authenticate(request)`:

- `Authorization: Basic base64(email:password)`: **machine accounts only** (`Role.MACHINE`).
  A person's password never opens these endpoints without the second factor staff must pass;
  a locked-out e-mail + address pair (django-axes) stays locked out here too;
- `Authorization: Token vs_...`: any active account's API token (the policy then decides what
  the role may read: staff everything, a reporter's own feed, a machine account its own);
- `?token=vs_...` where the caller asks for it (feeds: firewalls often fetch a bare URL).

Wrong credentials raise `Unauthenticated` (401), counted per client address like wrong API
tokens (429 past `VIGISANTE_API_AUTH_FAILURE_RATE`). The other way round, a machine account
may use nothing else: `LoginForm` refuses it on the pages and `ApiTokenAuthentication` on the
API (see docs/taxii.md).
"""

from __future__ import annotations

import base64
import binascii
from typing import NoReturn

from django.contrib.auth import authenticate as django_authenticate
from django.core.exceptions import PermissionDenied
from rest_framework import exceptions

from vigisante.accounts.models import Role
from vigisante.accounts.throttling import AuthFailureThrottle
from vigisante.core import audit


class Unauthenticated(Exception):
    """Missing or wrong credentials: `status` is 401 (or 429 while throttled)."""

    def __init__(self, message: str, status: int = 401, retry_after: int | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.retry_after = retry_after


def _failed(request, throttle: AuthFailureThrottle, kind: str, reason: str,
            prefix: str = "") -> NoReturn:
    throttle.failed(request)
    audit.journal(actor=None, action="auth.machine_invalid", object_type="accounts.user",
                  after={"kind": kind, "prefix": prefix[:8], "reason": reason[:100],
                         "ip": request.META.get("REMOTE_ADDR", ""),
                         "path": request.path[:300]})
    raise Unauthenticated(reason)


def _check_throttle(request, throttle: AuthFailureThrottle) -> None:
    try:
        throttle.check(request)
    except exceptions.Throttled as exc:
        wait = int(getattr(exc, "wait", None) or 60)
        raise Unauthenticated("Too many failed authentications from this address; try again "
                              "later.", status=429, retry_after=wait) from None


def _token_user(request, raw: str, throttle: AuthFailureThrottle):
    from vigisante.accounts.authentication import ApiTokenAuthentication

    _check_throttle(request, throttle)
    if not raw or len(raw) > 200:
        _failed(request, throttle, "token", "Invalid or revoked token.")
    try:
        user, _token = ApiTokenAuthentication().authenticate_credentials(raw)
    except exceptions.AuthenticationFailed as exc:
        _failed(request, throttle, "token", str(exc.detail), raw)
    return user


def _basic_user(request, value: str, throttle: AuthFailureThrottle):
    _check_throttle(request, throttle)
    try:
        decoded = base64.b64decode(value.encode("ascii"), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        _failed(request, throttle, "basic", "Malformed HTTP Basic credentials.")
    email, sep, password = decoded.partition(":")
    if not sep or not email or len(email) > 254 or len(password) > 1024:
        _failed(request, throttle, "basic", "Malformed HTTP Basic credentials.")
    try:
        user = django_authenticate(request, username=email.strip(), password=password)
    except PermissionDenied:
        raise Unauthenticated("Too many failed logins for this account from this address; "
                              "try again later.", status=429) from None
    if getattr(request, "axes_locked_out", False):
        raise Unauthenticated("Too many failed logins for this account from this address; "
                              "try again later.", status=429)
    if user is None or not user.is_active:
        _failed(request, throttle, "basic", "Incorrect e-mail address or password.")
    if user.role != Role.MACHINE:
        # A person's password here would skip the second factor: tokens only.
        _failed(request, throttle, "basic",
                "HTTP Basic is for machine accounts; use an API token.")
    return user


def authenticate(request, *, query_token: bool = False):
    """The user the request authenticates as, or None when it carries no credentials.

    Raises `Unauthenticated` for wrong, revoked, expired or refused credentials."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    throttle = AuthFailureThrottle()
    if header:
        scheme, _sep, value = header.strip().partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "token" or scheme == "bearer":
            return _token_user(request, value, throttle)
        if scheme == "basic":
            return _basic_user(request, value, throttle)
        raise Unauthenticated("Unsupported authorization scheme: use Basic or Token.")
    if query_token and "token" in request.GET:
        return _token_user(request, request.GET.get("token", "").strip(), throttle)
    return None
