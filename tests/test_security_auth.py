"""Keep others out: login lockout, API throttling, token revocation and expiry, session limits.

Issue 9 ("Keep others out"); each test failed on the version before these protections.
"""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from conftest import PASSWORD, api_client_for, html, login
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from rest_framework.test import APIClient

from vigisante.accounts import services
from vigisante.accounts.middleware import SESSION_SEEN, SESSION_STARTED
from vigisante.accounts.models import ApiToken
from vigisante.core.models import AuditEvent

LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


def _fail(client, email, times, url=LOGIN, **extra):
    return [client.post(url, {"username": email, "password": "wrong-password"}, **extra)
            for _ in range(times)]


# ---------------------------------------------------------------- brute force


def test_login_is_locked_after_five_wrong_passwords_then_the_right_one_is_refused(
        client, reporter_a):
    answers = _fail(client, reporter_a.email, 5)
    assert [r.status_code for r in answers[:4]] == [200] * 4
    locked = client.post(LOGIN, {"username": reporter_a.email, "password": PASSWORD})
    assert locked.status_code == 429
    page = html(locked)
    assert "Too many wrong passwords" in page.select_one("[role=alert]").get_text()
    assert "15 minutes" in page.get_text()
    assert locked["Retry-After"] == str(15 * 60)
    assert "_auth_user_id" not in client.session


def test_the_address_typed_in_another_case_counts_together(client, reporter_a):
    _fail(client, reporter_a.email.upper(), 3)
    _fail(client, reporter_a.email, 2)
    assert client.post(LOGIN, {"username": reporter_a.email,
                               "password": PASSWORD}).status_code == 429


def test_admin_login_is_locked_too(client, admin_user):
    _fail(client, admin_user.email, 5, url=ADMIN_LOGIN)
    response = client.post(ADMIN_LOGIN, {"username": admin_user.email, "password": PASSWORD})
    assert response.status_code == 429


def test_lockout_is_per_address_and_ip_so_an_attacker_cannot_lock_a_director_out(
        client, reporter_a):
    _fail(client, reporter_a.email, 10, REMOTE_ADDR="203.0.113.9")
    director = Client(REMOTE_ADDR="198.51.100.7")
    response = director.post(LOGIN, {"username": reporter_a.email, "password": PASSWORD})
    assert response.status_code == 302
    # The attacker's own address stays locked, also for another account's right password.
    again = Client(REMOTE_ADDR="203.0.113.9").post(
        LOGIN, {"username": reporter_a.email, "password": PASSWORD})
    assert again.status_code == 429


def test_a_forged_forwarded_for_header_does_not_reset_the_count(client, reporter_a):
    for i in range(5):
        client.post(LOGIN, {"username": reporter_a.email, "password": "nope"},
                    HTTP_X_FORWARDED_FOR=f"192.0.2.{i}")
    response = client.post(LOGIN, {"username": reporter_a.email, "password": PASSWORD},
                           HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert response.status_code == 429


def test_behind_a_proxy_the_forwarded_address_is_the_client(client, reporter_a, settings):
    settings.PROXY_COUNT = 1
    _fail(client, reporter_a.email, 5, HTTP_X_FORWARDED_FOR="203.0.113.9")
    other = client.post(LOGIN, {"username": reporter_a.email, "password": PASSWORD},
                        HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert other.status_code == 302


def test_lockout_ends_after_the_delay(client, reporter_a, settings):
    _fail(client, reporter_a.email, 5)
    from axes.models import AccessAttempt

    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    response = client.post(LOGIN, {"username": reporter_a.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_password_reset_lifts_the_lockout(client, reporter_a, settings):
    _fail(client, reporter_a.email, 5)
    client.post(reverse("accounts:password_reset"), {"email": reporter_a.email})
    link = re.search(r"(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = "a-brand-new-passphrase-31"
    assert client.post(set_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert client.post(LOGIN, {"username": reporter_a.email, "password": new}).status_code == 302


def test_the_lockout_page_is_in_french(client, reporter_a, settings):
    settings.LANGUAGE_CODE = "fr"
    _fail(client, reporter_a.email, 5)
    response = client.post(LOGIN, {"username": reporter_a.email, "password": PASSWORD},
                           HTTP_ACCEPT_LANGUAGE="fr")
    assert "Trop" in html(response).select_one("h1").get_text()


# ---------------------------------------------------------------- API throttling


def _rates(settings, **rates):
    base = dict(settings.REST_FRAMEWORK)
    base["DEFAULT_THROTTLE_RATES"] = {**base["DEFAULT_THROTTLE_RATES"], **rates}
    settings.REST_FRAMEWORK = base


def test_api_is_throttled_per_token(settings, reporter_a):
    _rates(settings, token="3/minute")
    first, second = api_client_for(reporter_a), api_client_for(reporter_a)
    codes = [first.get("/api/v1/me/").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    assert second.get("/api/v1/me/").status_code == 200


def test_api_is_throttled_per_ip(settings, reporter_a, reporter_b):
    _rates(settings, ip="4/minute")
    a, b = api_client_for(reporter_a), api_client_for(reporter_b)
    codes = [c.get("/api/v1/me/").status_code for c in (a, b, a, b, a)]
    assert codes == [200, 200, 200, 200, 429]
    other = api_client_for(reporter_a)
    assert other.get("/api/v1/me/", REMOTE_ADDR="198.51.100.7").status_code == 200


def test_wrong_tokens_are_throttled_before_any_lookup(reporter_a):
    guesser = APIClient()
    codes = []
    for i in range(21):
        guesser.credentials(HTTP_AUTHORIZATION=f"Token vs_guess{i}")
        codes.append(guesser.get("/api/v1/me/").status_code)
    assert codes[:20] == [401] * 20
    assert codes[20] == 429
    # Even a right token is refused from that address for now, not from another one.
    good = api_client_for(reporter_a)
    assert good.get("/api/v1/me/").status_code == 429
    assert good.get("/api/v1/me/", REMOTE_ADDR="198.51.100.7").status_code == 200


# ---------------------------------------------------------------- API tokens


def test_password_change_revokes_every_api_token(client_for, reporter_a):
    api = api_client_for(reporter_a)
    assert api.get("/api/v1/me/").status_code == 200
    client = client_for(reporter_a)
    new = "another-long-passphrase-7"
    client.post(reverse("accounts:password_change"), {
        "old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert api.get("/api/v1/me/").status_code == 401
    assert not ApiToken.objects.filter(user=reporter_a, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.filter(action="accounts.tokens_revoked").get()
    assert event.after["reason"] == "password_changed"


def test_password_reset_revokes_every_api_token(client, reporter_a):
    api = api_client_for(reporter_a)
    client.post(reverse("accounts:password_reset"), {"email": reporter_a.email})
    link = re.search(r"(/accounts/password-reset/\S+/)", mail.outbox[0].body).group(1)
    set_url = client.get(link, follow=True).redirect_chain[-1][0]
    new = "a-brand-new-passphrase-31"
    client.post(set_url, {"new_password1": new, "new_password2": new})
    assert api.get("/api/v1/me/").status_code == 401


def test_admin_setting_a_password_revokes_the_tokens(client_for, admin_user, reporter_a):
    api = api_client_for(reporter_a)
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save(update_fields=["is_staff", "is_superuser"])
    admin = client_for(admin_user)
    new = "set-by-the-admin-passphrase-5"
    response = admin.post(f"/admin/accounts/user/{reporter_a.pk}/password/",
                          {"password1": new, "password2": new, "usable_password": "true"})
    assert response.status_code == 302
    assert response.url.startswith(f"/admin/accounts/user/{reporter_a.pk}/")
    assert api.get("/api/v1/me/").status_code == 401


def test_an_unusable_password_set_by_the_admin_revokes_the_tokens(reporter_a):
    api = api_client_for(reporter_a)
    reporter_a.set_unusable_password()
    reporter_a.save()
    assert api.get("/api/v1/me/").status_code == 401


def test_a_saved_profile_without_new_password_keeps_the_tokens(reporter_a):
    api = api_client_for(reporter_a)
    reporter_a.full_name = "New name"
    reporter_a.save()
    assert api.get("/api/v1/me/").status_code == 200


def test_a_token_expires(reporter_a):
    token, raw = services.issue_token(actor=reporter_a, owner=reporter_a, name="siem",
                                      expires_in_days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/v1/me/").status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = api.get("/api/v1/me/")
    assert response.status_code == 401


def test_tokens_page_creates_an_expiring_token_and_shows_last_use_and_expiry(
        client_for, reporter_a):
    client = client_for(reporter_a)
    response = client.post(reverse("accounts:tokens"), {"name": "SIEM", "expires_in_days": "30"})
    assert response.status_code == 200
    raw = html(response).select_one("#raw-token")["value"]
    token = ApiToken.objects.get(user=reporter_a, name="SIEM")
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    api.get("/api/v1/me/")
    page = html(client.get(reverse("accounts:tokens")))
    headers = [th.get_text() for th in page.select("thead th")]
    assert "Last used" in headers and "Expires" in headers
    row = page.select_one(f"#token-{token.pk}")
    cells = [td.get_text(strip=True) for td in row.select("td")]
    assert cells[headers.index("Last used")] != "never"
    # one date format per language (issue 10): "30 Dec 2026" in English
    assert cells[headers.index("Expires")] == date_format(
        timezone.localtime(token.expires_at).date(), "SHORT_DATE_FORMAT")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    row = html(client.get(reverse("accounts:tokens"))).select_one(f"#token-{token.pk}")
    assert "expired" in row.get_text()
    assert row.select_one("form") is None


def test_tokens_page_refuses_an_unknown_lifetime(client_for, reporter_a):
    client = client_for(reporter_a)
    response = client.post(reverse("accounts:tokens"), {"name": "x", "expires_in_days": "-5"})
    assert response.status_code == 400
    assert not ApiToken.objects.filter(user=reporter_a).exists()


@pytest.mark.django_db
def test_create_token_command_takes_a_lifetime(reporter_a, capsys):
    from django.core.management import call_command

    call_command("create_token", reporter_a.email, "--days", "7")
    token = ApiToken.objects.get(user=reporter_a)
    assert timedelta(days=6) < token.expires_at - timezone.now() <= timedelta(days=7)


# ---------------------------------------------------------------- sessions


def _age_session(client, *, idle_minutes=0, age_hours=0):
    session = client.session
    now = time.time()
    session[SESSION_STARTED] = now - max(age_hours * 3600, idle_minutes * 60)
    session[SESSION_SEEN] = now - idle_minutes * 60
    session.save()


def test_staff_are_logged_out_after_30_idle_minutes_and_pass_2fa_again(client, analyst):
    login(client, analyst)
    assert client.get("/triage/").status_code == 200
    _age_session(client, idle_minutes=31)
    response = client.get("/triage/")
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))
    page = html(client.get(response.url))
    assert "without activity" in page.select_one("#session-expired").get_text()
    # The API with that session is closed as well.
    _age_session(client, idle_minutes=0)
    # Logging in again asks for the second factor before anything else.
    assert client.post(LOGIN, {"username": analyst.email, "password": PASSWORD}).status_code == 302
    assert client.get("/triage/").url.startswith(reverse("accounts:two_factor"))


def test_staff_api_session_is_closed_after_idle_timeout(client, analyst):
    login(client, analyst)
    assert client.get("/api/v1/me/").status_code == 200
    _age_session(client, idle_minutes=31)
    assert client.get("/api/v1/me/").status_code in (401, 403)


def test_reporters_keep_their_session_longer(client, reporter_a):
    login(client, reporter_a)
    client.get("/reports/")
    _age_session(client, idle_minutes=45)
    assert client.get("/reports/").status_code == 200
    _age_session(client, idle_minutes=241)
    assert client.get("/reports/").status_code == 302


def test_an_active_session_still_ends_at_its_maximum_age(client, reporter_a):
    login(client, reporter_a)
    client.get("/reports/")
    _age_session(client, idle_minutes=1, age_hours=13)
    response = client.get("/reports/")
    assert response.status_code == 302
    assert "maximum duration" in html(client.get(response.url)).get_text()


def test_activity_keeps_the_session_and_the_cookie_has_the_max_age(client, reporter_a, settings):
    response = client.post(LOGIN, {"username": reporter_a.email, "password": PASSWORD})
    assert response.cookies["sessionid"]["max-age"] == 12 * 3600
    _age_session(client, idle_minutes=200)
    assert client.get("/reports/").status_code == 200
    assert time.time() - client.session[SESSION_SEEN] < 5


def test_idle_timeouts_are_settings(client, analyst, settings):
    settings.STAFF_SESSION_IDLE_MINUTES = 5
    login(client, analyst)
    client.get("/triage/")
    _age_session(client, idle_minutes=6)
    assert client.get("/triage/").status_code == 302
