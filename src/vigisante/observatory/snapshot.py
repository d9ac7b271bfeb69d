"""The data snapshot a report was computed from: a sha256 over the canonical list of the
records used, read in id order with a streaming cursor (bounded memory).
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import QuerySet

from vigisante.observatory import domain, queries
from vigisante.reports.models import Source

CHUNK = 5000


def _feed(h: domain.SnapshotHash, qs: QuerySet, fields: tuple[str, ...]) -> None:
    """Hash the rows of `qs` (its `fields`, in its order) streamed chunk by chunk (bounded
    memory). On PostgreSQL the database writes each record's canonical line itself
    (`_pg_lines`), the very text str() gives in Python: Python then hashes strings instead of
    building a datetime per timestamp and writing it back as text."""
    lines = _pg_lines(qs, fields) if connection.vendor == "postgresql" else None
    if lines is not None:
        chunk: list = []
        for line in lines.iterator(CHUNK):
            chunk.append(line)
            if len(chunk) == CHUNK:
                h.add_lines(chunk)
                chunk = []
        h.add_lines(chunk)
        return
    chunk = []
    for row in qs.values_list(*fields).iterator(CHUNK):
        chunk.append(row)
        if len(chunk) == CHUNK:
            h.add_many(chunk)
            chunk = []
    h.add_many(chunk)


# str() of a UTC datetime: "2023-05-01 08:30:00+00:00", or "2023-05-01 08:30:00.250000+00:00"
# when it has microseconds (Python writes the six digits only then)
_PG_DATETIME = ("to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') || "
                "CASE WHEN mod(extract(microseconds FROM %(expressions)s)::bigint, 1000000) <> 0 "
                "THEN to_char(%(expressions)s AT TIME ZONE 'UTC', '.US') ELSE '' END || "
                "'+00:00'")
_PG_TEXT = {
    "DateTimeField": _PG_DATETIME,
    "BooleanField": "CASE WHEN %(expressions)s THEN 'True' ELSE 'False' END",
    "CharField": "%(expressions)s",
    "TextField": "%(expressions)s",
}
for _kind in ("AutoField", "BigAutoField", "IntegerField", "BigIntegerField",
              "SmallIntegerField", "PositiveIntegerField", "PositiveSmallIntegerField",
              "PositiveBigIntegerField"):
    _PG_TEXT[_kind] = "(%(expressions)s)::text"


def _pg_lines(qs: QuerySet, fields: tuple[str, ...]) -> QuerySet | None:
    """`qs` giving one text per row: its `fields` written as str() writes them ("None" for
    NULL) and joined by U+001F, by PostgreSQL; None when a field is of a type whose text is
    not written here the way Python writes it (the caller then reads the values)."""
    from django.db.models import F, Func, TextField, Value
    from django.db.models.functions import Coalesce

    parts = []
    for name in fields:
        field = _field(qs.model, name)
        template = _PG_TEXT.get(field.get_internal_type()) if field is not None else None
        if template is None or hasattr(field, "from_db_value"):
            return None
        text = Func(F(name), template=template, output_field=TextField())
        parts.append(Coalesce(text, Value("None"), output_field=TextField())
                     if field.null else text)
    line = Func(Value("\x1f"), *parts, function="concat_ws", output_field=TextField())
    return qs.annotate(snapshot_line=line).values_list("snapshot_line", flat=True)


def _field(model, name: str):
    """The model field behind a values_list() name (`case__report_id`, `report_id`)."""
    from django.core.exceptions import FieldDoesNotExist

    *path, last = name.split("__")
    try:
        for step in path:
            model = model._meta.get_field(step).related_model
        field = model._meta.get_field(last)
    except (FieldDoesNotExist, AttributeError):
        return None
    if field.is_relation:
        target = field.target_field
        return target if last.endswith("_id") or last == field.name else None
    return field


def snapshot(qs: QuerySet, source: str) -> tuple[str, int]:
    """(sha256 hex, number of reports) of the records behind a report.

    Sector: each report's id, version and updated_at, its case's qualification, its
    support records and its regulatory clocks. VERIS: each record's id, version,
    updated_at and the hash of its original content. HHS: each record's id and the hash of
    its original content.

    One read-only transaction: on PostgreSQL the streaming cursors are then plain ones
    (not WITH HOLD, materialised at the end of the statement) and are planned to be read to
    the end (cursor_tuple_fraction 1 instead of the 0.1 that favours a quick first row:
    about a third faster at 100,000 reports).
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('cursor_tuple_fraction', '1', true)")
        return _snapshot(qs, source)


def _snapshot(qs: QuerySet, source: str) -> tuple[str, int]:
    h = domain.SnapshotHash()
    if source == Source.HHS:  # one lean row a record: its id and the hash of its content
        h.section("hhs")
        _feed(h, qs.order_by("id"), ("id", "content_hash"))
        return h.hexdigest(), h.records
    ids = qs.values("id")
    h.section("reports")
    _feed(h, qs.order_by("id"), ("id", "version", "updated_at"))
    reports = h.records
    if source == Source.SECTOR:
        _sector_related(h, ids)
    else:
        from vigisante.observatory.models import ExternalIncident

        h.section("external")
        _feed(h, ExternalIncident.objects.filter(report__in=ids).order_by("report_id"),
              ("report_id", "content_hash"))
    return h.hexdigest(), reports


def _sector_related(h: domain.SnapshotHash, ids: QuerySet) -> None:
    from vigisante.triage.models import Case, Support

    h.section("cases")
    _feed(h, Case.objects.filter(report__in=ids).order_by("report_id"),
          ("report_id", "state", "origin", "kind", "severity", "detection_source",
           "detection_stage", "ransomware_extent", "version"))
    h.section("supports")
    _feed(h, Support.objects.filter(case__report__in=ids).order_by("id"),
          ("id", "case__report_id", "type", "started_at", "ended_at", "out_of_hours"))
    model = queries.clock_model()
    if model is not None:
        h.section("clocks")
        _feed(h, model.objects.filter(report__in=ids).order_by("id"),
              ("id", "report_id", "regime", "state", "due_at", "done_at"))
