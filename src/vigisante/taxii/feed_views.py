"""/feeds/: the firewall and sensor feeds (taxii/feeds.py, docs/feeds.md), for a token
(`Authorization: Token`, or `?token=` for tools that fetch a bare URL) or a machine account's
HTTP Basic. An account without the `receive` action gets a 404, like the indicators API."""

from __future__ import annotations

import functools

from django.http import HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from vigisante.accounts import machine
from vigisante.indicators import feed
from vigisante.indicators.models import TYPES
from vigisante.taxii import feeds

TEXT = "text/plain; charset=utf-8"


def _plain(status: int, message: str, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type=TEXT)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def feed_view(view):
    @csrf_exempt
    @functools.wraps(view)
    def inner(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return _plain(405, "Use GET.", {"Allow": "GET, HEAD"})
        try:
            user = machine.authenticate(request, query_token=True)
        except machine.Unauthenticated as exc:
            headers = {"WWW-Authenticate": 'Basic realm="Vigisante feeds"'}
            if exc.retry_after:
                headers["Retry-After"] = str(exc.retry_after)
            return _plain(exc.status, exc.message, headers)
        if user is None:
            return _plain(401, "Authentication required: a token (Authorization: Token <key>, "
                               "or ?token=<key>) or a machine account's HTTP Basic.",
                          {"WWW-Authenticate": 'Basic realm="Vigisante feeds"'})
        request.user = user
        if not feed.may_use_feed(user):
            return _plain(404, "Not found.")
        try:
            return view(request, user, *args, **kwargs)
        except feeds.FeedError as exc:
            return _plain(400, str(exc))

    return inner


def _stream(lines, content_type: str, filename: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(lines, content_type=content_type)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@feed_view
def text(request, user, kind):
    if kind not in TYPES:
        return _plain(404, f"No text feed for this type; types: {', '.join(TYPES)}.")
    qs = feeds.indicators(user, request.GET, types=[kind])
    return _stream(feeds.text_lines(qs), TEXT, f"vigisante-{kind}.txt")


@feed_view
def csv_feed(request, user):
    qs = feeds.indicators(user, request.GET)
    return _stream(feeds.csv_lines(qs), "text/csv; charset=utf-8", "vigisante-indicators.csv")


@feed_view
def zeek(request, user):
    qs = feeds.indicators(user, request.GET)
    return _stream(feeds.zeek_lines(qs), TEXT, "vigisante.intel")


@feed_view
def suricata(request, user, kind):
    if kind not in feeds.SURICATA_TYPES:
        return _plain(404, "No Suricata dataset for this type; types: "
                           f"{', '.join(feeds.SURICATA_TYPES)}.")
    qs = feeds.indicators(user, request.GET, types=[kind])
    return _stream(feeds.suricata_lines(qs, kind), TEXT, f"vigisante-{kind}.lst")
