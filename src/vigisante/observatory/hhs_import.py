"""`import-hhs FILE.csv`: stream an HHS OCR breach portal export into reports.

The file is read row by row (csv reader over a decoding stream) and written in batches, so
memory stays bounded whatever its size. Text is UTF-8 (with or without BOM); bytes that are
not UTF-8 are read as Windows-1252, as spreadsheets re-saving the export produce.

The source_id of a row is derived from its content (entity, state, date, entity type, type
and location of breach) plus its occurrence number among identical rows of the file: the
portal has genuinely distinct breaches with the same entity, date and type, and even one
exact duplicate row, and each row must stay one record. Occurrences are counted in a
temporary on-disk SQLite table, not in memory.

Reading and writing overlap: a thread reads and parses the next batch while the database
writes the current one (SQLite and PostgreSQL's drivers release the GIL while the database
works). At most three batches are in memory (one written, one waiting, one being read).
Messages about skipped rows, the counts and every write stay in the calling thread, in the
file's order; each batch is one transaction, as without the thread.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import json
import os
import queue
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection
from django.utils import translation
from django.utils.translation import gettext as _

from vigisante.observatory import hhs
from vigisante.observatory.importers import Record, Stats, Writer, audit_import
from vigisante.observatory.progress import Progress

ERRORS = "vigisante-cp1252"
BATCH = 10_000
# SQLite's page cache for the import's connection while it runs (the default is 2 MiB):
# the unique indexes of a million imported records are written at random places
IMPORT_CACHE_KIB = 64 * 1024


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


class OccurrenceCounter:
    """How many times each key has been seen so far, kept on disk (bounded memory)."""

    def __init__(self) -> None:
        fd, self.path = tempfile.mkstemp(prefix="vigisante-hhs-", suffix=".sqlite3")
        os.close(fd)
        self.db = sqlite3.connect(self.path)
        self.db.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
                              "PRAGMA cache_size=-8000; CREATE TABLE seen "
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


@dataclass
class _Batch:
    records: list[Record] = field(default_factory=list)
    skips: list[tuple[str, str, str]] = field(default_factory=list)  # where, category, text
    read_bytes: int = 0
    error: csv.Error | None = None  # the file stops being CSV after this batch's rows


def _batches(reader, header: list[str], cols: dict[str, int], counting: _Counting,
             batch_size: int) -> Generator[_Batch, None, None]:
    """The file's rows, parsed and numbered, batch by batch (pure reading: no database)."""
    counter = OccurrenceCounter()
    parser = hhs.RowParser(header, cols)
    pending: list[tuple[str, hhs.HhsRow]] = []
    batch = _Batch()

    def done(error: csv.Error | None = None) -> _Batch:
        nonlocal batch, pending
        numbers = counter.assign([parsed.key for _w, parsed in pending])
        batch.records = [
            Record("hhs", f"{parsed.key}-{n}", where, parsed.content_hash, parsed.original,
                   parsed.report, parsed.external, parsed.attributes)
            for (where, parsed), n in zip(pending, numbers, strict=True)]
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
                    pending.append((f"line {reader.line_num}", parsed))
                    if len(pending) >= batch_size:
                        yield done()
        except csv.Error as exc:
            yield done(exc)
            return
        yield done()
    finally:
        counter.close()


_END = object()


def _in_thread(batches: Generator[_Batch, None, None]) -> Iterator[_Batch]:
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


@contextlib.contextmanager
def _import_connection() -> Iterator[None]:
    """A larger SQLite page cache for the import's connection while it runs (restored
    after). Durability settings are left as they are: every batch is committed as usual."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = -{int(IMPORT_CACHE_KIB)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(before)}")


def import_hhs(path: Path, *, on_skip: Callable[[str, str, str], None],
               progress: Progress | None = None, batch_size: int = BATCH,
               threaded: bool = True, actor=None) -> Stats:
    """Import every row of an HHS export; return what was created/updated/skipped. One
    audit event records the import and its counts."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ImportFileError(_("cannot read %(path)s: %(error)s") % {
            "path": path, "error": exc.strerror or exc}) from None
    counting = _Counting(raw)
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 16), encoding="utf-8-sig",
                            errors=ERRORS, newline="")
    stats = Stats()
    writer = Writer("hhs", stats, on_skip, batch_size)
    error: csv.Error | None = None
    try:
        reader = csv.reader(text)
        try:
            header = next(reader, None)
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
        batches = _batches(reader, header, cols, counting, batch_size)
        with _import_connection():
            for batch in (_in_thread(batches) if threaded else batches):
                for where, category, message in batch.skips:
                    stats.skipped[category] += 1
                    on_skip(where, category, message)
                for record in batch.records:
                    writer.add(record)
                writer.flush()
                if progress:
                    progress.update(done=batch.read_bytes, items=len(batch.records))
                error = batch.error or error
        audit_import("hhs", path.name, stats, actor=actor,
                     error=str(error) if error else "")
    finally:
        text.close()
    if error is not None:
        raise ImportFileError(_("%(path)s: malformed CSV (%(error)s); the rows before it "
                                "were imported") % {"path": path, "error": error})
    return stats
