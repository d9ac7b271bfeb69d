"""The TAXII 2.1 server under /taxii2/ (docs/taxii.md).

Plain Django views: every answer is `application/taxii+json;version=2.1`, every error a TAXII
error message (401 without or with wrong credentials, 403 for an account with no TAXII access,
404 for what the account may not read or what does not exist, 405, 406 for an Accept that
excludes TAXII 2.1, 413 for a body over `max_content_length`, 415 for a body that is not
TAXII). Who reads and writes which collection is the access policy (taxii/access.py).
"""

from __future__ import annotations

import functools
import json
import uuid

from django.conf import settings
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from vigisante.accounts import machine
from vigisante.core import access
from vigisante.taxii import access as taxii_access
from vigisante.taxii import inbox, protocol, storage
from vigisante.taxii.models import Collection, Status
from vigisante.taxii.protocol import TaxiiError

API_ROOT_TITLE = "Vigisanté"


def taxii_view(methods: tuple[str, ...]):
    """Authenticate (Basic or token), check the Accept header and the method, and turn every
    refusal into a TAXII error message."""

    def wrap(view):
        @csrf_exempt
        @functools.wraps(view)
        def inner(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise TaxiiError(405, "Method not allowed",
                                     f"Use {', '.join(methods)}.",
                                     {"Allow": ", ".join(methods)})
                try:
                    user = machine.authenticate(request)
                except machine.Unauthenticated as exc:
                    headers = {"WWW-Authenticate": 'Basic realm="Vigisante TAXII"'}
                    if exc.retry_after:
                        headers["Retry-After"] = str(exc.retry_after)
                    raise TaxiiError(exc.status, "Authentication failed" if exc.status == 401
                                     else "Too many attempts", exc.message, headers) from None
                if user is None:
                    raise TaxiiError(401, "Authentication required",
                                     "Use HTTP Basic (machine accounts) or "
                                     "'Authorization: Token <key>'.",
                                     {"WWW-Authenticate": 'Basic realm="Vigisante TAXII"'})
                request.user = user
                if not taxii_access.may_use_taxii(user):
                    raise TaxiiError(403, "Forbidden", "This account has no TAXII access.")
                if not protocol.accepts_taxii(request.META.get("HTTP_ACCEPT", "")):
                    raise TaxiiError(406, "Not acceptable",
                                     f"This server answers {protocol.TAXII_MEDIA_TYPE}.")
                return view(request, user, *args, **kwargs)
            except TaxiiError as error:
                return protocol.error_response(error)
            except Http404:
                return protocol.error_response(TaxiiError(
                    404, "Not found", "No such resource, or not for this account."))

        return inner

    return wrap


def _root_url(request) -> str:
    return request.build_absolute_uri(reverse("taxii:api_root"))


def max_content_length() -> int:
    return int(settings.TAXII_MAX_CONTENT_LENGTH)


@taxii_view(("GET", "HEAD"))
def discovery(request, user):
    return protocol.taxii_response({
        "title": "Vigisanté TAXII 2.1",
        "description": "Alerts, campaigns and confirmed indicators of the health sector's CERT.",
        "default": _root_url(request),
        "api_roots": [_root_url(request)],
    })


@taxii_view(("GET", "HEAD"))
def api_root(request, user):
    return protocol.taxii_response({
        "title": API_ROOT_TITLE,
        "description": "The CERT's collections, by audience and TLP.",
        "versions": [protocol.TAXII_MEDIA_TYPE],
        "max_content_length": max_content_length(),
    })


def _collection_resource(collection: Collection, readable: set, writable: set) -> dict:
    return {
        "id": str(collection.pk),
        "title": collection.title,
        "description": collection.description,
        "alias": collection.alias,
        "can_read": collection.pk in readable,
        "can_write": collection.pk in writable,
        "media_types": [protocol.STIX_MEDIA_TYPE],
    }


def _rights(user) -> tuple[set, set]:
    readable = set(access.restrict(Collection.objects.all(), user, "read")
                   .values_list("pk", flat=True)) \
        if access.allowed(user, "read", Collection) else set()
    writable = set(access.restrict(Collection.objects.all(), user, "write")
                   .values_list("pk", flat=True)) \
        if access.allowed(user, "write", Collection) else set()
    return readable, writable


@taxii_view(("GET", "HEAD"))
def collections(request, user):
    readable, writable = _rights(user)
    found = Collection.objects.filter(pk__in=readable | writable).order_by("alias")
    listing = [_collection_resource(c, readable, writable) for c in found]
    return protocol.taxii_response({"collections": listing} if listing else {})


def _collection(user, collection_id: str, action: str) -> tuple[Collection, set, set]:
    """The collection if the user may `action` it ("read", "write" or "any"); 404 else."""
    try:
        pk = uuid.UUID(str(collection_id))
    except ValueError:
        raise Http404 from None
    readable, writable = _rights(user)
    allowed = {"read": readable, "write": writable, "any": readable | writable}[action]
    if pk not in allowed:
        if action != "any" and pk in readable | writable:
            raise TaxiiError(403, "Forbidden", f"This account may not {action} this "
                                               "collection.")
        raise Http404
    return Collection.objects.get(pk=pk), readable, writable


@taxii_view(("GET", "HEAD"))
def collection(request, user, collection_id):
    found, readable, writable = _collection(user, collection_id, "any")
    return protocol.taxii_response(_collection_resource(found, readable, writable))


def _page_size() -> tuple[int, int]:
    return int(settings.TAXII_DEFAULT_PAGE_SIZE), int(settings.TAXII_MAX_PAGE_SIZE)


def _filters(request, allowed=protocol.ALLOWED) -> protocol.Filters:
    default, maximum = _page_size()
    return protocol.parse_filters(request.GET, default_limit=default, max_limit=maximum,
                                  allowed=allowed)


def _paged_headers(rows, more: bool) -> tuple[dict, dict]:
    """The envelope's `more`/`next` and the X-TAXII-Date-Added-First/Last headers."""
    if not rows:
        return {}, {}
    head = {"X-TAXII-Date-Added-First": protocol.format_timestamp(rows[0][1]),
            "X-TAXII-Date-Added-Last": protocol.format_timestamp(rows[-1][1])}
    extra: dict[str, object] = {"more": more}
    if more:
        extra["next"] = protocol.encode_cursor(rows[-1][1], rows[-1][0])
    return extra, head


def _envelope(rows, more: bool, status: int = 200):
    """The envelope, written around the stored JSON of each object (never re-parsed)."""
    extra, head = _paged_headers(rows, more)
    if not rows:
        return protocol.taxii_response("{}", status)
    meta = json.dumps(extra, separators=(",", ":"))[1:-1]
    body = "{" + meta + ',"objects":[' + ",".join(r[2] for r in rows) + "]}"
    return protocol.taxii_response(body, status, head)


@taxii_view(("GET", "HEAD", "POST"))
def objects(request, user, collection_id):
    if request.method == "POST":
        return _add_objects(request, user, collection_id)
    found, _r, _w = _collection(user, collection_id, "read")
    rows, more = storage.select(found, _filters(request), fields=("payload",))
    return _envelope(rows, more)


@taxii_view(("GET", "HEAD", "DELETE"))
def object_detail(request, user, collection_id, object_id):
    if request.method == "DELETE":
        found, _r, _w = _collection(user, collection_id, "write")
        if not access.allowed(user, "delete", found):
            raise TaxiiError(403, "Forbidden", "This account may not delete objects here.")
        if not protocol.is_stix_id(object_id):
            raise Http404
        filters = _filters(request, {"match[version]", "match[spec_version]"})
        if not storage.delete(found, object_id, filters):
            raise Http404
        return protocol.taxii_response("", 200)
    found, _r, _w = _collection(user, collection_id, "read")
    if not protocol.is_stix_id(object_id):
        raise Http404
    rows, more = storage.select(found, _filters(request, protocol.ALLOWED - {"match[id]"}),
                                fields=("payload",), object_id=object_id)
    if not rows and not request.GET.get("next"):
        raise Http404
    return _envelope(rows, more)


@taxii_view(("GET", "HEAD"))
def versions(request, user, collection_id, object_id):
    found, _r, _w = _collection(user, collection_id, "read")
    if not protocol.is_stix_id(object_id):
        raise Http404
    filters = _filters(request, {"added_after", "limit", "next", "match[spec_version]"})
    rows, more = storage.select(found, filters, fields=("version",), object_id=object_id,
                                versions=False)
    if not rows and not request.GET.get("next"):
        raise Http404
    extra, head = _paged_headers(rows, more)
    return protocol.taxii_response(
        {**extra, "versions": [protocol.format_timestamp(r[2]) for r in rows]}, 200, head)


@taxii_view(("GET", "HEAD"))
def manifest(request, user, collection_id):
    found, _r, _w = _collection(user, collection_id, "read")
    rows, more = storage.select(found, _filters(request), fields=("stix_id", "version"))
    extra, head = _paged_headers(rows, more)
    if not rows:
        return protocol.taxii_response("{}")
    records = [{"id": r[2], "date_added": protocol.format_timestamp(r[1]),
                "version": protocol.format_timestamp(r[3]),
                "media_type": protocol.STIX_MEDIA_TYPE} for r in rows]
    return protocol.taxii_response({**extra, "objects": records}, 200, head)


def _status_resource(status: Status) -> dict:
    out = {"id": str(status.pk), "status": status.status,
           "request_timestamp": protocol.format_timestamp(status.request_timestamp),
           "total_count": status.total_count, "success_count": status.success_count,
           "failure_count": status.failure_count, "pending_count": status.pending_count}
    for name in ("successes", "failures", "pendings"):
        if getattr(status, name):
            out[name] = getattr(status, name)
    return out


@taxii_view(("GET", "HEAD"))
def status(request, user, status_id):
    try:
        pk = uuid.UUID(str(status_id))
    except ValueError:
        raise Http404 from None
    found = Status.objects.filter(pk=pk).first()
    if found is None or not access.allowed(user, "view", found):
        raise Http404
    return protocol.taxii_response(_status_resource(found))


def _read_body(request) -> bytes:
    limit = max_content_length()
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit():
        raise TaxiiError(400, "Invalid Content-Length")
    if int(declared) > limit:
        raise TaxiiError(413, "Request too large",
                         f"This API root accepts at most {limit} bytes per request.")
    body = request.read(limit + 1)
    if len(body) > limit:
        raise TaxiiError(413, "Request too large",
                         f"This API root accepts at most {limit} bytes per request.")
    return body


def _add_objects(request, user, collection_id):
    found, _r, _w = _collection(user, collection_id, "write")
    if not protocol.is_taxii_content(request.META.get("CONTENT_TYPE", "")):
        raise TaxiiError(415, "Unsupported media type",
                         f"Send an envelope as {protocol.TAXII_MEDIA_TYPE}.")
    body = _read_body(request)
    try:
        envelope = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise TaxiiError(400, "Invalid JSON", "The body is not a JSON envelope.") from None
    if not isinstance(envelope, dict) or not isinstance(envelope.get("objects"), list):
        raise TaxiiError(400, "Invalid envelope",
                         'Send {"objects": [...]}, a TAXII envelope of STIX objects.')
    if len(envelope["objects"]) > settings.TAXII_MAX_OBJECTS_PER_REQUEST:
        raise TaxiiError(413, "Too many objects",
                         f"Send at most {settings.TAXII_MAX_OBJECTS_PER_REQUEST} objects "
                         "per request.")
    result = inbox.receive(found, envelope["objects"], user=user,
                           requested_at=timezone.now())
    return protocol.taxii_response(_status_resource(result), 202)
