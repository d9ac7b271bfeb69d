"""Login, logout, password reset and change, login audit, the staff second-factor gate."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD
from django.core import mail
from django.test import Client
from django.urls import reverse

from vigisante.core import audit
from vigisante.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_login_page_has_email_label_named_fields_and_submit(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'<input type="email" name="username"[^>]*id="id_username"', html)
    assert re.search(r'<input type="password" name="password"', html)
    assert '<label for="id_username">E-mail address</label>' in html
    assert '<label for="id_password">' in html
    assert 'type="submit"' in html


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings, whatever the French catalogue says."""
    settings.LANGUAGE_CODE = "en"


def test_reporter_logs_in_with_email_in_any_case(client, reporter_a):
    response = client.post(reverse("accounts:login"),
                           {"username": "Reporter.A@Example.ORG", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.session["_auth_user_id"] == str(reporter_a.pk)


def test_login_keeps_a_safe_next_and_drops_an_external_one(client, reporter_a):
    response = client.post(reverse("accounts:login") + "?next=/accounts/profile/",
                           {"username": reporter_a.email, "password": PASSWORD,
                            "next": "/accounts/profile/"})
    assert response.url == "/accounts/profile/"
    other = Client()
    response = other.post(reverse("accounts:login"),
                          {"username": reporter_a.email, "password": PASSWORD,
                           "next": "https://evil.example.com/"})
    assert response.url == reverse("home")


def test_next_pointing_to_login_page_does_not_loop(client_for, reporter_a):
    client = client_for(reporter_a)
    response = client.get(reverse("accounts:login") + "?next=/accounts/login/%3Fx%3D1")
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_wrong_password_shows_error_next_to_form_and_is_audited(client, reporter_a):
    response = client.post(reverse("accounts:login"),
                           {"username": reporter_a.email, "password": "wrong-password-123"})
    assert response.status_code == 200
    assert "Incorrect e-mail address or password." in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor_id is None
    assert event.object_type == "accounts.user"
    assert event.object_id == str(reporter_a.pk)
    assert event.after["email"] == reporter_a.email
    # The password is never stored, neither in clear nor masked.
    assert "wrong-password-123" not in str(event.after)
    assert "password" not in event.after


def test_failed_login_of_unknown_address_is_audited_without_object(client):
    client.post(reverse("accounts:login"),
                {"username": "nobody@example.org", "password": "whatever-123456"})
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.object_id == ""
    assert event.after["email"] == "nobody@example.org"


def test_successful_login_is_audited_with_the_user(client, reporter_a):
    client.post(reverse("accounts:login"), {"username": reporter_a.email, "password": PASSWORD})
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor_id == reporter_a.pk
    assert event.object_id == str(reporter_a.pk)
    assert PASSWORD not in str(event.after)
    assert audit.verify().ok


def test_login_form_rejects_bad_input_without_500(client):
    for data in ({}, {"username": "x" * 5000, "password": "y"},
                 {"username": "\x00", "password": ""}):
        response = client.post(reverse("accounts:login"), data)
        assert response.status_code == 200


def test_logout_is_post_only(client_for, reporter_a):
    client = client_for(reporter_a)
    assert client.get(reverse("accounts:logout")).status_code == 405
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert "_auth_user_id" not in client.session


def test_staff_login_goes_to_second_factor_with_next(client, analyst):
    response = client.post(reverse("accounts:login") + "?next=/accounts/profile/",
                           {"username": analyst.email, "password": PASSWORD,
                            "next": "/accounts/profile/"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor") + "?next=")
    assert "%2Faccounts%2Fprofile%2F" in response.url


@pytest.mark.parametrize("path", ["/", "/accounts/profile/", "/accounts/tokens/",
                                  "/accounts/invite/", "/accounts/password-change/",
                                  "/admin/"])
def test_unverified_staff_are_sent_to_the_second_factor(client, analyst, path):
    client.force_login(analyst)
    response = client.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:two_factor"))


def test_unverified_staff_cannot_create_a_token_to_bypass_2fa(client, analyst):
    client.force_login(analyst)
    response = client.post(reverse("accounts:tokens"), {"name": "bypass"})
    assert response.status_code == 302
    assert not analyst.api_tokens.exists()


def test_second_factor_not_required_when_disabled(client, analyst, settings):
    settings.REQUIRE_2FA = False
    client.force_login(analyst)
    assert client.get(reverse("accounts:profile")).status_code == 200


# ---------------------------------------------------------------- password reset


def test_password_reset_sends_a_link_that_works(client, reporter_a, settings):
    settings.SITE_URL = "https://vigisante.example.fr"
    page = client.get(reverse("accounts:password_reset"))
    assert page.status_code == 200
    assert 'type="submit"' in page.content.decode()
    response = client.post(reverse("accounts:password_reset"), {"email": "REPORTER.A@example.org"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [reporter_a.email]
    link = re.search(r"https://vigisante\.example\.fr(/accounts/password-reset/\S+/)", message.body)
    assert link, message.body
    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    assert 'name="new_password1"' in response.content.decode()
    set_url = response.redirect_chain[-1][0]
    response = client.post(set_url, {"new_password1": "a-new-long-passphrase-42",
                                     "new_password2": "a-new-long-passphrase-42"})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    reporter_a.refresh_from_db()
    assert reporter_a.check_password("a-new-long-passphrase-42")


def test_password_reset_does_not_reveal_whether_an_account_exists(client, reporter_a):
    known = client.post(reverse("accounts:password_reset"), {"email": reporter_a.email})
    unknown = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known.url == unknown.url
    assert len(mail.outbox) == 1
    done = client.get(reverse("accounts:password_reset_done"))
    assert "If an account uses this address" in done.content.decode()


def test_password_reset_with_bad_address_shows_field_error(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "not-an-address"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_email_error"' in html
    assert 'aria-describedby="id_email_error"' in html
    assert not mail.outbox


def test_password_reset_bad_link_says_so(client):
    response = client.get("/accounts/password-reset/MQ/bad-token/")
    assert response.status_code == 200
    assert "This link is not valid" in response.content.decode()


def test_password_change(client_for, reporter_a):
    client = client_for(reporter_a)
    page = client.get(reverse("accounts:password_change"))
    assert page.status_code == 200
    bad = client.post(reverse("accounts:password_change"), {
        "old_password": "wrong", "new_password1": "short", "new_password2": "short"})
    assert bad.status_code == 200
    assert 'id="id_old_password_error"' in bad.content.decode()
    ok = client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": "another-long-passphrase-7",
        "new_password2": "another-long-passphrase-7"})
    assert ok.status_code == 302
    reporter_a.refresh_from_db()
    assert reporter_a.check_password("another-long-passphrase-7")
