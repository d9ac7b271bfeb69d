"""Version 1 of every draft template, in French and English, from drafts/builtin/*.txt."""

from pathlib import Path

from django.db import migrations
from django.utils import timezone

BUILTIN = Path(__file__).resolve().parent.parent / "builtin"

LEGAL_BASIS = {
    "gdpr_notification": "GDPR (EU 2016/679) art. 33(1), 33(3), 33(4)",
    "gdpr_communication": "GDPR (EU 2016/679) art. 34(1), 34(2)",
    "nis2_early_warning": "NIS2 (EU 2022/2555) art. 23(4)(a)",
    "nis2_notification": "NIS2 (EU 2022/2555) art. 23(4)(b)",
    "nis2_intermediate": "NIS2 (EU 2022/2555) art. 23(4)(c)",
    "nis2_final": "NIS2 (EU 2022/2555) art. 23(4)(d)",
    "complaint": "Code des assurances art. L. 12-10-1; Code pénal art. 323-1 à 323-3-1, 312-1",
    "insurer_notice": "Code des assurances art. L. 12-10-1, L. 113-2 4°",
}


def load(apps, schema_editor):
    DraftTemplate = apps.get_model("drafts", "DraftTemplate")
    now = timezone.now()
    for kind, basis in LEGAL_BASIS.items():
        for language in ("fr", "en"):
            body = (BUILTIN / f"{kind}.{language}.txt").read_text(encoding="utf-8")
            DraftTemplate.objects.get_or_create(
                kind=kind, language=language, version=1,
                defaults={"body": body, "legal_basis": basis, "created_at": now,
                          "note": "Built-in template."})


def unload(apps, schema_editor):
    apps.get_model("drafts", "DraftTemplate").objects.filter(version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("drafts", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
