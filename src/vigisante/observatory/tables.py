"""The shape of a report: sections holding tables of cells, charts drawn from them, and the
public version's suppression applied to the whole report at once.

Every cell has an id `<table id>:<row key>:<column key>`; a section declares which cells sum
to which total (`Group`) and which cells are computed from others (`derived`), so that
`domain.suppress` can hide small counts and anything that would give them away.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from vigisante.observatory import disclosure, domain

COUNT, SHARE, AMOUNT, HOURS, TEXT, LABEL, CHANGE = (
    "count", "share", "amount", "hours", "text", "label", "change")
LT5 = "< 5"
HIDDEN = "s"


@dataclass
class Column:
    key: str
    label: Any
    kind: str = COUNT
    choices: dict[str, Any] | None = None  # code -> label, for LABEL columns holding codes


@dataclass
class Row:
    key: str
    label: Any
    values: dict[str, Any]
    total: bool = False  # a total row: shown in bold, left out of charts


@dataclass
class Chart:
    """A chart drawn from one table: `columns` are the series (stacked when several)."""

    table: str
    columns: tuple[str, ...]
    title: Any
    horizontal: bool = False
    percent: bool = False


@dataclass
class Table:
    id: str
    caption: Any
    columns: list[Column]
    rows: list[Row] = field(default_factory=list)
    internal_only: bool = False
    suppressed: dict[str, str] = field(default_factory=dict)
    # cells copied from another published snapshot: shown as published there, never
    # counted in this one's suppression (they belong to another period)
    copied: dict[str, Any] = field(default_factory=dict)

    def cell_id(self, row: str, col: str) -> str:
        return f"{self.id}:{row}:{col}"

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)

    def value(self, row: str, col: str) -> Any:
        return self.row(row).values.get(col)

    def shown(self, row: Row, col: Column) -> Any:
        """The value as published: a suppressed cell becomes "< 5" or "s"."""
        cid = self.cell_id(row.key, col.key)
        status = self.suppressed.get(cid)
        if status == domain.PRIMARY:
            return LT5
        if status:
            return HIDDEN
        if cid in self.copied:
            return self.copied[cid]
        return row.values.get(col.key)


@dataclass
class Section:
    number: int
    key: str
    title: Any
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[Any] = field(default_factory=list)
    available: bool = True
    groups: list[domain.Group] = field(default_factory=list)
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # additive relations other than "a total is the sum of its members" (inequalities)
    relations: list[disclosure.Relation] = field(default_factory=list)

    def table(self, table_id: str) -> Table:
        for t in self.tables:
            if t.id == table_id:
                return t
        raise KeyError(table_id)

    def group(self, total: str, members: Iterable[str]) -> None:
        self.groups.append(domain.Group(total, tuple(members)))

    def at_most(self, part: str | Sequence[tuple[str, int]], whole: str) -> None:
        """`part` (a cell, or a weighted sum of cells) is at most `whole`."""
        self.relations.append(disclosure.Relation.at_most(part, whole))

    def same(self, a: str, b: str) -> None:
        """Two cells that hold the same number: hide both or neither."""
        self.group(a, [b])
        self.group(b, [a])


def distribution(table: Table, section: Section, counts: dict[str, int],
                 order: Sequence[tuple[str, Any]], total_id: str | None,
                 denominator: int | None, total_row: Any = None,
                 extra: dict[str, dict[str, Any]] | None = None) -> None:
    """Fill `table` with one row per (key, label) of `order`: count, and share of
    `denominator`; the rows sum to the cell `total_id` (or to a total row added here)."""
    members = []
    for key, label in order:
        n = counts.get(key, 0)
        values = {"reports": n}
        if any(c.key == "share" for c in table.columns):
            values["share"] = domain.share(n, denominator)
        values.update((extra or {}).get(key, {}))
        table.rows.append(Row(key, label, values))
        members.append(table.cell_id(key, "reports"))
    if total_row is not None:
        total = sum(counts.get(k, 0) for k, _l in order)
        values = {"reports": total}
        if any(c.key == "share" for c in table.columns):
            values["share"] = domain.share(total, denominator)
        table.rows.append(Row("total", total_row, values, total=True))
        total_id = table.cell_id("total", "reports")
    if total_id:
        section.group(total_id, members)
    denominator_id = total_id
    for row in table.rows:
        if "share" in row.values and denominator_id:
            section.derived[table.cell_id(row.key, "share")] = (
                table.cell_id(row.key, "reports"), denominator_id)


def apply_public(sections: Sequence[Section], threshold: int = domain.THRESHOLD) -> None:
    """Suppress small counts across the whole report (and drop internal-only tables).

    First the threshold rule and the quick secondary pass of `domain.suppress`, then the
    audit of `disclosure.protect`, which solves for every hidden count as an attacker would
    (every relation of every section at once) and hides more until none is exposed; last,
    anything computed from a hidden count. Copied cells (figures of another published
    period) and the relations that touch them are left out.
    """
    counts: dict[str, int] = {}
    groups: list[domain.Group] = []
    relations: list[disclosure.Relation] = []
    derived: dict[str, tuple[str, ...]] = {}
    copied: set[str] = set()
    for section in sections:
        section.tables = [t for t in section.tables if not t.internal_only]
        groups.extend(section.groups)
        relations.extend(section.relations)
        derived.update(section.derived)
        for table in section.tables:
            copied.update(table.copied)
    for section in sections:
        for table in section.tables:
            for row in table.rows:
                for col in table.columns:
                    cid = table.cell_id(row.key, col.key)
                    value = row.values.get(col.key)
                    if (col.kind == COUNT and cid not in derived and cid not in copied
                            and isinstance(value, int) and not isinstance(value, bool)):
                        counts[cid] = value
    groups = [g for g in groups if g.total in counts and all(m in counts for m in g.members)]
    status = domain.suppress(counts, groups, {}, threshold)
    relations += [disclosure.Relation.total(g.total, g.members) for g in groups]
    status = disclosure.protect(counts, relations, status, threshold)
    status = domain.derive(status, derived)
    for section in sections:
        for table in section.tables:
            prefix = table.id + ":"
            table.suppressed = {k: v for k, v in status.items() if k.startswith(prefix)}


def relations_of(sections: Sequence[Section]) -> list[disclosure.Relation]:
    """Every additive relation the sections declare (groups and inequalities)."""
    out: list[disclosure.Relation] = []
    for section in sections:
        out += [disclosure.Relation.total(g.total, g.members) for g in section.groups]
        out += section.relations
    return out


def section_json(section: Section) -> dict[str, Any]:
    """The machine-readable form of a section (codes, never translated labels)."""
    return {
        "number": section.number,
        "key": section.key,
        "available": section.available,
        "tables": [
            {
                "id": t.id,
                "columns": [c.key for c in t.columns],
                "rows": [
                    {"key": r.key, **{c.key: _plain(t.shown(r, c)) for c in t.columns}}
                    for r in t.rows
                ],
            }
            for t in section.tables
        ],
    }


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)
