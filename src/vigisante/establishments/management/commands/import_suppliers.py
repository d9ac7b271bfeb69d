"""`vigisante import-suppliers FILE.csv [--skip-invalid] [--dry-run]`.

Which establishment uses which supplier and software; see docs/establishments-import.md.
"""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from vigisante.establishments import importer, supplier_import


class Command(BaseCommand):
    help = ("Record which establishment uses which supplier and software, from a CSV file "
            "(UTF-8, comma or semicolon). Columns: " + ",".join(supplier_import.COLUMNS)
            + "; required: " + ",".join(supplier_import.REQUIRED_COLUMNS) + ". A file with "
            "any bad row imports nothing unless --skip-invalid.")

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
                plan = supplier_import.plan_import(text)
                self._report_errors(plan, skip_invalid)
                if not dry_run:
                    supplier_import.apply_plan(plan, source=path.name)
        except importer.ImportFileError as exc:
            raise CommandError(_("%(file)s: %(error)s Nothing was imported.") % {
                "file": file, "error": exc}) from None
        except IntegrityError:
            raise CommandError(_("The registry changed while importing. Nothing was "
                                 "imported; run the import again.")) from None
        summary = _("Suppliers created: %(suppliers)d. Uses created: %(created)d, updated: "
                    "%(updated)d, unchanged: %(unchanged)d, skipped: %(skipped)d.") % {
            "suppliers": len(plan.new_suppliers), "created": len(plan.to_create),
            "updated": len(plan.to_update), "unchanged": plan.unchanged,
            "skipped": len(plan.bad_lines)}
        if dry_run:
            summary = _("Dry run, nothing written.") + " " + summary
        self.stdout.write(summary)

    def _report_errors(self, plan, skip_invalid: bool) -> None:
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
