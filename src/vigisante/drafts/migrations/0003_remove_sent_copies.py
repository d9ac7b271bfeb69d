"""Remove the copies that recording a draft as sent used to add to the report's updates.

Until this version, `drafts.services.record_sent` also added a fixed-language sentence
("Notification à la CNIL envoyée...") to the report's updates, authored by who recorded it:
the updates API then served it as if that person had written it. The timelines tell the
`drafts.sent` event in their reader's language and the drafts' chronology reads the
sendings, so the copies go. A copy is recognised exactly as the timeline recognised it: the
`report.update_added` event chained right after a `drafts.sent` event of the same actor on
the same report (same transaction), naming the update. Both events stay in the audit trail.
"""

from django.db import migrations

CHUNK = 500


def remove_copies(apps, schema_editor):
    AuditEvent = apps.get_model("core", "AuditEvent")
    ReportUpdate = apps.get_model("reports", "ReportUpdate")
    sent = list(AuditEvent.objects.filter(action="drafts.sent", object_type="reports.report")
                .values_list("pk", "actor_id", "object_id"))
    copies: list[tuple[int, int]] = []
    for start in range(0, len(sent), CHUNK):
        batch = {pk + 1: (actor, obj) for pk, actor, obj in sent[start:start + CHUNK]}
        following = (AuditEvent.objects.filter(pk__in=list(batch),
                                               action="report.update_added",
                                               object_type="reports.report")
                     .values_list("pk", "actor_id", "object_id", "after"))
        for pk, actor, obj, after in following:
            update_id = after.get("update_id") if isinstance(after, dict) else None
            if batch[pk] == (actor, obj) and isinstance(update_id, int) and obj.isdigit():
                copies.append((update_id, int(obj)))
    for start in range(0, len(copies), CHUNK):
        wanted = dict(copies[start:start + CHUNK])
        found = ReportUpdate.objects.filter(pk__in=list(wanted)).values_list("pk", "report_id")
        ReportUpdate.objects.filter(pk__in=[pk for pk, report_id in found
                                            if wanted[pk] == report_id]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("drafts", "0002_builtin_templates"),
        ("reports", "0002_idempotencykey_created_at_index"),
        ("core", "0004_encrypt_at_rest"),
    ]

    operations = [
        migrations.RunPython(remove_copies, migrations.RunPython.noop),
    ]
