"""Draft templates in the admin site: an admin adds a new version (checked, audited); saved
versions are never changed or deleted, since drafts record the version they were built from."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from vigisante.drafts import services
from vigisante.drafts.models import DraftTemplate


class NewVersionForm(forms.ModelForm):
    class Meta:
        model = DraftTemplate
        fields = ["kind", "language", "legal_basis", "body", "note"]

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        services.check_template(body)  # a ValidationError names the line at fault
        return body


@admin.register(DraftTemplate)
class DraftTemplateAdmin(admin.ModelAdmin):
    list_display = ("kind", "language", "version", "legal_basis", "created_at", "created_by")
    list_filter = ("kind", "language")
    form = NewVersionForm
    readonly_fields = ("version", "created_at", "created_by")

    def get_changeform_initial_data(self, request):
        """"Add" starts from the latest version of the kind and language asked for
        (?kind=...&language=...), so an edit is a copy to change."""
        initial = super().get_changeform_initial_data(request)
        latest = DraftTemplate.objects.filter(kind=initial.get("kind"),
                                              language=initial.get("language")).first()
        if latest:
            initial.update(legal_basis=latest.legal_basis, body=latest.body)
        return initial

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        try:
            saved = services.save_template(
                actor=request.user, kind=obj.kind, language=obj.language, body=obj.body,
                legal_basis=obj.legal_basis, note=obj.note)
        except ValidationError as exc:  # checked by the form already; a race at worst
            raise ValidationError(exc.messages) from None
        obj.pk, obj.version, obj.created_at = saved.pk, saved.version, saved.created_at
        obj.created_by = saved.created_by
