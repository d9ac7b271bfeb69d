"""Switching the language on a form page without losing what was typed (issue 10, item 12).

The page's language button is then a submit button of the page's own form (`form="..."`,
name `switch_language`): the browser posts what the user typed, the view shows the same form
again, unvalidated, in the other language, and remembers the choice in the same cookie as
Django's `set_language`. No JavaScript, no draft kept on the server. Other pages keep the
plain `set_language` form of base.html.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SWITCH_FIELD = "switch_language"


def requested(request: HttpRequest) -> str | None:
    """The language a POST asks to switch to, or None (not a switch, or an unknown code)."""
    if request.method != "POST":
        return None
    code = request.POST.get(SWITCH_FIELD, "")
    return code if code in dict(settings.LANGUAGES) else None


def activate(request: HttpRequest, code: str) -> None:
    """Render the rest of this request in `code` (call before building the response)."""
    translation.activate(code)
    request.LANGUAGE_CODE = code


def remember(response: HttpResponse, code: str) -> HttpResponse:
    """Keep the choice for the next pages, as Django's set_language view does."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code, max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH, domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE, httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE)
    return response
