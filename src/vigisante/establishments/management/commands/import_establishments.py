"""`vigisante import-establishments FILE.csv [--skip-invalid] [--dry-run]`.

See docs/establishments-import.md for the columns and codes.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vigisante.establishments import importer


class Command(BaseCommand):
    help = ("Create or update establishments from a CSV file (UTF-8, comma or semicolon). "
            "Columns: " + ",".join(importer.COLUMNS) + "; required: "
            + ",".join(importer.REQUIRED_COLUMNS) + ". A file with any bad row imports "
            "nothing unless --skip-invalid.")

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file to import")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="import the valid rows and report the invalid ones")
        parser.add_argument("--dry-run", action="store_true",
                            help="validate and report, write nothing")

    def handle(self, *args, file: str, skip_invalid: bool, dry_run: bool, **options):
        path = Path(file)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(_("Cannot read %(file)s: %(error)s") % {
                "file": file, "error": exc.strerror or exc}) from None
        try:
            text = importer.decode(data)
            with transaction.atomic():
                plan = importer.plan_import(text)
                self._report_errors(plan, skip_invalid)
                if not dry_run:
                    importer.apply_plan(plan, source=path.name)
        except importer.ImportFileError as exc:
            raise CommandError(_("%(file)s: %(error)s Nothing was imported.") % {
                "file": file, "error": exc}) from None
        except IntegrityError:
            raise CommandError(_("The registry changed while importing (a FINESS number was "
                                 "added at the same time). Nothing was imported; run the "
                                 "import again.")) from None
        self._summary(plan, dry_run)

    def _report_errors(self, plan: importer.ImportPlan, skip_invalid: bool) -> None:
        for error in plan.errors:
            prefix = _("Skipped") + " " if skip_invalid else ""
            self.stderr.write(prefix + str(error))
        if plan.errors and not skip_invalid:
            count = len(plan.bad_lines)
            raise CommandError(ngettext(
                "%(n)d row has errors: nothing was imported. Fix it, or use --skip-invalid "
                "to import the valid rows.",
                "%(n)d rows have errors: nothing was imported. Fix them, or use "
                "--skip-invalid to import the valid rows.", count) % {"n": count})

    def _summary(self, plan: importer.ImportPlan, dry_run: bool) -> None:
        summary = _("Created: %(created)d, updated: %(updated)d, unchanged: %(unchanged)d, "
                    "skipped: %(skipped)d.") % {
            "created": len(plan.to_create), "updated": len(plan.to_update),
            "unchanged": plan.unchanged, "skipped": len(plan.bad_lines)}
        if dry_run:
            summary = _("Dry run, nothing written.") + " " + summary
        self.stdout.write(summary)
