"""Shared fixtures: two establishments, a user of each role, an API client per user."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from vigisante.accounts.models import ApiToken, Membership, Role, User
from vigisante.establishments.models import Establishment

PASSWORD = "correct-horse-battery-9"


def make_establishment(finess: str, name: str, **extra) -> Establishment:
    defaults = dict(category="ch", sector="health", legal_status="public",
                    region="IDF", departement=finess[:2], nis2_status="essential")
    if finess[:2] == "69":
        defaults["region"] = "ARA"
    defaults.update(extra)
    return Establishment.objects.create(finess=finess, name=name, **defaults)


def make_user(email: str, role: str = Role.REPORTER, establishments=()) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD, role=role,
                                    full_name=email.split("@")[0])
    for est in establishments:
        Membership.objects.create(user=user, establishment=est)
    return user


@pytest.fixture
def est_a(db) -> Establishment:
    return make_establishment("750000011", "Centre hospitalier A (synthetic)")


@pytest.fixture
def est_b(db) -> Establishment:
    return make_establishment("690000022", "EHPAD B (synthetic)", category="ehpad",
                              sector="medico_social", nis2_status="not_in_scope")


@pytest.fixture
def reporter_a(est_a) -> User:
    return make_user("reporter.a@example.org", establishments=[est_a])


@pytest.fixture
def reporter_b(est_b) -> User:
    return make_user("reporter.b@example.org", establishments=[est_b])


@pytest.fixture
def analyst(db) -> User:
    return make_user("analyst@example.org", Role.ANALYST)


@pytest.fixture
def admin_user(db) -> User:
    return make_user("admin@example.org", Role.ADMIN)


@pytest.fixture
def observer(db) -> User:
    return make_user("observer@example.org", Role.OBSERVER)


def api_client_for(user: User) -> APIClient:
    _token, raw = ApiToken.issue(user, "tests")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return client


@pytest.fixture
def early_warning_data(est_a):
    return dict(establishment=est_a, description="Écrans de rançon sur les postes des urgences",
                discovered_at=timezone.now() - timezone.timedelta(hours=1), ongoing=True,
                suspected_malicious="yes", patient_care_affected="yes",
                support_requested=True, callback_phone="+33 6 12 34 56 78")


def login(client, user: User) -> None:
    """Log a user in through the session; staff also pass their second factor (TOTP)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.force_login(user)
    if user.requires_second_factor:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="tests",
                                                     defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()


@pytest.fixture
def client_for(client):
    """`client_for(user)` returns Django's test client logged in as `user` (2FA passed)."""

    def _client_for(user: User):
        from django.test import Client

        c = Client()
        login(c, user)
        return c

    return _client_for


def html(response):
    """The parsed HTML of a response, for assertions with CSS selectors (`.select`)."""
    from bs4 import BeautifulSoup

    return BeautifulSoup(response.content.decode(), "html.parser")


@pytest.fixture
def report_a(reporter_a, early_warning_data):
    """An early warning of establishment A, filed by its reporter."""
    from vigisante.reports import services

    return services.create_early_warning(actor=reporter_a, data=early_warning_data)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """PostgreSQL refuses TRUNCATE of the audit trail (core migration 0002), but the test
    runner empties every table with TRUNCATE after each transactional test: the test
    database lets TRUNCATE through. UPDATE and DELETE stay refused."""
    from django.db import connection

    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ALTER TABLE core_auditevent "
                               "DISABLE TRIGGER core_auditevent_no_truncate")
    yield


# --- Languages ------------------------------------------------------------------------------
# The site is in French by default (LANGUAGE_CODE "fr", a French catalogue). Most tests assert
# the English source strings, so every test runs with English as the default language: gettext
# outside a request and every request without a language preference give English (Django's test
# clients send no Accept-Language header). A test marked `@pytest.mark.french` keeps the real
# default, French. Browser tests (tests/e2e) send the Accept-Language of their Chromium context
# (fr-FR), which LocaleMiddleware prefers to the default: they see the French pages.


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "french: run with the site's real default language (French) instead of "
                   "English")


@pytest.fixture(autouse=True)
def _english_by_default(request, settings):
    if request.node.get_closest_marker("french") is None:
        settings.LANGUAGE_CODE = "en"
    yield


# --- Background tasks -------------------------------------------------------------------------

@pytest.fixture
def run_tasks():
    """Run the queued background tasks through the real worker path (django-tasks-db's worker,
    as `vigisante worker --batch` drains the queue, without enqueuing a clock scan)."""
    from vigisante.clocks.worker import ClockWorker

    def run() -> None:
        ClockWorker(interval=0, scan_every=3600).drain()

    return run


# --- Throttling ------------------------------------------------------------------------------

@pytest.fixture(autouse=True)
def _fresh_cache():
    """API throttling and lockouts count in the cache: each test starts from zero."""
    from django.core.cache import cache, caches

    cache.clear()
    caches["throttle"].clear()
    yield
