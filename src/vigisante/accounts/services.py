"""Use cases of accounts: API tokens, second factor, invitations. Each is audited."""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigisante.accounts.models import ApiToken, Invitation, Membership, Role, User
from vigisante.core import access, audit

# ---------------------------------------------------------------- API tokens


def issue_token(*, actor: User | None, owner: User, name: str,
                expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Issue an API token to `owner` (the actor is None for the admin command); it expires
    after `expires_in_days` days when given (0 or None: no expiry)."""
    name = " ".join((name or "").split())[:100] or "API"
    expires_at = (timezone.now() + dt.timedelta(days=expires_in_days)
                  if expires_in_days else None)
    with transaction.atomic():
        token, raw = ApiToken.issue(owner, name, expires_at=expires_at)
        audit.record(actor=actor, action="accounts.token_created", obj=token,
                     after={"user": owner.email, "name": token.name, "prefix": token.prefix,
                            "expires_at": expires_at})
    return token, raw


def revoke_token(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's own tokens; anyone else's token is a 404."""
    with transaction.atomic():
        token = access.get_or_404(ApiToken, actor, "revoke", token_id, for_update=True)
        if token.revoked_at is None:
            token.revoke()
            audit.record(actor=actor, action="accounts.token_revoked", obj=token,
                         after={"user": actor.email, "name": token.name,
                                "prefix": token.prefix})
    return token


# ---------------------------------------------------------------- second factor


def confirmed_device(user: User) -> TOTPDevice | None:
    """The user's authenticator app (the first confirmed TOTP device)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("id").first()


def pending_device(user: User) -> TOTPDevice:
    """The unconfirmed device being set up; the same secret is shown until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app",
                                           confirmed=False)
    return device


@dataclass
class OtpResult:
    device: TOTPDevice | None = None
    wait_seconds: int = 0


def verify_otp(*, user: User, device_id: int, token: str) -> OtpResult:
    """Check a code on one of the user's devices, with django-otp's exponential throttling.

    A correct code on an unconfirmed device confirms it (set-up done).
    """
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, pk=device_id).first()
        if device is None:
            return OtpResult()
        allowed, info = device.verify_is_allowed()
        if not allowed:
            locked_until = (info or {}).get("locked_until") or timezone.now()
            wait = math.ceil((locked_until - timezone.now()).total_seconds())
            audit.record(actor=user, action="auth.2fa_throttled", object_type="accounts.user",
                         object_id=str(user.pk))
            return OtpResult(wait_seconds=max(wait, 1))
        if not device.verify_token(token):
            audit.record(actor=user, action="auth.2fa_failed", object_type="accounts.user",
                         object_id=str(user.pk),
                         after={"failures": device.throttling_failure_count})
            return OtpResult()
        action = "auth.2fa_verified"
        if not device.confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            action = "auth.2fa_enrolled"
        audit.record(actor=user, action=action, object_type="accounts.user",
                     object_id=str(user.pk), after={"device": device.name})
    return OtpResult(device=device)


# ---------------------------------------------------------------- invitations


class InvitationUnusable(Exception):
    """The link is unknown (404), expired or already used (410); the message says which."""

    def __init__(self, message: str, status: int = 410):
        super().__init__(message)
        self.status = status


def invite(*, actor: User, email: str, establishments, language: str | None = None
           ) -> Invitation:
    """Invite a reporter to establishments and e-mail them the link (valid 7 days).

    The e-mail is sent inside the transaction: if it cannot be sent, nothing is kept. The
    audit event is written after it, so the audit chain is not locked while the mail server
    answers.
    """
    access.require(actor, "create", Invitation)
    establishments = list(establishments)
    if not establishments:
        raise ValidationError({"establishments": _("Choose at least one establishment.")})
    with transaction.atomic():
        invitation, raw = Invitation.new(email=email, invited_by=actor)
        invitation.establishments.set(establishments)
        _send_invitation(invitation, raw, establishments)
        # Last, after the (slow) mail server: the audit chain's head stays locked from here
        # to the commit, and every audited write of the site waits for it.
        audit.record(actor=actor, action="accounts.invitation_sent", obj=invitation,
                     after={"email": invitation.email,
                            "establishments": sorted(e.finess for e in establishments),
                            "expires_at": invitation.expires_at})
    return invitation


def invitation_url(raw: str) -> str:
    return settings.SITE_URL + reverse("accounts:accept_invitation", args=[raw])


def _send_invitation(invitation: Invitation, raw: str, establishments) -> None:
    context = {"invitation": invitation, "url": invitation_url(raw),
               "establishments": establishments, "inviter": invitation.invited_by,
               "expires_at": invitation.expires_at}
    # The invitee's language is unknown: the message is in every language of the site,
    # the default one (French) first.
    languages = [settings.LANGUAGE_CODE] + [code for code, _name in settings.LANGUAGES
                                            if code != settings.LANGUAGE_CODE]
    bodies = []
    for language in languages:
        # Each language in its one date format, in Paris time (the site's zone).
        with translation.override(language), timezone.override("Europe/Paris"):
            bodies.append(render_to_string("accounts/email/invitation_body.txt", context))
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("accounts/email/invitation_subject.txt", context).strip()
    send_mail(subject, "\n\n".join(b.strip() + "\n" for b in bodies),
              settings.DEFAULT_FROM_EMAIL, [invitation.email])


def check_invitation(raw: str, *, now: dt.datetime | None = None) -> Invitation:
    """The usable invitation of a link, or InvitationUnusable with the reason."""
    invitation = Invitation.objects.find(raw)
    if invitation is None:
        raise InvitationUnusable(_("This invitation link is not valid. Check that you "
                                   "copied the whole link from the e-mail."), status=404)
    if invitation.accepted_at is not None:
        raise InvitationUnusable(_("This invitation has already been used. Log in with "
                                   "your e-mail address and password."))
    if invitation.is_expired(now):
        raise InvitationUnusable(_("This invitation has expired. Ask the CERT to send "
                                   "you a new one."))
    return invitation


def _lock_invitation(raw: str) -> Invitation:
    invitation = check_invitation(raw)
    return Invitation.objects.select_for_update().get(pk=invitation.pk)


def accept_invitation(*, raw: str, full_name: str, password: str) -> User:
    """Create the reporter account of an invitation, with its memberships."""
    with transaction.atomic():
        invitation = _lock_invitation(raw)
        if invitation.accepted_at is not None:
            raise InvitationUnusable(_("This invitation has already been used."))
        if User.objects.filter(email__iexact=invitation.email).exists():
            raise InvitationUnusable(_("An account with this e-mail address already "
                                       "exists: log in, then open the link again."))
        user = User.objects.create_user(email=invitation.email, password=password,
                                        full_name=full_name, role=Role.REPORTER)
        audit.record(actor=user, action="accounts.user_created", obj=user,
                     after=audit.snapshot(user, ["email", "full_name", "role"]))
        _join(invitation, user)
    return user


def join_invitation(*, raw: str, user: User) -> list:
    """Add the memberships of an invitation to the existing account it was sent to."""
    with transaction.atomic():
        invitation = _lock_invitation(raw)
        if invitation.accepted_at is not None:
            raise InvitationUnusable(_("This invitation has already been used."))
        if invitation.email.lower() != user.email.lower():
            raise PermissionDenied
        return _join(invitation, user)


def _join(invitation: Invitation, user: User) -> list:
    establishments = list(invitation.establishments.all())
    for establishment in establishments:
        _membership, created = Membership.objects.get_or_create(
            user=user, establishment=establishment)
        if created:
            audit.record(actor=user, action="accounts.membership_added", obj=user,
                         after={"establishment": establishment.finess,
                                "invitation": invitation.pk})
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    audit.record(actor=user, action="accounts.invitation_accepted", obj=invitation,
                 after={"email": invitation.email,
                        "establishments": sorted(e.finess for e in establishments)})
    return establishments



# ---------------------------------------------------------------- password events


def _client(meta: dict) -> dict:
    return {"ip": meta.get("REMOTE_ADDR", ""),
            "user_agent": str(meta.get("HTTP_USER_AGENT", ""))[:200]}


def record_password_reset_requested(*, email: str, meta: dict) -> None:
    """A reset link was asked for `email` (the same answer is given whether or not an
    account exists; the trail says which)."""
    email = str(email or "")[:254]
    user = User.objects.filter(email__iexact=email).only("pk").first() if email else None
    audit.record(actor=None, action="auth.password_reset_requested",
                 object_type="accounts.user", object_id=str(user.pk) if user else "",
                 after={"email": email, "known": user is not None, **_client(meta)})


def record_password_set(*, actor: User, how: str, meta: dict) -> None:
    """The password of `actor` was changed by themself (`how`: "change" or "reset")."""
    action = "auth.password_reset" if how == "reset" else "auth.password_changed"
    audit.record(actor=actor, action=action, object_type="accounts.user",
                 object_id=str(actor.pk), after=_client(meta))
