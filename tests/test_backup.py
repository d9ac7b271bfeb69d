"""`vigisante backup` / `vigisante restore`: a round trip gives the same data, attachments and
a valid audit chain (SQLite and PostgreSQL); a non-empty database is replaced only with
--force; a bad archive is refused with a clear message and changes nothing."""

from __future__ import annotations

import gzip
import io
import json
import os
import stat
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

from vigisante.core import audit
from vigisante.core.models import AuditEvent
from vigisante.reports.models import Attachment, Report

pytestmark = pytest.mark.django_db(transaction=True)


def _everything() -> str:
    """Every row of every model, serialised in a stable order (the comparison key)."""
    objects = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        objects.extend(model._default_manager.order_by("pk"))
    return serializers.serialize("json", objects, sort_keys=True)


def _attachments() -> dict[str, bytes]:
    root = Path(settings.MEDIA_ROOT)
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def filled(report_a, reporter_a):
    attachment = Attachment(report=report_a, uploaded_by=reporter_a, token="t" * 32,
                            original_name="rançon.txt", size=11, content_type="text/plain",
                            sha256="0" * 64)
    attachment.file.save("rancon.txt", ContentFile(b"ransom note"), save=False)
    attachment.save()
    audit.journal(actor=reporter_a, action="report.view", obj=report_a)
    return report_a


def _backup(tmp_path: Path, name: str = "b.tar.gz") -> Path:
    out = tmp_path / name
    call_command("backup", "--out", str(out))
    return out


def test_round_trip_gives_identical_data_attachments_and_a_valid_chain(filled, tmp_path,
                                                                        capsys):
    archive = _backup(tmp_path)
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    rows, files = _everything(), _attachments()
    head = audit.verify()
    assert head.ok and head.checked >= 2 and files
    # the site goes on: a new report, a lost attachment, more events
    Report.objects.filter(pk=filled.pk).update(description="changed after the backup")
    for path in Path(settings.MEDIA_ROOT).rglob("*"):
        if path.is_file():
            path.unlink()
    audit.record(actor=None, action="test.after", object_type="t", object_id="1")
    with pytest.raises(CommandError, match="not empty.*--force"):
        call_command("restore", str(archive))
    assert Report.objects.get(pk=filled.pk).description == "changed after the backup"
    capsys.readouterr()
    call_command("restore", str(archive), "--force")
    assert "audit chain intact" in capsys.readouterr().out
    assert _everything() == rows
    assert _attachments() == files
    after = audit.verify()
    assert after.ok and (after.checked, after.head_hash) == (head.checked, head.head_hash)
    assert not AuditEvent.objects.filter(action="test.after").exists()


def test_restore_into_an_empty_database_needs_no_force(filled, tmp_path):
    archive = _backup(tmp_path)
    rows = _everything()
    _empty_database()
    call_command("restore", str(archive))
    assert _everything() == rows


def _empty_database() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.django_table_names(only_existing=True)
                  if t not in {"django_migrations"}]
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
            cursor.execute("SET session_replication_role = DEFAULT")
        else:
            cursor.execute("PRAGMA foreign_keys = OFF")
            for table in tables:
                cursor.execute(f'DELETE FROM "{table}"')
            cursor.execute("PRAGMA foreign_keys = ON")


def _rewrite(archive: Path, target: Path, change) -> Path:
    """Copy the archive member by member through `change(name, data) -> (name, data)`."""
    with tarfile.open(archive) as src, tarfile.open(target, "w:gz") as dst:
        for member in src:
            data = src.extractfile(member).read()
            result = change(member.name, data)
            if result is None:
                continue
            name, data = result
            info = tarfile.TarInfo(name)
            info.size = len(data)
            dst.addfile(info, io.BytesIO(data))
    return target


def _flip(name, data):
    if name.startswith("attachments/"):
        return name, data[:-1] + bytes([data[-1] ^ 1])
    return name, data


def _traversal(name, data):
    if name.startswith("attachments/"):
        return "attachments/../../evil.txt", data
    return name, data


def _drop_db(name, data):
    return None if name.startswith("database.") else (name, data)


def _bad_manifest(name, data):
    return (name, b"{not json") if name == "manifest.json" else (name, data)


@pytest.mark.parametrize("damage, message", [
    ("not-a-tar", "cannot read|damaged"),
    ("truncated", "damaged or truncated|cannot read"),
    ("flipped-byte", "checksum mismatch"),
    ("traversal", "does not list|unexpected"),
    ("no-database", "lacks"),
    ("bad-manifest", "not valid JSON"),
])
def test_bad_archive_is_refused_and_changes_nothing(filled, tmp_path, damage, message):
    archive = _backup(tmp_path)
    bad = tmp_path / "bad.tar.gz"
    if damage == "not-a-tar":
        bad.write_bytes(b"hello, not an archive")
    elif damage == "truncated":
        raw = archive.read_bytes()
        bad.write_bytes(raw[: len(raw) // 2])
    else:
        change = {"flipped-byte": _flip, "traversal": _traversal, "no-database": _drop_db,
                  "bad-manifest": _bad_manifest}[damage]
        _rewrite(archive, bad, change)
    Report.objects.filter(pk=filled.pk).update(description="current")
    rows, files = _everything(), _attachments()
    with pytest.raises(CommandError, match=message):
        call_command("restore", str(bad), "--force")
    assert _everything() == rows and _attachments() == files
    assert not (Path(settings.MEDIA_ROOT).parent / "evil.txt").exists()
    assert audit.verify().ok


def test_archive_of_another_engine_is_refused(filled, tmp_path):
    from django.db import connection

    archive = _backup(tmp_path)
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"

    def swap(name, data):
        if name == "manifest.json":
            manifest = json.loads(data)
            manifest["engine"] = other
            db = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
            manifest["files"][db[other]] = manifest["files"].pop(db[connection.vendor])
            return name, json.dumps(manifest).encode()
        if name.startswith("database."):
            return {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[other], data
        return name, data

    bad = _rewrite(archive, tmp_path / "other.tar.gz", swap)
    with pytest.raises(CommandError, match="same kind of database"):
        call_command("restore", str(bad), "--force")


def test_backup_refuses_to_overwrite_and_missing_archive_is_clear(filled, tmp_path):
    archive = _backup(tmp_path)
    with pytest.raises(CommandError, match="exists already"):
        call_command("backup", "--out", str(archive))
    with pytest.raises(CommandError, match="is not a file"):
        call_command("restore", str(tmp_path / "missing.tar.gz"))
    assert gzip.open(archive).read(10)  # a real gzip
    assert not [p for p in os.listdir(tmp_path) if p.endswith(".partial")]


def test_restore_needs_the_key_that_encrypted_the_backup(filled, tmp_path, settings,
                                                         reporter_a):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from vigisante.core import crypto

    device = TOTPDevice.objects.create(user=reporter_a, name="phone", confirmed=True)
    secret = TOTPDevice.objects.get(pk=device.pk).key
    archive = _backup(tmp_path)
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    old_key = settings.ENCRYPTION_KEYS[0]
    assert manifest["encryption"]["key_ids"] == [crypto.ring().current_id.hex()]
    assert old_key not in archive.read_bytes().decode("latin-1")  # ids only, never keys

    settings.ENCRYPTION_KEYS = [crypto.generate_key()]  # another installation's key
    Report.objects.filter(pk=filled.pk).update(description="current")
    files = _attachments()
    with pytest.raises(CommandError, match="encrypted under key.*nothing was changed"):
        call_command("restore", str(archive), "--force")
    assert Report.objects.get(pk=filled.pk).description == "current"
    assert _attachments() == files

    settings.ENCRYPTION_KEYS = [*settings.ENCRYPTION_KEYS, old_key]
    call_command("restore", str(archive), "--force")
    assert TOTPDevice.objects.get(pk=device.pk).key == secret
    att = Attachment.objects.get(report=filled)
    with att.file.open("rb") as handle:
        assert handle.read() == b"ransom note"
    call_command("rotate_key")  # then under the new key, and the old one can go
    settings.ENCRYPTION_KEYS = settings.ENCRYPTION_KEYS[:1]
    assert TOTPDevice.objects.get(pk=device.pk).key == secret


def _real_pg_dump() -> tuple[str, int]:
    from vigisante.core import backup

    found = backup.pg_tool_candidates("pg_dump")
    assert found, "the PostgreSQL client tools are needed by the test suite"
    return found[0]


def test_pg_dump_of_an_older_major_than_the_server_is_a_clear_error():
    from vigisante.core import backup

    path, major = _real_pg_dump()
    assert backup.choose_pg_tool("pg_dump", major, [(path, major)]) == path
    assert backup.choose_pg_tool("pg_dump", major - 1, [(path, major)]) == path
    with pytest.raises(backup.BackupError) as refusal:
        backup.choose_pg_tool("pg_dump", major + 1, [(path, major)])
    text = str(refusal.value)
    assert f"{path} is version {major}" in text and f"PostgreSQL {major + 1}" in text
    assert f"postgresql-client-{major + 1}" in text and "VIGISANTE_PG_BIN_DIR" in text
    # several versions installed side by side: the oldest that is new enough
    assert backup.choose_pg_tool("pg_dump", 15, [("/a/17", 17), ("/b/15", 15),
                                                 ("/c/13", 13)]) == "/b/15"


def test_missing_pg_dump_is_a_clear_error(tmp_path):
    from vigisante.core import backup

    empty = tmp_path / "bin"
    empty.mkdir()
    assert backup.pg_tool_candidates("pg_dump", str(empty)) == []
    with pytest.raises(backup.BackupError, match=r"pg_dump is not installed in "
                       r"VIGISANTE_PG_BIN_DIR .*apt-get install postgresql-client-16"):
        backup.choose_pg_tool("pg_dump", 16, [], str(empty))
    path, major = _real_pg_dump()
    folder = str(Path(path).parent)
    assert backup.pg_tool_candidates("pg_dump", folder)[0][1] == major


def test_backup_with_the_configured_tools_folder(filled, tmp_path, settings):
    """VIGISANTE_PG_BIN_DIR: without pg_dump there, a PostgreSQL backup stops with the reason
    and writes nothing; SQLite needs no tool."""
    from django.db import connection

    settings.PG_BIN_DIR = str(tmp_path)
    out = tmp_path / "b.tar.gz"
    if connection.vendor == "postgresql":
        with pytest.raises(CommandError, match="pg_dump is not installed in "
                                               "VIGISANTE_PG_BIN_DIR"):
            call_command("backup", "--out", str(out))
        assert not out.exists() and not list(tmp_path.glob("*.partial"))
        settings.PG_BIN_DIR = str(Path(_real_pg_dump()[0]).parent)
    call_command("backup", "--out", str(out))
    with tarfile.open(out) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    if connection.vendor == "postgresql":
        assert manifest["pg_dump_major"] == _real_pg_dump()[1]
