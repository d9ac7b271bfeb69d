"""`vigisante backup` / `vigisante restore`: the database (with its audit chain) and the
attachments in one archive, with a manifest and SHA-256 checksums.

Archive: a gzip'd tar whose first member is `manifest.json`, then `database.sqlite3`
(SQLite's online backup API: a consistent copy taken while the site runs) or
`database.pgdump` (`pg_dump --format=custom`, a consistent snapshot), then `attachments/...`.
The manifest names every member with its size and checksum, the database engine and the
audit chain head (events and last hash) at the time of the backup; journaled audit events are
chained first, so the archive holds them all.

Restore checks the whole archive (manifest, every checksum, member names) before it touches
anything; a bad archive changes nothing. It refuses a non-empty database unless `force`. The
attachments folder is swapped in by renames, then the database is replaced in one step (SQLite
backup API into the live database; `pg_restore --clean --single-transaction`); if that fails
the previous attachments are put back. Last, the audit chain is verified against the
manifest's head.
"""

from __future__ import annotations

import datetime as dt
import glob
import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from django.conf import settings
from django.db import DatabaseError, connection, connections

from vigisante.core import audit, crypto

FORMAT = "vigisante-backup"
VERSION = 1
MANIFEST = "manifest.json"
DB_MEMBER = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
_CHUNK = 1024 * 1024


class BackupError(Exception):
    """A clear, user-facing reason why a backup or a restore cannot be done."""


@dataclass
class Summary:
    path: str
    engine: str
    files: int
    bytes: int
    audit_events: int
    audit_head: str


# ---------------------------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------------------------

def _member_file(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    handle = tar.extractfile(member)
    if handle is None:
        raise BackupError(f"{member.name}: not a regular file")
    return handle


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _attachments_dir() -> Path:
    return Path(settings.MEDIA_ROOT)


def _attachment_files(root: Path) -> Iterator[tuple[str, Path]]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield path.relative_to(root).as_posix(), path


def _pg_env_args() -> tuple[dict[str, str], list[str]]:
    db = connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    return env, args


#: Where PostgreSQL's client tools live besides PATH: Debian/Ubuntu keep one folder per major
#: version, RHEL-like systems /usr/pgsql-N.
PG_SEARCH_GLOBS = ("/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin")


def _tool_major(path: str) -> int | None:
    """The major version of a PostgreSQL client tool (`pg_dump --version`), or None."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True,
                             timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def pg_tool_candidates(name: str, bin_dir: str | None = None) -> list[tuple[str, int]]:
    """(path, major version) of every `name` found: only in `bin_dir` when it is given
    (VIGISANTE_PG_BIN_DIR), else on PATH and in the usual per-version folders."""
    if bin_dir:
        paths = [str(Path(bin_dir) / name)]
    else:
        paths = [shutil.which(name) or ""]
        for pattern in PG_SEARCH_GLOBS:
            paths += sorted(glob.glob(str(Path(pattern) / name)))
    found, seen = [], set()
    for path in paths:
        if not path or not os.access(path, os.X_OK):
            continue
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        major = _tool_major(path)
        if major is not None:
            found.append((path, major))
    return found


def choose_pg_tool(name: str, needed: int, candidates: list[tuple[str, int]],
                   bin_dir: str | None = None) -> str:
    """The tool to use for a server (or dump) of major version `needed`: the oldest one at
    least as new (pg_dump refuses a newer server; pg_restore cannot read a newer dump), or a
    clear error saying what to install."""
    shown = str(needed)
    install = (f"Install the PostgreSQL {shown} client tools (Debian/Ubuntu: apt-get install "
               f"postgresql-client-{shown}, from apt.postgresql.org if needed) or point "
               f"VIGISANTE_PG_BIN_DIR at their folder (e.g. /usr/lib/postgresql/{shown}/bin).")
    usable = sorted((major, path) for path, major in candidates if major >= needed)
    if usable:
        return usable[0][1]
    where = f"in VIGISANTE_PG_BIN_DIR ({bin_dir})" if bin_dir else "on this machine"
    if not candidates:
        raise BackupError(f"{name} is not installed {where}: the PostgreSQL client tools are "
                          f"needed to back up and restore a PostgreSQL database. {install}")
    versions = ", ".join(f"{path} is version {major}" for path, major in candidates)
    raise BackupError(f"no {name} {where} is recent enough for PostgreSQL {shown} ({versions}): "
                      f"an older {name} cannot work with a newer server or dump. {install}")


def _server_major() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        number = int(cursor.fetchone()[0])
    return number // 10000 if number >= 100000 else number // 100


def _pg_tool(name: str, needed: int | None = None) -> tuple[str, int]:
    bin_dir = getattr(settings, "PG_BIN_DIR", "") or None
    candidates = pg_tool_candidates(name, bin_dir)
    path = choose_pg_tool(name, needed if needed is not None else _server_major(), candidates,
                          bin_dir)
    return path, dict(candidates)[path]


def _run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed: {result.stderr.strip()[-2000:]}")


def _vendor() -> str:
    if connection.vendor not in DB_MEMBER:
        raise BackupError(f"unsupported database engine: {connection.vendor}")
    return connection.vendor


# ---------------------------------------------------------------------------------------------
# backup
# ---------------------------------------------------------------------------------------------

def _dump_database(vendor: str, target: Path) -> int | None:
    """Dump the database into `target`; the major version of pg_dump (PostgreSQL)."""
    if vendor == "sqlite":
        connection.ensure_connection()
        dest = sqlite3.connect(target)
        try:
            connection.connection.backup(dest)  # online: a consistent copy
        finally:
            dest.close()
        return None
    env, args = _pg_env_args()
    tool, major = _pg_tool("pg_dump")
    _run([tool, "--format=custom", "--no-owner", "--no-privileges",
          "--file", str(target), *args, "--dbname", str(connection.settings_dict["NAME"])],
         env)
    return major


def backup(out: Path) -> Summary:
    """Write the archive to `out` (mode 600: it holds every report and secret)."""
    vendor = _vendor()
    out = Path(out)
    if out.exists():
        raise BackupError(f"{out} exists already: choose a new file name")
    if not out.parent.is_dir():
        raise BackupError(f"folder {out.parent} does not exist")
    audit.flush()
    with tempfile.TemporaryDirectory(prefix="vigisante-backup-", dir=out.parent) as tmp:
        db_file = Path(tmp) / DB_MEMBER[vendor]
        dump_major = _dump_database(vendor, db_file)
        head = audit._head() or (0, audit.GENESIS)
        members = {DB_MEMBER[vendor]: db_file}
        for rel, path in _attachment_files(_attachments_dir()):
            members[f"attachments/{rel}"] = path
        entries: dict[str, dict[str, int | str]] = {}
        for name, path in members.items():
            entries[name] = {"size": path.stat().st_size, "sha256": _sha256(path)}
        manifest = {
            "format": FORMAT, "version": VERSION,
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "engine": vendor,
            "database_method": ("sqlite online backup API" if vendor == "sqlite"
                                else "pg_dump --format=custom"),
            **({"pg_dump_major": dump_major} if vendor == "postgresql" else {}),
            "audit": {"events": head[0], "head": head[1]},
            # Which keys sealed the secrets and attachments (ids only; keys never go in).
            "encryption": {"key_ids": sorted(crypto.inventory().key_ids())},
            "files": entries,
        }
        manifest_file = Path(tmp) / MANIFEST
        manifest_file.write_text(json.dumps(manifest, indent=1, sort_keys=True))
        partial = out.with_name(out.name + ".partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw, \
                    tarfile.open(fileobj=raw, mode="w:gz", compresslevel=3) as tar:
                tar.add(manifest_file, arcname=MANIFEST, recursive=False)
                for name, path in members.items():
                    info = tar.gettarinfo(str(path), arcname=name)
                    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                    with path.open("rb") as handle:
                        tar.addfile(info, handle)
            partial.replace(out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return Summary(str(out), vendor, len(members) - 1,
                   sum(int(e["size"]) for e in entries.values()), head[0], head[1])


# ---------------------------------------------------------------------------------------------
# restore
# ---------------------------------------------------------------------------------------------

def _safe_name(name: str) -> bool:
    path = PurePosixPath(name)
    return (not path.is_absolute() and ".." not in path.parts and "" not in path.parts
            and "\\" not in name and all(p not in (".",) for p in path.parts))


def _read_manifest(tar: tarfile.TarFile) -> dict:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupError("not a Vigisanté backup: manifest.json is not its first member")
    if first.size > 50 * 1024 * 1024:
        raise BackupError("the manifest is too large")
    try:
        manifest = json.loads(_member_file(tar, first).read())
    except (ValueError, UnicodeDecodeError) as exc:
        raise BackupError(f"the manifest is not valid JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError("not a Vigisanté backup (unknown manifest format)")
    if manifest.get("version") != VERSION:
        raise BackupError(f"backup format version {manifest.get('version')!r} is not "
                          f"supported by this version (expects {VERSION})")
    files = manifest.get("files")
    if manifest.get("engine") not in DB_MEMBER or not isinstance(files, dict):
        raise BackupError("the manifest is incomplete (engine, files)")
    for name, entry in files.items():
        if not _safe_name(name) or not (name == DB_MEMBER[manifest["engine"]]
                                         or name.startswith("attachments/")):
            raise BackupError(f"the manifest names an unexpected file: {name!r}")
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
                and isinstance(entry.get("size"), int)):
            raise BackupError(f"the manifest entry of {name!r} is incomplete")
    if DB_MEMBER[manifest["engine"]] not in files:
        raise BackupError("the archive holds no database")
    return manifest


def _extract_checked(archive: Path, staging: Path) -> dict:
    """Extract every member into `staging` and check it against the manifest."""
    try:
        tar = tarfile.open(archive, mode="r:*")
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise BackupError(f"cannot read {archive}: {exc}") from None
    with tar:
        try:
            manifest = _read_manifest(tar)
            files = manifest["files"]
            seen = set()
            manifest_seen = False
            for member in tar:
                name = member.name
                if name == MANIFEST and not manifest_seen:
                    manifest_seen = True  # the first member, read above
                    continue
                if name not in files or name in seen:
                    raise BackupError(f"the archive holds a file the manifest does not "
                                      f"list (or twice): {name!r}")
                if not member.isfile():
                    raise BackupError(f"{name!r} is not a regular file")
                seen.add(name)
                target = staging / name
                target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
                digest = hashlib.sha256()
                size = 0
                source = _member_file(tar, member)
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        size += len(chunk)
                        handle.write(chunk)
                entry = files[name]
                if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                    raise BackupError(f"checksum mismatch for {name!r}: the archive is "
                                      "damaged")
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise BackupError(f"the archive is damaged or truncated: {exc}") from None
    missing = sorted(set(files) - seen)
    if missing:
        raise BackupError(f"the archive lacks {len(missing)} file(s) of its manifest, e.g. "
                          f"{missing[0]!r}")
    return manifest


def database_is_empty() -> bool:
    """No users, establishments, reports or audit events (tables missing count as empty)."""
    from django.apps import apps

    labels = ["accounts.User", "establishments.Establishment", "reports.Report",
              "core.AuditEvent"]
    try:
        for label in labels:
            if apps.get_model(label).objects.exists():
                return False
    except DatabaseError:
        connection.close()
        return True
    return True


def _restore_sqlite(db_file: Path) -> None:
    try:
        check = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
        try:
            ok = check.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            check.close()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"the database in the archive cannot be opened: {exc}") from None
    if ok != "ok":
        raise BackupError(f"the database in the archive is damaged: {ok}")
    connection.ensure_connection()
    source = sqlite3.connect(db_file)
    try:
        # Into the live database, in one step (pages=-1): other connections see the old
        # content or the new one.
        source.backup(connection.connection, pages=-1)
    except sqlite3.Error as exc:
        raise BackupError(f"the database could not be replaced (nothing was changed): "
                          f"{exc}") from None
    finally:
        source.close()


def _restore_postgres(dump: Path, dump_major: int | None = None) -> None:
    env, args = _pg_env_args()
    # pg_restore reads dumps of its own version and older ones.
    tool, _major = _pg_tool("pg_restore", dump_major or _server_major())
    _run([tool, "--list", str(dump)], env)  # readable by pg_restore at all
    name = str(connection.settings_dict["NAME"])
    connections.close_all()
    _run([tool, "--clean", "--if-exists", "--no-owner", "--no-privileges",
          "--single-transaction", "--exit-on-error", *args, "--dbname", name, str(dump)], env)


def _swap_in_attachments(staged: Path) -> Path | None:
    """Put the staged attachments in place; returns where the previous ones were moved."""
    target = _attachments_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not staged.exists():
        staged.mkdir(mode=0o700)
    old = target.with_name(target.name + ".before-restore")
    if old.exists():
        shutil.rmtree(old)
    moved = None
    if target.exists():
        target.rename(old)
        moved = old
    staged.rename(target)
    target.chmod(0o700)
    return moved


def _swap_back_attachments(moved: Path | None, staged: Path) -> None:
    target = _attachments_dir()
    target.rename(staged)
    if moved is not None:
        moved.rename(target)


def _check_keys(manifest: dict) -> None:
    """Refuse, before changing anything, an archive whose secrets and attachments were
    encrypted under a key this installation does not have."""
    needed = (manifest.get("encryption") or {}).get("key_ids") or []
    if not isinstance(needed, list):
        raise BackupError("the manifest's encryption entry is damaged")
    missing = sorted(set(map(str, needed)) - set(crypto.ring().ids))
    if missing:
        raise BackupError(
            f"this backup's second-factor secrets and attachments are encrypted under key(s) "
            f"{', '.join(missing)}, which VIGISANTE_ENCRYPTION_KEYS does not hold (configured: "
            f"{', '.join(crypto.ring().ids)}). Add the key(s) of the backed-up installation "
            "(its VIGISANTE_ENCRYPTION_KEYS or data folder's encryption_key file) and run the "
            "restore again; nothing was changed.")


def restore(archive: Path, *, force: bool = False) -> Summary:
    archive = Path(archive)
    if not archive.is_file():
        raise BackupError(f"{archive} is not a file")
    vendor = _vendor()
    data_dir = Path(settings.DATA_DIR)
    with tempfile.TemporaryDirectory(prefix="vigisante-restore-", dir=data_dir) as tmp:
        staging = Path(tmp)
        manifest = _extract_checked(archive, staging)
        if manifest["engine"] != vendor:
            raise BackupError(f"this backup is of a {manifest['engine']} database; the "
                              f"configured database is {vendor}. Restore it into the same "
                              "kind of database.")
        _check_keys(manifest)
        if not force and not database_is_empty():
            raise BackupError("the database is not empty: restoring would replace its "
                              "content. Use --force to replace it.")
        db_file = staging / DB_MEMBER[vendor]
        staged = staging / "attachments"
        moved = _swap_in_attachments(staged)
        try:
            if vendor == "sqlite":
                _restore_sqlite(db_file)
            else:
                major = manifest.get("pg_dump_major")
                _restore_postgres(db_file, major if isinstance(major, int) else None)
        except BaseException:
            _swap_back_attachments(moved, staged)  # the database is unchanged: so are they
            raise
        if moved is not None:
            shutil.rmtree(moved)
    result = audit.verify()
    expected = manifest.get("audit", {})
    if not result.ok:
        raise BackupError(f"restored, but the audit chain does not verify: {result}")
    if (result.checked, result.head_hash) != (expected.get("events"), expected.get("head")):
        raise BackupError("restored, but the audit chain differs from the one the backup "
                          f"recorded ({result.checked} events, head {result.head_hash}; "
                          f"manifest: {expected})")
    files = manifest["files"]
    return Summary(str(archive), vendor, len(files) - 1,
                   sum(e["size"] for e in files.values()), result.checked, result.head_hash)
