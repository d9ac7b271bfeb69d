"""Django admin of the registry: establishments, suppliers and who uses which supplier."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from vigisante.core import events
from vigisante.core.admin import AuditedAdmin
from vigisante.establishments.forms import EstablishmentForm
from vigisante.establishments.models import Establishment, Supplier, SupplierUse


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

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.has_changed():
            events.emit("establishment.changed", establishment_id=obj.pk)


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
