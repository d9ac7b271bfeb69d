"""`vigisante import-hhs FILE.csv`: import a US HHS OCR breach portal export.

Rows are streamed and written in batches; a row that cannot be read is reported (line and
reason) and skipped. Importing the same file again updates changed rows and never
duplicates them.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from vigisante.observatory import hhs_import
from vigisante.observatory.management.commands._importing import ImportCommand
from vigisante.observatory.progress import Progress


class Command(ImportCommand):
    help = "Import a CSV export of the US HHS OCR breach portal."

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file as exported by the portal (or a zip "
                            "archive holding it, or the CSV gzipped)")
        parser.add_argument("--batch-size", type=int, default=hhs_import.BATCH)
        parser.add_argument("--quiet", action="store_true",
                            help="do not list skipped rows (the summary still counts them)")

    def handle(self, *args, file: str, batch_size: int, quiet: bool, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("%(file)s is not a file.") % {"file": file})
        progress = Progress(path.stat().st_size, _("rows"), stream=sys.stderr)
        try:
            stats = hhs_import.import_hhs(path, on_skip=self.on_skip_factory(quiet),
                                          progress=progress, batch_size=max(batch_size, 1))
        except hhs_import.ImportFileError as exc:
            progress.close()
            raise CommandError(str(exc)) from None
        progress.close()
        self.summary(stats)
