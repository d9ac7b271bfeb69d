"""Imported public records (VERIS, HHS OCR) and the observatory's stored snapshots.

An imported VERIS record is a `reports.Report` (source veris, original JSON kept in
`Report.original`); `ExternalIncident` holds the columns the observatory groups by, and
`ExternalAttribute` the multi-valued ones (actions, varieties...), one row per value, so
that a count per value is a plain GROUP BY in the database. An HHS record is one lean
`HhsBreach` row of its own (a million of them import in under a minute on SQLite).
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from vigisante.reports.models import Source


class Disclosure(models.TextChoices):
    """VERIS attribute.confidentiality.data_disclosure; every HHS record is a breach (yes)."""

    YES = "yes", _("Yes")
    POTENTIALLY = "potentially", _("Potentially")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")
    NOT_RECORDED = "", _("Not recorded")


class Dimension(models.TextChoices):
    ACTION = "action", _("Action")
    VARIETY = "variety", _("Action variety")
    ACTOR = "actor", _("Actor")
    ASSET = "asset", _("Asset")
    DISCOVERY = "discovery", _("Discovery method")
    DATA = "data", _("Data variety")
    BREACH_TYPE = "breach_type", _("Type of breach")
    LOCATION = "location", _("Location of breached information")


class ExternalIncident(models.Model):
    report = models.OneToOneField(
        "reports.Report", on_delete=models.CASCADE, primary_key=True, related_name="external"
    )
    source = models.CharField(max_length=10, choices=Source.choices)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    month = models.PositiveSmallIntegerField(null=True, blank=True)
    date = models.DateField(null=True, blank=True)
    entity_type = models.CharField(max_length=80, blank=True)
    industry = models.CharField(max_length=6, blank=True)  # NAICS code (VERIS)
    is_health = models.BooleanField(default=False)  # NAICS 62, or any HHS record
    country = models.CharField(max_length=8, blank=True)
    state = models.CharField(max_length=40, blank=True)
    breach_type = models.CharField(max_length=200, blank=True)  # as published, normalised
    location = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=120, blank=True)  # VERIS action categories, joined
    disclosure = models.CharField(max_length=12, choices=Disclosure.choices, blank=True)
    ransomware = models.BooleanField(null=True)
    records_affected = models.PositiveBigIntegerField(null=True, blank=True)
    business_associate = models.BooleanField(null=True)
    schema_version = models.CharField(max_length=12, blank=True)  # as written in the file
    # VERIS: the record departs from the 1.4.1 schema (values kept as written); what departs,
    # and which values were mapped to their 1.4.1 name
    outside_schema = models.BooleanField(default=False)
    schema_warnings = models.JSONField(default=list, blank=True)
    schema_mappings = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["source", "year"]),
            models.Index(fields=["source", "entity_type"]),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.report_id}"


class ExternalAttribute(models.Model):
    incident = models.ForeignKey(
        ExternalIncident, on_delete=models.CASCADE, related_name="attributes"
    )
    dimension = models.CharField(max_length=20, choices=Dimension.choices)
    value = models.CharField(max_length=120)

    class Meta:
        indexes = [models.Index(fields=["dimension", "value"])]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "dimension", "value"], name="unique_external_attribute"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension}={self.value}"


class HhsBreach(models.Model):
    """One record of the US HHS OCR breach portal, stored apart from reports: a lean row
    (two indexes besides the rowid: the unique source_id and the date) so that an export of
    a million rows imports in under a minute.

    The columns are what the observatory's `--source hhs` figures read; `original` is the
    row as read (header -> value), `content_hash` tells a re-import whether it changed.
    `breach_types` and `locations` are the published combined values split (JSON lists:
    "Loss, Theft" -> ["Loss", "Theft"]), counted per value by the database.
    HHS records are public data, not reports: no page or role reaches them one by one.
    """

    source_id = models.CharField(max_length=64, unique=True)  # content key + occurrence
    content_hash = models.CharField(max_length=64)
    # the submission date, at noon UTC; indexed: a year's report reads a tenth of a million
    # records through it instead of scanning them all (the index costs the writing process
    # about 2 us a row, which the import's parsing process hides)
    created_at = models.DateTimeField(db_index=True)
    entity_type = models.CharField(max_length=80, blank=True)
    state = models.CharField(max_length=40, blank=True)
    breach_types = models.JSONField(default=list, blank=True)
    locations = models.JSONField(default=list, blank=True)
    records_affected = models.PositiveBigIntegerField(null=True, blank=True)
    ransomware = models.BooleanField(null=True)  # the description mentions it; None: none
    business_associate = models.BooleanField(null=True)
    original = models.JSONField()

    class Meta:
        verbose_name = _("HHS breach record")
        verbose_name_plural = _("HHS breach records")

    def __str__(self) -> str:
        return self.source_id

    @property
    def date(self):
        return self.created_at.date()


class Snapshot(models.Model):
    """A report computed once by the worker and stored with every file (figures.json, the
    page, the standalone HTML, the PDF and the CSVs, in French and English).

    Working snapshots are the CERT staff's free periods. Publication snapshots are the
    public version of a finished calendar year of sector reports: a draft until an admin
    publishes it, frozen afterwards (a correction is a new version of the same year).
    """

    class Purpose(models.TextChoices):
        WORKING = "working", _("Working copy (CERT staff)")
        PUBLICATION = "publication", _("Publication")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Computing")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    purpose = models.CharField(max_length=12, choices=Purpose.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.SECTOR)
    first_day = models.DateField()
    last_day = models.DateField()
    public = models.BooleanField(default=False)
    health_only = models.BooleanField(default=False)
    state = models.CharField(max_length=8, choices=State.choices, default=State.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    data_sha256 = models.CharField(max_length=64, blank=True)
    records = models.PositiveIntegerField(default=0)
    # publication only
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    version = models.PositiveSmallIntegerField(null=True, blank=True)
    note = models.TextField(blank=True)  # what a correction changed
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["purpose", "source", "first_day", "last_day"])]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "version"], condition=models.Q(purpose="publication"),
                name="unique_publication_version"),
        ]

    def __str__(self) -> str:
        if self.purpose == self.Purpose.PUBLICATION:
            return f"{self.year} v{self.version}"
        return f"{self.source} {self.first_day}..{self.last_day}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class SnapshotFile(models.Model):
    """One stored file of a snapshot, served byte for byte."""

    snapshot = models.ForeignKey(Snapshot, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=100)  # figures.json, report.fr.pdf, tables.en.zip, ...
    content = models.BinaryField()
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "name"],
                                               name="unique_snapshot_file")]

    def __str__(self) -> str:
        return self.name
