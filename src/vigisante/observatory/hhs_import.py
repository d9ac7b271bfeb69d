"""`import-hhs FILE.csv`: stream an HHS OCR breach portal export into observatory.HhsBreach.

HHS records are public data, not reports: each row is one lean HhsBreach row (one index:
the unique source_id), written as a prepared tuple, which is what lets a million rows import
at about 20,000 rows per CPU second on SQLite (as `reports.Report` rows with an incident
and attribute rows each, about 12 indexes in all, SQLite's inserts alone cost 50 us a row).

The file is read row by row (csv reader over a decoding stream) and written in batches, so
memory stays bounded whatever its size. Text is UTF-8 (with or without BOM); bytes that are
not UTF-8 are read as Windows-1252, as spreadsheets re-saving the export produce.

The source_id of a row is derived from its content (entity, state, date, entity type, type
and location of breach) plus its occurrence number among identical rows of the file: the
portal has genuinely distinct breaches with the same entity, date and type, and even one
exact duplicate row, and each row must stay one record. Occurrences are counted in a
temporary on-disk SQLite table, not in memory.

Reading and writing overlap. A large file is read and parsed by a second process (parsing
is Python work that holds the GIL, about 25 us a row; the database's writing about 15 us a
row): each gets a core, and the prepared batches come back through a pipe, pickled (the
child is this same code, started by us: nothing from outside is unpickled). A small file
(under PROCESS_MIN_BYTES), or a site whose settings are not named by DJANGO_SETTINGS_MODULE,
uses a thread instead (the process costs about 0.8 s to start). At most three batches are in
memory (one written, one in the pipe, one being read). Messages about skipped rows, the
counts and every write stay in the calling process, in the file's order; each batch is one
transaction, whichever reads.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import functools
import gzip
import io
import json
import os
import pickle
import queue
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import zipfile
import zlib
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.db import DatabaseError, connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from vigisante.observatory import hhs
from vigisante.observatory.importers import Stats, audit_import
from vigisante.observatory.models import HhsBreach
from vigisante.observatory.progress import Progress

ERRORS = "vigisante-cp1252"
BATCH = 25_000
# Files from this size up are parsed by a second process (about 25,000 rows)
PROCESS_MIN_BYTES = 16 * 1024 * 1024
READERS = ("auto", "process", "thread", "inline")
# A zipped or gzipped export is uncompressed to a temporary file of at most this size (a
# million rows are about 700 MB)
MAX_UNCOMPRESSED_BYTES = 8 * 1024**3
# SQLite's page cache for the import's connection while it runs (the default is 2 MiB):
# the unique index of a million imported records is written at random places
IMPORT_CACHE_KIB = 64 * 1024
# WAL pages before SQLite copies them into the database (the default is 1,000, 4 MiB):
# one commit of a batch is larger, so each commit was copied at once; copying every 100 MiB
# copies an index page dirtied by several batches once. Durability is the same (each commit
# is in the WAL); the WAL is emptied at the end.
IMPORT_WAL_PAGES = 25_600


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    if isinstance(exc, UnicodeDecodeError):
        return exc.object[exc.start:exc.end].decode("cp1252", errors="replace"), exc.end
    raise exc


codecs.register_error(ERRORS, _cp1252_fallback)
csv.field_size_limit(1024 * 1024)


class ImportFileError(Exception):
    """The file as a whole cannot be read: nothing is imported."""


class _Counting(io.RawIOBase):
    """A binary reader that counts the bytes read (for the progress bar)."""

    def __init__(self, raw) -> None:
        self.raw = raw
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = self.raw.readinto(buffer)
        self.read_bytes += n or 0
        return n


def _open_text(raw) -> tuple[_Counting, io.TextIOWrapper]:
    """The file's text (UTF-8 with or without BOM, else Windows-1252 bytes), counting the
    bytes read."""
    counting = _Counting(raw)
    return counting, io.TextIOWrapper(io.BufferedReader(counting, 1 << 16),
                                      encoding="utf-8-sig", errors=ERRORS, newline="")


class OccurrenceCounter:
    """How many times each key has been seen so far, kept on disk (bounded memory)."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="vigisante-hhs-", suffix=".sqlite3")
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                              "PRAGMA cache_size=-65536; CREATE TABLE seen "
                              "(key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;")

    def next(self, key: str) -> int:
        return self.assign([key])[0]

    def assign(self, keys: list[str]) -> list[int]:
        """The occurrence number of each key of a batch, in order (one query for the
        batch's keys, one write)."""
        counts: dict[str, int] = dict(self.db.execute(
            "SELECT s.key, s.n FROM json_each(?) j CROSS JOIN seen s ON s.key = j.value",
            (json.dumps(list(dict.fromkeys(keys))),)))
        out = []
        for key in keys:
            counts[key] = n = counts.get(key, 0) + 1
            out.append(n)
        self.db.executemany("INSERT INTO seen (key, n) VALUES (?, ?) ON CONFLICT(key) DO "
                            "UPDATE SET n = excluded.n", counts.items())
        return out

    def close(self) -> None:
        self.db.close()
        # A temp-folder cleaner may have removed it already: the import is done either way.
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


# The columns of observatory.HhsBreach an import writes, in the order of `_Batch.rows`
COLUMNS = ("source_id", "content_hash", "created_at", "entity_type", "state", "breach_types",
           "locations", "records_affected", "ransomware", "business_associate", "original")
JSON_COLUMNS = {"breach_types", "locations", "original"}


@dataclass
class _Batch:
    rows: list[tuple] = field(default_factory=list)  # HhsBreach values, in COLUMNS order
    lines: list[int] = field(default_factory=list)  # the line of each row, for messages
    skips: list[tuple[str, str, str]] = field(default_factory=list)  # where, category, text
    read_bytes: int = 0
    error: csv.Error | None = None  # the file stops being CSV after this batch's rows


def _batches(reader, header: list[str], cols: dict[str, int], counting: _Counting,
             batch_size: int, adapt_datetime: Callable) -> Generator[_Batch, None, None]:
    """The file's rows, parsed, numbered and ready for the database (values in COLUMNS
    order, dates adapted by `adapt_datetime`), batch by batch: pure reading, no database."""
    counter = OccurrenceCounter()
    parser = hhs.RowParser(header, cols)
    pending: list[hhs.HhsRow] = []
    batch = _Batch()

    def done(error: csv.Error | None = None) -> _Batch:
        nonlocal batch, pending
        numbers = counter.assign([parsed.key for parsed in pending])
        batch.rows = [
            (f"{p.key}-{n}", p.content_hash, adapt_datetime(p.created_at), p.entity_type,
             p.state, _json_list(p.breach_types), _json_list(p.locations), p.records_affected,
             p.ransomware, p.business_associate, p.original)
            for p, n in zip(pending, numbers, strict=True)]
        batch.read_bytes, batch.error = counting.read_bytes, error
        out, batch, pending = batch, _Batch(), []
        return out

    try:
        try:
            for row in reader:
                if not any(v.strip() for v in row):
                    continue
                try:
                    parsed = parser.parse(row)
                except hhs.HhsError as exc:
                    batch.skips.append((f"line {reader.line_num}", exc.category, str(exc)))
                else:
                    pending.append(parsed)
                    batch.lines.append(reader.line_num)
                    if len(pending) >= batch_size:
                        yield done()
        except csv.Error as exc:
            yield done(exc)
            return
        yield done()
    finally:
        counter.close()


@functools.lru_cache(maxsize=1 << 12)
def _json_list(values: tuple[str, ...]) -> str:
    return json.dumps(list(values))


_END = object()


def _in_thread(batches: Generator[_Batch, None, None]) -> Generator[_Batch, None, None]:
    """`batches` read ahead by a thread (one batch waiting at most); an exception of the
    thread is raised here; closing this generator stops the thread."""
    out: queue.Queue = queue.Queue(maxsize=1)
    stop = threading.Event()
    language = translation.get_language()

    def put(item) -> bool:
        while not stop.is_set():
            try:
                out.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            with translation.override(language):  # messages in the caller's language
                for batch in batches:
                    if not put(batch):
                        return
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller
            put(exc)
            return
        finally:
            batches.close()
        put(_END)

    thread = threading.Thread(target=run, name="import-hhs-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        thread.join()


class _ChildError(Exception):
    """The reading process failed or stopped: the batches before were written."""


def child_main(fd: int, batch_size: int, language: str) -> None:
    """The reading process (`python -m vigisante.observatory.hhs_child`): reads the file open
    on `fd` from its start, and writes ("batch", _Batch) then ("end", None), or ("error",
    text), pickled, on standard output. Nothing touches the database."""
    out = sys.stdout.buffer
    sys.stdout = sys.stderr  # whatever else prints must not corrupt the stream
    # stopped by the importing process: unwind, so that the occurrence counter's temporary
    # file is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        with open(fd, "rb", closefd=True) as raw, translation.override(language):
            counting, text = _open_text(raw)
            reader = csv.reader(text)
            header = next(reader)
            adapt = functools.lru_cache(maxsize=1 << 14)(
                connection.ops.adapt_datetimefield_value)
            batches = _batches(reader, header, hhs.map_header(header), counting, batch_size,
                               adapt)
            with contextlib.closing(batches):
                for batch in batches:
                    pickle.dump(("batch", batch), out, protocol=pickle.HIGHEST_PROTOCOL)
                    out.flush()
    except BrokenPipeError:  # the importing process stopped reading: nothing to tell
        return
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - told to the importing process
        last: tuple = ("error", f"{type(exc).__name__}: {exc}")
    else:
        last = ("end", None)
    with contextlib.suppress(BrokenPipeError):
        pickle.dump(last, out)
        out.flush()


def _in_process(raw, batch_size: int) -> Generator[_Batch, None, None]:
    """The batches of the file open as `raw`, read and parsed by a second Python process
    (this package, the same settings); its failure is raised here as _ChildError; closing
    this generator stops the process."""
    # the child's temporary files (its occurrence counter) in a folder of ours, removed
    # whatever happens to the child
    scratch = tempfile.TemporaryDirectory(prefix="vigisante-hhs-")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p),
               TMPDIR=scratch.name)
    child = subprocess.Popen(
        [sys.executable, "-m", "vigisante.observatory.hhs_child", str(raw.fileno()),
         str(batch_size), translation.get_language() or "fr"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
        pass_fds=(raw.fileno(),), env=env)
    assert child.stdout is not None and child.stderr is not None
    errors = child.stderr
    stderr: list[bytes] = []
    # read standard error aside, so that a chatty child never blocks on a full pipe
    drain = threading.Thread(target=lambda: stderr.append(errors.read()), daemon=True)
    drain.start()
    finished = False
    try:
        while True:
            try:
                kind, item = pickle.load(child.stdout)
            except (EOFError, pickle.UnpicklingError):  # it died (while writing, maybe)
                child.wait()
                drain.join()
                raise _ChildError(_("the reading process stopped (exit code %(code)s): "
                                    "%(error)s") % {
                    "code": child.returncode,
                    "error": _last_line(b"".join(stderr))}) from None
            if kind == "batch":
                yield item
            elif kind == "error":
                raise _ChildError(item)
            else:
                finished = True
                return
    finally:
        child.stdout.close()
        if not finished:
            child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        drain.join()
        errors.close()
        scratch.cleanup()


def _last_line(text: bytes) -> str:
    lines = text.decode(errors="replace").strip().splitlines()
    return lines[-1] if lines else "-"


def _choose_reader(reader: str, path: Path) -> str:
    if reader != "auto":
        return reader
    try:
        large = path.stat().st_size >= PROCESS_MIN_BYTES
    except OSError:
        large = False
    return "process" if large and os.environ.get("DJANGO_SETTINGS_MODULE") else "thread"


@contextlib.contextmanager
def _import_connection() -> Iterator[None]:
    """A larger SQLite page cache and WAL for the import's connection while it runs
    (restored after, the WAL emptied). Durability settings are left as they are: every
    batch is committed as usual, and a crash never leaves one half written."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        cache = cursor.fetchone()[0]
        cursor.execute("PRAGMA wal_autocheckpoint")
        wal = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(IMPORT_CACHE_KIB)}")
        cursor.execute(f"PRAGMA wal_autocheckpoint = {int(IMPORT_WAL_PAGES)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(cache)}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(wal)}")
            if not connection.in_atomic_block:  # busy readers: the WAL is left as is
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                cursor.fetchall()


class _Writer:
    """Writes the batches into observatory.HhsBreach: one transaction per batch, one query
    to find the batch's records already imported, new ones inserted as prepared tuples
    (executemany on SQLite, COPY on PostgreSQL), changed ones updated, unchanged ones left
    alone. A batch the database refuses is written again row by row, so that one bad row is
    reported (with its line) and skipped without losing the others."""

    def __init__(self, stats: Stats, on_skip: Callable[[str, str, str], None]) -> None:
        self.stats, self.on_skip = stats, on_skip
        qn = connection.ops.quote_name
        self.table = qn(HhsBreach._meta.db_table)
        self.columns = ", ".join(qn(c) for c in COLUMNS)
        self.marks = ", ".join(["%s"] * len(COLUMNS))
        json_cast = "::jsonb" if connection.vendor == "postgresql" else ""
        self.set_changed = ", ".join(
            f"{qn(c)} = %s{json_cast if c in JSON_COLUMNS else ''}" for c in COLUMNS[1:])
        self.id, self.sid, self.chash = qn("id"), qn("source_id"), qn("content_hash")

    def write(self, batch: _Batch) -> None:
        try:
            with transaction.atomic():
                self._write(batch.rows)
        except DatabaseError:
            for row, line in zip(batch.rows, batch.lines, strict=True):
                try:
                    with transaction.atomic():
                        self._write([row])
                except DatabaseError as exc:
                    self.stats.skipped["database error"] += 1
                    self.on_skip(f"line {line}", "database error", str(exc).splitlines()[0])

    def _existing(self, source_ids: list[str]) -> dict[str, tuple[int, str]]:
        """{source_id: (id, content_hash)} of the batch's records already imported, in one
        query whatever their number (the ids as one parameter: a PostgreSQL array, a JSON
        array read by SQLite's json_each, one probe of the unique index per id)."""
        select = f"SELECT b.{self.sid}, b.{self.id}, b.{self.chash} FROM "
        if connection.vendor == "postgresql":
            sql = f"{select}{self.table} b WHERE b.{self.sid} = ANY(%s)"
            params: list[Any] = [source_ids]
        else:
            sql = f"{select}json_each(%s) j CROSS JOIN {self.table} b ON b.{self.sid} = j.value"
            params = [json.dumps(source_ids)]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return {sid: (pk, h) for sid, pk, h in cursor.fetchall()}

    def _write(self, rows: list[tuple]) -> None:
        if connection.vendor == "sqlite":
            new, changed = self._insert_sqlite(rows)
        else:
            new, changed = self._insert_copy(rows)
        if changed:
            with connection.cursor() as cursor:
                cursor.executemany(f"UPDATE {self.table} SET {self.set_changed} "
                                   f"WHERE {self.id} = %s", changed)
        self.stats.created += new
        self.stats.updated += len(changed)
        self.stats.unchanged += len(rows) - new - len(changed)

    def _classify(self, rows: list[tuple], inserted_after: int) -> list[tuple]:
        """The rows already imported with another content, as UPDATE parameters (their
        values then their id); records with an id above `inserted_after` were just
        inserted by this batch."""
        existing = self._existing([r[0] for r in rows])
        return [(*r[1:], existing[r[0]][0]) for r in rows
                if r[0] in existing and existing[r[0]][1] != r[1]
                and existing[r[0]][0] <= inserted_after]

    def _insert_sqlite(self, rows: list[tuple]) -> tuple[int, list[tuple]]:
        """INSERT every row, those already imported left alone by the unique index (one
        probe each, which the insert does anyway); only when some were already there does
        a query find which (ids are never reused: the batch's own are above the largest
        id before it, in the same transaction)."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COALESCE(MAX({self.id}), 0) FROM {self.table}")
            before = cursor.fetchone()[0]
            cursor.executemany(f"INSERT INTO {self.table} ({self.columns}) VALUES "
                               f"({self.marks}) ON CONFLICT ({self.sid}) DO NOTHING", rows)
            new = cursor.rowcount
        return new, ([] if new == len(rows) else self._classify(rows, before))

    def _insert_copy(self, rows: list[tuple]) -> tuple[int, list[tuple]]:
        """PostgreSQL: find the batch's records already imported (one query), COPY the
        others."""
        existing = self._existing([r[0] for r in rows])
        new = [r for r in rows if r[0] not in existing]
        if new:
            with connection.cursor() as cursor, connection.wrap_database_errors, \
                    cursor.cursor.copy(f"COPY {self.table} ({self.columns}) FROM STDIN") as copy:
                for values in new:
                    copy.write_row(values)
        return len(new), [(*r[1:], existing[r[0]][0]) for r in rows
                          if r[0] in existing and existing[r[0]][1] != r[1]]


def import_hhs(path: Path, *, on_skip: Callable[[str, str, str], None],
               progress: Progress | None = None, batch_size: int = BATCH,
               reader: str = "auto", actor=None) -> Stats:
    """Import every row of an HHS export; return what was created/updated/skipped. One
    audit event records the import and its counts. `reader`: who reads and parses the
    file while this process writes ("process", "thread", "inline": this process between
    writes; "auto": a process for a large file, else a thread)."""
    if reader not in READERS:
        raise ValueError(reader)
    with _uncompressed(path) as csv_path:
        if progress and csv_path != path:
            progress.total = csv_path.stat().st_size
        return _import_csv(path, csv_path, on_skip=on_skip, progress=progress,
                           batch_size=batch_size, reader=reader, actor=actor)


@contextlib.contextmanager
def _uncompressed(path: Path) -> Iterator[Path]:
    """The CSV file to read: `path` itself, or the one CSV file of a zip archive (as data
    sets are downloaded) or of a gzipped file, uncompressed into a temporary folder removed
    after the import (the reading process needs a real file)."""
    name = path.name.lower()
    if not name.endswith((".zip", ".gz")):
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="vigisante-hhs-") as folder:
        target = Path(folder) / "export.csv"
        try:
            if name.endswith(".gz"):
                with gzip.open(path, "rb") as src, open(target, "wb") as out:
                    _copy_capped(src, out, path)
            else:
                with zipfile.ZipFile(path) as archive:
                    members = [m for m in archive.infolist() if not m.is_dir()
                               and m.filename.lower().endswith(".csv")
                               and not m.filename.startswith("__MACOSX/")]
                    if len(members) != 1:
                        raise ImportFileError(_(
                            "%(path)s: a zip archive holding one CSV file is expected, this "
                            "one holds %(n)d") % {"path": path, "n": len(members)})
                    with archive.open(members[0]) as src, open(target, "wb") as out:
                        _copy_capped(src, out, path)
        except FileNotFoundError as exc:
            raise ImportFileError(_("cannot read %(path)s: %(error)s") % {
                "path": path, "error": exc.strerror or exc}) from None
        except (zipfile.BadZipFile, gzip.BadGzipFile, EOFError, zlib.error, RuntimeError,
                NotImplementedError) as exc:  # damaged, truncated, encrypted
            raise ImportFileError(_("%(path)s: not a readable archive (%(error)s)") % {
                "path": path, "error": exc}) from None
        yield target


def _copy_capped(src, out, path: Path) -> None:
    """Uncompress `src` into `out`, refused past MAX_UNCOMPRESSED_BYTES (a small archive can
    claim any size and expand far beyond it)."""
    written = 0
    while chunk := src.read(1 << 20):
        written += len(chunk)
        if written > MAX_UNCOMPRESSED_BYTES:
            raise ImportFileError(_("%(path)s: over %(n)d bytes once uncompressed: refused") % {
                "path": path, "n": MAX_UNCOMPRESSED_BYTES})
        out.write(chunk)


def _import_csv(path: Path, csv_path: Path, *, on_skip: Callable[[str, str, str], None],
                progress: Progress | None, batch_size: int, reader: str, actor) -> Stats:
    """import_hhs of `csv_path`, the CSV of `path` (named in messages and the audit)."""
    try:
        raw = open(csv_path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ImportFileError(_("cannot read %(path)s: %(error)s") % {
            "path": path, "error": exc.strerror or exc}) from None
    counting, text = _open_text(raw)
    stats = Stats()
    writer = _Writer(stats, on_skip)
    adapt_datetime = functools.lru_cache(maxsize=1 << 14)(
        connection.ops.adapt_datetimefield_value)
    error: csv.Error | str | None = None
    try:
        rows = csv.reader(text)
        try:
            header = next(rows, None)
        except csv.Error as exc:
            raise ImportFileError(_("%(path)s: malformed CSV (%(error)s); the rows before "
                                    "it were imported") % {"path": path, "error": exc}) \
                from None
        if not header:
            raise ImportFileError(_("%(path)s is empty") % {"path": path})
        try:
            cols = hhs.map_header(header)
        except hhs.HhsError as exc:
            raise ImportFileError(f"{path}: {exc}") from None
        reader = _choose_reader(reader, csv_path)
        batches: Generator[_Batch, None, None]
        if reader == "process":
            batches = _in_process(raw, batch_size)
        else:
            batches = _batches(rows, header, cols, counting, batch_size, adapt_datetime)
            if reader == "thread":
                batches = _in_thread(batches)
        with _import_connection(), contextlib.closing(batches):
            try:
                for batch in batches:
                    for where, category, message in batch.skips:
                        stats.skipped[category] += 1
                        on_skip(where, category, message)
                    if batch.rows:
                        writer.write(batch)
                    if progress:
                        progress.update(done=batch.read_bytes, items=len(batch.rows))
                    error = batch.error or error
            except _ChildError as exc:
                error = str(exc)
        audit_import("hhs", path.name, stats, actor=actor, model=HhsBreach,
                     error=str(error) if error else "")
    finally:
        text.close()
    if isinstance(error, str):
        raise ImportFileError(_("%(path)s: the import stopped (%(error)s); the rows before "
                                "it were imported") % {"path": path, "error": error})
    if error is not None:
        raise ImportFileError(_("%(path)s: malformed CSV (%(error)s); the rows before it "
                                "were imported") % {"path": path, "error": error})
    return stats
