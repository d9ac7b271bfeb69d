"""Django admin of users, tokens and invitations."""

from __future__ import annotations

import pytest
from conftest import make_user
from django.urls import reverse

from vigisante.accounts.models import ApiToken, Invitation, Membership, Role, User
from vigisante.core import audit
from vigisante.core.models import AuditEvent

pytestmark = pytest.mark.django_db
EMPTY_INLINE = {"memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
                "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000"}


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings, whatever the French catalogue says."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def superuser(db):
    user = make_user("root@example.org", Role.ADMIN)
    User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
    user.refresh_from_db()
    return user


@pytest.fixture
def admin_client(client_for, superuser):
    return client_for(superuser)


def test_user_changelist_lists_role_and_active(admin_client, reporter_a):
    response = admin_client.get(reverse("admin:accounts_user_changelist") + "?role=reporter")
    assert response.status_code == 200
    html = response.content.decode()
    assert reporter_a.email in html
    assert "column-role" in html and "column-is_active" in html
    search = admin_client.get(reverse("admin:accounts_user_changelist") + "?q=REPORTER.A")
    assert reporter_a.email in search.content.decode()


def test_user_add_form_creates_email_user(admin_client):
    url = reverse("admin:accounts_user_add")
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {
        "email": "Created@Example.org", "full_name": "Created", "role": "analyst",
        "usable_password": "true", "password1": "a-long-pass-phrase-9",
        "password2": "a-long-pass-phrase-9", **EMPTY_INLINE})
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(email="created@example.org")
    assert user.role == Role.ANALYST and user.check_password("a-long-pass-phrase-9")
    event = AuditEvent.objects.get(action="admin.create", object_id=str(user.pk))
    assert "password" not in event.after
    assert audit.verify().ok


def test_user_add_refuses_duplicate_email_in_other_case(admin_client, reporter_a):
    response = admin_client.post(reverse("admin:accounts_user_add"), {
        "email": reporter_a.email.upper(), "role": "reporter", "usable_password": "true",
        "password1": "a-long-pass-phrase-9", "password2": "a-long-pass-phrase-9",
        **EMPTY_INLINE})
    assert response.status_code == 200
    assert "A user with this e-mail address exists." in response.content.decode()
    assert User.objects.filter(email__iexact=reporter_a.email).count() == 1


def test_user_change_form_with_membership_inline(admin_client, reporter_a, est_a, est_b):
    url = reverse("admin:accounts_user_change", args=[reporter_a.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    assert "memberships-TOTAL_FORMS" in page.content.decode()
    membership = Membership.objects.get(user=reporter_a)
    response = admin_client.post(url, {
        "email": reporter_a.email, "full_name": "Renamed", "phone": "", "role": "reporter",
        "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "10:00:00",
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "1",
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
        "memberships-0-id": membership.pk, "memberships-0-user": reporter_a.pk,
        "memberships-0-establishment": est_a.pk,
        "memberships-1-id": "", "memberships-1-user": reporter_a.pk,
        "memberships-1-establishment": est_b.pk,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    reporter_a.refresh_from_db()
    assert reporter_a.full_name == "Renamed"
    assert set(reporter_a.establishments.all()) == {est_a, est_b}
    event = AuditEvent.objects.get(action="admin.change", object_id=str(reporter_a.pk))
    assert event.after == {"full_name": "Renamed"}


def test_token_admin_is_read_only_with_revoke_action(admin_client, reporter_a):
    token, _raw = ApiToken.issue(reporter_a, "to revoke")
    assert admin_client.get(reverse("admin:accounts_apitoken_changelist")).status_code == 200
    change = admin_client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert change.status_code == 200
    assert token.key_hash in change.content.decode()
    assert 'name="key_hash"' not in change.content.decode()
    assert admin_client.get(reverse("admin:accounts_apitoken_add")).status_code == 403
    response = admin_client.post(reverse("admin:accounts_apitoken_changelist"), {
        "action": "revoke", "_selected_action": [token.pk]})
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert AuditEvent.objects.filter(action="accounts.token_revoked").exists()


def test_invitation_admin_lists_and_withdraws(admin_client, analyst, est_a):
    invitation, raw = Invitation.new(email="inv@example.org", invited_by=analyst)
    invitation.establishments.set([est_a])
    assert admin_client.get(reverse("admin:accounts_invitation_changelist")).status_code == 200
    assert admin_client.get(
        reverse("admin:accounts_invitation_change", args=[invitation.pk])).status_code == 200
    admin_client.post(reverse("admin:accounts_invitation_changelist"), {
        "action": "withdraw", "_selected_action": [invitation.pk]})
    invitation.refresh_from_db()
    assert not invitation.usable
    assert admin_client.get(f"/accounts/invitation/{raw}/").status_code == 410


def test_non_staff_cannot_use_admin(client_for, reporter_a):
    response = client_for(reporter_a).get(reverse("admin:accounts_user_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url
