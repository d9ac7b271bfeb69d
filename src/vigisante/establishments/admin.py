"""Django admin of the registry: establishments and suppliers."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from vigisante.core import audit
from vigisante.establishments.forms import EstablishmentForm
from vigisante.establishments.models import Establishment, Supplier


class AuditedAdmin(admin.ModelAdmin):
    """Record every create, change and delete made in the admin in the audit trail."""

    audit_exclude: tuple[str, ...] = ()

    def _snapshot(self, obj) -> dict:
        data = audit.snapshot(obj)
        return {k: v for k, v in data.items() if k not in self.audit_exclude}

    def save_model(self, request, obj, form, change):
        before = {}
        if change and obj.pk:
            old = type(obj).objects.filter(pk=obj.pk).first()
            before = self._snapshot(old) if old else {}
        super().save_model(request, obj, form, change)
        after = self._snapshot(obj)
        if change:
            before, after = audit.diff(before, after)
            if not after:
                return
        action = f"admin.{'change' if change else 'create'}"
        audit.record(actor=request.user, action=action, obj=obj, before=before or None,
                     after=after)

    def delete_model(self, request, obj):
        before = self._snapshot(obj)
        audit.record(actor=request.user, action="admin.delete", obj=obj, before=before)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit.record(actor=request.user, action="admin.delete", obj=obj,
                             before=self._snapshot(obj))
            super().delete_queryset(request, queryset)


@admin.register(Establishment)
class EstablishmentAdmin(AuditedAdmin):
    form = EstablishmentForm
    list_display = ("finess", "name", "category", "sector", "region", "departement",
                    "nis2_status", "insured", "synthetic")
    list_filter = ("category", "sector", "region", "nis2_status", "legal_status", "insured",
                   "synthetic")
    search_fields = ("finess", "name")
    ordering = ("name",)
    list_per_page = 50


@admin.register(Supplier)
class SupplierAdmin(AuditedAdmin):
    list_display = ("name", "siren")
    search_fields = ("name", "siren")
