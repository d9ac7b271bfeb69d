"""Bad input on every account page: a clear answer, never a 500."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from vigisante.accounts.models import ApiToken, Invitation, User

pytestmark = pytest.mark.django_db

GARBAGE = ["\x00", "x" * 100_000, "<script>alert(1)</script>", " ", "0" * 7]


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings, whatever the French catalogue says."""
    settings.LANGUAGE_CODE = "en"


@pytest.mark.parametrize("value", GARBAGE)
def test_anonymous_forms(value, db):
    client = Client(raise_request_exception=True)
    for url, fields in (
        ("/accounts/login/", ["username", "password"]),
        ("/accounts/password-reset/", ["email"]),
    ):
        response = client.post(url, dict.fromkeys(fields, value))
        assert response.status_code < 500
    assert not mail.outbox


@pytest.mark.parametrize("value", GARBAGE)
def test_logged_in_forms(value, client_for, analyst, est_a):
    client = client_for(analyst)
    client.raise_request_exception = True
    for url, data in (
        ("/accounts/tokens/", {"name": value}),
        ("/accounts/invite/", {"email": value, "establishments": [value]}),
        ("/accounts/password-change/", {"old_password": value, "new_password1": value,
                                        "new_password2": value}),
    ):
        response = client.post(url, data)
        assert response.status_code < 500, url
    assert response.status_code == 200 or response.status_code == 400
    assert not Invitation.objects.exists()
    if value.strip() and "\x00" not in value and len(value) <= 100:
        assert ApiToken.objects.filter(user=analyst).count() == 1
    else:
        assert not ApiToken.objects.filter(user=analyst).exists()


@pytest.mark.parametrize("value", GARBAGE)
def test_accept_invitation_form(value, analyst, est_a):
    invitation, raw = Invitation.new(email="g@example.org", invited_by=analyst)
    invitation.establishments.set([est_a])
    client = Client(raise_request_exception=True)
    response = client.post(f"/accounts/invitation/{raw}/", {
        "full_name": value, "new_password1": value, "new_password2": value})
    created = User.objects.filter(email="g@example.org").first()
    if value.startswith("<script>"):  # a valid (if odd) name and password
        assert response.status_code == 302 and created.full_name == value
        page = client.get("/accounts/profile/").content.decode()
        assert "<script>alert" not in page and "&lt;script&gt;" in page
    else:
        assert response.status_code == 400 and created is None


def test_invalid_utf8_body(client_for, reporter_a):
    client = client_for(reporter_a)
    response = client.post("/accounts/tokens/", data=b"name=\xff\xfe%FF",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code < 500
