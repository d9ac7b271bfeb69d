"""Django admin of TAXII: who may write to which inbox, and the subscriptions the worker
polls. Collections themselves are created by the app's migration (taxii/defaults.py), and
an establishment's own collection by the publication when an alert first needs it."""

from __future__ import annotations

from django.contrib import admin

from vigisante.core.admin import AuditedAdmin
from vigisante.taxii.models import Collection, Subscription


@admin.register(Collection)
class CollectionAdmin(AuditedAdmin):
    list_display = ("alias", "title", "audience", "category")
    list_filter = ("audience",)
    readonly_fields = ("id", "alias", "audience", "category", "establishment", "tlps")
    fields = ("id", "alias", "title", "description", "audience", "category", "establishment",
              "tlps", "writers")
    filter_horizontal = ("writers",)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Subscription)
class SubscriptionAdmin(AuditedAdmin):
    list_display = ("name", "collection_url", "enabled", "last_polled_at",
                    "objects_received")
    readonly_fields = ("added_after", "last_polled_at", "last_error", "objects_received")
    audit_exclude = ("password", "token")  # secrets stay out of the audit trail
