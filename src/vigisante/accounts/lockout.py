"""Brute-force protection of the password login (site and Django admin), with django-axes.

A wrong password is counted per (e-mail address, client IP address). Past
`VIGISANTE_LOGIN_FAILURE_LIMIT` failures that pair is refused for
`VIGISANTE_LOGIN_LOCKOUT_MINUTES`, with a page that says how long to wait. The same person
from another address, or after a password reset, logs in normally: an attacker cannot use
the lockout to keep a director out during a crisis.
"""

from __future__ import annotations

import math

from axes.backends import AxesStandaloneBackend
from axes.utils import reset as axes_reset
from django.conf import settings
from django.shortcuts import render


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for web logins only: a call without a request (a management
    command, a script) has no client address to count against, and passes through."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


def username_of(request, credentials) -> str:
    """The typed e-mail address, case-folded: `Director@…` and `director@…` count together."""
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = getattr(request, "POST", {}).get("username")
    return str(value or "").strip().lower()[:254]


def lockout_minutes() -> int:
    return max(1, math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def lockout_response(request, original_response=None, credentials=None):
    """The page shown instead of the login form while the pair is locked out (HTTP 429)."""
    response = render(request, "accounts/locked_out.html",
                      {"minutes": lockout_minutes()}, status=429)
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


def clear_failures(email: str) -> None:
    """Forget the failed logins of an address (after its password was reset or changed)."""
    axes_reset(username=email.strip().lower())
