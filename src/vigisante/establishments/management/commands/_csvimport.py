"""What `import-establishments` and `import-suppliers` share: read a CSV file, plan it, report
the bad rows, write it in one transaction (or nothing), and say what was done."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vigisante.establishments import importer


class CsvImportCommand(BaseCommand):
    """A subclass gives `plan_import`, `apply_plan`, `conflict` (the message when the
    registry changed meanwhile) and `summary` (what one plan did)."""

    conflict = ""

    def plan_import(self, text: str) -> Any:
        raise NotImplementedError

    def apply_plan(self, plan: Any, *, source: str) -> None:
        raise NotImplementedError

    def summary(self, plan: Any) -> str:
        raise NotImplementedError

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
                plan = self.plan_import(text)
                self._report_errors(plan, skip_invalid)
                if not dry_run:
                    self.apply_plan(plan, source=path.name)
        except importer.ImportFileError as exc:
            raise CommandError(_("%(file)s: %(error)s Nothing was imported.") % {
                "file": file, "error": exc}) from None
        except IntegrityError:
            raise CommandError(self.conflict) from None
        summary = self.summary(plan)
        if dry_run:
            summary = _("Dry run, nothing written.") + " " + summary
        self.stdout.write(summary)

    def _report_errors(self, plan: Any, skip_invalid: bool) -> None:
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
