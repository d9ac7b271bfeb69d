"""Django admin of the registry: establishments and suppliers."""

from __future__ import annotations

from django.contrib import admin

from vigisante.core.admin import AuditedAdmin
from vigisante.establishments.forms import EstablishmentForm
from vigisante.establishments.models import Establishment, Supplier


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
