"""Read-mostly admin of the triage records: changes go through the pages (audited)."""

from django.contrib import admin

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
class CaseAdmin(admin.ModelAdmin):
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
class ExchangeAdmin(admin.ModelAdmin):
    list_display = ("case", "author", "at")
    list_select_related = ("case__report", "author")

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request):
        return False
