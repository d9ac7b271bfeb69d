"""JSON log lines carrying the request id (VIGISANTE_LOG_FORMAT=json, the default)."""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import sys

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


#: Paths that carry a secret: an invitation's token, a password-reset link's token (Django
#: swaps it for "set-password" after the first visit). Whoever reads the logs must not be able
#: to accept the invitation or reset the password.
_SECRET_IN_PATH = re.compile(
    r"(/accounts/(?:invitation|password-reset/[^/\s'\"?]+)/)(?!set-password/)[^/\s'\"?]+")


def redact(text: str) -> str:
    """`text` with the tokens of invitation and password-reset links replaced."""
    return _SECRET_IN_PATH.sub(r"\1[redacted]", text)


def _soften_lost_connection(record: logging.LogRecord) -> None:
    """Django logs "Internal Server Error" for an exception turned into a 500 before the
    outer `DatabaseRetryMiddleware` sees it; for a lost database connection that middleware
    then retries the request or answers 503, never 500. Say so, as a warning, so that an
    alert on server errors does not fire for what the client never saw."""
    if record.name != "django.request" or not record.exc_info:
        return
    from django.db import InterfaceError, OperationalError

    if isinstance(record.exc_info[1], OperationalError | InterfaceError):
        path = getattr(getattr(record, "request", None), "path", "")
        record.levelno, record.levelname = logging.WARNING, "WARNING"
        record.msg = ("Database connection lost during %s: the request is retried once, or "
                      "answered 503 with Retry-After")
        record.args = (path,)
        record.status_code = 503


def _soften_unavailable(record: logging.LogRecord) -> None:
    """Django logs every answer of 500 and above at ERROR ("Service Unavailable: /healthz").
    A 503 is never Django's own: this site answers it on purpose, for a condition it handled
    and the client is told about (`DatabaseRetryMiddleware`'s database unavailable with
    Retry-After, `/healthz` reporting a database or worker down to the load balancer). Logged
    as a warning so that an alert on errors does not page anyone for it; a real 500 (an
    exception, any other status of 500 and above) stays an error."""
    if record.name != "django.request" or record.exc_info or record.levelno <= logging.WARNING:
        return
    if getattr(record, "status_code", None) == 503:
        record.levelno, record.levelname = logging.WARNING, "WARNING"


class HandledFailuresFilter(logging.Filter):
    """On the `django.request` logger (settings.LOGGING), so that it runs before any handler
    (Django's e-mail to the admins included): a lost database connection that was retried
    or answered 503, and every 503 this site answers, are warnings, not errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        _soften_lost_connection(record)
        _soften_unavailable(record)
        return True


class StderrHandler(logging.StreamHandler):
    """The console handler: writes to standard error as it is at each line, not as it was
    when logging was configured, so a process (or a test runner) that replaces sys.stderr
    still gets the lines, and a replaced stream that was closed is never written to.
    `setStream()` still pins another stream (tests read lines that way)."""

    def __init__(self) -> None:
        self._pinned = None
        super().__init__()

    @property
    def stream(self):
        return self._pinned if self._pinned is not None else sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        self._pinned = None if value is sys.stderr else value


class RequestIdFilter(logging.Filter):
    """Add `request_id` (empty outside a request) to every record, and take the tokens of
    invitation and password-reset links out of its message, path and request."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            # Django logs a 4xx/5xx answer after the middleware returned: read its request.
            record.request_id = request_id_var.get() or getattr(
                getattr(record, "request", None), "request_id", "")
        _soften_lost_connection(record)
        message = record.getMessage()
        if redact(message) != message:
            record.msg, record.args = redact(message), ()
        for key in ("path", "request"):
            value = getattr(record, key, None)
            if value is not None and redact(str(value)) != str(value):
                setattr(record, key, redact(str(value)))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request_id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(
                timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in data and not key.startswith("_"):
                data[key] = value if isinstance(value, str | int | float | bool | None) \
                    else str(value)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)
