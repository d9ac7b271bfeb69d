"""The client's IP address, the same for login lockouts, API throttling and the audit trail.

Behind `VIGISANTE_PROXY_COUNT` reverse proxies, each of which appends the address it saw to
`X-Forwarded-For`, the client is the entry that many places from the right; anything further
left was written by the client itself and is not trusted. With no proxy, the header is ignored.
"""

from __future__ import annotations

from django.conf import settings


def client_ip(request) -> str:
    """The address of the client that sent `request` (may be empty for a test request)."""
    meta = getattr(request, "META", {}) or {}
    count = int(getattr(settings, "PROXY_COUNT", 0) or 0)
    if count > 0:
        hops = [h.strip() for h in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= count:
            return hops[-count][:45]
    return str(meta.get("REMOTE_ADDR", ""))[:45]
