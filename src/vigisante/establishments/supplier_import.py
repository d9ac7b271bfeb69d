"""Import the registry of which establishment uses which supplier and software (CSV).

Same file rules as the establishments import (UTF-8, comma or semicolon, header line, every
row checked before anything is written, one transaction, one audit event). A row says that
the establishment with this FINESS number uses this supplier, optionally for a software or
product, with a note. Suppliers not yet known are created; rows already present are kept
(their note updated).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from vigisante.core import audit
from vigisante.establishments import domain
from vigisante.establishments.importer import ImportFileError, RowError, read_rows
from vigisante.establishments.models import Establishment, Supplier, SupplierUse

COLUMNS = ["finess", "supplier", "product", "note", "siren"]
REQUIRED_COLUMNS = ["finess", "supplier"]
LIMITS = {"supplier": 200, "product": 200, "note": 500}

__all__ = ["COLUMNS", "REQUIRED_COLUMNS", "ImportFileError", "SupplierPlan", "apply_plan",
           "plan_import"]


@dataclass
class SupplierPlan:
    new_suppliers: dict[str, Supplier] = field(default_factory=dict)  # by lower-cased name
    to_create: list[SupplierUse] = field(default_factory=list)
    to_update: list[tuple[SupplierUse, str]] = field(default_factory=list)  # (use, old note)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})


def _clean(value: str) -> str:
    return " ".join((value or "").split())


def _row_values(row: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    values = {name: _clean(row.get(name, "")) for name in COLUMNS}
    values["finess"] = domain.normalise_finess(row.get("finess", ""))
    errors: dict[str, str] = {}
    if not values["finess"]:
        errors["finess"] = _("This field is required.")
    elif domain.finess_error(values["finess"]):
        errors["finess"] = domain.finess_error(values["finess"]) or ""
    if not values["supplier"]:
        errors["supplier"] = _("This field is required.")
    for name, limit in LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = _("At most %(n)d characters (this one has %(m)d).") % {
                "n": limit, "m": len(values[name])}
    if values["siren"] and not re.fullmatch(r"[0-9]{9}", values["siren"].replace(" ", "")):
        errors["siren"] = _("A SIREN number has 9 digits.")
    values["siren"] = values["siren"].replace(" ", "")
    return values, errors


def plan_import(text: str) -> SupplierPlan:
    """Validate every row against the registry; write nothing."""
    _header, rows = read_rows(text, COLUMNS, REQUIRED_COLUMNS,
                              _("The file has a header line but no rows."))
    plan = SupplierPlan()
    parsed = [(line, *_row_values(row)) for line, row in rows]
    establishments = Establishment.objects.in_bulk(
        {v["finess"] for _l, v, _e in parsed if v["finess"]}, field_name="finess")
    suppliers = {s.name.lower(): s for s in Supplier.objects.all()}
    existing = {(u.establishment_id, u.supplier_id, u.product.lower()): u
                for u in SupplierUse.objects.filter(establishment__in=establishments.values())}
    seen: dict[tuple[str, str, str], int] = {}
    for line, values, errors in parsed:
        est = establishments.get(values["finess"])
        if values["finess"] and "finess" not in errors and est is None:
            errors["finess"] = _("FINESS number %(f)s is not in the registry; import the "
                                 "establishment first.") % {"f": values["finess"]}
        key = (values["finess"], values["supplier"].lower(), values["product"].lower())
        if not errors and key in seen:
            errors["-"] = _("The same establishment, supplier and product are already on "
                            "line %(l)d.") % {"l": seen[key]}
        if errors:
            plan.errors.extend(RowError(line, k, v) for k, v in errors.items())
            continue
        seen[key] = line
        assert est is not None  # an empty or unknown FINESS is an error above
        _plan_row(plan, est, values, suppliers, existing)
    return plan


def _plan_row(plan: SupplierPlan, est: Establishment, values: dict[str, str],
              suppliers: dict[str, Supplier], existing: dict) -> None:
    name = values["supplier"].lower()
    supplier = suppliers.get(name) or plan.new_suppliers.get(name)
    if supplier is None:
        supplier = Supplier(name=values["supplier"], siren=values["siren"])
        plan.new_suppliers[name] = supplier
    use = existing.get((est.pk, supplier.pk, values["product"].lower())) \
        if supplier.pk else None
    if use is None:
        plan.to_create.append(SupplierUse(establishment=est, supplier=supplier,
                                          product=values["product"], note=values["note"]))
    elif use.note != values["note"]:
        old = use.note
        use.note = values["note"]
        plan.to_update.append((use, old))
    else:
        plan.unchanged += 1


def apply_plan(plan: SupplierPlan, *, actor=None, source: str = "") -> None:
    """Write the valid rows and one audit event, in one transaction."""
    with transaction.atomic():
        for supplier in plan.new_suppliers.values():
            supplier.save()
        for use in plan.to_create:
            use.supplier_id = use.supplier.pk
        SupplierUse.objects.bulk_create(plan.to_create, batch_size=500)
        SupplierUse.objects.bulk_update([u for u, _old in plan.to_update], ["note"],
                                        batch_size=500)
        audit.record(
            actor=actor, action="establishments.supplier_import",
            object_type="establishments.supplieruse",
            after={
                "source": source,
                "suppliers_created": sorted(s.name for s in plan.new_suppliers.values()),
                "created": [[u.establishment.finess, u.supplier.name, u.product]
                            for u in plan.to_create],
                "updated": [[u.establishment.finess, u.supplier.name, u.product,
                             {"before": old, "after": u.note}] for u, old in plan.to_update],
                "skipped_lines": plan.bad_lines,
            },
        )
