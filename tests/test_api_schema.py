"""The OpenAPI 3 document: served, valid, complete for the reports API, without warnings."""

from __future__ import annotations

import pytest
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

OUR_ROUTES = {
    "/api/v1/ping/": {"get"},
    "/api/v1/reports/": {"get", "post"},
    "/api/v1/reports/{id}/": {"get"},
    "/api/v1/reports/{id}/notification/": {"patch"},
    "/api/v1/reports/{id}/final/": {"patch"},
    "/api/v1/reports/{id}/updates/": {"get", "post"},
    "/api/v1/reports/{id}/attachments/": {"get", "post"},
    "/api/v1/reports/{id}/attachments/{aid}/": {"get"},
}
OUR_SOURCES = ("reports/api.py", "reports/serializers.py", "reports/idempotency.py",
               "core/api_views.py")


def test_schema_is_served_and_valid(client_for, reporter_a):
    # Logged-in users only (issue 9): see test_security_headers.py for the anonymous refusal.
    response = client_for(reporter_a).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    validate_schema(schema)
    for path, methods in OUR_ROUTES.items():
        assert path in schema["paths"], path
        assert methods <= set(schema["paths"][path]), path
    create = schema["paths"]["/api/v1/reports/"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])
    assert {"201", "400", "422"} <= set(create["responses"])
    notification = schema["paths"]["/api/v1/reports/{id}/notification/"]["patch"]
    assert "409" in notification["responses"]
    assert any(p["name"] == "If-Match" for p in notification["parameters"])
    assert "tokenAuth" in schema["components"]["securitySchemes"]


def test_docs_page_is_served(client_for, reporter_a):
    response = client_for(reporter_a).get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_no_spectacular_warning_for_our_views():
    GENERATOR_STATS.reset()
    with GENERATOR_STATS.silence():
        SchemaGenerator().get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    ours = [m for m in messages
            if any(src in m for src in OUR_SOURCES)
            or any(name in m for name in ("TriState", "Channel", "Stage", "PatientCare",
                                          "SuspectedMalicious", "System"))]
    assert not ours, "\n".join(ours)
