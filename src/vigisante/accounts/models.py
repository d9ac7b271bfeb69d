"""Users, their role, their establishments, and their API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    REPORTER = "reporter", _("Reporter")
    ANALYST = "analyst", _("Analyst")
    ADMIN = "admin", _("Administrator")
    OBSERVER = "observer", _("Observer")
    # An authority (regional health agency, ministry, defence chain): sees the summaries of
    # the reports of its scope (issue 11). Second factor required.
    AUTHORITY = "authority", _("Authority")
    # A machine account of a partner or an establishment's security tool: TAXII and feeds
    # only, by HTTP Basic or token, never the pages (issue 8).
    MACHINE = "machine", _("Machine account")


STAFF_ROLES = {Role.ANALYST, Role.ADMIN}
#: Roles that pass a second factor (TOTP) before using the site: the CERT and the
#: authorities, who see case data.
SECOND_FACTOR_ROLES = STAFF_ROLES | {Role.AUTHORITY}


class EmailUserManager(UserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True, role=Role.ADMIN)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.REPORTER)
    establishments = models.ManyToManyField(
        "establishments.Establishment", through="Membership", related_name="members", blank=True
    )

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects = EmailUserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_reporter(self) -> bool:
        return self.role == Role.REPORTER

    @property
    def is_cert_staff(self) -> bool:
        """Analysts and admins: they see every report."""
        return self.role in STAFF_ROLES

    @property
    def requires_second_factor(self) -> bool:
        """Analysts, admins and authorities pass a second factor (VIGISANTE_REQUIRE_2FA)."""
        return self.role in SECOND_FACTOR_ROLES

    @property
    def is_observer(self) -> bool:
        return self.role == Role.OBSERVER

    @property
    def is_authority(self) -> bool:
        return self.role == Role.AUTHORITY

    @property
    def is_machine(self) -> bool:
        return self.role == Role.MACHINE

    def set_password(self, raw_password):
        super().set_password(raw_password)
        self._password_replaced = True

    def set_unusable_password(self):
        super().set_unusable_password()
        self._password_replaced = True

    def save(self, *args, **kwargs):
        # A new password (reset, change, admin, command) ends every API token of the account:
        # whoever recovers a compromised account must not have to think of them.
        password_changed = self.pk is not None and getattr(self, "_password_replaced", False)
        super().save(*args, **kwargs)
        self._password_replaced = False
        if password_changed:
            revoked = ApiToken.objects.filter(user=self, revoked_at__isnull=True).update(
                revoked_at=timezone.now())
            if revoked:
                from vigisante.core import audit

                audit.record(actor=None, action="accounts.tokens_revoked", obj=self,
                             after={"user": self.email, "count": revoked,
                                    "reason": "password_changed"})


class Membership(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.CASCADE, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "establishment"], name="unique_membership")
        ]


def hash_token(raw: str) -> str:
    """Tokens are stored hashed: a database leak must not give API access."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, editable=False)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @classmethod
    def issue(cls, user: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
        """Create a token; the raw key is returned once and never stored."""
        raw = "vs_" + secrets.token_urlsafe(32)
        token = cls.objects.create(user=user, name=name, prefix=raw[:8], key_hash=hash_token(raw),
                                   expires_at=expires_at)
        return token, raw

    @property
    def expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


INVITATION_VALIDITY = timedelta(days=7)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def find(self, raw: str) -> Invitation | None:
        """The invitation whose link carries `raw`, whatever its state, or None."""
        if not raw or len(raw) > 200:
            return None
        return self.filter(token_hash=hash_token(raw)).first()


class Invitation(models.Model):
    """An invitation of a reporter to one or more establishments, sent by e-mail.

    Only the hash of the link's token is stored: the link itself is in the e-mail.
    """

    email = models.EmailField(_("e-mail address"))
    establishments = models.ManyToManyField(
        "establishments.Establishment", related_name="invitations",
        verbose_name=_("establishments"),
    )
    invited_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("invited by"),
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("accepted by"),
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return self.email

    @classmethod
    def new(cls, *, email: str, invited_by: User | None, now=None) -> tuple[Invitation, str]:
        """Create an invitation valid for 7 days; the raw token is returned once."""
        raw = secrets.token_urlsafe(32)
        now = now or timezone.now()
        invitation = cls.objects.create(
            email=email.strip().lower(), invited_by=invited_by, token_hash=hash_token(raw),
            expires_at=now + INVITATION_VALIDITY,
        )
        return invitation, raw

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    @property
    def usable(self) -> bool:
        return self.accepted_at is None and not self.is_expired()
