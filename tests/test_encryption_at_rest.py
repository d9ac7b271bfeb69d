"""Encryption at rest (issue 9): second-factor secrets and attachments are stored encrypted
(AES-256-GCM, keys from VIGISANTE_ENCRYPTION_KEYS), read back clear by the site, clear data of
before is encrypted by the migration, `vigisante rotate-key` re-encrypts under a new key and
can be interrupted, and backups restore only where the key is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import api_client_for, make_user
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigisante.accounts import services as account_services
from vigisante.accounts.models import Role
from vigisante.core import crypto
from vigisante.reports.models import Attachment

pytestmark = pytest.mark.django_db

KEY_A = crypto.generate_key()
KEY_B = crypto.generate_key()
SECRET_TEXT = b"Ransom note: contact evil@example.org, patient file 123-45\n"


def _raw_key(device: TOTPDevice) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM otp_totp_totpdevice WHERE id = %s", [device.pk])
        return cursor.fetchone()[0]


def _set_raw_key(device: TOTPDevice, value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("UPDATE otp_totp_totpdevice SET key = %s WHERE id = %s",
                       [value, device.pk])


def _stored(att: Attachment) -> bytes:
    return (Path(settings.MEDIA_ROOT) / att.file.name).read_bytes()


def _upload(report, reporter, content=SECRET_TEXT, name="note.txt") -> Attachment:
    response = api_client_for(reporter).post(
        f"/api/v1/reports/{report.pk}/attachments/",
        {"file": SimpleUploadedFile(name, content, content_type="text/plain")},
        format="multipart")
    assert response.status_code == 201, response.content
    return Attachment.objects.get(pk=response.json()["id"])


def _download(report, reporter, att) -> bytes:
    response = api_client_for(reporter).get(
        f"/api/v1/reports/{report.pk}/attachments/{att.pk}/")
    assert response.status_code == 200
    return b"".join(response.streaming_content)


@pytest.fixture
def keys(settings, tmp_path):
    """Key A, and an attachments folder of this test's own."""
    settings.ENCRYPTION_KEYS = [KEY_A]
    root = tmp_path / "attachments"
    settings.MEDIA_ROOT = root
    settings.STORAGES = {**settings.STORAGES, "default": {
        **settings.STORAGES["default"], "OPTIONS": {"location": str(root), "base_url": None}}}
    return settings


@pytest.fixture
def staff(db):
    return make_user("analyste.crypto@cert.example.org", Role.ANALYST)


def test_a_totp_secret_is_stored_encrypted_and_still_verifies(keys, staff):
    device = account_services.pending_device(staff)
    raw = _raw_key(device)
    clear = TOTPDevice.objects.get(pk=device.pk).key
    assert raw.startswith(crypto.TEXT_PREFIX) and clear not in raw and len(raw) <= 80
    assert len(bytes.fromhex(clear)) == 20
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    result = account_services.verify_otp(user=staff, device_id=device.pk,
                                         token=f"{totp.token():06d}")
    assert result.device is not None and result.device.confirmed
    # the verification saved the device (last_t): still sealed, still the same secret
    assert _raw_key(device).startswith(crypto.TEXT_PREFIX)
    assert TOTPDevice.objects.get(pk=device.pk).key == clear


def test_an_attachment_is_stored_encrypted_and_downloads_clear(keys, report_a, reporter_a):
    att = _upload(report_a, reporter_a)
    stored = _stored(att)
    assert stored.startswith(crypto.MAGIC) and b"Ransom" not in stored and b"evil" not in stored
    assert _download(report_a, reporter_a, att) == SECRET_TEXT
    assert att.file.size == len(SECRET_TEXT) == att.size


def test_an_altered_attachment_is_refused_not_served(keys, report_a, reporter_a):
    att = _upload(report_a, reporter_a)
    path = Path(settings.MEDIA_ROOT) / att.file.name
    blob = bytearray(path.read_bytes())
    blob[-5] ^= 0x01
    path.write_bytes(bytes(blob))
    response = api_client_for(reporter_a).get(
        f"/api/v1/reports/{report_a.pk}/attachments/{att.pk}/")
    assert response.status_code == 404
    assert "cannot be read" in response.json()["detail"]


def test_rotation_is_resumable_after_an_interruption_and_loses_nothing(keys, report_a,
                                                                       reporter_a, staff,
                                                                       capsys):
    atts = [_upload(report_a, reporter_a, SECRET_TEXT + str(i).encode(), f"n{i}.txt")
            for i in range(3)]
    device = account_services.pending_device(staff)
    secret = TOTPDevice.objects.get(pk=device.pk).key
    old_id = crypto.key_id(crypto.parse_key(KEY_A)).hex()
    new_id = crypto.key_id(crypto.parse_key(KEY_B)).hex()

    keys.ENCRYPTION_KEYS = [KEY_B, KEY_A]  # a new key first, the old one still readable
    with pytest.raises(SystemExit) as status:
        call_command("rotate_key", "--status")
    assert status.value.code == 1
    assert f"{old_id}: 3" in capsys.readouterr().out

    done = []

    def interrupt(item):
        done.append(item)
        if len(done) == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        crypto.rotate(progress=interrupt)
    heads = {crypto.sealed_key(_stored(a)) for a in atts}
    assert heads == {old_id, new_id}  # half done
    for i, att in enumerate(atts):  # every file readable in the middle
        assert _download(report_a, reporter_a, att) == SECRET_TEXT + str(i).encode()
    assert not list(Path(settings.MEDIA_ROOT).rglob(f"{crypto.TMP_PREFIX}*"))

    call_command("rotate_key")
    assert "1 file(s), 1 secret(s); 2 already under it" in capsys.readouterr().out
    from vigisante.core.models import AuditEvent

    event = AuditEvent.objects.filter(action="encryption.rotated").latest("id")
    assert event.object_id == new_id and event.after["files"] == 1  # ids only, never keys
    call_command("rotate_key", "--status")
    assert "older keys may be removed" in capsys.readouterr().out

    keys.ENCRYPTION_KEYS = [KEY_B]  # the old key is gone: everything still reads
    assert {crypto.sealed_key(_stored(a)) for a in atts} == {new_id}
    for i, att in enumerate(atts):
        assert _download(report_a, reporter_a, att) == SECRET_TEXT + str(i).encode()
    assert TOTPDevice.objects.get(pk=device.pk).key == secret
    assert crypto.sealed_text_key(_raw_key(device)) == new_id

    keys.ENCRYPTION_KEYS = [KEY_A]  # only the old key: a clear refusal, never garbage
    with pytest.raises(crypto.DecryptionError, match=new_id):
        TOTPDevice.objects.get(pk=device.pk)
    response = api_client_for(reporter_a).get(
        f"/api/v1/reports/{report_a.pk}/attachments/{atts[0].pk}/")
    assert response.status_code == 404
    with pytest.raises(CommandError, match="could not be decrypted"):
        call_command("rotate_key")


def test_clear_data_of_before_is_encrypted_by_the_migration(keys, report_a, reporter_a, staff):
    att = _upload(report_a, reporter_a)
    device = account_services.pending_device(staff)
    secret = TOTPDevice.objects.get(pk=device.pk).key
    # data as an older version stored it: clear
    (Path(settings.MEDIA_ROOT) / att.file.name).write_bytes(SECRET_TEXT)
    _set_raw_key(device, secret)
    assert _download(report_a, reporter_a, att) == SECRET_TEXT  # readable meanwhile

    from django.apps import apps
    from django.db.migrations.loader import MigrationLoader

    # the data migration that `vigisante migrate` applies on upgrade (and its way back)
    operation = MigrationLoader(connection).get_migration(
        "core", "0004_encrypt_at_rest").operations[0]
    operation.code(apps, None)
    assert _stored(att).startswith(crypto.MAGIC) and SECRET_TEXT not in _stored(att)
    assert _raw_key(device).startswith(crypto.TEXT_PREFIX)
    assert _download(report_a, reporter_a, att) == SECRET_TEXT
    assert TOTPDevice.objects.get(pk=device.pk).key == secret
    operation.reverse_code(apps, None)  # and back: clear again
    assert _stored(att) == SECRET_TEXT and _raw_key(device) == secret


def test_a_bad_key_in_the_configuration_stops_the_site_with_a_clear_message(tmp_path):
    env = {**os.environ, "VIGISANTE_DATA_DIR": str(tmp_path),
           "VIGISANTE_ENCRYPTION_KEYS": "not-a-key"}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run([str(Path(sys.executable).parent / "vigisante"), "check"], env=env,
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert "VIGISANTE_ENCRYPTION_KEYS: key 1 is not 32 bytes" in result.stderr


def test_a_generated_key_is_private_and_stable(tmp_path):
    env = {**os.environ, "VIGISANTE_DATA_DIR": str(tmp_path)}
    env.pop("VIGISANTE_ENCRYPTION_KEYS", None)
    code = "from vigisante.config import env; print(env.encryption_keys()[0])"
    first = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True).stdout
    again = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                           text=True, check=True).stdout
    assert first == again and len(crypto.parse_key(first.strip())) == 32
    assert (tmp_path / "encryption_key").stat().st_mode & 0o777 == 0o600


def test_a_secret_too_long_to_store_encrypted_is_refused_by_validation(keys, staff):
    from django.core.exceptions import ValidationError

    TOTPDevice(user=staff, name="ok", key="ab" * 20).full_clean()  # the usual 20 bytes
    with pytest.raises(ValidationError, match="too long to be stored encrypted"):
        TOTPDevice(user=staff, name="long", key="ab" * 40).full_clean()  # 40: django-otp's max


def test_a_file_swapped_for_another_attachments_file_is_refused(keys, report_a, reporter_a):
    """Both files decrypt (same key), but the checksum taken at upload ties each content to
    its attachment: someone with write access to the storage cannot switch them."""
    first = _upload(report_a, reporter_a, SECRET_TEXT, "first.txt")
    second = _upload(report_a, reporter_a, b"another note\n", "second.txt")
    first_path = Path(settings.MEDIA_ROOT) / first.file.name
    first_path.write_bytes(_stored(second))
    response = api_client_for(reporter_a).get(
        f"/api/v1/reports/{report_a.pk}/attachments/{first.pk}/")
    assert response.status_code == 404
    assert _download(report_a, reporter_a, second) == b"another note\n"
