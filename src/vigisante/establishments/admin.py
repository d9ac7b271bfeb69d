"""Django admin of the registry: establishments, suppliers and who uses which supplier."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from vigisante.core import audit
from vigisante.establishments.forms import EstablishmentForm
from vigisante.establishments.models import Establishment, Supplier, SupplierUse


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

    def save_formset(self, request, form, formset, change):
        """Inline rows (the suppliers an establishment uses) are audited one by one."""
        # The forms' instances already hold the new values: read the old ones again.
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk]
        before = {pk: self._snapshot(obj)
                  for pk, obj in formset.model.objects.in_bulk(pks).items()}
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit.record(actor=request.user, action="admin.delete", obj=obj,
                         before=before.get(obj.pk) or self._snapshot(obj))
            obj.delete()
        for obj in instances:
            created = obj.pk is None
            obj.save()
            old, new = ({}, self._snapshot(obj)) if created else audit.diff(
                before.get(obj.pk, {}), self._snapshot(obj))
            if new:
                audit.record(actor=request.user,
                             action=f"admin.{'create' if created else 'change'}", obj=obj,
                             before=old or None, after=new)
        formset.save_m2m()

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            for obj in queryset:
                audit.record(actor=request.user, action="admin.delete", obj=obj,
                             before=self._snapshot(obj))
            super().delete_queryset(request, queryset)


class SupplierUseInline(admin.TabularInline):
    model = SupplierUse
    extra = 1
    autocomplete_fields = ("supplier",)
    fields = ("supplier", "product", "note")


class CustomerInline(admin.TabularInline):
    model = SupplierUse
    extra = 0
    autocomplete_fields = ("establishment",)
    fields = ("establishment", "product", "note")
    verbose_name = _("customer")
    verbose_name_plural = _("customers (establishments using this supplier)")


@admin.register(Establishment)
class EstablishmentAdmin(AuditedAdmin):
    form = EstablishmentForm
    inlines = [SupplierUseInline]
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
    inlines = [CustomerInline]


@admin.register(SupplierUse)
class SupplierUseAdmin(AuditedAdmin):
    list_display = ("establishment", "supplier", "product", "note")
    list_filter = ("supplier",)
    search_fields = ("establishment__name", "establishment__finess", "supplier__name",
                     "product")
    autocomplete_fields = ("establishment", "supplier")
    list_select_related = ("establishment", "supplier")
    list_per_page = 50
