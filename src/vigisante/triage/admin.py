"""Read-only admin of the triage records: changes go through the pages (audited), nothing
is deleted here, and every look at a case, message or note is journaled."""

from django.contrib import admin

from vigisante.core.admin import AuditedReadMixin
from vigisante.triage.models import Case, Message, Note, Qualification, Support, Transition


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class QualificationInline(_ReadOnlyInline):
    model = Qualification


class TransitionInline(_ReadOnlyInline):
    model = Transition


class SupportInline(_ReadOnlyInline):
    model = Support


@admin.register(Case)
class CaseAdmin(AuditedReadMixin, admin.ModelAdmin):
    list_display = ("report", "state", "severity", "kind", "assigned_to", "version")
    list_filter = ("state", "severity", "kind")
    search_fields = ("report__reference",)
    list_select_related = ("report", "assigned_to")
    inlines = [QualificationInline, TransitionInline, SupportInline]

    def has_change_permission(self, request, obj=None):
        # Every change must be audited and version-checked: use the case page.
        return False

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Message, Note)
class ExchangeAdmin(AuditedReadMixin, admin.ModelAdmin):
    """Messages and notes are part of the case record: never deleted (not even by an
    admin), never changed here."""

    list_display = ("case", "author", "at")
    list_select_related = ("case__report", "author")

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
