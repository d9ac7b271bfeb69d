"""Import the establishments registry from a CSV file (UTF-8, comma or semicolon).

`plan_import(data)` parses and validates every row without writing anything; `apply_plan`
writes a plan in one transaction. A file-level problem (not UTF-8, empty, missing columns)
raises `ImportFileError`; row problems are collected with their line number and field.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from vigisante.core import audit, events
from vigisante.establishments import domain
from vigisante.establishments.models import Category, Establishment, LegalStatus, Nis2Status, Sector
from vigisante.establishments.regions import REGIONS

COLUMNS = ["finess", "name", "category", "sector", "legal_status", "departement", "region",
           "nis2_status", "insured", "town"]
REQUIRED_COLUMNS = ["finess", "name", "category", "legal_status"]
TRUE_VALUES = {"1", "true", "yes", "y", "oui", "o", "vrai", "x"}
FALSE_VALUES = {"", "0", "false", "no", "n", "non", "faux"}
CHOICES = {
    "category": Category.values,
    "sector": Sector.values,
    "legal_status": LegalStatus.values,
    "nis2_status": Nis2Status.values,
}


_TOO_WIDE = "__too_wide__"  # marks a row with more values than the header has columns


class ImportFileError(Exception):
    """The file as a whole cannot be read: nothing is imported."""


@dataclass
class RowError:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return _("line %(line)d, %(field)s: %(message)s") % {
            "line": self.line, "field": self.field, "message": self.message}


@dataclass
class ImportPlan:
    to_create: list[Establishment] = field(default_factory=list)
    to_update: list[tuple[Establishment, dict, dict]] = field(default_factory=list)
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def bad_lines(self) -> list[int]:
        return sorted({e.line for e in self.errors})


def _header_key(name: str) -> str:
    """'Département ' -> 'departement', 'Legal status' -> 'legal_status'."""
    name = unicodedata.normalize("NFKD", name.strip().lower())
    name = "".join(c for c in name if not unicodedata.combining(c))
    return name.replace(" ", "_").replace("-", "_")


def _code(value: str) -> str:
    return value.strip().lower().replace("-", "_").replace(" ", "_")


def decode(data: bytes) -> str:
    """UTF-8 with or without a byte-order mark; anything else is refused with its line."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            _("The file is not valid UTF-8 (line %(line)d, byte %(byte)d). Save it as "
              "\"CSV UTF-8\" and try again.") % {"line": line, "byte": exc.start + 1}
        ) from None
    if not text.strip():
        raise ImportFileError(_("The file is empty."))
    if "\x00" in text:
        # A NUL is no CSV text (and PostgreSQL refuses it in a text column).
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFileError(_("The file holds a NUL character (line %(line)d): it is not a "
                                "CSV text file.") % {"line": line})
    return text


def _delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_rows(text: str, columns: list[str] | None = None, required: list[str] | None = None,
              empty_message: str | None = None,
              ) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header (normalised column names) and each non-blank row with its first line.

    `columns` and `required` default to the establishments registry's."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, dict[str, str]]] = []
    header: list[str] | None = None
    previous_end = 0
    try:
        for record in reader:
            start, previous_end = previous_end + 1, reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = _check_header(record, start, columns or COLUMNS,
                                       required or REQUIRED_COLUMNS)
                continue
            if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
                rows.append((start, {_TOO_WIDE: str(len(record))}))
                continue
            rows.append((start, {name: (record[i] if i < len(record) else "")
                                 for i, name in enumerate(header) if name}))
    except csv.Error as exc:
        raise ImportFileError(_("Line %(line)d cannot be read as CSV: %(error)s") % {
            "line": reader.line_num, "error": exc}) from None
    if header is None:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(empty_message or _("The file has a header line but no "
                                                 "establishments."))
    return header, rows


def _check_header(record: list[str], line: int, columns: list[str],
                  required: list[str]) -> list[str]:
    header = [_header_key(cell) for cell in record]
    named = [h for h in header if h]
    unknown = [h for h in named if h not in columns]
    duplicated = sorted({h for h in named if named.count(h) > 1})
    missing = [c for c in required if c not in named]
    problems = []
    if missing:
        problems.append(_("missing required column(s): %(c)s") % {"c": ", ".join(missing)})
    if unknown:
        problems.append(_("unknown column(s): %(c)s") % {"c": ", ".join(unknown)})
    if duplicated:
        problems.append(_("column(s) given twice: %(c)s") % {"c": ", ".join(duplicated)})
    if problems:
        raise ImportFileError(
            _("Line %(line)d (the header) is not valid: %(problems)s. The columns are: "
              "%(columns)s (required: %(required)s).") % {
                "line": line, "problems": "; ".join(problems), "columns": ",".join(columns),
                "required": ",".join(required)})
    return header


def _parse_row(row: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """Turn the cells of one row into model values, deriving the optional ones."""
    errors: dict[str, str] = {}
    values: dict = {"finess": domain.normalise_finess(row.get("finess", "")),
                    "name": " ".join(row.get("name", "").split())}
    if "town" in row:  # optional column: a file without it keeps the towns already known
        values["town"] = " ".join(row["town"].split())
    for name, allowed in CHOICES.items():
        raw = _code(row.get(name, ""))
        if raw and raw not in allowed:
            errors[name] = _("'%(value)s' is not a valid code; use one of: %(codes)s.") % {
                "value": row.get(name, "").strip()[:50], "codes": ", ".join(allowed)}
        values[name] = raw
    values["nis2_status"] = values["nis2_status"] or Nis2Status.UNKNOWN
    if not values["sector"] and values["category"] in Category.values:
        values["sector"] = domain.sector_of(values["category"])
    departement = domain.normalise_departement(row.get("departement", ""))
    if not departement and not domain.finess_error(values["finess"]):
        departement = domain.departement_of(values["finess"])
    values["departement"] = departement
    region = row.get("region", "").strip().upper()
    if region and region not in REGIONS:
        errors["region"] = _("'%(value)s' is not a region code; use one of: %(codes)s.") % {
            "value": row.get("region", "").strip()[:50], "codes": ", ".join(REGIONS)}
    values["region"] = region or domain.region_of(departement) or ""
    insured = row.get("insured", "").strip().lower()
    if insured not in TRUE_VALUES | FALSE_VALUES:
        errors["insured"] = _("'%(value)s' is not yes or no (use 1 or 0).") % {
            "value": row.get("insured", "").strip()[:50]}
    values["insured"] = insured in TRUE_VALUES
    return values, errors


def _validate(instance: Establishment, errors: dict[str, str]) -> dict[str, str]:
    """Run the model's own validation (FINESS shape, choices, consistency, lengths)."""
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            key = "-" if name == NON_FIELD_ERRORS else name
            errors.setdefault(key, " ".join(messages))
    return errors


def _drop_consequences(errors: dict[str, str], row: dict[str, str]) -> dict[str, str]:
    """A derived column left empty is not a second error when its source is wrong."""
    derived_from = {"departement": "finess", "region": "departement", "sector": "category"}
    wrong = set(errors)
    for name, source in derived_from.items():
        if name in wrong and source in wrong and not row.get(name, "").strip():
            del errors[name]
    return errors


def plan_import(text: str) -> ImportPlan:
    """Validate every row; existing FINESS numbers are updated (upsert)."""
    _header, rows = read_rows(text)
    plan = ImportPlan()
    finesses = [domain.normalise_finess(r.get("finess", "")) for _line, r in rows]
    existing = Establishment.objects.in_bulk([f for f in finesses if f], field_name="finess")
    seen: dict[str, int] = {}
    for line, row in rows:
        if _TOO_WIDE in row:
            plan.errors.append(RowError(line, "-", _(
                "%(n)s values, more than the header's columns.") % {"n": row[_TOO_WIDE]}))
            continue
        values, errors = _parse_row(row)
        finess = values["finess"]
        instance = None
        if finess and finess in seen:
            errors.setdefault("finess", _("FINESS number %(f)s is already on line %(l)d.") % {
                "f": finess, "l": seen[finess]})
        elif finess:
            seen[finess] = line
            instance = existing.get(finess)
        before = audit.snapshot(instance, COLUMNS) if instance else None
        if instance is None:
            instance = Establishment(**values)
        else:
            for name, value in values.items():
                setattr(instance, name, value)
        errors = _drop_consequences(_validate(instance, errors), row)
        if errors:
            plan.errors.extend(RowError(line, k, v) for k, v in errors.items())
        elif before is None:
            plan.to_create.append(instance)
        else:
            old, new = audit.diff(before, audit.snapshot(instance, COLUMNS))
            if new:
                plan.to_update.append((instance, old, new))
            else:
                plan.unchanged += 1
    return plan


def apply_plan(plan: ImportPlan, *, actor=None, source: str = "") -> None:
    """Write the valid rows of a plan and one audit event, in one transaction."""
    with transaction.atomic():
        Establishment.objects.bulk_create(plan.to_create, batch_size=500)
        Establishment.objects.bulk_update([i for i, _o, _n in plan.to_update], COLUMNS,
                                          batch_size=500)
        audit.record(
            actor=actor, action="establishments.import",
            object_type="establishments.establishment",
            after={
                "source": source,
                "created": [e.finess for e in plan.to_create],
                "updated": {e.finess: {"before": old, "after": new}
                            for e, old, new in plan.to_update},
                "skipped_lines": plan.bad_lines,
            },
        )
        for establishment, _old, _new in plan.to_update:
            events.emit("establishment.changed", establishment_id=establishment.pk)
