"""`vigisante import-suppliers FILE.csv [--skip-invalid] [--dry-run]`.

Which establishment uses which supplier and software; see docs/establishments-import.md.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from vigisante.establishments import supplier_import
from vigisante.establishments.management.commands._csvimport import CsvImportCommand


class Command(CsvImportCommand):
    help = ("Record which establishment uses which supplier and software, from a CSV file "
            "(UTF-8, comma or semicolon). Columns: " + ",".join(supplier_import.COLUMNS)
            + "; required: " + ",".join(supplier_import.REQUIRED_COLUMNS) + ". A file with "
            "any bad row imports nothing unless --skip-invalid.")

    @property
    def conflict(self) -> str:  # type: ignore[override]
        return _("The registry changed while importing. Nothing was imported; run the "
                 "import again.")

    def plan_import(self, text: str) -> Any:
        return supplier_import.plan_import(text)

    def apply_plan(self, plan: Any, *, source: str) -> None:
        supplier_import.apply_plan(plan, source=source)

    def summary(self, plan: Any) -> str:
        return _("Suppliers created: %(suppliers)d. Uses created: %(created)d, updated: "
                 "%(updated)d, unchanged: %(unchanged)d, skipped: %(skipped)d.") % {
            "suppliers": len(plan.new_suppliers), "created": len(plan.to_create),
            "updated": len(plan.to_update), "unchanged": plan.unchanged,
            "skipped": len(plan.bad_lines)}
