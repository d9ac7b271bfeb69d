"""What the TAXII 2.1 server serves and what its client polls.

- `Collection`: a TAXII collection, meant for an audience (everyone, the establishments, the
  establishments of a category, partners) and carrying given TLP levels; an inbox collection
  is writable by the partners named in `writers` (what they add lands as incoming
  intelligence for the CERT's review).
- a collection of one establishment carries the TLP:AMBER alerts with finer targets
  (regions, sectors, NIS2 status, a supplier's customers) delivered to it;
- `StixObject`: one version of one STIX object in one collection, kept whole as compact JSON
  (served as is), with its TAXII `date_added` and `version`; `latest`/`first` mark the newest
  and oldest version of the object in the collection (the `match[version]` filters).
- `Status`: the status resource of one "add objects" request.
- `Subscription`: an external TAXII 2.1 collection the worker polls (the client side).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from vigisante.core import access


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("every establishment and partner")
    ESTABLISHMENTS = "establishments", _("every establishment")
    CATEGORY = "category", _("the establishments of a category")
    PARTNERS = "partners", _("partners (CERTs, agencies)")
    ESTABLISHMENT = "establishment", _("one establishment (alerts it received)")
    INBOX = "inbox", _("the CERT (objects sent by partners)")


class CollectionQuerySet(access.RestrictedQuerySet):
    pass


class Collection(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    alias = models.SlugField(_("alias"), max_length=60, unique=True)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices)
    category = models.CharField(_("category"), max_length=20, blank=True,
                                help_text=_("For the audience 'category' only."))
    establishment = models.ForeignKey(
        "establishments.Establishment", on_delete=models.CASCADE, null=True, blank=True,
        related_name="+", verbose_name=_("establishment"),
        help_text=_("For the audience 'one establishment' only."))
    tlps = models.JSONField(_("TLP levels"), default=list, blank=True)
    writers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+",
                                     verbose_name=_("partners who may add objects"))

    objects = CollectionQuerySet.as_manager()

    class Meta:
        ordering = ["alias"]
        verbose_name = _("TAXII collection")
        verbose_name_plural = _("TAXII collections")

    def __str__(self) -> str:
        return self.title

    @property
    def is_inbox(self) -> bool:
        return self.audience == Audience.INBOX


class StixObject(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE,
                                   related_name="stix_objects")
    stix_id = models.CharField(max_length=120)
    type = models.CharField(max_length=80)
    spec_version = models.CharField(max_length=10, default="2.1")
    version = models.DateTimeField()
    date_added = models.DateTimeField()
    latest = models.BooleanField(default=True)
    first = models.BooleanField(default=True)
    payload = models.TextField()  # the object, compact JSON, served as is
    revoked = models.BooleanField(default=False)  # the object says `"revoked": true`
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL,
                                 null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["date_added", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "stix_id", "version"],
                                    name="taxii_object_version_unique"),
        ]
        indexes = [
            models.Index(fields=["collection", "date_added", "id"], name="taxii_obj_added"),
            models.Index(fields=["collection", "latest", "date_added", "id"],
                         name="taxii_obj_latest"),
            models.Index(fields=["collection", "stix_id"], name="taxii_obj_stix_id"),
        ]


class StatusState(models.TextChoices):
    PENDING = "pending", _("pending")
    COMPLETE = "complete", _("complete")


class Status(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="+")
    request_timestamp = models.DateTimeField()
    status = models.CharField(max_length=10, choices=StatusState.choices,
                              default=StatusState.COMPLETE)
    total_count = models.PositiveIntegerField(default=0)
    success_count = models.PositiveIntegerField(default=0)
    failure_count = models.PositiveIntegerField(default=0)
    pending_count = models.PositiveIntegerField(default=0)
    successes = models.JSONField(default=list)
    failures = models.JSONField(default=list)
    pendings = models.JSONField(default=list)
    intel_id = models.PositiveIntegerField(null=True, blank=True)  # sharing.IncomingIntel

    objects = access.RestrictedQuerySet.as_manager()

    class Meta:
        ordering = ["-request_timestamp"]


class Subscription(models.Model):
    """An external TAXII 2.1 collection polled by the worker (objects become incoming
    intelligence). `collection_url` is the collection's URL (".../collections/<id>/")."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    collection_url = models.URLField(_("collection URL"), max_length=500)
    username = models.CharField(_("user name (HTTP Basic)"), max_length=200, blank=True)
    password = models.CharField(_("password (HTTP Basic)"), max_length=500, blank=True)
    token = models.CharField(_("token (Authorization: Token)"), max_length=500, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    every_minutes = models.PositiveIntegerField(_("poll every (minutes)"), default=60)
    added_after = models.CharField(_("received up to (X-TAXII-Date-Added-Last)"),
                                   max_length=40, blank=True)
    last_polled_at = models.DateTimeField(_("last polled at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    objects_received = models.PositiveIntegerField(_("objects received"), default=0)

    class Meta:
        ordering = ["name"]
        verbose_name = _("TAXII subscription")
        verbose_name_plural = _("TAXII subscriptions")

    def __str__(self) -> str:
        return self.name
