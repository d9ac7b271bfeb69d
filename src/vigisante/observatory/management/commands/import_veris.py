"""`vigisante import-veris PATH`: import VERIS incidents of any schema version (1.2 to
1.4.1), as real data sets mix them.

Values a later VERIS renamed are mapped to their 1.4.1 name; values outside the 1.4.1 schema
are kept as written and the record is flagged "outside the schema", with a warning in the
summary; only what cannot be read (not JSON, not UTF-8, no incident at all) is skipped, with
its reason. The original JSON is stored. Importing again updates changed records and leaves
the others alone. See veris_import and docs/observatory.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from vigisante.observatory import veris_import
from vigisante.observatory.management.commands._importing import ImportCommand
from vigisante.observatory.progress import Progress


class Command(ImportCommand):
    help = ("Import VERIS incidents of any schema version (*.json, *.jsonl, also gzipped or "
            "in a zip archive such as VCDB's vcdb.json.zip; a file or a folder, searched "
            "recursively).")

    def add_arguments(self, parser):
        parser.add_argument("path", help="folder of VERIS *.json files, or one file or archive")
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument("--quiet", action="store_true",
                            help="do not list skipped files (the summary still counts them)")

    def handle(self, *args, path: str, batch_size: int, quiet: bool, **options):
        root = Path(path)
        if not root.exists():
            raise CommandError(_("%(path)s does not exist.") % {"path": path})
        progress = Progress(None, _("files"), stream=sys.stderr)
        if progress.enabled:
            progress.total = veris_import.count_files(root)
        stats = veris_import.import_veris(root, on_skip=self.on_skip_factory(quiet),
                                          progress=progress, batch_size=max(batch_size, 1))
        progress.close()
        self.summary(stats)
