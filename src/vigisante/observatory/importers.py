"""Writing imported public records (VERIS, HHS) in batches: a record is a Report (source,
source_id, original content) with its ExternalIncident and ExternalAttribute rows.

Only validated records ever reach the writer, and each batch is one transaction; when a
batch fails in the database, its records are retried one by one so that one bad record is
reported and skipped without losing the others, and none is ever half-written. A record
already imported is updated when its content changed and left alone otherwise (the key is
the unique (source, source_id) of Report), so importing the same data twice never
duplicates anything.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone

from vigisante.observatory.models import ExternalAttribute, ExternalIncident
from vigisante.reports.models import Report

PREFIX = {"veris": "VERIS", "hhs": "HHS"}


@dataclass
class Record:
    source: str
    source_id: str
    where: str  # file name or line number, for messages
    content_hash: str
    original: Any
    report: dict[str, Any]
    external: dict[str, Any]
    attributes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class Stats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)  # reason category -> count

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def reference(source: str, source_id: str) -> str:
    """A stable 20-character reference derived from the record's own id."""
    prefix = PREFIX[source]
    digest = hashlib.sha256(source_id.encode()).hexdigest().upper()
    return f"{prefix}-{digest[: 19 - len(prefix)]}"


class Writer:
    """Collects validated records and writes them batch by batch."""

    def __init__(self, source: str, stats: Stats, on_skip: Callable[[str, str, str], None],
                 batch_size: int = 500) -> None:
        self.source = source
        self.stats = stats
        self.on_skip = on_skip
        self.batch_size = batch_size
        self.pending: dict[str, Record] = {}

    def add(self, record: Record) -> None:
        if record.source_id in self.pending:
            # the same record twice in one batch: write the first, then treat this one as
            # a re-import of it (updated or unchanged), as across batches
            self.flush()
        self.pending[record.source_id] = record
        if len(self.pending) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        batch = list(self.pending.values())
        self.pending = {}
        if not batch:
            return
        try:
            with transaction.atomic():
                counts = self._write(batch)
        except DatabaseError:
            counts = Counter()
            for record in batch:
                try:
                    with transaction.atomic():
                        counts += self._write([record])
                except DatabaseError as exc:
                    self.stats.skipped["database error"] += 1
                    self.on_skip(record.where, "database error", str(exc).splitlines()[0])
        self.stats.created += counts["created"]
        self.stats.updated += counts["updated"]
        self.stats.unchanged += counts["unchanged"]

    def _write(self, batch: list[Record]) -> Counter:
        existing = {
            sid: (pk, chash) for sid, pk, chash in Report.objects.filter(
                source=self.source, source_id__in=[r.source_id for r in batch])
            .values_list("source_id", "id", "external__content_hash")}
        new = [r for r in batch if r.source_id not in existing]
        changed = [(existing[r.source_id][0], r) for r in batch
                   if r.source_id in existing and existing[r.source_id][1] != r.content_hash]
        self._create(new)
        self._update(changed)
        return Counter(created=len(new), updated=len(changed),
                       unchanged=len(batch) - len(new) - len(changed))

    def _create(self, records: list[Record]) -> None:
        if not records:
            return
        reports = Report.objects.bulk_create([
            Report(reference=reference(self.source, r.source_id), source=self.source,
                   source_id=r.source_id, channel="import", original=r.original, **r.report)
            for r in records])
        ExternalIncident.objects.bulk_create([
            ExternalIncident(report_id=rep.pk, source=self.source,
                             content_hash=r.content_hash, **r.external)
            for rep, r in zip(reports, records, strict=True)])
        ExternalAttribute.objects.bulk_create([
            ExternalAttribute(incident_id=rep.pk, dimension=d, value=v)
            for rep, r in zip(reports, records, strict=True) for d, v in r.attributes])

    def _update(self, changed: list[tuple[int, Record]]) -> None:
        if not changed:
            return
        now = timezone.now()
        pks = [pk for pk, _r in changed]
        fields = sorted({k for _pk, r in changed for k in r.report})
        Report.objects.bulk_update(
            [Report(pk=pk, original=r.original, updated_at=now, **r.report)
             for pk, r in changed], [*fields, "original", "updated_at"])
        Report.objects.filter(pk__in=pks).update(version=F("version") + 1)
        have = set(ExternalIncident.objects.filter(pk__in=pks).values_list("pk", flat=True))
        incidents = [ExternalIncident(report_id=pk, source=self.source,
                                      content_hash=r.content_hash, **r.external)
                     for pk, r in changed]
        ext_fields = sorted({k for _pk, r in changed for k in r.external} | {"content_hash"})
        ExternalIncident.objects.bulk_update([i for i in incidents if i.pk in have],
                                             ext_fields)
        ExternalIncident.objects.bulk_create([i for i in incidents if i.pk not in have])
        ExternalAttribute.objects.filter(incident_id__in=pks).delete()
        ExternalAttribute.objects.bulk_create([
            ExternalAttribute(incident_id=pk, dimension=d, value=v)
            for pk, r in changed for d, v in r.attributes])
