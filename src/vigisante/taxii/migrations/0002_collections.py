"""The collections every installation has, with ids fixed from their alias (a partner's
configuration stays valid from one installation or restore to the next)."""

from django.db import migrations

from vigisante.taxii.defaults import ensure_collections


def create(apps, schema_editor):
    ensure_collections(apps.get_model("taxii", "Collection"))


class Migration(migrations.Migration):
    dependencies = [("taxii", "0001_initial")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
