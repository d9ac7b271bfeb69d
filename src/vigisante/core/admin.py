"""Admin pieces shared by the apps: every change made in the Django admin is audited, and
every look at case data through it too."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction

from vigisante.core import audit

__all__ = ["AuditedAdmin", "AuditedReadMixin"]


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

    def _relations(self, obj) -> dict:
        """The many-to-many links of `obj` (a user's groups and permissions): sorted ids.
        Links through a model of ours (a user's establishments, through Membership) are
        edited as inline rows and audited one by one by save_formset, not twice here."""
        if obj is None or obj.pk is None:
            return {}
        return {f.name: sorted(getattr(obj, f.name).values_list("pk", flat=True))
                for f in obj._meta.many_to_many if f.name not in self.audit_exclude
                and f.remote_field.through._meta.auto_created}

    def save_related(self, request, form, formsets, change):
        """Many-to-many links are saved here, after save_model: a change of a user's groups
        or permissions (privileges) is audited like a field."""
        before = self._relations(form.instance) if change else {}
        super().save_related(request, form, formsets, change)
        after = self._relations(form.instance)
        old, new = audit.diff(before, after)
        if not change:
            new = {k: v for k, v in new.items() if v}
        if old or new:
            audit.record(actor=request.user, action="admin.change", obj=form.instance,
                         before=old or None, after=new)

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


class AuditedReadMixin:
    """Journal each look at a record (change form) or a list of records in the admin."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        if request.method == "GET" and object_id and response.status_code == 200:
            audit.journal(actor=request.user, action="admin.view",
                          object_type=self.model._meta.label_lower, object_id=str(object_id),
                          after={"ip": request.META.get("REMOTE_ADDR", "")})
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if request.method == "GET" and response.status_code == 200:
            audit.journal(actor=request.user, action="admin.list",
                          object_type=self.model._meta.label_lower,
                          after={"ip": request.META.get("REMOTE_ADDR", ""),
                                 "query": request.META.get("QUERY_STRING", "")[:500]})
        return response
