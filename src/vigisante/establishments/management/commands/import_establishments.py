"""`vigisante import-establishments FILE.csv [--skip-invalid] [--dry-run]`.

See docs/establishments-import.md for the columns and codes.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from vigisante.establishments import importer
from vigisante.establishments.management.commands._csvimport import CsvImportCommand


class Command(CsvImportCommand):
    help = ("Create or update establishments from a CSV file (UTF-8, comma or semicolon). "
            "Columns: " + ",".join(importer.COLUMNS) + "; required: "
            + ",".join(importer.REQUIRED_COLUMNS) + ". A file with any bad row imports "
            "nothing unless --skip-invalid.")

    @property
    def conflict(self) -> str:  # type: ignore[override]
        return _("The registry changed while importing (a FINESS number was added at the "
                 "same time). Nothing was imported; run the import again.")

    def plan_import(self, text: str) -> importer.ImportPlan:
        return importer.plan_import(text)

    def apply_plan(self, plan: importer.ImportPlan, *, source: str) -> None:
        importer.apply_plan(plan, source=source)

    def summary(self, plan: importer.ImportPlan) -> str:
        return _("Created: %(created)d, updated: %(updated)d, unchanged: %(unchanged)d, "
                 "skipped: %(skipped)d.") % {
            "created": len(plan.to_create), "updated": len(plan.to_update),
            "unchanged": plan.unchanged, "skipped": len(plan.bad_lines)}
