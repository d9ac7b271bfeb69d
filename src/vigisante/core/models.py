"""The audit trail: append-only, hash-chained events."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditChainHead(models.Model):
    """Single row locked while appending, so the chain stays linear under concurrency."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    count = models.PositiveBigIntegerField(default=0)


class AuditEvent(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True,
        db_constraint=False, related_name="+",
    )
    actor_repr = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_type}:{self.object_id}"


class AuditPending(models.Model):
    """An event journaled without the chain lock (reads, refusals, bad tokens): one INSERT.

    `audit.flush` (the worker, every second; `audit verify`; `backup`) moves journaled events
    into the chain in batches, under one lock of the head.
    """

    at = models.DateTimeField()
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, null=True, blank=True,
        db_constraint=False, related_name="+",
    )
    actor_repr = models.CharField(max_length=254, blank=True)
    action = models.CharField(max_length=50)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["id"]


class Heartbeat(models.Model):
    """When each background worker last completed a loop (`/healthz` reads the newest)."""

    name = models.CharField(max_length=100, unique=True)
    at = models.DateTimeField()
