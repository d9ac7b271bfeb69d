"""API throttling: per token (or logged-in user), per client IP, and a stricter limit on
wrong tokens per client IP (guessing tokens). Rates are settings (VIGISANTE_API_*_RATE)."""

from __future__ import annotations

from django.core.cache import caches
from rest_framework import exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from vigisante.core.client import client_ip


class _SettingsRate(SimpleRateThrottle):
    """Reads its rate when used (not at import), so that a changed setting applies. Counts
    in the "throttle" cache, shared by every process of the server."""

    # set by SimpleRateThrottle.__init__ from the rate (the stubs do not declare them)
    num_requests: int
    duration: int

    @property
    def cache(self):
        return caches["throttle"]

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRateThrottle(_SettingsRate):
    """Per API token; a browser session counts per user."""

    scope = "token"

    def get_cache_key(self, request, view):
        auth = getattr(request, "auth", None)
        if auth is not None and getattr(auth, "pk", None) is not None:
            ident = f"t{auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"u{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}


class IPRateThrottle(_SettingsRate):
    """Per client address, whoever is calling."""

    scope = "ip"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


class AuthFailureThrottle(_SettingsRate):
    """Counts wrong tokens per client address; checked before any token is looked up."""

    scope = "auth_failure"

    def address_key(self, request) -> str:
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}

    def check(self, request) -> None:
        """Raise 429 while this address has used up its wrong tokens for the period."""
        if self.rate is None:
            return
        self.key = self.address_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        if len(self.history) >= self.num_requests:
            raise exceptions.Throttled(wait=self.wait())

    def failed(self, request) -> None:
        """Count one wrong token from this address."""
        if self.rate is None:
            return
        key = self.address_key(request)
        now = self.timer()
        history = [t for t in self.cache.get(key, []) if t > now - self.duration]
        history.insert(0, now)
        self.cache.set(key, history, self.duration)
