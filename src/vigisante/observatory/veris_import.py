"""`import-veris PATH`: stream VERIS incidents (a folder searched recursively, or one file)
into reports.

Real data sets mix schema versions and drift from them, so the importer is liberal in what
it reads and exact in what it reports:
- a file holds one incident (`*.json`), a JSON array of incidents, or one incident per line
  (`*.jsonl`, `*.ndjson`); UTF-8 with or without BOM; such files may come compressed
  (`*.json.gz`, ...) or in a zip archive (`*.zip`: VCDB publishes its joined data set as
  `vcdb.json.zip`), read without extracting anything to disk, each member at most
  MAX_FILE_BYTES once uncompressed (whatever its header claims);
- any schema version is read (1.2 to 1.4.1, or none): values a newer VERIS renamed are
  mapped (veris.RENAMED), values outside the 1.4.1 schema are kept as written and the record
  is flagged (ExternalIncident.outside_schema, with the list in schema_warnings), and the
  summary counts records per warning;
- only what cannot be read is refused: not JSON, not UTF-8, not an object, no incident in it;
- records are keyed by incident_id, else plus.master_id, else their content; a second record
  with the same key but other content in one run is kept as its own record (key "~2", ...),
  an identical second copy is counted once.
Files are read one at a time (bounded memory whatever their number).
"""

from __future__ import annotations

import gzip
import json
import os
import zipfile
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from vigisante.observatory import veris
from vigisante.observatory.importers import Record, Stats, Writer, audit_import
from vigisante.observatory.progress import Progress

MAX_FILE_BYTES = 256 * 1024 * 1024
SUFFIXES = (".json", ".jsonl", ".ndjson")
ARCHIVES = (".zip", *(f"{s}.gz" for s in SUFFIXES))


class ImportFileError(Exception):
    """The input as a whole cannot be read: nothing is imported."""


def iter_files(root: Path) -> Iterator[Path]:
    """Every *.json / *.jsonl / *.ndjson file (or archive of them: ARCHIVES) under `root`
    (any case), depth first, without listing a whole folder in memory; sorted within a
    folder so that runs are repeatable."""
    if root.is_file():
        yield root
        return
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            found = sorted(((e.name, e.path, e.is_dir(follow_symlinks=False),
                             e.is_file()) for e in entries), reverse=True)
        for name, path, is_dir, is_file in found:
            if is_dir:
                stack.append(path)
            elif is_file and name.lower().endswith((*SUFFIXES, *ARCHIVES)):
                yield Path(path)


def count_files(root: Path) -> int:
    return sum(1 for _ in iter_files(root))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise veris.VerisError(_("not UTF-8 text")) from None


def _bad_json(exc: json.JSONDecodeError) -> veris.VerisError:
    return veris.VerisError(_("not valid JSON (%(error)s, line %(line)d)") % {
        "error": exc.msg, "line": exc.lineno}, _("not valid JSON"))


def read_documents(path: Path) -> Iterator[tuple[str, Any]]:
    """(suffix for messages, parsed JSON or the VerisError saying why not) of each incident
    in a file, or in each member of an archive; VerisError when the file as a whole cannot be
    read."""
    name = path.name.lower()
    if name.endswith(".zip"):
        yield from _zip_documents(path)
        return
    if name.endswith(".gz"):
        try:
            with gzip.open(path, "rb") as f:
                data = _read_capped(f)
        except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
            raise veris.VerisError(_("not a readable gzip file (%(error)s)") % {
                "error": exc}, _("unreadable archive")) from None
        yield from _documents(data, name[:-3])
        return
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise veris.VerisError(_("file too large (%(n)d bytes)") % {"n": size},
                               _("file too large"))
    yield from _documents(path.read_bytes(), name)


def _read_capped(f) -> bytes:
    """All of an uncompressing stream, refused past MAX_FILE_BYTES (a compressed file can
    claim any size and expand far beyond it)."""
    data = f.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise veris.VerisError(_("file too large (over %(n)d bytes uncompressed)") % {
            "n": MAX_FILE_BYTES}, _("file too large"))
    return data


def _zip_documents(path: Path) -> Iterator[tuple[str, Any]]:
    """The incidents of every *.json / *.jsonl / *.ndjson member of a zip archive (its other
    members, folders and macOS metadata ignored), member by member."""
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError) as exc:
        raise veris.VerisError(_("not a readable zip archive (%(error)s)") % {"error": exc},
                               _("unreadable archive")) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()
                   and m.filename.lower().endswith(SUFFIXES)
                   and not m.filename.startswith("__MACOSX/")]
        if not members:
            raise veris.VerisError(_("no JSON file in this archive"), _("no incident in it"))
        for member in members:
            where = f"!{member.filename}"
            try:
                with archive.open(member) as f:
                    data = _read_capped(f)
                docs = list(_documents(data, member.filename.lower()))
            except veris.VerisError as exc:
                yield where, exc
                continue
            except (zipfile.BadZipFile, RuntimeError, NotImplementedError, EOFError,
                    zlib.error, OSError) as exc:  # damaged, encrypted, unknown compression
                yield where, veris.VerisError(_("unreadable archive member (%(error)s)") % {
                    "error": exc}, _("unreadable archive"))
                continue
            for suffix, doc in docs:
                yield where + suffix, doc


def _documents(data: bytes, name: str) -> Iterator[tuple[str, Any]]:
    """The incidents of one file's bytes (`name`, lower case, tells JSON Lines apart)."""
    text = _decode(data)
    if name.endswith((".jsonl", ".ndjson")):
        for number, line in enumerate(text.splitlines(), 1):
            if line.strip():
                try:
                    yield f":{number}", json.loads(line)
                except json.JSONDecodeError as exc:
                    yield f":{number}", _bad_json(exc)
                except RecursionError:
                    yield f":{number}", veris.VerisError(_("JSON nested too deeply"),
                                                         _("not valid JSON"))
        return
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _bad_json(exc) from None
    except RecursionError:
        raise veris.VerisError(_("JSON nested too deeply"), _("not valid JSON")) from None
    if isinstance(doc, list):
        if not doc:
            raise veris.VerisError(_("an empty list: no incident in it"),
                                   _("no incident in it"))
        for i, item in enumerate(doc):
            yield f"[{i}]", item
    else:
        yield "", doc


class Keys:
    """Record keys seen in this run: a key seen again with other content gets a suffix."""

    def __init__(self) -> None:
        self.seen: dict[str, str] = {}  # key -> content hash

    def assign(self, key: str, chash: str) -> tuple[str, bool]:
        """(key to store it under, True when it is an identical copy already read)."""
        n, candidate = 1, key
        while candidate in self.seen:
            if self.seen[candidate] == chash:
                return candidate, True
            n += 1
            candidate = f"{key}~{n}"
        self.seen[candidate] = chash
        return candidate, False


def to_record(doc: Any, where: str) -> tuple[Record, veris.VerisRecord]:
    try:
        rec = veris.parse(doc)
        chash = veris.content_hash(doc)
    except RecursionError:  # nested just under json's limit: too deep for the rest
        raise veris.VerisError(_("JSON nested too deeply"), _("not valid JSON")) from None
    external = dict(rec.external, outside_schema=bool(rec.outside),
                    schema_warnings=rec.outside[:50], schema_mappings=rec.mapped[:50])
    return Record(source="veris", source_id=rec.incident_id, where=where,
                  content_hash=chash, original=doc, report=rec.report,
                  external=external, attributes=rec.attributes), rec


def read_record(path: Path, where: str) -> Record:
    """The one incident of a file (tests and tools)."""
    docs = list(read_documents(path))
    if isinstance(docs[0][1], veris.VerisError):
        raise docs[0][1]
    return to_record(docs[0][1], where)[0]


def import_veris(root: Path, *, on_skip: Callable[[str, str, str], None],
                 progress: Progress | None = None, batch_size: int = 500, actor=None) -> Stats:
    """Import every VERIS incident under `root`; return what was created/updated/skipped
    and what was mapped or kept outside the schema. One audit event records the import
    and its counts."""
    if not root.exists():
        raise ImportFileError(_("%(path)s does not exist") % {"path": root})
    stats = Stats()
    writer = Writer("veris", stats, on_skip, batch_size)
    keys = Keys()
    for path in iter_files(root):
        where = str(path.relative_to(root)) if path != root else path.name
        try:
            for suffix, doc in read_documents(path):
                here = where + suffix
                try:
                    if isinstance(doc, veris.VerisError):
                        raise doc
                    record, rec = to_record(doc, here)
                except veris.VerisError as exc:
                    stats.skipped[exc.category] += 1
                    on_skip(here, exc.category, str(exc))
                    continue
                record.source_id, copy = keys.assign(record.source_id, record.content_hash)
                if copy:
                    stats.duplicates += 1
                    continue
                if record.source_id != rec.incident_id:
                    stats.shared_ids += 1
                stats.count_schema(rec.outside, rec.mapped)
                writer.add(record)
        except veris.VerisError as exc:
            stats.skipped[exc.category] += 1
            on_skip(where, exc.category, str(exc))
        except OSError as exc:
            stats.skipped["unreadable"] += 1
            on_skip(where, "unreadable", exc.strerror or str(exc))
        if progress:
            progress.update()
    writer.flush()
    audit_import("veris", root.name, stats, actor=actor)
    return stats
