"""Indicators of compromise, their sightings in reports, warning lists, links between reports
and the campaigns they form (issue 7, see INDICATORS-SPEC.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The extraction engine's TYPES (vigisante.indicators.extraction.TYPES), with their labels.
TYPES = ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "cve", "bitcoin",
         "onion")


class IndicatorType(models.TextChoices):
    IPV4 = "ipv4", _("IPv4 address")
    IPV6 = "ipv6", _("IPv6 address")
    DOMAIN = "domain", _("Domain")
    URL = "url", _("URL")
    EMAIL = "email", _("E-mail address")
    MD5 = "md5", _("MD5")
    SHA1 = "sha1", _("SHA-1")
    SHA256 = "sha256", _("SHA-256")
    CVE = "cve", _("CVE")
    BITCOIN = "bitcoin", _("Bitcoin address")
    ONION = "onion", _("Onion address")


class Status(models.TextChoices):
    PENDING = "pending", _("Pending review")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class Tlp(models.TextChoices):
    CLEAR = "clear", "TLP:CLEAR"
    GREEN = "green", "TLP:GREEN"
    AMBER = "amber", "TLP:AMBER"
    AMBER_STRICT = "amber+strict", "TLP:AMBER+STRICT"
    RED = "red", "TLP:RED"


class IndicatorQuerySet(models.QuerySet):
    def shareable(self) -> IndicatorQuerySet:
        """Only confirmed, not noisy indicators are shared or matched."""
        return self.filter(status=Status.CONFIRMED, noisy=False)


class Indicator(models.Model):
    type = models.CharField(_("type"), max_length=10, choices=IndicatorType.choices)
    value = models.CharField(_("value"), max_length=2048)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    tlp = models.CharField(_("TLP"), max_length=12, choices=Tlp.choices, default=Tlp.AMBER)
    confidence = models.PositiveSmallIntegerField(
        _("confidence"), default=50, validators=[MinValueValidator(0), MaxValueValidator(100)])
    noisy = models.BooleanField(_("noisy"), default=False,
                                help_text=_("Seen in too many reports to link them."))
    first_seen = models.DateTimeField(_("first seen"))
    last_seen = models.DateTimeField(_("last seen"))
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("reviewed by"))
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    objects = IndicatorQuerySet.as_manager()

    class Meta:
        ordering = ["type", "value"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["type", "value"], name="indicator_unique_value"),
            models.CheckConstraint(condition=Q(confidence__lte=100),
                                   name="indicator_confidence_max_100"),
        ]
        indexes = [models.Index(fields=["status", "noisy"], name="indicator_status_noisy")]

    def __str__(self) -> str:
        return f"{self.type}:{self.value}"

    @property
    def shareable(self) -> bool:
        return self.status == Status.CONFIRMED and not self.noisy


class SightingSource(models.TextChoices):
    REPORT = "report", _("Report field")
    UPDATE = "update", _("Update")
    ATTACHMENT = "attachment", _("Attachment")
    ANALYST = "analyst", _("Analyst")


class Sighting(models.Model):
    """An indicator seen in a report (once per report; the first place it was seen)."""

    # Both looked up through the two composite indexes below (no single-column copies).
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE,
                               related_name="sightings", db_index=False)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="sightings",
                                  db_index=False)
    source = models.CharField(_("source"), max_length=10, choices=SightingSource.choices)
    attachment = models.ForeignKey("reports.Attachment", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")
    created_at = models.DateTimeField(_("seen at"))

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["report", "indicator"], name="sighting_unique"),
        ]
        indexes = [models.Index(fields=["indicator", "report"], name="sighting_indicator")]


class WarningOrigin(models.TextChoices):
    MISP = "misp", _("MISP warning list")
    ESTABLISHMENT = "establishment", _("Establishment's own domains")
    ANALYST = "analyst", _("Analyst entry")


class WarningListEntry(models.Model):
    """A benign value kept out of the indicators (`value` is a CIDR for IP ranges)."""

    list_name = models.CharField(_("list"), max_length=200)
    type = models.CharField(_("type"), max_length=10, choices=IndicatorType.choices)
    value = models.CharField(_("value"), max_length=2048)
    origin = models.CharField(_("origin"), max_length=15, choices=WarningOrigin.choices)
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", verbose_name=_("establishment"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                   null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["list_name", "type", "value"]
        verbose_name = _("warning-list entry")
        verbose_name_plural = _("warning-list entries")
        constraints = [
            models.UniqueConstraint(fields=["list_name", "type", "value"],
                                    name="warninglist_entry_unique"),
        ]
        indexes = [models.Index(fields=["type", "value"], name="warninglist_type_value")]

    def __str__(self) -> str:
        return f"{self.list_name}: {self.value}"


class LinkReason(models.TextChoices):
    INDICATOR = "indicator", _("Shared indicator")
    SUPPLIER = "supplier", _("Same supplier")
    KIND_SYSTEM = "kind_system", _("Same kind on the same system")


class Link(models.Model):
    """Why two reports are related (report_a.id < report_b.id).

    Links are derived data, recomputed from the sightings and the reports by
    `vigisante correlate --rebuild`: they carry no database foreign-key constraint (Django still
    deletes a report's links with it) and as few indexes as the queries need, so that the
    set-based statements of `correlation` write them fast.
    """

    report_a = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+",
                                 db_index=False, db_constraint=False)
    report_b = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+",
                                 db_constraint=False)
    reason = models.CharField(_("reason"), max_length=12, choices=LinkReason.choices)
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, null=True, blank=True,
                                  related_name="links", db_constraint=False)
    supplier = models.ForeignKey("establishments.Supplier", on_delete=models.CASCADE,
                                 null=True, blank=True, related_name="+", db_index=False,
                                 db_constraint=False)
    detail = models.CharField(_("detail"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("linked at"))

    class Meta:
        ordering = ["-created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(report_a__lt=F("report_b")),
                                   name="link_ordered_pair"),
            # One link per pair, reason and indicator (none for the other reasons): one index,
            # which also serves the lookups by report_a.
            models.UniqueConstraint(F("report_a"), F("report_b"), F("reason"),
                                    Coalesce(F("indicator"), Value(0)), name="link_unique"),
        ]
        indexes = [
            models.Index(fields=["supplier"], condition=Q(supplier__isnull=False),
                         name="link_supplier"),
        ]


class CorrelationKey(models.Model):
    """What a report can share with another within the time window: one row per (kind,
    system) it was qualified with and per supplier it names (by id and by name).

    Kept by `correlation.refresh_keys` whenever the report is correlated; two reports of
    different establishments with the same (reason, key) received within the window are linked,
    found by an index range scan on (reason, key, at) instead of a scan of the window.
    """

    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE, related_name="+",
                               db_constraint=False)
    reason = models.CharField(max_length=12, choices=LinkReason.choices)
    key = models.CharField(max_length=320)
    detail = models.CharField(max_length=300, blank=True)
    supplier = models.ForeignKey("establishments.Supplier", on_delete=models.CASCADE,
                                 null=True, blank=True, related_name="+", db_index=False,
                                 db_constraint=False)
    # An establishment with reports cannot be deleted (reports protect it).
    establishment = models.ForeignKey("establishments.Establishment",
                                      on_delete=models.DO_NOTHING, related_name="+",
                                      db_index=False, db_constraint=False)
    at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["reason", "key", "at"], name="correlation_key"),
            models.Index(fields=["supplier"], condition=Q(supplier__isnull=False),
                         name="correlation_key_supplier"),
        ]


class CampaignStatus(models.TextChoices):
    PROPOSED = "proposed", pgettext_lazy("campaign", "Proposed")
    CONFIRMED = "confirmed", pgettext_lazy("campaign", "Confirmed")
    CLOSED = "closed", pgettext_lazy("campaign", "Closed")
    MERGED = "merged", pgettext_lazy("campaign", "Merged")


class Campaign(models.Model):
    name = models.CharField(_("name"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=CampaignStatus.choices,
                              default=CampaignStatus.PROPOSED)
    summary = models.TextField(_("summary"), max_length=5000, blank=True)
    merged_into = models.ForeignKey("self", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="merged_from", verbose_name=_("merged into"))
    created_at = models.DateTimeField(_("created at"))
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    # The analysts' queue: a campaign whose newest link is later than its last review.
    last_link_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reports = models.ManyToManyField("reports.Report", through="CampaignReport",
                                     related_name="campaigns")

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        indexes = [models.Index(fields=["status"], name="campaign_status")]

    def __str__(self) -> str:
        return self.name or f"#{self.pk}"

    def indicators(self) -> IndicatorQuerySet:
        """The confirmed, not noisy indicators sighted in the campaign's reports."""
        return Indicator.objects.shareable().filter(
            sightings__report__campaign_memberships__campaign=self).distinct()


class CampaignReport(models.Model):
    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="memberships")
    report = models.ForeignKey("reports.Report", on_delete=models.CASCADE,
                               related_name="campaign_memberships")
    added_at = models.DateTimeField(_("added at"))
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "report"], name="campaign_report_unique"),
        ]
        indexes = [models.Index(fields=["report"], name="campaign_report_report")]


class RebuildState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class CorrelationRebuild(models.Model):
    """One recomputation of every link and proposal (`vigisante correlate --rebuild`, or the
    page, which has the worker run it); its progress and its figures."""

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                     null=True, blank=True, related_name="+",
                                     verbose_name=_("requested by"))
    requested_at = models.DateTimeField(_("requested at"))
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=8, choices=RebuildState.choices,
                             default=RebuildState.QUEUED)
    step = models.PositiveSmallIntegerField(default=0)  # steps done (REBUILD_STEPS + campaigns)
    links = models.PositiveIntegerField(null=True, blank=True)
    proposals = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=2000, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        verbose_name = _("correlation rebuild")
        verbose_name_plural = _("correlation rebuilds")

    @property
    def seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return round((self.finished_at - self.started_at).total_seconds(), 1)
