"""An observer's attack on the observatory's small-count suppression.

Given everything an observer (or anyone) can fetch, it tries to recover suppressed counts by
linear relations: every shown count is a constant, a count shown as "< 5" lies in [0, 4], a
count shown as "s" is at least 5 (the rule is public), counts are whole numbers, and the
relations are those the open-source code declares plus the attacker's own (below). For
each hidden count it solves two integer programs (scipy.optimize.milp, HiGHS): its smallest
and largest possible value. A cell is *recovered* when fewer than 5 whole numbers remain
possible (for a "< 5" cell: the relations tell more than "< 5"); *exact* when one remains.

Written independently of vigisante.observatory.disclosure (its own solver and rules).
"""

from __future__ import annotations

import csv
import io
import math
import re
import subprocess
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
from bs4 import BeautifulSoup
from scipy.optimize import Bounds, LinearConstraint, milp

THRESHOLD = 5
TOTAL = "01_totals:period:reports"
STRUCTURES = "02_structures:structures:value"
# tables whose "reports" cells count reports received in the period (additive over
# disjoint periods: the count of a union of periods is the sum of their counts)
ADDITIVE = ("01_monthly", "03_category", "03_sector", "04_region", "05_origin", "06_kinds",
            "06_ransomware_extent", "07_kinds", "08_impact", "08_care", "09_danger", "10_data",
            "10_disclosure", "11_systems", "13_source", "13_stage")


@dataclass
class Term:
    """(period, cell) -> coefficient: one linear relation, == 0 or <= 0."""

    coefs: dict[tuple[str, str], int]
    equal: bool = True


@dataclass
class Knowledge:
    values: dict[tuple[str, str], object] = field(default_factory=dict)  # as published
    conflicts: list[str] = field(default_factory=list)

    def add(self, period: str, cell: str, value: object, where: str) -> None:
        key = (period, cell)
        if value is None or value == "":
            return
        old = self.values.get(key)
        if old is None or old in ("< 5", "s"):
            if old is not None and value not in ("< 5", "s") and old != value:
                self.conflicts.append(f"{where}: {period} {cell} {old!r} then {value!r}")
            if value not in ("< 5", "s") or old is None:
                self.values[key] = value
        elif value != old:
            self.conflicts.append(f"{where}: {period} {cell} {old!r} != {value!r}")


# -- reading what is published ----------------------------------------------------------------

def read_figures(k: Knowledge, period: str, figures: dict, where: str = "json") -> None:
    for section in figures["sections"]:
        for table in section["tables"]:
            for row in table["rows"]:
                for col in table["columns"]:
                    k.add(period, f"{table['id']}:{row['key']}:{col}", row.get(col), where)


def _number(text: str) -> object:
    text = text.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    if text in ("< 5", "<5"):
        return "< 5"
    if text == "s":
        return "s"
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def read_csv_zip(k: Knowledge, period: str, data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            table = name.rsplit("/", 1)[-1].removesuffix(".csv")
            rows = list(csv.reader(io.StringIO(z.read(name).decode())))
            header = rows[0]
            for row in rows[1:]:
                for col, value in zip(header[2:], row[2:], strict=True):
                    k.add(period, f"{table}:{row[0]}:{col}", _number(value), "csv")


def read_html(k: Knowledge, period: str, html: str, figures: dict) -> None:
    """Tables of the page, matched to figures.json's rows and columns by position."""
    soup = BeautifulSoup(html, "html.parser")
    for section in figures["sections"]:
        for table in section["tables"]:
            el = soup.select_one(f"#table-{table['id']}")
            if el is None:
                continue
            for tr, row in zip(el.select("tbody tr"), table["rows"], strict=False):
                for td, col in zip(tr.select("td"), table["columns"], strict=False):
                    k.add(period, f"{table['id']}:{row['key']}:{col}", _number(td.get_text()),
                          "html")


def pdf_text(data: bytes) -> str:
    """The PDF's text as poppler's pdftotext lays it out (one table row per line)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(data)
        f.flush()
        return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", f.name, "-"],
                              check=True, capture_output=True).stdout.decode()


def _first(line: str) -> str:
    return re.split(r"\s{2,}", line.strip(), maxsplit=1)[0]


def read_pdf(k: Knowledge, period: str, data: bytes, html: str, figures: dict) -> int:
    """The tables of the PDF's text, row by row: a row is the line that starts with its
    label (labels and row order from the HTML of the same language, cells from the right,
    separated by two spaces or more). Returns how many cells were read."""
    lines = [" ".join(x.replace("\u202f", " ").replace("\xa0", " ").split(" "))
             for x in pdf_text(data).splitlines()]
    soup = BeautifulSoup(html, "html.parser")
    read, pos = 0, 0
    for section in figures["sections"]:
        for table in section["tables"]:
            el = soup.select_one(f"#table-{table['id']}")
            if el is None:
                continue
            labels = [tr.select_one("th").get_text(" ", strip=True) if tr.select_one("th")
                      else "" for tr in el.select("tbody tr")]
            for label, row in zip(labels, table["rows"], strict=False):
                label = " ".join(label.split())
                j = next((i for i in range(pos, len(lines)) if _first(lines[i]) == label),
                         None)
                if j is None:  # a label wrapped in its cell: the line holds its start
                    j = next((i for i in range(pos, len(lines)) if len(_first(lines[i])) >= 12
                              and label.startswith(_first(lines[i]))), None)
                if j is None:
                    continue
                pos = j + 1
                tokens = re.split(r"\s{2,}", lines[j].strip())
                if len(tokens) != len(table["columns"]) + 1:
                    continue  # a wrapped or split row: not read
                for tok, col in zip(tokens[1:], table["columns"], strict=True):
                    value = _number(tok)
                    if value is not None:
                        k.add(period, f"{table['id']}:{row['key']}:{col}", value, "pdf")
                        read += 1
    return read


# -- relations ---------------------------------------------------------------------------------

def code_relations(period: str, relations) -> list[Term]:
    """The relations the code declares (the attacker reads the open-source code)."""
    out = []
    for rel in relations:
        coefs: dict[tuple[str, str], int] = {}
        for cell, coef in rel.terms:
            coefs[(period, cell)] = coefs.get((period, cell), 0) + coef
        out.append(Term(coefs, rel.equal))
    return out


def own_relations(period: str, cells: Iterable[str]) -> list[Term]:
    """What the attacker adds from the meaning of the tables (true in any data)."""
    cells = set(cells)
    p = lambda c: (period, c)  # noqa: E731
    out = [
        # the penetration test's example: supports are remote advice + interventions + escalation
        Term({p("12_support:supports:value"): 1, p("12_support:remote_advice:value"): -1,
              p("12_support:interventions:value"): -1, p("12_support:escalation:value"): -1}),
        # malicious and non-malicious kinds are disjoint
        Term({p("06_kinds:total:reports"): 1, p("07_kinds:total:reports"): 1, p(TOTAL): -1},
             equal=False),
        Term({p("02_structures:more_than_2:value"): 1, p(STRUCTURES): -1}, equal=False),
        Term({p("10_disclosure:health:reports"): 1, p(TOTAL): -1}, equal=False),
    ]
    for cell in cells:  # every count of reports is at most the total
        if cell.endswith(":reports") and cell != TOTAL and not cell.startswith("05_trend"):
            out.append(Term({p(cell): 1, p(TOTAL): -1}, equal=False))
    return out


def union_relations(union: str, parts: list[str], cells: Iterable[str]) -> list[Term]:
    """A period made of disjoint periods: its additive counts are the sums of theirs."""
    out = []
    for cell in cells:
        table = cell.split(":", 1)[0]
        if cell == TOTAL or (table in ADDITIVE and cell.endswith(":reports")):
            out.append(Term({(union, cell): 1, **{(q, cell): -1 for q in parts}}))
    return out


# -- solving -----------------------------------------------------------------------------------

@dataclass
class Finding:
    period: str
    cell: str
    shown: object
    low: float
    high: float

    @property
    def exact(self) -> bool:
        return self.low == self.high


def attack(k: Knowledge, relations: list[Term]) -> tuple[list[Finding], int]:
    """(recovered cells, number of hidden counts attacked)."""
    hidden = {key for key, v in k.values.items() if v in ("< 5", "s")}
    # a relation is usable when each of its cells is published (a number, "< 5" or "s")
    usable = [r for r in relations if all(key in k.values for key in r.coefs)
              and any(key in hidden for key in r.coefs)]
    variables = sorted({key for r in usable for key in r.coefs if key in hidden})
    index = {key: i for i, key in enumerate(variables)}
    # connected components, so that each program stays small
    parent = list(range(len(variables)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for r in usable:
        ids = [index[key] for key in r.coefs if key in index]
        for i in ids[1:]:
            parent[find(i)] = find(ids[0])
    comps: dict[int, list[int]] = {}
    for i in range(len(variables)):
        comps.setdefault(find(i), []).append(i)
    findings = []
    for members in comps.values():
        local = {variables[i]: j for j, i in enumerate(members)}
        rows, lo, hi = [], [], []
        for r in usable:
            if not any(key in local for key in r.coefs):
                continue
            row = np.zeros(len(local))
            const = 0.0
            for key, coef in r.coefs.items():
                if key in local:
                    row[local[key]] += coef
                else:
                    const += coef * int(k.values[key])
            rows.append(row)
            lo.append(-const if r.equal else -np.inf)
            hi.append(-const)
        lb = np.array([0.0 if k.values[v] == "< 5" else THRESHOLD for v in local])
        ub = np.array([THRESHOLD - 1.0 if k.values[v] == "< 5" else np.inf for v in local])
        cons = LinearConstraint(np.array(rows), lo, hi)
        for v, j in local.items():
            ends = []
            for sign in (1.0, -1.0):
                c = np.zeros(len(local))
                c[j] = sign
                res = milp(c, integrality=np.ones(len(local)), bounds=Bounds(lb, ub),
                           constraints=cons)
                if res.status == 0:
                    ends.append(round(res.x[j]))
                else:
                    ends.append(lb[j] if sign > 0 else math.inf)
            if ends[1] - ends[0] < THRESHOLD - 1:
                findings.append(Finding(v[0], v[1], k.values[v], ends[0], ends[1]))
    return findings, len(hidden)
