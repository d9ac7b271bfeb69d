"""The staff second factor (TOTP): set-up with a QR code, verification, throttling, API."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigisante.core.models import AuditEvent

pytestmark = pytest.mark.django_db
URL = "/accounts/two-factor/"


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings, whatever the French catalogue says."""
    settings.LANGUAGE_CODE = "en"


def code_for(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = timezone.now().timestamp() + offset_steps * device.step
    return f"{totp.token():06d}"


def wrong_code(device: TOTPDevice) -> str:
    valid = {code_for(device, k) for k in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1000000) if f"{n:06d}" not in valid)


@pytest.fixture
def staff_client(analyst) -> Client:
    client = Client()
    client.force_login(analyst)
    return client


def test_url_name():
    assert reverse("accounts:two_factor") == URL


def test_setup_shows_secret_qr_code_and_uri(staff_client, analyst):
    response = staff_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    device = TOTPDevice.objects.get(user=analyst)
    assert not device.confirmed
    secret = re.search(r'data-secret="([A-Z2-7]+)"', html).group(1)
    assert b32decode(secret) == device.bin_key
    assert "<svg" in html and 'role="img"' in html
    assert "otpauth://totp/" in html and "issuer=Vigisant%C3%A9" in html
    assert re.search(r'<input type="text" name="otp_token"[^>]*id="id_otp_token"', html)
    assert '<label for="id_otp_token">' in html
    assert 'type="submit"' in html
    # The same secret is shown again until confirmed.
    staff_client.get(URL)
    assert TOTPDevice.objects.filter(user=analyst).count() == 1


def test_setup_confirms_with_a_code_and_verifies_the_session(staff_client, analyst):
    staff_client.get(URL)
    device = TOTPDevice.objects.get(user=analyst)
    old_session = staff_client.session.session_key
    response = staff_client.post(URL, {"otp_token": code_for(device), "next": "/accounts/profile/"})
    assert response.status_code == 302
    assert response.url == "/accounts/profile/"
    device.refresh_from_db()
    assert device.confirmed
    assert staff_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert staff_client.session.session_key != old_session
    assert staff_client.get("/accounts/profile/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.2fa_enrolled", actor=analyst).exists()


def test_confirmed_device_asks_for_code_only(staff_client, analyst):
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    html = staff_client.get(URL).content.decode()
    assert "data-secret" not in html and "<svg" not in html
    assert 'name="otp_token"' in html
    response = staff_client.post(URL, {"otp_token": code_for(device)})
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert AuditEvent.objects.filter(action="auth.2fa_verified").exists()


def test_external_next_is_ignored(staff_client, analyst):
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    response = staff_client.post(URL, {"otp_token": code_for(device),
                                       "next": "https://evil.example.com/x"})
    assert response.url == reverse("home")


def test_wrong_code_is_refused_next_to_the_field(staff_client, analyst):
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    response = staff_client.post(URL, {"otp_token": wrong_code(device)})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="id_otp_token_error"' in html
    assert 'aria-invalid="true"' in html
    assert DEVICE_ID_SESSION_KEY not in staff_client.session
    assert AuditEvent.objects.filter(action="auth.2fa_failed").exists()


@pytest.mark.parametrize("token", ["", "abc", "12345", "1234567", "x" * 5000, "١٢٣٤٥٦"])
def test_malformed_code_is_refused_without_500(staff_client, analyst, token):
    TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    response = staff_client.post(URL, {"otp_token": token})
    assert response.status_code == 400
    assert 'id="id_otp_token_error"' in response.content.decode()


def test_wrong_codes_are_throttled_even_the_right_one(staff_client, analyst):
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    staff_client.post(URL, {"otp_token": wrong_code(device)})
    staff_client.post(URL, {"otp_token": wrong_code(device)})
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1
    # Within the back-off delay even the right code is refused, with a clear message.
    response = staff_client.post(URL, {"otp_token": code_for(device)})
    assert response.status_code == 400
    assert "Too many wrong codes" in response.content.decode()
    assert DEVICE_ID_SESSION_KEY not in staff_client.session


def test_throttle_lifts_after_the_delay(staff_client, analyst):
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    staff_client.post(URL, {"otp_token": wrong_code(device)})
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now() - timezone.timedelta(seconds=10))
    response = staff_client.post(URL, {"otp_token": code_for(device)})
    assert response.status_code == 302


def test_a_code_cannot_be_replayed(analyst):
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    code = code_for(device)
    first, second = Client(), Client()
    first.force_login(analyst)
    second.force_login(analyst)
    assert first.post(URL, {"otp_token": code}).status_code == 302
    assert second.post(URL, {"otp_token": code}).status_code == 400


def test_non_staff_are_sent_home(client_for, reporter_a, observer):
    for user in (reporter_a, observer):
        response = client_for(user).get(URL)
        assert response.status_code == 302
        assert response.url == reverse("home")
    assert not TOTPDevice.objects.exists()


def test_anonymous_must_log_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_verified_staff_are_redirected_onwards(client_for, analyst):
    response = client_for(analyst).get(URL + "?next=/accounts/profile/")
    assert response.status_code == 302
    assert response.url == "/accounts/profile/"


def test_api_refuses_unverified_staff_session(staff_client, client_for, analyst):
    response = staff_client.get("/api/v1/me/")
    assert response.status_code in (401, 403)
    assert client_for(analyst).get("/api/v1/me/").status_code == 200


def test_api_session_of_reporter_needs_no_second_factor(client_for, reporter_a):
    response = client_for(reporter_a).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["email"] == reporter_a.email


def test_api_token_of_staff_is_single_factor(analyst):
    from conftest import api_client_for

    assert api_client_for(analyst).get("/api/v1/me/").status_code == 200
