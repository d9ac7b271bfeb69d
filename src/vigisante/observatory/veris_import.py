"""`import-veris DIR`: stream the VERIS JSON files of a folder (recursively) into reports.

Files are read one at a time (bounded memory whatever their number); each one is validated
before anything is written, and a file that does not validate is reported with its reason
and skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from django.utils.translation import gettext as _

from vigisante.observatory import veris
from vigisante.observatory.importers import Record, Stats, Writer
from vigisante.observatory.progress import Progress

MAX_FILE_BYTES = 5 * 1024 * 1024


class ImportFileError(Exception):
    """The input as a whole cannot be read: nothing is imported."""


def iter_files(root: Path) -> Iterator[Path]:
    """Every *.json file under `root` (any case), depth first, without listing a whole
    folder in memory."""
    if root.is_file():
        yield root
        return
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
                elif entry.is_file() and entry.name.lower().endswith(".json"):
                    yield Path(entry.path)


def count_files(root: Path) -> int:
    return sum(1 for _ in iter_files(root))


def read_record(path: Path, where: str) -> Record:
    """Read, validate and map one file; VerisError/ValueError say why it is refused."""
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise veris.VerisError(_("file too large (%(n)d bytes)") % {"n": size},
                               _("file too large"))
    try:
        doc = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise veris.VerisError(_("not UTF-8 text")) from None
    except json.JSONDecodeError as exc:
        raise veris.VerisError(_("not valid JSON (%(error)s, line %(line)d)") % {
            "error": exc.msg, "line": exc.lineno}, _("not valid JSON")) from None
    except RecursionError:
        raise veris.VerisError(_("JSON nested too deeply"), _("not valid JSON")) from None
    rec = veris.parse(doc)
    return Record(source="veris", source_id=rec.incident_id, where=where,
                  content_hash=veris.content_hash(doc), original=doc, report=rec.report,
                  external=rec.external, attributes=rec.attributes)


def import_veris(root: Path, *, on_skip: Callable[[str, str, str], None],
                 progress: Progress | None = None, batch_size: int = 500) -> Stats:
    """Import every VERIS file under `root`; return what was created/updated/skipped."""
    if not root.exists():
        raise ImportFileError(_("%(path)s does not exist") % {"path": root})
    stats = Stats()
    writer = Writer("veris", stats, on_skip, batch_size)
    for path in iter_files(root):
        where = str(path.relative_to(root)) if path != root else path.name
        try:
            writer.add(read_record(path, where))
        except veris.VerisError as exc:
            stats.skipped[exc.category] += 1
            on_skip(where, exc.category, str(exc))
        except OSError as exc:
            stats.skipped["unreadable"] += 1
            on_skip(where, "unreadable", exc.strerror or str(exc))
        if progress:
            progress.update()
    writer.flush()
    return stats
