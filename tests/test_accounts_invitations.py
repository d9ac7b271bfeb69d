"""Invitations of reporters by analysts and admins."""

from __future__ import annotations

import re

import pytest
from conftest import PASSWORD, make_user
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vigisante.accounts import services
from vigisante.accounts.models import Invitation, Role, User, hash_token
from vigisante.core import audit
from vigisante.core.models import AuditEvent

pytestmark = pytest.mark.django_db
INVITE = "/accounts/invite/"


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings, whatever the French catalogue says."""
    settings.LANGUAGE_CODE = "en"


def send(client, email, *establishments):
    return client.post(INVITE, {"email": email, "establishments": [e.pk for e in establishments]})


def link_path(message) -> str:
    match = re.search(r"https://vigisante\.example\.fr(/accounts/invitation/[^/\s]+/)",
                      message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://vigisante.example.fr"


def test_invite_page_form(client_for, analyst, est_a):
    response = client_for(analyst).get(INVITE)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_email">' in html and '<label for="id_establishments">' in html
    # A search, not a list of every establishment (issue 10).
    assert 'type="search"' in html and est_a.name not in html
    assert 'type="submit"' in html


def test_analyst_invites_new_reporter_who_creates_account(client_for, analyst, est_a, est_b):
    response = send(client_for(analyst), "New.Person@Example.org", est_a, est_b)
    assert response.status_code == 302
    invitation = Invitation.objects.get()
    assert invitation.email == "new.person@example.org"
    assert invitation.invited_by == analyst
    assert set(invitation.establishments.all()) == {est_a, est_b}
    assert abs(invitation.expires_at - (timezone.now() + timezone.timedelta(days=7))
               ) < timezone.timedelta(minutes=1)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["new.person@example.org"]
    assert est_a.name in message.body and "&amp;" not in message.body
    path = link_path(message)
    assert message.body.count(path) == 2  # French, then English
    raw = path.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_hash == hash_token(raw)
    assert raw not in str(Invitation.objects.values())

    visitor = Client()
    page = visitor.get(path)
    assert page.status_code == 200
    html = page.content.decode()
    assert "new.person@example.org" in html and est_b.name in html
    assert 'type="submit"' in html
    response = visitor.post(path, {"full_name": "Nouvelle Personne",
                                   "new_password1": "a-long-pass-phrase-9",
                                   "new_password2": "a-long-pass-phrase-9"})
    assert response.status_code == 302
    user = User.objects.get(email="new.person@example.org")
    assert user.role == Role.REPORTER and user.full_name == "Nouvelle Personne"
    assert user.check_password("a-long-pass-phrase-9")
    assert set(user.establishments.all()) == {est_a, est_b}
    assert visitor.session["_auth_user_id"] == str(user.pk)
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == user
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"accounts.invitation_sent", "accounts.user_created", "accounts.membership_added",
            "accounts.invitation_accepted"} <= actions
    assert audit.verify().ok
    # The link works once.
    again = Client().get(path)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()


def test_weak_or_mismatched_password_is_refused_next_to_the_field(client_for, analyst, est_a):
    send(client_for(analyst), "weak@example.org", est_a)
    path = link_path(mail.outbox[0])
    visitor = Client()
    for data, field in (
        ({"full_name": "W", "new_password1": "123", "new_password2": "123"}, "new_password1"),
        ({"full_name": "W", "new_password1": "weak@example.org",
          "new_password2": "weak@example.org"}, "new_password1"),
        ({"full_name": "W", "new_password1": "a-long-pass-phrase-9",
          "new_password2": "a-long-pass-phrase-8"}, "new_password2"),
        ({"full_name": "   ", "new_password1": "a-long-pass-phrase-9",
          "new_password2": "a-long-pass-phrase-9"}, "full_name"),
    ):
        response = visitor.post(path, data)
        assert response.status_code == 400
        assert f'id="id_{field}_error"' in response.content.decode()
    assert not User.objects.filter(email="weak@example.org").exists()


def test_existing_account_gets_memberships_after_logging_in(client_for, analyst, reporter_a,
                                                            est_a, est_b):
    send(client_for(analyst), reporter_a.email.upper(), est_b)
    path = link_path(mail.outbox[0])
    visitor = Client()
    response = visitor.get(path)
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login") + "?next=")
    response = visitor.post(response.url, {"username": reporter_a.email, "password": PASSWORD,
                                           "next": path})
    assert response.url == path
    response = visitor.get(path)
    assert response.status_code == 302
    assert set(reporter_a.establishments.all()) == {est_a, est_b}
    assert Invitation.objects.get().accepted_by == reporter_a
    assert User.objects.filter(email__iexact=reporter_a.email).count() == 1


def test_existing_account_link_opened_by_someone_else(client_for, analyst, reporter_a,
                                                      reporter_b, est_b):
    send(client_for(analyst), reporter_a.email, est_b)
    path = link_path(mail.outbox[0])
    response = client_for(reporter_b).get(path)
    assert response.status_code == 403
    assert reporter_a.email in response.content.decode()
    assert not reporter_a.establishments.filter(pk=est_b.pk).exists()
    assert Invitation.objects.get().accepted_at is None


def test_expired_invitation_is_refused(analyst, est_a):
    invitation, raw = Invitation.new(email="late@example.org", invited_by=analyst,
                                     now=timezone.now() - timezone.timedelta(days=8))
    invitation.establishments.set([est_a])
    response = Client().get(f"/accounts/invitation/{raw}/")
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    response = Client().post(f"/accounts/invitation/{raw}/", {
        "full_name": "L", "new_password1": "a-long-pass-phrase-9",
        "new_password2": "a-long-pass-phrase-9"})
    assert response.status_code == 410
    assert not User.objects.filter(email="late@example.org").exists()


@pytest.mark.parametrize("token", ["unknown", "x" * 300, "%00", "a%20b", "%C3%A9"])
def test_unknown_token_is_a_clear_404(db, token):
    response = Client().get(f"/accounts/invitation/{token}/")
    assert response.status_code == 404
    assert "not valid" in response.content.decode()


@pytest.mark.parametrize("who", ["reporter_a", "observer"])
def test_reporters_and_observers_cannot_invite(request, client_for, who, est_a):
    client = client_for(request.getfixturevalue(who))
    assert client.get(INVITE).status_code == 404
    assert send(client, "x@example.org", est_a).status_code == 404
    assert not Invitation.objects.exists() and not mail.outbox


def test_admin_can_invite(client_for, admin_user, est_a):
    assert send(client_for(admin_user), "y@example.org", est_a).status_code == 302


@pytest.mark.parametrize("data,field", [
    ({"email": "not-an-address", "establishments": []}, "email"),
    ({"email": "ok@example.org", "establishments": []}, "establishments"),
    ({"email": "ok@example.org", "establishments": ["999999"]}, "establishments"),
    ({"email": "ok@example.org", "establishments": ["abc"]}, "establishments"),
    ({"email": "analyst@example.org", "establishments": ["ESTA"]}, "email"),
])
def test_bad_invitation_input_is_refused_next_to_the_field(client_for, analyst, est_a, data,
                                                           field):
    data = {k: [est_a.pk if v == "ESTA" else v for v in val] if isinstance(val, list) else val
            for k, val in data.items()}
    response = client_for(analyst).post(INVITE, data)
    assert response.status_code == 400
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox


def test_mail_failure_keeps_nothing(client_for, analyst, est_a, monkeypatch):
    def broken(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(services, "send_mail", broken)
    response = send(client_for(analyst), "z@example.org", est_a)
    assert response.status_code == 400
    assert "could not be sent" in response.content.decode()
    assert not Invitation.objects.exists()
    assert not AuditEvent.objects.filter(action="accounts.invitation_sent").exists()


def test_accept_when_account_was_created_meanwhile(analyst, est_a):
    invitation, raw = Invitation.new(email="race@example.org", invited_by=analyst)
    invitation.establishments.set([est_a])
    make_user("RACE@example.org")
    with pytest.raises(services.InvitationUnusable):
        services.accept_invitation(raw=raw, full_name="R", password="a-long-pass-phrase-9")
