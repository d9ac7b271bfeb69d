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

import functools
import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.db.models import F
from django.utils import timezone

from vigisante.observatory.models import ExternalAttribute, ExternalIncident
from vigisante.reports.models import Report

PREFIX = {"veris": "VERIS", "hhs": "HHS"}


class JsonText(str):
    """A value already written as JSON text (an importer that writes it faster than
    json.dumps): stored as it is in a JSONField by fast_insert, decoded for the ORM."""


def _value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, JsonText) else value


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
    # VERIS: records read outside the 1.4.1 schema (imported, values kept as written) and
    # records with values mapped to their 1.4.1 name; per warning / mapping, records
    outside_records: int = 0
    outside: Counter = field(default_factory=Counter)
    mapped_records: int = 0
    mapped: Counter = field(default_factory=Counter)
    duplicates: int = 0  # identical copies of a record already read in this run
    shared_ids: int = 0  # records whose id another record of the run already had

    def count_schema(self, outside: list[str], mapped: list[str]) -> None:
        if outside:
            self.outside_records += 1
            self.outside.update(set(outside))
        if mapped:
            self.mapped_records += 1
            self.mapped.update(set(mapped))

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


def _adapter(field, connection) -> Callable[[Any], Any] | None:
    kind = field.get_internal_type()
    # imported records repeat a few thousand dates: adapt each once per batch
    if kind == "DateTimeField":
        return lru_cache(maxsize=4096)(connection.ops.adapt_datetimefield_value)
    if kind == "DateField":
        return lru_cache(maxsize=4096)(connection.ops.adapt_datefield_value)
    if kind == "JSONField":
        dumps: Callable[[Any], Any]
        if connection.vendor == "sqlite":
            # what JSONField.get_db_prep_save gives on SQLite, without its dispatch
            dumps = functools.partial(json.dumps, cls=field.encoder)
        else:
            dumps = lambda v: field.get_db_prep_save(v, connection)  # noqa: E731
        # JSON text is written as it is (PostgreSQL's COPY reads jsonb from text)
        return lambda v: v if type(v) is JsonText else dumps(v)
    if kind in ("DecimalField", "DurationField", "UUIDField", "TimeField"):
        return lambda v: field.get_db_prep_save(v, connection)
    return None  # str, int, bool and None go to both drivers as they are


def _plan(model, now) -> tuple[list, dict[str, tuple[int, Callable | None]], list]:
    """The columns of `model` for fast_insert: fields, position and adapter by attname
    (auto_now fields excluded: they always take `now`), and the adapted default row."""
    fields = [f for f in model._meta.concrete_fields
              if not (f.primary_key and f.get_internal_type() in ("AutoField",
                                                                  "BigAutoField"))]
    adapters = [_adapter(f, connection) for f in fields]
    defaults = []
    for f, adapt in zip(fields, adapters, strict=True):
        value = now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) \
            else f.get_default()
        defaults.append(adapt(value) if adapt and value is not None else value)
    position = {f.attname: (-1 if getattr(f, "auto_now", False) else i, adapt)
                for i, (f, adapt) in enumerate(zip(fields, adapters, strict=True))}
    return fields, position, defaults


def fast_insert(model, rows: list[dict[str, Any]], now) -> None:
    """INSERT many rows at once (COPY on PostgreSQL, executemany on SQLite): the ORM's
    bulk_create prepares every field of every object in Python, which costs far more than
    the database's own work. Values are given by attname; missing ones take the field's
    default, auto_now fields `now`. Per row, only the values given that need it are adapted
    (dates, JSON); rows are grouped by the names they give, each group one statement whose
    columns are the given ones followed by the defaults'."""
    if not rows:
        return
    fields, position, defaults = _plan(model, now)
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    qn = connection.ops.quote_name
    for names, group in groups.items():
        given = [position[name] for name in names]
        if any(i < 0 for i, _a in given):  # an auto_now field given: it takes `now`
            given_rows = [{k: v for k, v in row.items() if position[k][0] >= 0}
                          for row in group]
            fast_insert(model, given_rows, now)
            continue
        taken = {i for i, _a in given}
        rest = [i for i in range(len(fields)) if i not in taken]
        tail = [defaults[i] for i in rest]
        adapted = [(j, adapt) for j, (_i, adapt) in enumerate(given) if adapt is not None]
        params = []
        for row in group:
            values = list(row.values())
            for j, adapt in adapted:
                value = values[j]
                if value is not None:
                    values[j] = adapt(value)
            values += tail
            params.append(values)
        columns = [fields[i].column for i, _a in given] + [fields[i].column for i in rest]
        target = f"{qn(model._meta.db_table)} ({', '.join(qn(c) for c in columns)})"
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY: one round trip for the batch instead of one INSERT per row
                with connection.wrap_database_errors, cursor.cursor.copy(
                        f"COPY {target} FROM STDIN") as copy:
                    for values in params:
                        copy.write_row(values)
            else:
                cursor.executemany(
                    f"INSERT INTO {target} VALUES ({', '.join(['%s'] * len(columns))})",
                    params)


def _lookup(source: str, source_ids: list[str], *, with_hash: bool) -> dict[str, tuple]:
    """{source_id: (report id, content hash or None)} of the imported reports among
    `source_ids`, in one raw SQL query whatever their number: the ids are one parameter
    (a PostgreSQL array, a JSON array read by SQLite's json_each), so neither the ORM's IN
    preparation nor the drivers' parameter limits are in the way. `NOT (source_id = '')`
    repeats, word for word, the condition of the partial unique index (source, source_id):
    written otherwise (even as `source_id <> ''`), SQLite does not use that index and scans
    every record of the source for each batch (quadratic import time)."""
    if not source_ids:
        return {}
    qn = connection.ops.quote_name
    report, external = Report._meta.db_table, ExternalIncident._meta.db_table
    chash = f"e.{qn('content_hash')}" if with_hash else "NULL"
    join = (f" LEFT JOIN {qn(external)} e ON e.{qn('report_id')} = r.{qn('id')}"
            if with_hash else "")
    match = (f"r.{qn('source')} = %s AND NOT (r.{qn('source_id')} = '') AND "
             f"r.{qn('source_id')}")
    select = f"SELECT r.{qn('source_id')}, r.{qn('id')}, {chash} FROM "
    if connection.vendor == "postgresql":
        sql = f"{select}{qn(report)} r{join} WHERE {match} = ANY(%s)"
        params: list[Any] = [source, list(source_ids)]
    else:  # driven by the list: one probe of the unique index per id
        sql = f"{select}json_each(%s) j CROSS JOIN {qn(report)} r ON {match} = j.value{join}"
        params = [json.dumps(source_ids), source]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {sid: (pk, h) for sid, pk, h in cursor.fetchall()}


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
        existing = _lookup(self.source, [r.source_id for r in batch], with_hash=True)
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
        now = timezone.now()
        fast_insert(Report, [
            dict(r.report, reference=reference(self.source, r.source_id), source=self.source,
                 source_id=r.source_id, channel="import", original=r.original)
            for r in records], now)
        ids = {sid: pk for sid, (pk, _h) in _lookup(
            self.source, [r.source_id for r in records], with_hash=False).items()}
        fast_insert(ExternalIncident, [
            dict(r.external, report_id=ids[r.source_id], source=self.source,
                 content_hash=r.content_hash) for r in records], now)
        fast_insert(ExternalAttribute, [
            {"incident_id": ids[r.source_id], "dimension": d, "value": v}
            for r in records for d, v in r.attributes], now)

    def _update(self, changed: list[tuple[int, Record]]) -> None:
        if not changed:
            return
        now = timezone.now()
        pks = [pk for pk, _r in changed]
        fields = sorted({k for _pk, r in changed for k in r.report})
        Report.objects.bulk_update(
            [Report(pk=pk, original=_value(r.original), updated_at=now, **r.report)
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


def audit_import(source: str, where: str, stats: Stats, *, actor=None, error: str = "",
                 model=ExternalIncident) -> None:
    """One audit event for an import run, with its counts (never one per record)."""
    from vigisante.core import audit

    after = {"source": source, "file": where, "created": stats.created,
             "updated": stats.updated, "unchanged": stats.unchanged,
             "skipped": dict(sorted(stats.skipped.items()))}
    if error:
        after["error"] = error
    audit.record(actor=actor, action="observatory.import",
                 object_type=model._meta.label_lower, after=after)
