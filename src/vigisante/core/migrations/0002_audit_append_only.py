"""The audit trail becomes append-only on PostgreSQL, and its chain head always exists.

On PostgreSQL, triggers refuse any UPDATE, DELETE or TRUNCATE of core_auditevent, refuse
deleting the chain head, and let the head only move forward one event at a time. Only a
superuser who disables the triggers can rewrite history, and `vigisante audit verify` then
detects it. SQLite has no such protection: verify is the control there.
"""

from django.db import migrations

PG_INSTALL = """
CREATE OR REPLACE FUNCTION vigisante_audit_refuse() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'raise_exception';
END
$$;

CREATE OR REPLACE FUNCTION vigisante_audit_head_forward() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.count <> OLD.count + 1 THEN
        RAISE EXCEPTION 'the audit chain head only moves forward one event at a time'
            USING ERRCODE = 'raise_exception';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER core_auditevent_append_only
    BEFORE UPDATE OR DELETE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION vigisante_audit_refuse();
CREATE TRIGGER core_auditevent_no_truncate
    BEFORE TRUNCATE ON core_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION vigisante_audit_refuse();
CREATE TRIGGER core_auditchainhead_no_delete
    BEFORE DELETE ON core_auditchainhead
    FOR EACH STATEMENT EXECUTE FUNCTION vigisante_audit_refuse();
CREATE TRIGGER core_auditchainhead_forward
    BEFORE UPDATE ON core_auditchainhead
    FOR EACH ROW EXECUTE FUNCTION vigisante_audit_head_forward();
"""

PG_REMOVE = """
DROP TRIGGER IF EXISTS core_auditchainhead_forward ON core_auditchainhead;
DROP TRIGGER IF EXISTS core_auditchainhead_no_delete ON core_auditchainhead;
DROP TRIGGER IF EXISTS core_auditevent_no_truncate ON core_auditevent;
DROP TRIGGER IF EXISTS core_auditevent_append_only ON core_auditevent;
DROP FUNCTION IF EXISTS vigisante_audit_head_forward();
DROP FUNCTION IF EXISTS vigisante_audit_refuse();
"""


def create_head(apps, schema_editor):
    """The head row, consistent with any events already there."""
    head_model = apps.get_model("core", "AuditChainHead")
    event_model = apps.get_model("core", "AuditEvent")
    db = schema_editor.connection.alias
    if head_model.objects.using(db).filter(id=1).exists():
        return
    last = event_model.objects.using(db).order_by("-id").values_list("hash", flat=True).first()
    head_model.objects.using(db).create(
        id=1, count=event_model.objects.using(db).count(), last_hash=last or "0" * 64)


def _run(schema_editor, sql: str) -> None:
    # No parameters: the % of RAISE formats must reach PostgreSQL untouched.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(sql)


def install_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, PG_INSTALL)


def remove_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        _run(schema_editor, PG_REMOVE)


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(create_head, migrations.RunPython.noop),
        migrations.RunPython(install_triggers, remove_triggers),
    ]
