"""The staged incident report: early warning, notification, final report."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from vigisante.core.access import RestrictedQuerySet


class Stage(models.TextChoices):
    EARLY_WARNING = "early_warning", _("Early warning")
    NOTIFICATION = "notification", _("Notification")
    FINAL = "final", _("Final report")


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    API = "api", _("API")
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("E-mail")
    IMPORT = "import", _("Import")


class Source(models.TextChoices):
    """Where a record comes from; only SECTOR counts in the sector's own figures."""

    SECTOR = "sector", _("Sector reporting")
    VERIS = "veris", _("VERIS Community Database")
    HHS = "hhs", _("US HHS OCR breach portal")


class TriState(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Don't know")


class System(models.TextChoices):
    DPI = "dpi", _("Patient record (DPI)")
    PRESCRIPTION = "prescription", _("Prescription and pharmacy")
    LABORATORY = "laboratory", _("Laboratory (SIL)")
    IMAGING = "imaging", _("Imaging (PACS)")
    EMAIL = "email", _("E-mail")
    DIRECTORY = "directory", _("Directory")
    VPN = "vpn", _("VPN and remote access")
    TELEPHONY = "telephony", _("Telephony / emergency call centre")
    NETWORK = "network", _("Network and telecom")
    WEBSITE = "website", _("Website")
    ADMINISTRATION = "administration", _("Administration and payroll")
    BIOMEDICAL = "biomedical", _("Biomedical devices")


class OperationsImpact(models.TextChoices):
    NONE = "none", _("None")
    PARTIAL = "partial", _("Partial")
    DEGRADED = "degraded", _("Degraded mode")
    STOPPED = "stopped", _("Stopped")


class PatientDanger(models.TextChoices):
    NONE = "none", _("None")
    POTENTIAL = "potential", _("Potential")
    ACTUAL = "actual", _("Actual")


class ReportQuerySet(RestrictedQuerySet):
    """`Report.objects.restrict(user, action)`: the rules are in reports/access.py."""

    def visible_to(self, user) -> ReportQuerySet:
        """Deprecated: use `restrict(user, "view")` (what this returns)."""
        return self.restrict(user, "view")

    def sector(self) -> ReportQuerySet:
        return self.filter(source=Source.SECTOR)


class Report(models.Model):
    reference = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.PROTECT, related_name="reports",
        null=True, blank=True, verbose_name=_("establishment"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="reports_created",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SECTOR)
    source_id = models.CharField(max_length=200, blank=True)
    original = models.JSONField(null=True, blank=True, editable=False)
    stage = models.CharField(
        _("stage"), max_length=20, choices=Stage.choices, default=Stage.EARLY_WARNING
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(_("received at"), db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Early warning
    description = models.TextField(_("what is happening"), max_length=5000)
    discovered_at = models.DateTimeField(_("found at"))
    ongoing = models.BooleanField(_("still ongoing"), default=True)
    suspected_malicious = models.CharField(
        _("suspected malicious"), max_length=10, choices=TriState.choices,
        default=TriState.UNKNOWN,
    )
    patient_care_affected = models.CharField(
        _("patient care affected"), max_length=10, choices=TriState.choices,
        default=TriState.UNKNOWN,
    )
    support_requested = models.BooleanField(_("support requested"), default=False)
    callback_phone = models.CharField(_("call-back phone"), max_length=30, blank=True)

    # Notification
    notification_at = models.DateTimeField(_("notification completed at"), null=True, blank=True)
    systems_hit = models.JSONField(_("systems hit"), default=list, blank=True)
    perimeter = models.TextField(_("perimeter"), max_length=5000, blank=True)
    operations_impact = models.CharField(
        _("impact on operations"), max_length=10, choices=OperationsImpact.choices, blank=True
    )
    degraded_since = models.DateTimeField(_("degraded mode since"), null=True, blank=True)
    degraded_until = models.DateTimeField(_("degraded mode until"), null=True, blank=True)
    patient_danger = models.CharField(
        _("danger to patients"), max_length=10, choices=PatientDanger.choices, blank=True
    )
    patient_danger_narrative = models.TextField(
        _("what happened to patients"), max_length=5000, blank=True
    )
    data_availability = models.BooleanField(_("data availability affected"), default=False)
    data_integrity = models.BooleanField(_("data integrity affected"), default=False)
    data_confidentiality = models.BooleanField(_("data confidentiality affected"), default=False)
    personal_data = models.BooleanField(_("personal data involved"), default=False)
    health_data = models.BooleanField(_("health data involved"), default=False)
    people_affected = models.PositiveIntegerField(_("people affected"), null=True, blank=True)
    records_affected = models.PositiveBigIntegerField(_("records affected"), null=True, blank=True)
    ransom_demanded = models.BooleanField(_("ransom demanded"), default=False)
    supplier_involved = models.BooleanField(_("supplier involved"), default=False)
    supplier_name = models.CharField(_("supplier"), max_length=200, blank=True)
    supplier = models.ForeignKey(
        "establishments.Supplier", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="reports",
    )
    measures_taken = models.TextField(_("measures taken"), max_length=10000, blank=True)
    causes = models.TextField(_("causes, if known"), max_length=10000, blank=True)
    complaint_filed_on = models.DateField(_("complaint filed on"), null=True, blank=True)
    dpa_notified_on = models.DateField(
        _("data protection authority notified on"), null=True, blank=True
    )

    # Final report
    final_at = models.DateTimeField(_("final report submitted at"), null=True, blank=True)
    root_cause = models.TextField(_("root cause"), max_length=10000, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    final_impact = models.TextField(_("final impact"), max_length=10000, blank=True)
    lessons_learned = models.TextField(_("lessons learned"), max_length=10000, blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        indexes = [
            models.Index(fields=["source", "created_at"]),
            models.Index(fields=["establishment", "created_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(source="sector") | Q(establishment__isnull=False),
                name="sector_report_has_establishment",
            ),
            models.UniqueConstraint(
                fields=["source", "source_id"], condition=~Q(source_id=""),
                name="unique_imported_record",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def missing_stages(self) -> list[str]:
        """What the establishment still has to complete."""
        missing = []
        if self.notification_at is None:
            missing.append(Stage.NOTIFICATION)
        if self.final_at is None:
            missing.append(Stage.FINAL)
        return missing


class ReferenceCounter(models.Model):
    """One row per year; incremented under a row lock to give gap-free unique references."""

    year = models.PositiveIntegerField(primary_key=True)
    value = models.PositiveIntegerField(default=0)


class ReportUpdate(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="updates")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("date"))
    text = models.TextField(_("update"), max_length=10000)

    class Meta:
        ordering = ["created_at", "id"]


def attachment_path(instance: Attachment, filename: str) -> str:
    # The stored name never comes from the user: no traversal, no overwrite.
    return f"{instance.report_id}/{instance.sha256[:16]}-{instance.token}"


class Attachment(models.Model):
    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="attachments")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    file = models.FileField(upload_to=attachment_path, max_length=300)
    token = models.CharField(max_length=32, editable=False)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class IdempotencyKey(models.Model):
    """The first answer to a POST carrying an Idempotency-Key, replayed on retries."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="unique_idempotency_key")
        ]
