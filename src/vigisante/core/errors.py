"""Error pages: under /api/ an error is JSON like every other API answer (the schema says so),
elsewhere the site's own page, styled, translated, with the menu and a way back (issue 10).

The 500 page stands alone (templates/500.html): it reads no database and reverses no URL that
could fail, since either may be the error; it is rendered in the request's language.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader

log = logging.getLogger(__name__)

_API_DETAIL = {400: "Bad request.", 403: "You do not have permission to perform this action.",
               404: "Not found.", 413: "Request body too large.", 500: "Server error."}


def _page(request, status: int, template: str, context: dict | None = None) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _API_DETAIL[status]}, status=status)
    return render(request, template, {"status": status, **(context or {})}, status=status)


def bad_request(request, exception=None):
    if isinstance(exception, RequestDataTooBig):
        # a form sent with megabytes pasted in: say so (a 413), not "request not understood"
        return _page(request, 413, "413.html", {"limit": settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    return _page(request, 400, "400.html")


def permission_denied(request, exception=None):
    return _page(request, 403, "403.html")


def not_found(request, exception=None):
    return _page(request, 404, "404.html")


def server_error(request):
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _API_DETAIL[500]}, status=500)
    try:
        return HttpResponseServerError(loader.get_template("500.html").render({}, request))
    except Exception:  # noqa: BLE001 - the error page must never fail in its turn
        log.exception("the 500 page could not be rendered")
        return HttpResponseServerError("<h1>Server error (500)</h1>")


def csrf_failure(request, reason: str = ""):
    """An expired or missing form token (a page left open, cookies blocked): say what to do."""
    return render(request, "403_csrf.html", {"status": 403}, status=403)
