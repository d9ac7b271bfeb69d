"""Encrypt what was stored in clear before encryption at rest: the second-factor secrets
(django-otp's TOTP keys) and the attachment files. Same code as `vigisante rotate-key`: each
item on its own, so an interrupted migration leaves everything readable and carries on when
run again. Backwards: everything decrypted."""

from django.db import migrations


def encrypt(apps, schema_editor):
    from vigisante.core import crypto

    result = crypto.rotate()
    if result.errors:
        raise RuntimeError("cannot encrypt: " + "; ".join(result.errors[:5]))


def decrypt(apps, schema_editor):
    from vigisante.core import crypto

    result = crypto.rotate(clear=True)
    if result.errors:
        raise RuntimeError("cannot decrypt: " + "; ".join(result.errors[:5]))


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_audit_journal_heartbeat"),
        ("otp_totp", "0003_add_timestamps"),
        ("reports", "0002_idempotencykey_created_at_index"),
    ]

    operations = [migrations.RunPython(encrypt, decrypt, elidable=True)]
