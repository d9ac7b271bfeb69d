"""Django admin: administrators give an authority user its scope (one ARS, the HFDS, the
DGS or the defence chain); transmissions are shown read-only."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vigisante.accounts.models import Role, User
from vigisante.authorities.domain import REGIONAL
from vigisante.authorities.models import AuthorityAccount, Transmission
from vigisante.core.admin import AuditedAdmin


class AuthorityAccountForm(forms.ModelForm):
    class Meta:
        model = AuthorityAccount
        fields = ("user", "authority", "region")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = User.objects.filter(role=Role.AUTHORITY).order_by("email")

    def clean(self):
        data = super().clean()
        authority, region = data.get("authority"), data.get("region") or ""
        if authority in REGIONAL and not region:
            self.add_error("region", _("A regional health agency covers one region: "
                                       "choose it."))
        if authority and authority not in REGIONAL and region:
            self.add_error("region", _("A national authority or the defence chain covers no "
                                       "single region: leave it empty."))
        return data


@admin.register(AuthorityAccount)
class AuthorityAccountAdmin(AuditedAdmin):
    form = AuthorityAccountForm
    list_display = ("user", "authority", "region", "created_at")
    list_filter = ("authority", "region")
    search_fields = ("user__email", "user__full_name")


@admin.register(Transmission)
class TransmissionAdmin(admin.ModelAdmin):
    """Read-only: transmissions are decided by the rules and held or released on the case
    page, never edited."""

    list_display = ("report", "authority", "region", "trigger", "rule", "state", "sent_at",
                    "read_at")
    list_filter = ("state", "authority", "trigger")
    search_fields = ("report__reference",)
    readonly_fields = [f.name for f in Transmission._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
