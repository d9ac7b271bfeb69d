"""DRF authentication with our hashed API tokens: `Authorization: Token <key>`."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from vigisante.accounts.models import ApiToken, Role, hash_token
from vigisante.accounts.throttling import AuthFailureThrottle
from vigisante.core import audit


class ApiTokenAuthentication(authentication.TokenAuthentication):
    """Hashed tokens, refused once revoked or expired. Wrong tokens are counted per client
    address: past VIGISANTE_API_AUTH_FAILURE_RATE, every token from it gets 429 for a while."""

    keyword = "Token"

    def _authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        throttle = AuthFailureThrottle()
        throttle.check(request)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed as exc:
            throttle.failed(request)
            # Journaled (no lock): anyone can send bad tokens, in volume. Only the first
            # characters of what was sent are kept, never a whole token.
            parts = request.META.get("HTTP_AUTHORIZATION", "").split()
            audit.journal(actor=None, action="auth.token_invalid",
                          object_type="accounts.apitoken", after={
                              "prefix": parts[1][:8] if len(parts) > 1 else "",
                              "reason": str(exc.detail)[:100],
                              "ip": request.META.get("REMOTE_ADDR", ""),
                              "path": request.path[:300]})
            raise

    def authenticate_credentials(self, key):
        now = timezone.now()
        try:
            token = ApiToken.objects.select_related("user").get(
                key_hash=hash_token(key), revoked_at__isnull=True
            )
        except ApiToken.DoesNotExist:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.") from None
        if token.expires_at is not None and token.expires_at <= now:
            raise exceptions.AuthenticationFailed("Expired token.")
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed("User inactive.")
        return self._record_use(token, now)

    def authenticate(self, request):
        result = self._authenticate(request)
        if result is not None and result[0].role == Role.MACHINE and not \
                request.path.startswith(tuple(settings.MACHINE_TOKEN_PATHS)):
            # Machine accounts read TAXII and the feeds (plain views, vigisante.accounts.
            # machine, and the MISP feed), never the rest of the API.
            raise exceptions.AuthenticationFailed(
                _("Machine accounts may use TAXII and the feeds only."))
        return result

    def _record_use(self, token, now):
        # Record use at most once a minute: a write per request would serialise SQLite.
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return (token.user, token)


class OTPSessionAuthentication(authentication.SessionAuthentication):
    """Session authentication that refuses analysts, admins and authorities without their
    second factor.

    The site's middleware sends them to the two-factor page; the API must not be a way
    around it. API tokens stay single-factor: they are issued only after a full login (the
    tokens page requires the second factor) or by an administrator's command.
    """

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        user = result[0]
        if settings.REQUIRE_2FA and getattr(user, "requires_second_factor", False):
            is_verified = getattr(user, "is_verified", None)
            if not (callable(is_verified) and is_verified()):
                raise exceptions.AuthenticationFailed(
                    _("Two-factor verification required: complete it on the site first."))
        return result
