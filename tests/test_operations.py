"""What keeps the site running: `/healthz`, request ids and JSON logs, the worker's purge of
expired idempotency keys, and the first request after the database lost its connections."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import psycopg
import pytest
from conftest import api_client_for
from django.db import connection
from django.urls import path
from django.utils import timezone

from vigisante.clocks.worker import ClockWorker
from vigisante.core.logs import JsonFormatter
from vigisante.core.models import Heartbeat
from vigisante.reports.models import IdempotencyKey

pytestmark = pytest.mark.django_db
POSTGRES = pytest.mark.skipif("connection.vendor != 'postgresql'")


# --- /healthz ---------------------------------------------------------------------------------

def test_healthz_without_a_worker_is_503(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "worker": "missing",
                               "worker_heartbeat_age_seconds": None}
    assert "no-store" in response["Cache-Control"]


def test_healthz_with_a_beating_worker_is_200_and_needs_no_login(client):
    ClockWorker(worker_id="w1").beat()
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["worker"] == "ok"
    assert 0 <= body["worker_heartbeat_age_seconds"] < 60
    assert set(body) == {"status", "database", "worker", "worker_heartbeat_age_seconds"}


def test_healthz_with_a_stale_heartbeat_is_503(client, settings):
    settings.HEALTH_MAX_HEARTBEAT_SECONDS = 30
    Heartbeat.objects.create(name="old", at=timezone.now() - timedelta(seconds=90))
    response = client.get("/healthz")
    assert response.status_code == 503 and response.json()["worker"] == "stale"


def test_worker_tick_writes_its_heartbeat():
    worker = ClockWorker(interval=0, scan_every=3600, worker_id="w-beat")
    worker.run_periodic(force=True)
    worker.beat()
    first = Heartbeat.objects.get(name="w-beat").at
    worker.beat()
    assert Heartbeat.objects.get(name="w-beat").at >= first
    assert Heartbeat.objects.count() == 1


# --- request ids and JSON logs ---------------------------------------------------------------

def test_each_answer_carries_a_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32 and first != second
    passed = client.get("/healthz", HTTP_X_REQUEST_ID="proxy-abc-123456")
    assert passed["X-Request-ID"] == "proxy-abc-123456"
    hostile = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: a=b" + "y" * 10)
    assert hostile["X-Request-ID"] != "x\r\nSet-Cookie: a=b" + "y" * 10
    assert len(hostile["X-Request-ID"]) == 32


def test_access_log_line_is_json_with_the_request_id(client, caplog):
    with caplog.at_level(logging.INFO, logger="vigisante.request"):
        response = client.get("/healthz", HTTP_X_REQUEST_ID="req-0123456789")
    [record] = [r for r in caplog.records if r.name == "vigisante.request"]
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == response["X-Request-ID"] == "req-0123456789"
    assert line["path"] == "/healthz" and line["status"] == 503 and line["method"] == "GET"
    assert line["level"] == "INFO" and "duration_ms" in line


def test_log_records_inside_a_request_get_its_id(client, caplog, reporter_a):
    """A warning logged by any code during a request carries the request's id."""
    from vigisante.core.logs import RequestIdFilter, request_id_var

    token = request_id_var.set("inner-id-12345678")
    try:
        record = logging.LogRecord("x", logging.WARNING, __file__, 1, "hello %s", ("you",),
                                   None)
        RequestIdFilter().filter(record)
    finally:
        request_id_var.reset(token)
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "inner-id-12345678" and line["message"] == "hello you"


# --- expired idempotency keys ------------------------------------------------------------------

def test_worker_purges_expired_idempotency_keys(reporter_a, settings):
    settings.IDEMPOTENCY_KEY_DAYS = 2
    old = IdempotencyKey.objects.create(user=reporter_a, key="old", method="POST",
                                        path="/api/v1/reports/", request_hash="0" * 64)
    fresh = IdempotencyKey.objects.create(user=reporter_a, key="fresh", method="POST",
                                          path="/api/v1/reports/", request_hash="1" * 64)
    IdempotencyKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - timedelta(days=2, minutes=1))
    worker = ClockWorker(interval=0, scan_every=3600)
    worker.run_periodic()
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]
    # hourly: a key that expires now waits for the next period
    IdempotencyKey.objects.filter(pk=fresh.pk).update(
        created_at=timezone.now() - timedelta(days=3))
    worker.run_periodic()
    assert IdempotencyKey.objects.filter(pk=fresh.pk).exists()
    worker.run_periodic(force=True)
    assert not IdempotencyKey.objects.exists()


# --- after a database restart ------------------------------------------------------------------

def _kill_own_connection() -> None:
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    params.pop("prepare_threshold", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@POSTGRES
@pytest.mark.django_db(transaction=True)
def test_first_request_after_the_connection_was_killed_succeeds(reporter_a, report_a):
    """The database restarted (its backends were terminated, as `pg_ctl restart` does): the
    next request must not be a 500."""
    api = api_client_for(reporter_a)
    # the test client would re-raise the first attempt's error even when the retry succeeded
    api.raise_request_exception = False
    assert api.get("/api/v1/reports/").status_code == 200
    connection.ensure_connection()
    _kill_own_connection()
    response = api.get(f"/api/v1/reports/{report_a.pk}/")
    assert response.status_code == 200, response.content[:500]
    _kill_own_connection()
    response = api.post("/api/v1/reports/", {
        "establishment": report_a.establishment.pk, "description": "Second incident",
        "discovered_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "ongoing": True, "suspected_malicious": "yes", "patient_care_affected": "no",
        "support_requested": False, "callback_phone": "+33 6 12 34 56 78"},
        format="json", HTTP_IDEMPOTENCY_KEY="after-restart-1")
    assert response.status_code == 201, response.content[:500]


def test_invitation_and_password_reset_tokens_never_reach_the_logs(client):
    """The console handler's lines (what the operator's log collector gets) hold no token of
    an invitation or password-reset link, whatever the answer."""
    import io

    handler = next(h for h in logging.getLogger().handlers
                   if any(type(f).__name__ == "RequestIdFilter" for f in h.filters))
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        client.get("/accounts/invitation/SeCrEtInViTaTiOnToKeN123/")
        client.get("/accounts/password-reset/MQ/cdef12-0123456789abcdef0123456789abcdef/")
        client.post("/accounts/invitation/SeCrEtInViTaTiOnToKeN123/", {"x": "1"})
    finally:
        handler.setStream(old)
    text = stream.getvalue()
    assert "/accounts/invitation/[redacted]/" in text
    assert "SeCrEtInViTaTiOnToKeN123" not in text
    assert "0123456789abcdef0123456789abcdef" not in text
    assert "/accounts/password-reset/MQ/[redacted]/" in text


def test_a_lost_connection_is_not_logged_as_a_server_error():
    """Django logs "Internal Server Error" before DatabaseRetryMiddleware retries the request
    or answers 503: the line says what the client got, as a warning."""
    import sys

    from django.db import OperationalError
    from django.test import RequestFactory

    from vigisante.core.logs import RequestIdFilter

    try:
        raise OperationalError("server closed the connection unexpectedly")
    except OperationalError:
        exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1,
                               "Internal Server Error: %s", ("/api/v1/reports/",), exc_info)
    record.request = RequestFactory().post("/api/v1/reports/")
    record.status_code = 500
    RequestIdFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["level"] == "WARNING" and line["status_code"] == 503
    assert "retried once, or answered 503" in line["message"]
    other = logging.LogRecord("django.request", logging.ERROR, __file__, 1,
                              "Internal Server Error: %s", ("/x/",),
                              (ZeroDivisionError, ZeroDivisionError(), None))
    RequestIdFilter().filter(other)
    assert other.levelname == "ERROR"  # any other 500 stays an error


# --- 503s are warnings, 500s errors ------------------------------------------------------------

def _django_request_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "django.request"]


def test_a_503_of_healthz_is_logged_as_a_warning(client, caplog):
    """Django logs every answer of 500 and above at ERROR; a 503 of /healthz is an expected,
    handled condition (the load balancer is told): the settings' filter makes it a warning,
    before any handler sees it (caplog's is on the root logger)."""
    with caplog.at_level(logging.INFO):
        response = client.get("/healthz")
    assert response.status_code == 503
    [record] = _django_request_records(caplog)
    assert (record.levelname, record.levelno) == ("WARNING", logging.WARNING)
    assert record.status_code == 503 and "Service Unavailable" in record.getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def _boom(request):
    raise ZeroDivisionError("a real bug")


def _unavailable_answer(request):
    from vigisante.core.middleware import _unavailable

    return _unavailable()


urlpatterns = [path("boom/", _boom), path("unavailable/", _unavailable_answer)]


def test_a_real_500_stays_an_error_and_the_retry_answer_is_a_warning(client, caplog, settings):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    with caplog.at_level(logging.INFO):
        response = client.get("/boom/")
    assert response.status_code == 500
    [record] = _django_request_records(caplog)
    assert record.levelno == logging.ERROR and record.exc_info is not None
    caplog.clear()
    with caplog.at_level(logging.INFO):
        response = client.get("/unavailable/")  # the database-unavailable answer
    assert response.status_code == 503 and response["Retry-After"] == "5"
    [record] = _django_request_records(caplog)
    assert record.levelno == logging.WARNING


def test_the_filter_sits_on_the_django_request_logger():
    """On the logger, not a handler: Django's own handlers (the admins' e-mail) and any other
    handler an operator adds see the warning too."""
    from vigisante.core.logs import HandledFailuresFilter

    logger = logging.getLogger("django.request")
    assert any(isinstance(f, HandledFailuresFilter) for f in logger.filters)
    record = logger.makeRecord("django.request", logging.ERROR, __file__, 1,
                               "%s: %s", ("Bad Gateway", "/x"), None,
                               extra={"status_code": 502})
    assert logger.filter(record) and record.levelno == logging.ERROR  # only 503s


@POSTGRES
@pytest.mark.django_db(transaction=True)
def test_a_lost_connection_answered_503_logs_no_error(reporter_a, report_a, caplog):
    """The database went away under a request that cannot be retried (an upload is not kept
    in memory): DatabaseRetryMiddleware answers 503 with Retry-After; nothing is logged as an
    error (Django's "Internal Server Error" line and its "Service Unavailable" line are
    warnings)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    api = api_client_for(reporter_a)
    api.raise_request_exception = False
    assert api.get("/api/v1/reports/").status_code == 200
    connection.ensure_connection()
    _kill_own_connection()
    with caplog.at_level(logging.INFO):
        response = api.post(f"/api/v1/reports/{report_a.pk}/attachments/",
                            {"file": SimpleUploadedFile("fw.log", b"log line\n")},
                            format="multipart")
    assert response.status_code == 503, response.content[:300]
    assert response["Retry-After"] == "5"
    records = _django_request_records(caplog)
    assert records and {r.levelname for r in records} == {"WARNING"}
    assert any(getattr(r, "status_code", None) == 503 and "Service Unavailable" in r.getMessage()
               for r in records)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
