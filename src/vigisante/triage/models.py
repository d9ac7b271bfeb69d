"""The CERT's side of a report: workflow state, qualification, support, messages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigisante.core.taxonomy import Kind, Origin
from vigisante.triage.domain import (  # noqa: F401 - re-exported: the models' vocabulary
    AttackVector,
    DetectionSource,
    DetectionStage,
    RansomwareExtent,
    Severity,
    State,
    SupportType,
)


class Case(models.Model):
    """One per sector report: where it stands in the CERT's workflow and how it is qualified."""

    report = models.OneToOneField("reports.Report", on_delete=models.CASCADE, related_name="case")
    state = models.CharField(_("state"), max_length=20, choices=State.choices,
                             default=State.RECEIVED)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="assigned_cases", verbose_name=_("assigned to"),
    )
    duplicate_of = models.ForeignKey(
        "reports.Report", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("duplicate of"),
    )
    # Current qualification (history in Qualification)
    origin = models.CharField(_("origin"), max_length=20, choices=Origin.choices, blank=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices, blank=True)
    rsit_class = models.CharField(_("RSIT class"), max_length=40, blank=True)
    rsit_type = models.CharField(_("RSIT type"), max_length=40, blank=True)
    severity = models.CharField(_("severity"), max_length=20, choices=Severity.choices,
                                blank=True)
    suggested_severity = models.CharField(max_length=20, choices=Severity.choices, blank=True)
    attack_vector = models.CharField(_("attack vector"), max_length=30,
                                     choices=AttackVector.choices, blank=True)
    detection_source = models.CharField(_("detection source"), max_length=20,
                                        choices=DetectionSource.choices, blank=True)
    detection_stage = models.CharField(_("detection stage"), max_length=20,
                                       choices=DetectionStage.choices, blank=True)
    ransomware_extent = models.CharField(_("ransomware extent"), max_length=20,
                                         choices=RansomwareExtent.choices, blank=True)
    qualified_at = models.DateTimeField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    # Who changed the case last, and when: named in the conflict message of the next editor.
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+",
    )

    class Meta:
        indexes = [
            models.Index(fields=["state"]),
            models.Index(fields=["kind"]),
            models.Index(fields=["severity"]),
            models.Index(fields=["assigned_to", "state"]),
        ]

    def __str__(self) -> str:
        return f"case of {self.report_id}"


class Qualification(models.Model):
    """Every qualification an analyst gave, kept as history."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="qualifications")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           related_name="+")
    at = models.DateTimeField()
    origin = models.CharField(max_length=20, choices=Origin.choices)
    kind = models.CharField(max_length=30, choices=Kind.choices)
    rsit_class = models.CharField(max_length=40)
    rsit_type = models.CharField(max_length=40)
    severity = models.CharField(max_length=20, choices=Severity.choices)
    suggested_severity = models.CharField(max_length=20, choices=Severity.choices)
    attack_vector = models.CharField(max_length=30, choices=AttackVector.choices, blank=True)
    detection_source = models.CharField(max_length=20, choices=DetectionSource.choices,
                                        blank=True)
    detection_stage = models.CharField(max_length=20, choices=DetectionStage.choices,
                                       blank=True)
    ransomware_extent = models.CharField(max_length=20, choices=RansomwareExtent.choices,
                                         blank=True)
    comment = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["at", "id"]


class Transition(models.Model):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=State.choices)
    to_state = models.CharField(max_length=20, choices=State.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           related_name="+")
    at = models.DateTimeField()
    comment = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["at", "id"]


class Support(models.Model):
    """Support the CERT gave: counted by the observatory (requests and interventions)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="supports")
    type = models.CharField(_("type"), max_length=20, choices=SupportType.choices)
    started_at = models.DateTimeField(_("start"))
    ended_at = models.DateTimeField(_("end"), null=True, blank=True)
    out_of_hours = models.BooleanField(_("out of hours"), default=False)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                           related_name="+")
    notes = models.TextField(blank=True, max_length=10000)

    class Meta:
        ordering = ["started_at", "id"]


class Note(models.Model):
    """Analyst note: never shown to the establishment."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+")
    at = models.DateTimeField()
    text = models.TextField(max_length=10000)

    class Meta:
        ordering = ["at", "id"]


class Message(models.Model):
    """Exchange between the CERT and the establishment, visible to both."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                               related_name="+")
    from_cert = models.BooleanField()
    at = models.DateTimeField()
    text = models.TextField(max_length=10000)

    class Meta:
        ordering = ["at", "id"]
