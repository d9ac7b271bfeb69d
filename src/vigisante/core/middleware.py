"""Request ids and access logs, one retry after a lost database connection, and the audit of
every read of case data and every refusal.

Order in settings.MIDDLEWARE: `RequestIdMiddleware` first (everything logged carries the id),
then `DatabaseRetryMiddleware` (it retries the whole stack); `AuditAccessMiddleware` last.
"""

from __future__ import annotations

import contextlib
import logging
import re
import sys
import time
import uuid

from django.core.signals import got_request_exception
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from vigisante.core import audit
from vigisante.core.api_views import write_transaction
from vigisante.core.logs import request_id_var

log = logging.getLogger("vigisante.request")
_ID_RE = re.compile(r"[A-Za-z0-9._:-]{8,64}")


# ---------------------------------------------------------------------------------------------
# Request id and access log
# ---------------------------------------------------------------------------------------------

class RequestIdMiddleware:
    """Give each request an id (the proxy's X-Request-ID when well-formed, else a new one),
    put it in every log record of the request, log one access line, and return it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _ID_RE.fullmatch(incoming) else uuid.uuid4().hex
        request.request_id = request_id
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response["X-Request-ID"] = request_id
            user = getattr(request, "user", None)
            log.info("%s %s %s", request.method, request.path, response.status_code, extra={
                "method": request.method, "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                "user_id": getattr(user, "pk", None),
            })
            return response
        finally:
            request_id_var.reset(token)


# ---------------------------------------------------------------------------------------------
# One retry when the database connection was lost before the request reached the database
# ---------------------------------------------------------------------------------------------

class _StatementCounter:
    """An execute wrapper counting the statements that succeeded on the connection."""

    def __init__(self) -> None:
        self.succeeded = 0

    def __call__(self, execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        self.succeeded += 1
        return result


def _connection_lost(exc: BaseException) -> bool:
    return isinstance(exc, OperationalError | InterfaceError)


@receiver(got_request_exception, dispatch_uid="vigisante.core.db_retry")
def _note_connection_lost(sender, request=None, **kwargs) -> None:
    """Django sends this for any exception turned into a 500: note a lost connection."""
    exc = sys.exc_info()[1]
    if request is not None and exc is not None and _connection_lost(exc):
        request._vs_connection_lost = exc


class DatabaseRetryMiddleware:
    """Run a request once more when its database connection turned out to be dead (the
    database restarted, a proxy dropped it) before any of its statements succeeded.

    Nothing of the first attempt reached the database, so running it again is safe. The
    body is read into memory first (requests up to DATA_UPLOAD_MAX_MEMORY_SIZE, not
    multipart uploads) so that it can be parsed again. Django's CONN_HEALTH_CHECKS catch
    most dead connections before the first query of a request; this covers the rest.
    Placed right after RequestIdMiddleware, so the whole stack (session, user) is retried.
    A lost connection that cannot be retried here answers 503 with Retry-After, not 500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        from django.conf import settings

        retryable = False
        try:
            small = int(request.META.get("CONTENT_LENGTH") or "0") <= \
                settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        except ValueError:
            small = False
        if small and not request.content_type.startswith("multipart/"):
            try:
                request.body  # noqa: B018 - cached, so that a retry can parse it again
                retryable = True
            except Exception:  # noqa: BLE001 - a body error is the view's to report
                retryable = False
        counter = _StatementCounter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        lost = getattr(request, "_vs_connection_lost", None)
        if lost is None:
            return response
        if counter.succeeded or not retryable or connection.in_atomic_block:
            # It reached the database (its transaction was rolled back, or its outcome is
            # unknown): not retried here. A 503 tells the client to retry (with its
            # Idempotency-Key), rather than a 500.
            connection.close()
            return _unavailable()
        log.warning("database connection lost before the first statement; retrying once",
                    extra={"error": type(lost).__name__})
        connection.close()
        del request._vs_connection_lost
        for attr in ("_post", "_files", "_cached_user"):
            if hasattr(request, attr):
                delattr(request, attr)
        counter = _StatementCounter()
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        if getattr(request, "_vs_connection_lost", None) is not None:
            connection.close()
            if not counter.succeeded:
                return _unavailable()
        return response


def _unavailable() -> HttpResponse:
    response = JsonResponse(
        {"detail": _("The service is briefly unavailable (database). Retry in a moment.")},
        status=503)
    response["Retry-After"] = "5"
    return response


# ---------------------------------------------------------------------------------------------
# Audit of reads and refusals
# ---------------------------------------------------------------------------------------------

#: Routes whose successful GET reads case data or figures: route name -> (action, object
#: type, URL argument holding the object id or ""). One place; a test walks every route of
#: the site and fails when a route with a report or case id is neither here nor in
#: NOT_READS.
READS: dict[str, tuple[str, str, str]] = {
    "reports:my_reports": ("report.list", "reports.report", ""),
    # the former list, now a redirect to triage:queue: reads nothing, but a refusal is journaled
    "reports:incoming": ("report.list", "reports.report", ""),
    "reports:detail": ("report.view", "reports.report", "pk"),
    "reports:acknowledgement": ("report.view", "reports.report", "pk"),
    "reports:notification": ("report.view", "reports.report", "pk"),
    "reports:final": ("report.view", "reports.report", "pk"),
    "reports:add_update": ("report.view", "reports.report", "pk"),
    "reports:add_attachment": ("report.view", "reports.report", "pk"),
    "reports-api:report-list": ("report.list", "reports.report", ""),
    "reports-api:report-detail": ("report.view", "reports.report", "pk"),
    "reports-api:report-notification": ("report.view", "reports.report", "pk"),
    "reports-api:report-final": ("report.view", "reports.report", "pk"),
    "reports-api:report-updates": ("report.view", "reports.report", "pk"),
    "reports-api:report-attachments": ("report.view", "reports.report", "pk"),
    "report-clocks": ("report.view", "reports.report", "pk"),
    "triage:queue": ("case.list", "reports.report", ""),
    "triage:case": ("case.view", "reports.report", "report_id"),
    "triage-api:queue": ("case.list", "reports.report", ""),
    "triage-api:case": ("case.view", "reports.report", "report_id"),
    "triage-api:notes": ("case.view", "reports.report", "report_id"),
    "triage-api:messages": ("case.view", "reports.report", "report_id"),
    "triage-api:support": ("case.view", "reports.report", "report_id"),
    "indicators:report": ("indicators.view", "reports.report", "report_id"),
    "indicators:campaigns": ("campaign.list", "indicators.campaign", ""),
    "indicators:campaign": ("campaign.view", "indicators.campaign", "pk"),
    "observatory:index": ("observatory.view", "observatory", ""),
    "observatory:snapshot_file": ("observatory.export", "observatory.snapshot", "pk"),
    "observatory-api:figures": ("observatory.export", "observatory", ""),
    "drafts:list": ("drafts.view", "reports.report", "pk"),
    "drafts:detail": ("drafts.view", "reports.report", "pk"),
    "drafts:download": ("drafts.export", "reports.report", "pk"),
    "drafts:bundle": ("drafts.export", "reports.report", "pk"),
    "drafts:facts": ("drafts.view", "reports.report", "pk"),
    "drafts:dpo": ("drafts.view", "reports.report", "pk"),
    "drafts-api:list": ("drafts.view", "reports.report", "pk"),
    "drafts-api:detail": ("drafts.view", "reports.report", "pk"),
    "drafts-api:file": ("drafts.export", "reports.report", "pk"),
    "drafts-api:bundle": ("drafts.export", "reports.report", "pk"),
    "drafts-api:facts": ("drafts.view", "reports.report", "pk"),
    "authorities:oversee": ("transmission.list", "authorities.transmission", ""),
    # an authority's start page lists the open incidents of its scope
    "authorities:dashboard": ("transmission.list", "authorities.transmission", ""),
    # the authorities' panel of a report, read by CERT staff as well (an authority's first
    # reading is also recorded by the service as transmission.read)
    "authorities:report": ("report.view", "reports.report", "report_id"),
    "campaigns-api:list": ("campaign.list", "indicators.campaign", ""),
    "campaigns-api:detail": ("campaign.view", "indicators.campaign", "pk"),
    "authorities-api:transmission-list": ("transmission.list", "authorities.transmission", ""),
    "authorities-api:transmission-detail": ("transmission.view", "authorities.transmission",
                                            "pk"),
    "authorities-api:holds": ("case.view", "reports.report", "report_id"),
}

#: Routes with a report or case id that are not audited here, and why.
NOT_READS: dict[str, str] = {
    "reports:download_attachment": "the view records attachment.download itself",
    "reports-api:attachment-download": "the view records attachment.download itself",
    "triage:qualify": "POST only: the change is audited by the service",
    "triage:transition": "POST only: the change is audited by the service",
    "triage:assign": "POST only: the change is audited by the service",
    "triage:note": "POST only: the change is audited by the service",
    "triage:message": "POST only: the change is audited by the service",
    "triage:support": "POST only: the change is audited by the service",
    "triage:reply": "POST only: the change is audited by the service",
    "triage-api:qualify": "POST only: the change is audited by the service",
    "indicators:review": "POST only: a change, not a read",
    "indicators:add": "POST only: a change, not a read",
    "triage-api:transition": "POST only: the change is audited by the service",
    "triage-api:assign": "POST only: the change is audited by the service",
    "drafts:sent": "POST only: the service records drafts.sent",
    "drafts-api:sent": "POST only: the service records drafts.sent",
    "authorities:hold": "POST only: the service records transmission.held",
    "authorities:release": "POST only: the service records transmission.released",
    "authorities:message": "POST only: the service records transmission.message",
    "authorities-api:release": "POST only: the service records transmission.released",
    "authorities-api:release-all": "POST only: the service records transmission.released",
}


def _client(request: HttpRequest) -> dict:
    return {"ip": request.META.get("REMOTE_ADDR", ""),
            "request_id": getattr(request, "request_id", ""),
            "method": request.method, "path": request.path[:300],
            "query": request.META.get("QUERY_STRING", "")[:500]}


class AuditAccessMiddleware:
    """Journal every successful read of a READS route, and every refusal: a 403 anywhere,
    or a 404 on a route of a report or case (tenancy answers 404 to outsiders).

    Journaled events cost one INSERT (no lock); the worker chains them. When the read cannot
    be recorded (database unavailable), the data is not sent: 503.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        if match is None:
            return response
        status = response.status_code
        name = match.view_name
        user = getattr(request, "user", None)
        actor = user if getattr(user, "is_authenticated", False) else None
        read = READS.get(name)
        event = None
        if read and request.method in ("GET", "HEAD") and 200 <= status < 300:
            action, object_type, arg = read
            event = dict(action=action, object_type=object_type,
                         object_id=str(match.kwargs.get(arg, "")) if arg else "")
        elif status == 403 or (status == 404 and actor is not None
                               and (read or name in NOT_READS)):
            key = read[2] if read else ("pk" if "pk" in match.kwargs else "report_id")
            event = dict(action="access.denied", object_type=read[1] if read else name[:100],
                         object_id=str(match.kwargs.get(key, "")))
        if event is None:
            return response
        try:
            with contextlib.nullcontext() if connection.in_atomic_block \
                    else write_transaction():
                audit.journal(actor=actor, after={**_client(request), "status": status},
                              **event)
        except DatabaseError:
            log.exception("could not record the access in the audit trail; not sent")
            return _unavailable()
        return response


class InputOverflowMiddleware:
    """A value too large or too far out of range for Python or the database (an id of 30
    digits in a form's choice on SQLite, a date before year 1 once in UTC) raised by a page
    is a 400 page, not a 500; the API answers these itself (core.api.exception_handler).
    Any write transaction around the failure has rolled back when it arrives here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception):
        if not isinstance(exception, OverflowError):
            return None
        from vigisante.core.errors import bad_request

        log.warning("value out of range in %s: %s", request.path[:200], exception)
        return bad_request(request, exception)
