"""Error pages: under /api/ a 404 is JSON like every other API answer (the schema says so),
elsewhere the site's HTML page."""

from __future__ import annotations

from django.http import JsonResponse
from django.views.defaults import page_not_found


def not_found(request, exception=None):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
