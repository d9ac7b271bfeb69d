"""Idempotent POSTs: a request retried with the same `Idempotency-Key` header is answered with
the first result and creates nothing new.

How a key is claimed, so that a retry arriving while the first request is still running cannot
create a second record: the view runs inside one transaction whose FIRST write inserts the
`IdempotencyKey` row (unique per user and key). A concurrent request with the same key blocks on
that unique index (PostgreSQL) or on the database write lock (SQLite) until the first one
commits, then fails to insert, reads the committed row and replays it. Only successful (2xx)
answers are kept: if the first request fails, its transaction (key included) is rolled back and
the key can be used again.

One implementation for every API that creates or changes something with a POST: the reports
API (early warnings, updates, attachments), the triage API (qualification, workflow,
assignment, notes, messages, support) and the transmissions API (read receipts, holds and
their release) all decorate their `post` with `idempotent`. A route says with
`replay_headers` which headers of its first answer a replay gives back (they are rebuilt from
the kept body: only status and body are stored).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from vigisante.core.api_views import write_transaction
from vigisante.reports.models import IdempotencyKey

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_KEY_RE = re.compile(r"[\x21-\x7e]{1,200}")  # visible ASCII, at most the column's length

SCHEMA_PARAMETER = OpenApiParameter(
    HEADER, OpenApiTypes.STR, OpenApiParameter.HEADER, required=False,
    description="Any unique string (e.g. a UUID) of at most 200 visible ASCII characters. "
    "Retrying the same request with the same key returns the first answer (header "
    f"`{REPLAYED_HEADER}: true`) and creates nothing new.",
)
SCHEMA_RESPONSES = {
    422: OpenApiResponse(OpenApiTypes.OBJECT,
                         description="The Idempotency-Key was already used for another request."),
}


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def _canonical(value: Any) -> Any:
    """A JSON-able, order-independent form of parsed request data (files by content hash)."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if isinstance(value, QueryDict):
        return {k: [_canonical(v) for v in value.getlist(k)] for k in sorted(value)}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def fingerprint(request: Request) -> str:
    """What makes two requests "the same": method, path and parsed body."""
    payload = json.dumps(
        [request.method, request.path, _canonical(request.data)],
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def _key_of(request: Request) -> str | None:
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if not _KEY_RE.fullmatch(key):
        raise exceptions.ValidationError({HEADER: [
            _("Use 1 to 200 visible ASCII characters (no spaces), e.g. a UUID.")
        ]})
    return key


ReplayHeaders = Callable[[int, Any], dict[str, str]]


def location_and_etag(status_code: int, body: Any) -> dict[str, str]:
    """The reports API's headers, as first sent: the Location of what a 201 created (its
    `url`) and the ETag of the report's `version`."""
    headers: dict[str, str] = {}
    if isinstance(body, dict):
        if status_code == status.HTTP_201_CREATED and "url" in body:
            headers["Location"] = str(body["url"])
        if "version" in body:
            headers["ETag"] = f'"{body["version"]}"'  # as first sent, like the body
    return headers


def no_headers(status_code: int, body: Any) -> dict[str, str]:
    """For routes whose answers carry no Location or ETag (triage, transmissions): a
    `version` in their body is the case's, never sent as an ETag."""
    return {}


def _replay(request: Request, key: str, digest: str,
            replay_headers: ReplayHeaders) -> Response:
    record = IdempotencyKey.objects.get(user=request.user, key=key)
    if record.request_hash != digest:
        raise KeyReused({HEADER: [
            _("This key was already used for a different request. Use a new key for a new "
              "request; retry with the same key only with exactly the same request.")
        ]})
    if record.status_code is None:  # not expected: keys are committed with their answer
        return Response({"detail": _("The first request with this key is still being "
                                     "processed; retry in a moment.")},
                        status=status.HTTP_409_CONFLICT)
    body = record.response_body
    headers = {**replay_headers(record.status_code, body), REPLAYED_HEADER: "true"}
    return Response(body, status=record.status_code, headers=headers)


_CLAIMED = "_vs_idempotency_key"  # set on the request once its key is claimed


def idempotent(handler: Callable[..., Response] | None = None, *,
               replay_headers: ReplayHeaders = location_and_etag) -> Any:
    """Decorate an APIView's `post` so that it honours the Idempotency-Key header:
    `@idempotent` (the reports API's headers) or `@idempotent(replay_headers=no_headers)`.

    A handler that calls another decorated one (a subclass's `post` calling `super().post`)
    claims the key once: the inner one just runs."""

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def wrapper(view, request: Request, *args: Any, **kwargs: Any) -> Response:
            key = None if getattr(request, _CLAIMED, None) else _key_of(request)
            if key is None:
                return handler(view, request, *args, **kwargs)
            digest = fingerprint(request)  # parses the body: a malformed one fails here, 400
            with write_transaction():
                try:
                    with transaction.atomic():
                        record = IdempotencyKey.objects.create(
                            user=request.user, key=key, method=request.method,
                            path=request.path[:500], request_hash=digest,
                        )
                except IntegrityError:
                    return _replay(request, key, digest, replay_headers)
                setattr(request, _CLAIMED, key)
                try:
                    response = handler(view, request, *args, **kwargs)
                finally:
                    setattr(request, _CLAIMED, None)
                if status.is_success(response.status_code):
                    record.status_code = response.status_code
                    record.response_body = json.loads(
                        JSONRenderer().render(response.data) or "null")
                    record.save(update_fields=["status_code", "response_body"])
                else:
                    transaction.set_rollback(True)
                return response

        return wrapper

    return decorate(handler) if handler is not None else decorate


def purge(older_than: timedelta = timedelta(days=30), *, batch: int = 5000) -> int:
    """Forget keys older than `older_than`, `batch` rows per transaction (short locks);
    returns how many were deleted."""
    cutoff = timezone.now() - older_than
    total = 0
    while True:
        ids = list(IdempotencyKey.objects.filter(created_at__lt=cutoff)
                   .order_by("created_at").values_list("pk", flat=True)[:batch])
        if not ids:
            return total
        with write_transaction():
            deleted, _ = IdempotencyKey.objects.filter(pk__in=ids).delete()
        total += deleted
        if len(ids) < batch:
            return total


def purge_expired() -> int:
    """The worker's hourly job: keys older than VIGISANTE_IDEMPOTENCY_KEY_DAYS."""
    return purge(timedelta(days=settings.IDEMPOTENCY_KEY_DAYS))
