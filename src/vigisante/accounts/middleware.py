"""Staff accounts (analysts, admins) must pass a second factor before using the site."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect

_EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


class StaffTwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            settings.REQUIRE_2FA
            and user is not None
            and user.is_authenticated
            and getattr(user, "is_cert_staff", False)
            and not user.is_verified()
            and not request.path.startswith(_EXEMPT_PREFIXES)
        ):
            return redirect("accounts:two_factor")
        return self.get_response(request)
