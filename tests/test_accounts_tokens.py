"""Profile page, API tokens (page and command), GET /api/v1/me/."""

from __future__ import annotations

import io
import re

import pytest
from conftest import make_user
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from rest_framework.test import APIClient

from vigisante.accounts.models import ApiToken, Membership, hash_token
from vigisante.cli import main as cli_main
from vigisante.core import audit
from vigisante.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_profile_shows_identity_role_establishments_and_links(client_for, reporter_a, est_a):
    response = client_for(reporter_a).get(reverse("accounts:profile"))
    assert response.status_code == 200
    html = response.content.decode()
    for text in (reporter_a.email, reporter_a.full_name, "Reporter", est_a.name, est_a.finess,
                 reverse("accounts:tokens"), reverse("accounts:password_change")):
        assert text in html
    assert 'id="two-factor-status"' in html
    assert reverse("accounts:invite") not in html


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings, whatever the French catalogue says."""
    settings.LANGUAGE_CODE = "en"


def test_profile_of_staff_shows_2fa_status_and_invite_link(client_for, analyst):
    html = client_for(analyst).get(reverse("accounts:profile")).content.decode()
    assert "Enabled (authenticator app)" in html
    assert reverse("accounts:invite") in html


def test_profile_needs_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_tokens_page_creates_a_token_shown_once(client_for, reporter_a):
    client = client_for(reporter_a)
    page = client.get(reverse("accounts:tokens"))
    assert page.status_code == 200
    assert 'type="submit"' in page.content.decode()
    response = client.post(reverse("accounts:tokens"), {"name": "SIEM connector"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    html = response.content.decode()
    raw = re.search(r'id="raw-token" value="(vs_[^"]+)"', html).group(1)
    token = ApiToken.objects.get(user=reporter_a)
    assert token.name == "SIEM connector"
    assert token.key_hash == hash_token(raw)
    assert raw not in str(ApiToken.objects.values())
    # Never shown again.
    again = client.get(reverse("accounts:tokens")).content.decode()
    assert raw not in again
    assert token.prefix in again and "SIEM connector" in again
    # It works on the API.
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/v1/me/").json()["email"] == reporter_a.email
    event = AuditEvent.objects.get(action="accounts.token_created")
    assert event.actor_id == reporter_a.pk
    assert raw not in str(event.after)


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_token_name_is_validated(client_for, reporter_a, name):
    response = client_for(reporter_a).post(reverse("accounts:tokens"), {"name": name})
    assert response.status_code == 400
    assert 'id="id_name_error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke_own_token(client_for, reporter_a):
    token, raw = ApiToken.issue(reporter_a, "old")
    client = client_for(reporter_a)
    assert client.get(reverse("accounts:revoke_token", args=[token.pk])).status_code == 405
    response = client.post(reverse("accounts:revoke_token", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get("/api/v1/me/").status_code == 401
    assert AuditEvent.objects.filter(action="accounts.token_revoked").count() == 1
    # Revoking twice changes nothing.
    client.post(reverse("accounts:revoke_token", args=[token.pk]))
    assert AuditEvent.objects.filter(action="accounts.token_revoked").count() == 1
    html = client.get(reverse("accounts:tokens")).content.decode()
    assert "revoked" in html


def test_other_users_token_is_404_and_not_listed(client_for, reporter_a, reporter_b):
    token, _raw = ApiToken.issue(reporter_b, "b-secret-name")
    client = client_for(reporter_a)
    assert client.post(reverse("accounts:revoke_token", args=[token.pk])).status_code == 404
    assert client.post("/accounts/tokens/999999/revoke/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert "b-secret-name" not in client.get(reverse("accounts:tokens")).content.decode()


def test_create_token_command_prints_the_raw_token_only(reporter_a):
    out, err = io.StringIO(), io.StringIO()
    call_command("create_token", "REPORTER.A@example.org", "--name", "sync", stdout=out,
                 stderr=err)
    raw = out.getvalue().strip()
    assert re.fullmatch(r"vs_[A-Za-z0-9_-]+", raw)
    token = ApiToken.objects.get(user=reporter_a)
    assert token.name == "sync" and token.key_hash == hash_token(raw)
    assert AuditEvent.objects.filter(action="accounts.token_created", actor=None).exists()
    assert audit.verify().ok


def test_create_token_command_unknown_email_fails_clearly(db):
    with pytest.raises(CommandError, match="No user has the e-mail address"):
        call_command("create_token", "nobody@example.org")
    assert not ApiToken.objects.exists()


def test_create_token_cli_exit_code(capsys, db, monkeypatch):
    # run_from_argv closes every connection when done; the test's own must stay open.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    with pytest.raises(SystemExit) as exc:
        cli_main(["vigisante", "create-token", "nobody@example.org"])
    assert exc.value.code != 0
    captured = capsys.readouterr()
    assert "No user has the e-mail address" in captured.err
    assert "Traceback" not in captured.err
    assert captured.out == ""


def test_me_api(est_a, est_b):
    user = make_user("multi@example.org", establishments=[est_a, est_b])
    from conftest import api_client_for

    data = api_client_for(user).get("/api/v1/me/").json()
    assert data["email"] == "multi@example.org"
    assert data["full_name"] == "multi"
    assert data["role"] == "reporter"
    assert {e["finess"] for e in data["establishments"]} == {est_a.finess, est_b.finess}
    assert set(data["establishments"][0]) == {"id", "finess", "name"}
    assert Membership.objects.filter(user=user).count() == 2


def test_me_api_requires_authentication(db):
    assert APIClient().get("/api/v1/me/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token vs_not-a-real-token")
    assert bad.get("/api/v1/me/").status_code == 401


def test_me_is_in_the_openapi_schema(client_for, reporter_a):
    response = client_for(reporter_a).get("/api/schema/")
    assert response.status_code == 200
    assert "/api/v1/me/" in response.content.decode()
