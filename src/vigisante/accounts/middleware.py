"""Session limits, and the second factor that staff accounts (analysts, admins) and
authorities must pass before using the site."""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse

# Pages an unverified analyst or admin may still open: the way in and out, the second
# factor itself, password reset, static files, language switch. The API has its own check
# (accounts.authentication.OTPSessionAuthentication).
_EXEMPT_PREFIXES = (
    "/accounts/login/", "/accounts/logout/", "/accounts/two-factor/",
    "/accounts/password-reset/", "/static/", "/i18n/", "/api/",
    # Machine endpoints: they ignore the session (HTTP Basic or token, accounts.machine).
    "/taxii2/", "/feeds/",
)


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.REQUIRE_2FA
            and user is not None
            and user.is_authenticated
            and getattr(user, "requires_second_factor", False)
            and not user.is_verified()
            and not request.path.startswith(_EXEMPT_PREFIXES)
        ):
            url = reverse("accounts:two_factor")
            if request.method == "GET":
                url += "?" + urlencode({"next": request.get_full_path()})
            return redirect(url)
        return self.get_response(request)


SESSION_STARTED = "vs_started"
SESSION_SEEN = "vs_seen"
SESSION_EXPIRED = "vs_expired"


def idle_limit_seconds(user) -> int:
    minutes = (settings.STAFF_SESSION_IDLE_MINUTES
               if getattr(user, "requires_second_factor", False)
               else settings.SESSION_IDLE_MINUTES)
    return int(minutes) * 60


class SessionTimeoutMiddleware:
    """Logs out a session idle for too long (VIGISANTE_STAFF_SESSION_IDLE_MINUTES for
    analysts and admins, VIGISANTE_SESSION_IDLE_MINUTES for the others) or older than
    VIGISANTE_SESSION_MAX_HOURS. The next login asks for the second factor again. The login
    page then says why (session key `vs_expired`)."""

    # The last-seen time is written at most once a minute: a session write per request
    # would serialise SQLite.
    TOUCH_EVERY = 60

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            self._check(request, user)
        return self.get_response(request)

    def _check(self, request, user) -> None:
        session = request.session
        now = time.time()
        started = session.get(SESSION_STARTED)
        seen = session.get(SESSION_SEEN)
        if not isinstance(started, int | float) or not isinstance(seen, int | float):
            session[SESSION_STARTED] = session[SESSION_SEEN] = now
            return
        reason = ""
        if now - seen > idle_limit_seconds(user):
            reason = "idle"
        elif now - started > settings.SESSION_MAX_HOURS * 3600:
            reason = "lifetime"
        if reason:
            logout(request)
            request.session[SESSION_EXPIRED] = reason
        elif now - seen >= self.TOUCH_EVERY:
            session[SESSION_SEEN] = now
