"""Django admin of accounts: users (e-mail login) with memberships, API tokens, invitations."""

from __future__ import annotations

from axes.admin import AccessAttemptAdmin, AccessFailureLogAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigisante.accounts.models import ApiToken, Invitation, Membership, User
from vigisante.core import audit
from vigisante.core.admin import AuditedAdmin

USER_AUDIT_EXCLUDE = ("password", "last_login")


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email",)

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(_("A user with this e-mail address exists."))
        return email


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exclude(pk=self.instance.pk).exists():
            raise ValidationError(_("A user with this e-mail address exists."))
        return email


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["establishment"]
    readonly_fields = ["created_at"]


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    audit_exclude = USER_AUDIT_EXCLUDE
    form = UserChangeForm
    add_form = UserCreationForm
    inlines = [MembershipInline]
    list_display = ("email", "full_name", "role", "is_active", "is_staff", "last_login")
    list_filter = ("role", "is_active", "is_staff", "is_superuser")
    search_fields = ("email", "full_name")
    ordering = ("email",)
    readonly_fields = ("last_login", "date_joined")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Person"), {"fields": ("full_name", "phone", "role")}),
        (_("Permissions"), {"fields": ("is_active", "is_staff", "is_superuser", "groups",
                                       "user_permissions")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",),
                "fields": ("email", "full_name", "role", "usable_password", "password1",
                           "password2")}),
    )


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are issued on the tokens page or by `vigisante create-token` (the raw key is
    shown once there); here they can only be looked at and revoked (audited), never deleted
    (a deleted token would leave no trace of what it was)."""

    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    search_fields = ("name", "prefix", "user__email")
    readonly_fields = ("user", "name", "prefix", "key_hash", "created_at", "last_used_at",
                       "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        count = 0
        with transaction.atomic():
            for token in queryset.select_for_update().filter(revoked_at__isnull=True):
                token.revoke()
                audit.record(actor=request.user, action="accounts.token_revoked", obj=token,
                             after={"user": token.user.email, "name": token.name,
                                    "prefix": token.prefix})
                count += 1
        self.message_user(request, ngettext("%(n)d token revoked.", "%(n)d tokens revoked.",
                                            count) % {"n": count}, messages.SUCCESS)


@admin.register(Invitation)
class InvitationAdmin(AuditedAdmin):
    """Invitations are sent from the invitation page (the e-mail carries the only copy of
    the link); here they can be looked at, and pending ones withdrawn by expiring them."""

    list_display = ("email", "invited_by", "created_at", "expires_at", "accepted_at")
    list_filter = (("accepted_at", admin.EmptyFieldListFilter),)
    search_fields = ("email", "invited_by__email")
    readonly_fields = ("email", "establishments", "invited_by", "token_hash", "created_at",
                       "expires_at", "accepted_at", "accepted_by")
    actions = ["withdraw"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Withdraw the selected pending invitations"))
    def withdraw(self, request, queryset):
        now = timezone.now()
        count = 0
        with transaction.atomic():
            for invitation in queryset.select_for_update().filter(accepted_at__isnull=True,
                                                                  expires_at__gt=now):
                invitation.expires_at = now
                invitation.save(update_fields=["expires_at"])
                audit.record(actor=request.user, action="accounts.invitation_withdrawn",
                             obj=invitation, after={"email": invitation.email})
                count += 1
        self.message_user(request, ngettext("%(n)d invitation withdrawn.",
                                            "%(n)d invitations withdrawn.", count)
                          % {"n": count}, messages.SUCCESS)


# The second-factor devices: django-otp's admin, with every change and deletion audited and
# the secret key never shown (settings.OTP_ADMIN_HIDE_SENSITIVE_DATA: an admin could otherwise
# clone a colleague's second factor). A lost phone: delete the device; the user enrols again
# at next login.
admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuditedTOTPDeviceAdmin(AuditedAdmin, TOTPDeviceAdmin):
    audit_exclude = ("key",)


# Groups are not used (access comes from the user's role, vigisante.accounts.access): no
# page to grant permissions through them.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)

# django-axes' records of failed logins: deleting one lifts a lockout, so it is audited
# (password resets and `vigisante axes-reset-username` are the documented ways).
for _model, _base in ((AccessAttempt, AccessAttemptAdmin), (AccessFailureLog,
                                                           AccessFailureLogAdmin),
                      (AccessLog, AccessLogAdmin)):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
        admin.site.register(_model, type(f"Audited{_base.__name__}", (AuditedAdmin, _base), {}))
