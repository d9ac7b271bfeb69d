"""`import-hhs FILE.csv`: stream an HHS OCR breach portal export into reports.

The file is read row by row (csv reader over a decoding stream) and written in batches, so
memory stays bounded whatever its size. Text is UTF-8 (with or without BOM); bytes that are
not UTF-8 are read as Windows-1252, as spreadsheets re-saving the export produce.

The source_id of a row is derived from its content (entity, state, date, entity type, type
and location of breach) plus its occurrence number among identical rows of the file: the
portal has genuinely distinct breaches with the same entity, date and type, and even one
exact duplicate row, and each row must stay one record. Occurrences are counted in a
temporary on-disk SQLite table, not in memory.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
import os
import sqlite3
import tempfile
from collections.abc import Callable
from pathlib import Path

from django.utils.translation import gettext as _

from vigisante.observatory import hhs
from vigisante.observatory.importers import Record, Stats, Writer
from vigisante.observatory.progress import Progress

ERRORS = "vigisante-cp1252"


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
        """The occurrence number of each key of a batch, in order (one query per 500
        distinct keys, one write for the batch)."""
        counts: dict[str, int] = {}
        distinct = list(dict.fromkeys(keys))
        for i in range(0, len(distinct), 500):
            chunk = distinct[i:i + 500]
            counts.update(self.db.execute(
                f"SELECT key, n FROM seen WHERE key IN ({','.join('?' * len(chunk))})",
                chunk))
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


def import_hhs(path: Path, *, on_skip: Callable[[str, str, str], None],
               progress: Progress | None = None, batch_size: int = 5000) -> Stats:
    """Import every row of an HHS export; return what was created/updated/skipped."""
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise ImportFileError(_("cannot read %(path)s: %(error)s") % {
            "path": path, "error": exc.strerror or exc}) from None
    counting = _Counting(raw)
    text = io.TextIOWrapper(io.BufferedReader(counting, 1 << 16), encoding="utf-8-sig",
                            errors=ERRORS, newline="")
    counter = OccurrenceCounter()
    stats = Stats()
    writer = Writer("hhs", stats, on_skip, batch_size)
    pending: list[tuple[str, hhs.HhsRow]] = []

    def write() -> None:
        numbers = counter.assign([parsed.key for _w, parsed in pending])
        for (where, parsed), n in zip(pending, numbers, strict=True):
            writer.add(Record("hhs", f"{parsed.key}-{n}", where, parsed.content_hash,
                              parsed.original, parsed.report, parsed.external,
                              parsed.attributes))
        pending.clear()
        if progress:
            progress.update(done=counting.read_bytes, items=len(numbers))

    try:
        reader = csv.reader(text)
        header = next(reader, None)
        if not header:
            raise ImportFileError(_("%(path)s is empty") % {"path": path})
        try:
            cols = hhs.map_header(header)
        except hhs.HhsError as exc:
            raise ImportFileError(f"{path}: {exc}") from None
        for row in reader:
            if not any(v.strip() for v in row):
                continue
            try:
                parsed = hhs.parse_row(row, header, cols)
            except hhs.HhsError as exc:
                where = f"line {reader.line_num}"
                stats.skipped[exc.category] += 1
                on_skip(where, exc.category, str(exc))
            else:
                pending.append((f"line {reader.line_num}", parsed))
                if len(pending) >= batch_size:
                    write()
        if pending:
            write()
        writer.flush()
    except csv.Error as exc:
        if pending:
            write()
        writer.flush()
        raise ImportFileError(_("%(path)s: malformed CSV (%(error)s); the rows before it "
                                "were imported") % {"path": path, "error": exc}) from None
    finally:
        counter.close()
        text.close()
    return stats
