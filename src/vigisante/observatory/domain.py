"""Pure statistics rules of the observatory: periods, shares, small-count suppression,
anonymised narratives, the data-snapshot hash.

No ORM, no request, no clock: everything is a parameter, so every rule is tested without a
database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

THRESHOLD = 5  # counts under this are not published in the public version
PRIMARY = "primary"  # under the threshold
SECONDARY = "secondary"  # would let someone deduce a primary one from a published total
DERIVED = "derived"  # a share or amount computed from a suppressed count


# -- periods ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    """A half-open range of days [start, end) in the observatory's time zone."""

    start: dt.date
    end: dt.date  # exclusive

    @classmethod
    def year(cls, year: int) -> Period:
        return cls(dt.date(year, 1, 1), dt.date(year + 1, 1, 1))

    @classmethod
    def between(cls, first: dt.date, last: dt.date) -> Period:
        """From `first` to `last`, both included."""
        if last < first:
            raise ValueError("the end of the period is before its start")
        return cls(first, last + dt.timedelta(days=1))

    @property
    def last(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    @property
    def is_calendar_year(self) -> bool:
        return (self.start.month, self.start.day) == (1, 1) and self.end == dt.date(
            self.start.year + 1, 1, 1)

    def previous(self) -> Period:
        """The period of the same length just before (the previous year for a year)."""
        if self.is_calendar_year:
            return Period.year(self.start.year - 1)
        return Period(self.start - dt.timedelta(days=self.days), self.start)

    def key(self) -> str:
        if self.is_calendar_year:
            return str(self.start.year)
        return f"{self.start.isoformat()}_{self.last.isoformat()}"

    def months(self) -> list[str]:
        """Every month the period touches, as YYYY-MM."""
        out, y, m = [], self.start.year, self.start.month
        while dt.date(y, m, 1) < self.end:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out

    def trend_years(self, count: int = 5) -> list[int]:
        """The calendar years of the origin trend: the `count` years up to the period's end."""
        last = self.last.year
        return list(range(last - count + 1, last + 1))

    def bounds(self, tz: dt.tzinfo) -> tuple[dt.datetime, dt.datetime]:
        """Aware datetimes of the start and (exclusive) end in time zone `tz`."""
        return (dt.datetime.combine(self.start, dt.time(), tzinfo=tz),
                dt.datetime.combine(self.end, dt.time(), tzinfo=tz))


# -- small arithmetic ------------------------------------------------------------------------

def share(part: int | None, whole: int | None, digits: int = 4) -> float | None:
    """part / whole rounded, None when undefined."""
    if part is None or not whole:
        return None
    return round(part / whole, digits)


def change(current: int | None, previous: int | None) -> float | None:
    """Relative change on the previous period, None when the previous is 0 or unknown."""
    if current is None or not previous:
        return None
    return round((current - previous) / previous, 4)


def median_positions(n: int) -> tuple[int, int]:
    """0-based offsets of the one or two middle values of n sorted values (n >= 1)."""
    return (n - 1) // 2, n // 2


def repeat_counts(per_structure: Iterable[int]) -> dict[str, int]:
    """From reports per structure (one number per structure): structures with 1, 2, 3, >=4
    reports, with more than 2, and with 4 or more."""
    dist = {"1": 0, "2": 0, "3": 0, "4+": 0}
    for n in per_structure:
        dist["4+" if n >= 4 else str(n)] += 1
    return {**dist, "more_than_2": dist["3"] + dist["4+"], "4_or_more": dist["4+"]}


# -- suppression -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Group:
    """Cells whose sum is the `total` cell (a partition): if the total is published, one
    suppressed member alone could be recomputed from it."""

    total: str
    members: tuple[str, ...]


def suppress(counts: Mapping[str, int | None], groups: Sequence[Group] = (),
             derived: Mapping[str, Sequence[str]] | None = None,
             threshold: int = THRESHOLD) -> dict[str, str]:
    """Which cells the public version hides, and why (PRIMARY, SECONDARY or DERIVED).

    - PRIMARY: every count under `threshold` (zero included: "< 5").
    - SECONDARY: for each group whose total is published, if exactly one member is hidden,
      hide the smallest other non-zero member too (ties broken by cell id); if there is none,
      hide the total instead. Repeated until nothing changes, since one cell can belong to a
      row group and a column group and a hidden total changes the groups it belongs to.
    - DERIVED: any cell (share, mean, change) computed from a hidden cell.
    """
    status: dict[str, str] = {
        cid: PRIMARY for cid, v in counts.items() if v is not None and v < threshold}
    changed = True
    while changed:
        changed = False
        for group in groups:
            if group.total in status:
                continue
            hidden = [m for m in group.members if m in status]
            if len(hidden) != 1:
                continue
            candidates = sorted(
                (counts.get(m) or 0, m) for m in group.members
                if m not in status and (counts.get(m) or 0) > 0)
            target = candidates[0][1] if candidates else group.total
            status[target] = SECONDARY
            changed = True
    return derive(status, derived or {})


def derive(status: Mapping[str, str], derived: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Add DERIVED for every cell (share, mean, change) computed from a hidden cell."""
    status = dict(status)
    changed = True
    while changed:  # a derived cell can depend on another derived cell
        changed = False
        for cid, deps in sorted(derived.items()):
            if cid not in status and any(d in status for d in deps):
                status[cid] = DERIVED
                changed = True
    return status


# -- narratives ------------------------------------------------------------------------------

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"(?<!\w)(\+?\d[\d .\-()]{7,}\d)(?!\w)")
_FINESS = re.compile(r"\b(\d{2}|2A|2B|9[A-F])\d{7}\b", re.IGNORECASE)
_URL = re.compile(r"\bhttps?://\S+", re.IGNORECASE)
_IP = re.compile(r"\b\d{1,3}(\.\d{1,3}){3}\b")
REDACTED = "[…]"


def anonymise(text: str, names: Iterable[str] = ()) -> str:
    """Remove what would identify a structure or a person from a narrative: the given names
    (structure, supplier, town), e-mail addresses, phone numbers, FINESS numbers, URLs and
    IP addresses."""
    out = text or ""
    for name in sorted({n.strip() for n in names if n and len(n.strip()) >= 3},
                       key=len, reverse=True):
        out = re.sub(re.escape(name), REDACTED, out, flags=re.IGNORECASE)
    for pattern in (_EMAIL, _URL, _IP, _FINESS, _PHONE):
        out = pattern.sub(REDACTED, out)
    return re.sub(r"\s+", " ", out).strip()


# -- snapshot --------------------------------------------------------------------------------

class SnapshotHash:
    """sha256 over the canonical list of records used, fed one record at a time (bounded
    memory): each record is a tuple of simple values written as one line, values separated
    by U+001F and written with str(). Datetimes read from the database are UTC-aware
    (USE_TZ), so their text does not depend on the time zone in use."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()
        self.records = 0

    def section(self, name: str) -> None:
        self._h.update(f"#{name}\n".encode())

    def add(self, record: Sequence[object]) -> None:
        self._h.update(("\x1f".join(map(str, record)) + "\n").encode())
        self.records += 1

    def add_many(self, records: Iterable[Sequence[object]]) -> None:
        """The same as add() for each record, in one update per chunk (faster)."""
        lines = ["\x1f".join(map(str, r)) for r in records]
        if lines:
            self._h.update(("\n".join(lines) + "\n").encode())
            self.records += len(lines)

    def add_lines(self, lines: list[str]) -> None:
        """Records already written as their lines (values joined by U+001F, no newline)."""
        if lines:
            self._h.update(("\n".join(lines) + "\n").encode())
            self.records += len(lines)

    def hexdigest(self) -> str:
        return self._h.hexdigest()


# -- buckets ---------------------------------------------------------------------------------

HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
# (key, lower bound included, upper bound excluded or None)
DELAY_BUCKETS: tuple[tuple[str, dt.timedelta, dt.timedelta | None], ...] = (
    ("lt_1h", dt.timedelta(0), HOUR),
    ("1h_4h", HOUR, 4 * HOUR),
    ("4h_24h", 4 * HOUR, DAY),
    ("1d_3d", DAY, 3 * DAY),
    ("3d_7d", 3 * DAY, 7 * DAY),
    ("7d_plus", 7 * DAY, None),
)
DURATION_BUCKETS: tuple[tuple[str, dt.timedelta, dt.timedelta | None], ...] = (
    ("lt_1d", dt.timedelta(0), DAY),
    ("1d_3d", DAY, 3 * DAY),
    ("3d_7d", 3 * DAY, 7 * DAY),
    ("1w_4w", 7 * DAY, 28 * DAY),
    ("4w_plus", 28 * DAY, None),
)
RECORD_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("lt_500", 0, 500),
    ("500_9999", 500, 10_000),
    ("10k_99k", 10_000, 100_000),
    ("100k_999k", 100_000, 1_000_000),
    ("1m_plus", 1_000_000, None),
)


def hours(value: dt.timedelta | float | None, digits: int = 1) -> float | None:
    """A duration in hours, rounded (None stays None)."""
    if value is None:
        return None
    seconds = value.total_seconds() if isinstance(value, dt.timedelta) else float(value)
    return round(seconds / 3600, digits)
