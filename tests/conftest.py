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
