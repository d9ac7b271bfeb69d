"""Trigram indexes for the queue's text search, on PostgreSQL only.

The queue searches reports by `reference` and `description` with icontains, which Django
writes as UPPER(column) LIKE UPPER('%text%'): a plain index cannot serve it, a trigram GIN
index on UPPER(column) can. Without the pg_trgm extension (it is "trusted": the database
owner may create it; else a superuser must), the indexes are skipped and search still works,
only by scanning. SQLite: nothing to do.
"""

from django.db import migrations

INDEXES = {
    "triage_report_reference_trgm": "UPPER(reference) gin_trgm_ops",
    "triage_report_description_trgm": "UPPER(description) gin_trgm_ops",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")
        if cursor.fetchone() is None:
            try:
                cursor.execute("SAVEPOINT triage_trgm")
                cursor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
                cursor.execute("RELEASE SAVEPOINT triage_trgm")
            except Exception:  # noqa: BLE001 - no privilege: search works without the index
                cursor.execute("ROLLBACK TO SAVEPOINT triage_trgm")
                return
        for name, expression in INDEXES.items():
            cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON reports_report "
                           f"USING gin ({expression})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for name in INDEXES:
            cursor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):

    dependencies = [
        ("triage", "0002_case_updated"),
        ("reports", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop, elidable=False)]
