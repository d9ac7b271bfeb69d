"""Schemathesis against /api/schema/: every operation, as a reporter and as an analyst, with
bounded generated examples. No server error, and every answer conforms to the schema.

Runs through Django's WSGI application in the test's database transaction; examples are
derandomised so that a run is repeatable, and bounded (EXAMPLES per operation) so that the
whole test stays short; its time is not asserted (no timed tests).
"""

from __future__ import annotations

import pytest
import schemathesis
from conftest import make_user
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from vigisante.accounts.models import ApiToken, Role
from vigisante.reports import services as report_services

pytestmark = pytest.mark.django_db

EXAMPLES = 5
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]


@pytest.fixture
def wsgi_in_transaction(settings):
    """Requests through the WSGI handler keep the test's connection (the test client does the
    same), and the API's throttles do not count this burst."""
    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"])
    rates.update(token="100000/minute", ip="100000/minute", auth_failure="100000/minute")
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield get_wsgi_application()
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _token(user) -> str:
    _token_obj, raw = ApiToken.issue(user, "fuzz")
    return raw


def _run(schema, headers: dict) -> list[str]:
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def check(case):
            response = case.call(headers=headers)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            check()
        except (AssertionError, BaseExceptionGroup) as exc:  # every failing operation
            failures.append(f"{operation.method.upper()} {operation.path}: "
                            f"{' / '.join(str(exc).strip().splitlines()[:8])[:600]}")
    return failures


def test_every_operation_as_a_reporter_and_as_an_analyst(wsgi_in_transaction, reporter_a,
                                                         early_warning_data):
    analyst = make_user("fuzz.analyst@example.org", Role.ANALYST)
    report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    failures = []
    operations = 0
    for user in (reporter_a, analyst):
        headers = {"Authorization": f"Token {_token(user)}"}
        schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_in_transaction,
                                                headers=headers)
        operations = len(list(schema.get_all_operations()))
        failures += [f"[{user.role}] {f}" for f in _run(schema, headers)]
    assert operations >= 20
    assert not failures, "\n".join(failures)
