"""API pieces with no feature knowledge: the ping endpoint and the shared permission."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.authentication import SessionScheme
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response


class IsAuthenticatedAndVerified(permissions.IsAuthenticated):
    """Authenticated; CERT staff using a browser session must also have passed 2FA.

    The site's two-factor middleware leaves /api/ alone (API clients use tokens), so without
    this an analyst logged in with a password only could read every report through the
    browsable API. A token is its own credential and is not affected.
    """

    message = _("Authentication credentials were not provided.")

    def has_permission(self, request: Request, view) -> bool:
        if not super().has_permission(request, view):
            return False
        user = request.user
        if request.auth is None and getattr(user, "is_cert_staff", False):
            if settings.REQUIRE_2FA and not getattr(user, "is_verified", lambda: True)():
                self.message = _("Pass the second factor (two-factor authentication) first.")
                return False
        return True


class OTPSessionScheme(SessionScheme):
    """Document the site's session authentication (with second factor) in the schema."""

    target_class = "vigisante.accounts.authentication.OTPSessionAuthentication"
    priority = -2  # a scheme registered by the accounts app itself takes precedence


@extend_schema(
    summary="Check that the API answers and the credentials work",
    responses={200: inline_serializer("Ping", {"status": serializers.CharField()})},
    tags=["core"],
)
@api_view(["GET"])
@permission_classes([IsAuthenticatedAndVerified])
def ping(request: Request) -> Response:
    """The cheapest authenticated request: the baseline of the intake benchmark."""
    return Response({"status": "ok"})
