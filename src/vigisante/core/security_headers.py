"""Headers that keep pages out of caches and shut browser features the site never uses.

- `Cache-Control: no-store` on every answer of the application (pages, API, downloads): case
  data must not stay in the cache of a shared hospital workstation after logout. Static files
  are served before this middleware (WhiteNoise) and stay cacheable.
- `Permissions-Policy`: no camera, microphone, geolocation, payment, USB, ... for any origin.

The Content-Security-Policy itself comes from django-csp (settings.CONTENT_SECURITY_POLICY).
"""

from __future__ import annotations

from django.utils.cache import add_never_cache_headers

PERMISSIONS_POLICY = ", ".join(f"{feature}=()" for feature in (
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media", "fullscreen",
    "geolocation", "gyroscope", "magnetometer", "microphone", "midi", "payment",
    "picture-in-picture", "publickey-credentials-get", "screen-wake-lock", "serial", "usb",
    "xr-spatial-tracking", "clipboard-read", "browsing-topics",
))


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        cache_control = response.get("Cache-Control", "")
        if "no-store" not in cache_control:
            add_never_cache_headers(response)
            response["Cache-Control"] = "no-store, no-cache, must-revalidate, private, max-age=0"
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
