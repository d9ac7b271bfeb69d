"""Fast bulk insert for loaders (the demo seed, the audit trail of a loaded past): one
executemany per table.

Django's bulk_create builds a model instance per row and prepares every value through the
full expression machinery, which costs most of a load's time for tens of thousands of rows.
Here rows are plain dicts (or instances) keyed by attribute name; missing fields take their
default; plain values (str, int, bool, None) go to the driver as they are, datetimes and dates
are adapted as Django's backend adapts them, and anything else goes through the field's own
`get_db_prep_save` — so the stored values are the ones the ORM would store.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

BATCH = 1000
_PLAIN = (str, int, bool, float)


def _is_serial_pk(field: models.Field) -> bool:
    return field.primary_key and field.get_internal_type() in (
        "AutoField", "BigAutoField", "SmallAutoField")


def _adapter(field: models.Field):
    """How one field's values become driver parameters."""
    sqlite = connection.vendor == "sqlite"
    internal = field.get_internal_type()

    def generic(value: Any) -> Any:
        if value is None or type(value) in _PLAIN:
            return value
        return field.get_db_prep_save(value, connection)

    if internal == "DateTimeField" and sqlite:
        def datetime_(value: Any) -> Any:
            if isinstance(value, dt.datetime) and value.tzinfo is not None:
                # what the SQLite backend stores: naive UTC in ISO format
                return str(value.astimezone(dt.UTC).replace(tzinfo=None))
            return generic(value)
        return datetime_
    if internal in ("DateTimeField", "DateField") and not sqlite:
        return lambda value: value if value is None or isinstance(value, dt.date) \
            else generic(value)
    return generic


def insert(model: type[models.Model], rows: Sequence[dict[str, Any] | models.Model]) -> None:
    """INSERT the rows; primary keys are not read back (query them by a natural key)."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not _is_serial_pk(f)]
    now = timezone.now()
    plan = []
    for f in fields:
        auto = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        plan.append((f.attname, auto, f.get_default(),
                     _adapter(f)))
    values = []
    for row in rows:
        get = row.get if isinstance(row, dict) else row.__dict__.get
        out = []
        for attname, auto, default, adapt in plan:
            value = now if auto else get(attname, default)
            if hasattr(value, "resolve_expression"):
                raise TypeError(f"{model.__name__}.{attname}: database expressions are not "
                                "supported by the fast insert")
            out.append(adapt(value))
        values.append(out)
    qn = connection.ops.quote_name
    sql = (f"INSERT INTO {qn(model._meta.db_table)} "
           f"({', '.join(qn(str(f.column)) for f in fields)}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cursor:
        for start in range(0, len(values), BATCH):
            cursor.executemany(sql, values[start:start + BATCH])
