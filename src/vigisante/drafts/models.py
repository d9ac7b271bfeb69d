"""Draft templates (versioned data), the facts reporters add for drafts, what was drafted, and
what was recorded as sent."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigisante.drafts.domain import KINDS, LANGUAGES

KIND_CHOICES = [(k.kind, k.title) for k in KINDS.values()]
LANGUAGE_CHOICES = [(code, code) for code in LANGUAGES]


class DraftTemplate(models.Model):
    """One version of one draft's wording in one language. Never changed once saved: an edit
    is a new version, and every draft records the version it was built from."""

    kind = models.CharField(_("draft"), max_length=30, choices=KIND_CHOICES)
    language = models.CharField(_("language"), max_length=5, choices=LANGUAGE_CHOICES)
    version = models.PositiveIntegerField(_("version"))
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    body = models.TextField(_("text"), max_length=20000)
    note = models.CharField(_("what changed"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("saved at"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("draft template")
        verbose_name_plural = _("draft templates")
        ordering = ["kind", "language", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "language", "version"],
                                               name="draft_template_version_unique")]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language}) v{self.version}"


class DraftFact(models.Model):
    """A fact a draft needs that the report form does not ask (likely consequences, ...)."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE,
                               related_name="draft_facts")
    name = models.CharField(max_length=40)
    value = models.TextField(max_length=5000)
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["report", "name"],
                                               name="draft_fact_unique")]


class Draft(models.Model):
    """A draft as built for a user: from which template version, report version and facts."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="drafts")
    kind = models.CharField(max_length=30, choices=KIND_CHOICES)
    language = models.CharField(max_length=5, choices=LANGUAGE_CHOICES)
    template = models.ForeignKey(DraftTemplate, on_delete=models.PROTECT, related_name="+")
    report_version = models.PositiveIntegerField()
    facts_hash = models.CharField(max_length=64)
    gaps = models.JSONField(default=list)
    first_built_at = models.DateTimeField()
    built_at = models.DateTimeField()
    built_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, related_name="+")

    class Meta:
        ordering = ["-built_at"]
        constraints = [models.UniqueConstraint(
            fields=["report", "kind", "language", "template", "facts_hash"],
            name="draft_unique_build")]


class Submission(models.Model):
    """The reporter's record that a draft was sent through the official channel."""

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE,
                               related_name="draft_submissions")
    kind = models.CharField(_("draft"), max_length=30, choices=KIND_CHOICES)
    sent_at = models.DateTimeField(_("sent at"))
    reference = models.CharField(_("reference given by the recipient"), max_length=200,
                                 blank=True)
    draft = models.ForeignKey(Draft, on_delete=models.SET_NULL, null=True, blank=True,
                              related_name="+")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, related_name="+")

    class Meta:
        ordering = ["sent_at", "id"]
        indexes = [models.Index(fields=["report", "kind"])]
