"""Move the HHS records already imported (a reports.Report each, with its ExternalIncident and
ExternalAttribute rows) into observatory.HhsBreach, chunk by chunk (bounded memory), then
delete the old rows. The source_id and content hash are kept: importing the same export
again afterwards finds every record unchanged, and the observatory's figures are the same.
"""

from django.db import migrations

CHUNK = 2000


def forward(apps, schema_editor):
    Report = apps.get_model("reports", "Report")
    Incident = apps.get_model("observatory", "ExternalIncident")
    Attribute = apps.get_model("observatory", "ExternalAttribute")
    HhsBreach = apps.get_model("observatory", "HhsBreach")
    last = 0
    while True:
        reports = list(Report.objects.filter(source="hhs", pk__gt=last).order_by("pk")
                       .values("pk", "source_id", "created_at", "original")[:CHUNK])
        if not reports:
            return
        last = reports[-1]["pk"]
        pks = [r["pk"] for r in reports]
        incidents = {i["report_id"]: i for i in Incident.objects.filter(report_id__in=pks).values(
            "report_id", "content_hash", "entity_type", "state", "records_affected",
            "ransomware", "business_associate")}
        values: dict[tuple[int, str], list[str]] = {}
        for pk, dimension, value in (Attribute.objects.filter(incident_id__in=pks)
                                     .order_by("id").values_list("incident_id", "dimension",
                                                                 "value")):
            values.setdefault((pk, dimension), []).append(value)
        HhsBreach.objects.bulk_create([
            HhsBreach(source_id=r["source_id"], created_at=r["created_at"],
                      original=r["original"] if r["original"] is not None else {},
                      content_hash=incidents.get(r["pk"], {}).get("content_hash", ""),
                      entity_type=incidents.get(r["pk"], {}).get("entity_type", ""),
                      state=incidents.get(r["pk"], {}).get("state", ""),
                      records_affected=incidents.get(r["pk"], {}).get("records_affected"),
                      ransomware=incidents.get(r["pk"], {}).get("ransomware"),
                      business_associate=incidents.get(r["pk"], {}).get("business_associate"),
                      breach_types=values.get((r["pk"], "breach_type"), []),
                      locations=values.get((r["pk"], "location"), []))
            for r in reports])
        Attribute.objects.filter(incident_id__in=pks).delete()
        Incident.objects.filter(report_id__in=pks).delete()
        Report.objects.filter(pk__in=pks).delete()


def backward(apps, schema_editor):
    HhsBreach = apps.get_model("observatory", "HhsBreach")
    if HhsBreach.objects.exists():
        raise RuntimeError("HHS records are stored in observatory_hhsbreach: delete them "
                           "before migrating back, then import the export again.")


class Migration(migrations.Migration):

    dependencies = [
        ("observatory", "0004_hhs_breach"),
        ("reports", "0002_idempotencykey_created_at_index"),
    ]

    operations = [migrations.RunPython(forward, backward)]
