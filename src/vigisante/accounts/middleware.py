"""Staff accounts (analysts, admins) must pass a second factor before using the site."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse

# Pages an unverified analyst or admin may still open: the way in and out, the second
# factor itself, password reset, static files, language switch. The API has its own check
# (accounts.authentication.OTPSessionAuthentication).
_EXEMPT_PREFIXES = (
    "/accounts/login/", "/accounts/logout/", "/accounts/two-factor/",
    "/accounts/password-reset/", "/static/", "/i18n/", "/api/",
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
            and getattr(user, "is_cert_staff", False)
            and not user.is_verified()
            and not request.path.startswith(_EXEMPT_PREFIXES)
        ):
            url = reverse("accounts:two_factor")
            if request.method == "GET":
                url += "?" + urlencode({"next": request.get_full_path()})
            return redirect(url)
        return self.get_response(request)
