"""Alerts the CERT sends to establishments, who received them and who read them.

An alert is composed only of what the analyst wrote (title, situation, actions), its TLP and
indicator values: it has no field that could carry a reporting establishment's identity.
The campaign it was written from is kept for the CERT and never shown to recipients.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigisante.indicators.models import IndicatorType, Tlp
from vigisante.sharing.domain import Targets


class AlertQuerySet(models.QuerySet):
    def sent(self) -> AlertQuerySet:
        return self.filter(sent_at__isnull=False)


class Alert(models.Model):
    title = models.CharField(_("title"), max_length=200)
    situation = models.TextField(_("what is happening"), max_length=10000)
    actions = models.TextField(_("what to do"), max_length=10000)
    tlp = models.CharField(_("TLP"), max_length=12, choices=Tlp.choices, default=Tlp.AMBER)
    campaign = models.ForeignKey(
        "indicators.Campaign", on_delete=models.SET_NULL, null=True, blank=True,
        related_name="alerts", verbose_name=_("campaign"))
    malware = models.CharField(
        _("malware family"), max_length=100, blank=True,
        help_text=_("Optional: the malware family, e.g. a ransomware family (shared in STIX "
                    "and MISP)."))
    indicators = models.ManyToManyField("indicators.Indicator", related_name="alerts",
                                        blank=True, verbose_name=_("indicators"))
    # Targets (see domain.Targets): everyone, or criteria combined with AND.
    target_all = models.BooleanField(_("every establishment"), default=False)
    target_categories = models.JSONField(_("categories"), default=list, blank=True)
    target_sectors = models.JSONField(_("sectors"), default=list, blank=True)
    target_regions = models.JSONField(_("regions"), default=list, blank=True)
    target_nis2 = models.JSONField(_("NIS2 statuses"), default=list, blank=True)
    target_suppliers = models.ManyToManyField(
        "establishments.Supplier", related_name="+", blank=True,
        verbose_name=_("customers of the suppliers"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, related_name="+", verbose_name=_("written by"))
    created_at = models.DateTimeField(_("written at"))
    updated_at = models.DateTimeField(_("changed at"))
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                null=True, blank=True, related_name="+",
                                verbose_name=_("sent by"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_at", "-created_at", "-id"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")

    def __str__(self) -> str:
        return self.title

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None

    def targets(self, supplier_ids=None) -> Targets:
        """The targets as the pure rule takes them (`supplier_ids` saves a query)."""
        if supplier_ids is None:
            supplier_ids = self.target_suppliers.values_list("pk", flat=True) if self.pk else []
        return Targets(everyone=self.target_all, category=frozenset(self.target_categories),
                       sector=frozenset(self.target_sectors),
                       region=frozenset(self.target_regions),
                       nis2_status=frozenset(self.target_nis2),
                       suppliers=frozenset(supplier_ids))


class AlertRecipient(models.Model):
    """An establishment an alert was delivered to (in the site at `delivered_at`; e-mailed to
    its reporters at `emailed_at`)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="recipients")
    establishment = models.ForeignKey("establishments.Establishment", on_delete=models.CASCADE,
                                      related_name="alerts_received",
                                      verbose_name=_("establishment"))
    delivered_at = models.DateTimeField(_("delivered at"))
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["establishment__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "establishment"],
                                    name="alert_recipient_unique"),
        ]
        indexes = [models.Index(fields=["establishment", "alert"],
                                name="alert_recipient_establishment")]


class AlertRead(models.Model):
    """The first time a user opened an alert (the read receipt the CERT sees)."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="alert_reads")
    read_at = models.DateTimeField(_("read at"))

    class Meta:
        ordering = ["read_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], name="alert_read_unique"),
        ]
        indexes = [models.Index(fields=["user", "alert"], name="alert_read_user")]


class Withdrawal(models.Model):
    """A STIX object (an indicator, a vulnerability) the CERT published and then withdrew: it
    was rejected or found noisy after it was shared. Written by the TAXII publication when it
    publishes the revoked version; the MISP events mark the attribute deleted from then on."""

    stix_id = models.CharField(max_length=120, unique=True)
    withdrawn_at = models.DateTimeField()

    class Meta:
        ordering = ["withdrawn_at", "id"]


# -- Incoming intelligence (STIX bundles, MISP events) ------------------------------------------

class IntelFormat(models.TextChoices):
    STIX = "stix", "STIX 2.x"
    MISP = "misp", "MISP"


class IntelStatus(models.TextChoices):
    PENDING = "pending", _("To review")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class IncomingIntel(models.Model):
    """One piece of intelligence received (a STIX bundle, a MISP event), kept whole for the
    analysts to review: every object, unknown types included, as received."""

    # Not a column: set by `intel.ingest_intel` on what it returns (True when the same
    # payload was already stored).
    duplicate: bool

    source = models.CharField(_("source"), max_length=200)
    format = models.CharField(_("format"), max_length=4, choices=IntelFormat.choices)
    title = models.CharField(_("title"), max_length=300, blank=True)
    external_id = models.CharField(_("identifier at the source"), max_length=200, blank=True)
    sha256 = models.CharField(max_length=64)
    tlp = models.CharField(_("TLP"), max_length=12, choices=Tlp.choices, default=Tlp.AMBER)
    content = models.JSONField(_("objects"), default=list)  # every object, as received
    object_count = models.PositiveIntegerField(_("objects"), default=0)
    counts = models.JSONField(default=dict)  # object or attribute type -> number
    warnings = models.JSONField(default=list)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    received_at = models.DateTimeField(_("received at"), db_index=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("received from"))
    status = models.CharField(_("status"), max_length=10, choices=IntelStatus.choices,
                              default=IntelStatus.PENDING)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                    null=True, blank=True, related_name="+",
                                    verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("incoming intelligence")
        verbose_name_plural = _("incoming intelligence")
        constraints = [
            models.UniqueConstraint(fields=["source", "sha256"], name="intel_unique_payload"),
        ]
        indexes = [models.Index(fields=["status", "received_at"], name="intel_status")]

    def __str__(self) -> str:
        return self.title or f"#{self.pk}"


class IntelCandidate(models.Model):
    """An indicator found in incoming intelligence, canonical, for an analyst to accept into
    the indicators or dismiss."""

    intel = models.ForeignKey(IncomingIntel, on_delete=models.CASCADE,
                              related_name="candidates")
    type = models.CharField(_("type"), max_length=10, choices=IndicatorType.choices)
    value = models.CharField(_("value"), max_length=2048)
    tlp = models.CharField(_("TLP"), max_length=12, choices=Tlp.choices, default=Tlp.AMBER)
    confidence = models.PositiveSmallIntegerField(_("confidence"), null=True, blank=True)
    ref = models.CharField(max_length=200, blank=True)  # STIX id or MISP attribute uuid
    decision = models.CharField(_("decision"), max_length=10, choices=IntelStatus.choices,
                                default=IntelStatus.PENDING)
    indicator = models.ForeignKey("indicators.Indicator", on_delete=models.SET_NULL,
                                  null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["intel", "type", "value"],
                                    name="intel_candidate_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"
