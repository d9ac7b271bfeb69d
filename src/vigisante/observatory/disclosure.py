"""Disclosure control that holds against linear attacks: audit a suppression pattern the way
an attacker would, and hide more until the audit passes.

Pure computation (no ORM, no clock). A published table is a set of count cells tied by
additive relations (a total is the sum of its members, two cells hold the same number, a
part is at most its whole, ...). Someone who sees the published cells knows:

- every shown count exactly;
- every count published as "< 5" lies in [0, threshold - 1];
- every count published as "s" is at least `threshold` (secondary suppression only hides
  counts that are not small, and the rule is public);
- every relation below, and that counts are whole numbers.

For each hidden count, `intervals` computes the smallest and the largest value compatible
with all of that, by integer linear programming (HiGHS), one connected group of
relations at a time. A hidden count is *exposed* when its interval holds fewer than
`threshold` whole numbers: for a count shown as "< 5" that means the relations tell more
than "< 5" does. `protect` hides one more cell (the smallest shown count tied to an exposed
cell by a relation) and audits again, until no hidden count is exposed.
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import highspy
import numpy as np

PRIMARY = "primary"
SECONDARY = "secondary"


@dataclass(frozen=True)
class Relation:
    """sum(coefficient * cell) == 0 (equal) or <= 0 (not equal)."""

    terms: tuple[tuple[str, int], ...]
    equal: bool = True

    @classmethod
    def total(cls, total: str, members: Iterable[str]) -> Relation:
        """`total` is the sum of `members`."""
        return cls(((total, 1), *((m, -1) for m in members)))

    @classmethod
    def at_most(cls, part: str | Sequence[tuple[str, int]], whole: str) -> Relation:
        """`part` (one cell, or a weighted sum of cells) is at most `whole`."""
        terms = [(part, 1)] if isinstance(part, str) else list(part)
        return cls((*terms, (whole, -1)), equal=False)

    def cells(self) -> list[str]:
        return [c for c, _k in self.terms]


def _components(hidden: Iterable[str], relations: Sequence[Relation]) -> list[
        tuple[list[str], list[Relation]]]:
    """Hidden cells grouped by the relations that tie them (union-find)."""
    parent = {c: c for c in hidden}

    def find(c: str) -> str:
        while parent[c] != c:
            parent[c] = parent[parent[c]]
            c = parent[c]
        return c

    used: list[Relation] = []
    for rel in relations:
        cells = [c for c in rel.cells() if c in parent]
        if not cells:
            continue
        used.append(rel)
        root = find(cells[0])
        for c in cells[1:]:
            parent[find(c)] = root
    groups: dict[str, tuple[list[str], list[Relation]]] = {}
    for c in parent:
        groups.setdefault(find(c), ([], []))[0].append(c)
    for rel in used:
        root = find(next(c for c in rel.cells() if c in parent))
        groups[root][1].append(rel)
    return [(sorted(cs), rels) for cs, rels in groups.values()]


def _system(cells: list[str], relations: list[Relation], known: Mapping[str, int]):
    """The relations as A_eq x = b_eq and A_ub x <= b_ub over the hidden cells."""
    index = {c: i for i, c in enumerate(cells)}
    eq, beq, ub, bub = [], [], [], []
    for rel in relations:
        row = np.zeros(len(cells))
        const = 0.0
        usable = True
        for cell, coef in rel.terms:
            if cell in index:
                row[index[cell]] += coef
            elif cell in known:
                const += coef * known[cell]
            else:
                usable = False  # a cell neither shown nor hidden as a count: not a relation
        if not usable or not row.any():
            continue
        (eq if rel.equal else ub).append(row)
        (beq if rel.equal else bub).append(-const)
    return index, eq, beq, ub, bub


_quiet = False


def _highs() -> highspy.Highs:
    """A HiGHS instance; the first one of the process prints a banner on file descriptor 1
    (stdout of commands and benchmarks), so it is created with fd 1 sent to /dev/null."""
    global _quiet
    if _quiet:
        return highspy.Highs()
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _quiet = True
    return h


class _Model:
    """One HiGHS model of a component; `interval(cell)` changes its objective only, so that
    each solve starts from the previous one's basis."""

    def __init__(self, cells: list[str], relations: list[Relation], known: Mapping[str, int],
                 bounds: Mapping[str, tuple[int, float]], integer: bool = False) -> None:
        self.index, eq, beq, ub, bub = _system(cells, relations, known)
        self.bounds = bounds
        self.empty = not eq and not ub
        self.h = self.mip = None
        if self.empty:
            return
        self.h = self._build(cells, eq, beq, ub, bub, integer)
        self.args = (cells, eq, beq, ub, bub)

    def _build(self, cells, eq, beq, ub, bub, integer: bool):
        bounds = self.bounds
        n = len(cells)
        lb = [float(bounds[c][0]) for c in cells]
        hb = [highspy.kHighsInf if bounds[c][1] == math.inf else float(bounds[c][1])
              for c in cells]
        h = _highs()
        for option, value in (("output_flag", False), ("presolve", "off"), ("threads", 1),
                              ("mip_detect_symmetry", False)):
            h.setOptionValue(option, value)
        h.addVars(n, np.array(lb), np.array(hb))
        for rows, lo_b, hi_b in ((eq, beq, beq), (ub, [-highspy.kHighsInf] * len(ub), bub)):
            for row, lo, hi in zip(rows, lo_b, hi_b, strict=True):
                nz = np.nonzero(row)[0]
                h.addRow(lo, hi, len(nz), nz.astype(np.int32), row[nz])
        if integer:
            h.changeColsIntegrality(n, np.arange(n, dtype=np.int32),
                                    np.array([highspy.HighsVarType.kInteger] * n))
        return h

    def _optimum(self, costs: Mapping[int, float], integer: bool = False,
                 ) -> tuple[str, np.ndarray]:
        """Solve the linear relaxation; when its optimum is not integral, the integer
        program (the optimum of an integral point of the relaxation is the integer one)."""
        h = self.h
        if integer:
            if self.mip is None:
                self.mip = self._build(*self.args, integer=True)
            h = self.mip
        for i, c in costs.items():
            h.changeColCost(i, c)
        h.run()
        st = h.getModelStatus()
        for i in costs:
            h.changeColCost(i, 0.0)
        status = highspy.HighsModelStatus
        if st == status.kOptimal:
            x = np.asarray(h.getSolution().col_value)
            if not integer and np.any(np.abs(x - np.round(x)) > 1e-6):
                return self._optimum(costs, integer=True)
            return "optimal", x
        if st in (status.kUnbounded, status.kUnboundedOrInfeasible):
            return "unbounded", np.empty(0)
        return "infeasible", np.empty(0)

    def interval(self, cell: str) -> tuple[float, float]:
        lo_b, hi_b = self.bounds[cell]
        if self.empty:
            return (lo_b, hi_b)
        i = self.index[cell]
        ends = []
        for sign in (1.0, -1.0):
            state, x = self._optimum({i: sign})
            if state == "optimal":
                ends.append(math.ceil(x[i] - 1e-6) if sign > 0 else math.floor(x[i] + 1e-6))
            elif sign < 0 and state == "unbounded":
                ends.append(math.inf)
            else:  # infeasible: the figures contradict the relations (never for our own)
                ends.append(lo_b if sign > 0 else hi_b)
        return (ends[0], ends[1])

    def exposed(self, cells: Sequence[str], threshold: int) -> list[str]:
        """The cells whose interval holds fewer than `threshold` whole numbers.

        Two solves first (every cell as low as possible; the small ones as high as
        possible) show many cells reaching both ends of their label's range ([0, t-1] for
        "< 5", t and t+threshold-1 or more for "s"); only the others are solved one by one.
        """
        if self.empty:
            return []
        reach_lo: set[str] = set()
        reach_hi: set[str] = set()
        state, x = self._optimum({self.index[c]: 1.0 for c in cells})
        if state == "optimal":
            reach_lo = {c for c in cells if x[self.index[c]] <= self.bounds[c][0] + 1e-6}
        state, x = self._optimum({self.index[c]: -1.0 for c in cells
                                  if self.bounds[c][1] != math.inf})
        if state == "optimal":
            reach_hi = {c for c in cells if self.bounds[c][1] != math.inf
                        and x[self.index[c]] >= self.bounds[c][1] - 1e-6}
        out = []
        for c in cells:
            if c in reach_lo and c in reach_hi:
                continue
            if self._is_exposed(c, threshold, c in reach_lo, c in reach_hi):
                out.append(c)
        return out

    def _end(self, i: int, sign: float) -> float | None:
        """The smallest (sign 1) or largest (sign -1) value of cell i; None when the
        relations contradict the figures (never for our own)."""
        state, x = self._optimum({i: sign})
        if state == "optimal":
            return math.ceil(x[i] - 1e-6) if sign > 0 else math.floor(x[i] + 1e-6)
        if sign < 0 and state == "unbounded":
            return math.inf
        return None

    def _is_exposed(self, cell: str, threshold: int, low: bool, high: bool) -> bool:
        """`is_exposed(self.interval(cell), threshold)`, solving the second end only when
        the first one leaves the answer open: a count known to reach its label's lower
        (upper) bound needs no solve for it; a count whose largest value is unbounded is
        not exposed, whatever its smallest."""
        lo_b, hi_b = self.bounds[cell]
        i = self.index[cell]
        hi = hi_b if high else self._end(i, -1.0)
        if hi is None:
            hi = hi_b
        if hi == math.inf:
            return False
        lo = lo_b if low else self._end(i, 1.0)
        if lo is None:
            lo = lo_b
        return is_exposed((lo, hi), threshold)


def _solve(cells: list[str], relations: list[Relation], known: Mapping[str, int],
           bounds: Mapping[str, tuple[int, float]], integer: bool = True,
           ) -> dict[str, tuple[float, float]]:
    """Smallest and largest value of each cell subject to the relations: integer
    programming, or its linear relaxation (bounds rounded inwards)."""
    model = _Model(cells, relations, known, bounds, integer)
    return {c: model.interval(c) for c in cells}


def attacker_bounds(status: Mapping[str, str], threshold: int) -> dict[str, tuple[int, float]]:
    """What a hidden count's label says: "< 5" is [0, threshold-1], "s" is [threshold, inf)."""
    return {c: (0, threshold - 1) if s == PRIMARY else (threshold, math.inf)
            for c, s in status.items()}


def intervals(known: Mapping[str, int], bounds: Mapping[str, tuple[int, float]],
              relations: Sequence[Relation]) -> dict[str, tuple[float, float]]:
    """For each hidden count (a key of `bounds`), its smallest and largest value compatible
    with the shown counts `known`, its bounds and every relation."""
    out: dict[str, tuple[float, float]] = {}
    for cells, rels in _components(bounds, relations):
        out.update(_solve(cells, rels, known, bounds))
    return out


def is_exposed(interval: tuple[float, float], threshold: int) -> bool:
    """Fewer than `threshold` whole numbers fit in the interval."""
    lo, hi = interval
    return hi - lo < threshold - 1


def protect(counts: Mapping[str, int], relations: Sequence[Relation],
            status: Mapping[str, str], threshold: int) -> dict[str, str]:
    """Hide more counts (SECONDARY) until no hidden count is exposed; returns the status of
    every hidden count. `counts` holds every count cell of the table set, `status` the
    counts already hidden (PRIMARY under the threshold, SECONDARY)."""
    status = {c: s for c, s in status.items() if c in counts}
    relations = [r for r in relations if all(c in counts for c in r.cells())]
    by_cell: dict[str, list[Relation]] = {}
    for rel in relations:
        for c in rel.cells():
            by_cell.setdefault(c, []).append(rel)
    passed: set[frozenset[str]] = set()
    while True:
        changed = False
        known = {c: v for c, v in counts.items() if c not in status}
        bounds = attacker_bounds(status, threshold)
        for cells, rels in _components(bounds, relations):
            key = frozenset(cells)
            if key in passed:
                continue
            model = _Model(cells, rels, known, bounds)
            exposed = model.exposed(sorted(cells), threshold)
            if not exposed:
                passed.add(key)
                continue
            added: set[str] = set()
            for cell in exposed:
                near = {c for rel in by_cell.get(cell, ()) for c in rel.cells()}
                if near & added:
                    continue  # a cell hidden this round may already protect it
                target = _complement(cell, cells, by_cell, known)
                if target is not None and target not in added:
                    added.add(target)
                    known.pop(target)
            if not added:
                passed.add(key)  # nothing left to hide around them
                continue
            for target in added:
                status[target] = SECONDARY
            changed = True
        if not changed:
            return status


def _complement(cell: str, component: list[str], by_cell: Mapping[str, list[Relation]],
                known: Mapping[str, int]) -> str | None:
    """The shown count to hide next: the smallest one in a relation with `cell`, else in a
    relation with any cell of its component (ties broken by cell id)."""
    for around in ([cell], component):
        candidates = sorted(
            (known[c], c) for a in around for rel in by_cell.get(a, ())
            for c in rel.cells() if c in known)
        if candidates:
            return candidates[0][1]
    return None
