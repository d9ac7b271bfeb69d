"""The US HHS OCR breach portal export (CSV): columns, date formats, combined values such as
"Loss, Theft" or "Email, Network Server", empty descriptions, encoding quirks.

`parse_row` is pure: one CSV row in, one `HhsRow` out (or HhsError saying why not).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from django.utils.translation import gettext as _

# key -> the portal's column name
COLUMNS = {
    "name": "Name of Covered Entity",
    "state": "State",
    "entity_type": "Covered Entity Type",
    "individuals": "Individuals Affected",
    "date": "Breach Submission Date",
    "breach_type": "Type of Breach",
    "location": "Location of Breached Information",
    "business_associate": "Business Associate Present",
    "description": "Web Description",
}
# Other names of the same columns, in older exports and in copies of them (the 2009-2014
# archive published on data.gov and the data sets derived from it: "Business Associate
# Involved" holding the associate's name, "Summary", "Date of Breach" holding a date or a
# range), compared as headers are (case, spaces and underscores ignored); the first found
# in this order is read
ALIASES = {
    "name": ("Covered Entity Name", "Entity Name"),
    "entity_type": ("Entity Type",),
    "individuals": ("Number of Individuals Affected",),
    "date": ("Submission Date", "Date of Breach", "Breach Date", "Breach Start"),
    "business_associate": ("Business Associate Involved",),
    "description": ("Summary", "Description"),
}
OPTIONAL = {"description", "entity_type", "business_associate"}
UNKNOWN_COUNTS = {"unknown", "n/a", "na", "-", "none", "not known"}
_DATE_IN_TEXT = re.compile(r"\d{1,4}[/-]\d{1,2}[/-]\d{2,4}")
DATE_FORMATS = ("%m/%d/%Y", "%Y-%m-%d", "%m/%d/%y", "%Y-%m-%d %H:%M:%S", "%m/%d/%Y %H:%M",
                "%m-%d-%Y")
_SPACES = re.compile(r"\s+")
_json_str = json.encoder.encode_basestring_ascii
# A UTF-8 sequence read as Windows-1252: a lead byte (Â-ô) then 1-3 continuation bytes,
# shown as the Windows-1252 characters of 0x80-0xBF.
_CP1252_HIGH = "\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc" \
    "\u2013\u2014\u2018\u2019\u201a\u201c\u201d\u201e\u2020\u2021\u2022\u2026\u2030\u2039" \
    "\u203a\u20ac\u2122"
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][{_CP1252_HIGH}]{{1,3}}")


def _unmojibake(match: re.Match) -> str:
    try:
        return match.group(0).encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return match.group(0)


class HhsError(ValueError):
    """A row this importer refuses; the message says why, `category` groups the reasons
    in the summary."""

    def __init__(self, message: str, category: str = "") -> None:
        super().__init__(message)
        self.category = category or message


def _norm_header(value: str) -> str:
    text = value.replace("\ufeff", "").replace("_", " ")
    return _SPACES.sub(" ", text).strip().strip('"').strip().lower()


def map_header(header: list[str]) -> dict[str, int]:
    """Column positions by key (by the portal's name, else a known other name); HhsError
    naming the missing columns."""
    positions: dict[str, int] = {}
    for i, h in enumerate(header):
        positions.setdefault(_norm_header(h), i)  # a name given twice: its first column
    out, missing = {}, []
    for key, name in COLUMNS.items():
        found = [positions[n.lower()] for n in (name, *ALIASES.get(key, ()))
                 if n.lower() in positions]
        if found:
            out[key] = found[0]
        elif key not in OPTIONAL:
            missing.append(name)
    if missing:
        raise HhsError(_("missing columns: %(columns)s") % {"columns": ", ".join(missing)})
    return out


def clean(value: str) -> str:
    """NFC, mojibake repaired (UTF-8 read as Windows-1252), spaces collapsed, trimmed."""
    text = value or ""
    if text.isascii():  # nothing to repair or normalise (most rows): spaces only
        return " ".join(text.split())
    if "Ã" in text or "â" in text or "Â" in text or "Å" in text:
        text = _MOJIBAKE.sub(_unmojibake, text)
    return " ".join(unicodedata.normalize("NFC", text).split())  # \xa0 is a space too


# Most columns repeat a few hundred distinct values over a million rows (states, entity
# types, dates, breach types, locations): their cleaning is cached (bounded).
_cached_clean = lru_cache(maxsize=1 << 16)(lambda value: clean(value))


@lru_cache(maxsize=1 << 16)
def parse_date(value: str) -> dt.date:
    """A date in one of DATE_FORMATS; else the first date of a range or list written in
    one of them ("9/22/2007 - 10/28/2007", "5/5/2010, 5/7/2010": older exports' Date of
    Breach)."""
    text = clean(value)
    for candidate in (text, *_DATE_IN_TEXT.findall(text)[:1]):
        for fmt in DATE_FORMATS:
            try:
                return dt.datetime.strptime(candidate, fmt).date()
            except ValueError:
                continue
    raise HhsError(_("Breach Submission Date %(value)r is not a date (MM/DD/YYYY)")
                   % {"value": text}, _("bad Breach Submission Date"))


@lru_cache(maxsize=1 << 16)
def parse_count(value: str) -> int | None:
    text = _cached_clean(value).replace(",", "").replace(" ", "")
    if not text or text.lower() in UNKNOWN_COUNTS:
        return None
    if not text.isdigit():
        raise HhsError(_("Individuals Affected %(value)r is not a whole number")
                       % {"value": text}, _("bad Individuals Affected"))
    if len(text) > 18 and int(text) >= 2**63:  # over what both databases store
        raise HhsError(_("Individuals Affected %(value)r is too large")
                       % {"value": text}, _("bad Individuals Affected"))
    return int(text)


def split_values(value: str) -> list[str]:
    """'Loss, Theft' -> ['Loss', 'Theft'] (published order, no duplicates, no blanks)."""
    return list(_split(value or ""))


@lru_cache(maxsize=1 << 16)
def _split(value: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(p for p in (clean(x) for x in value.split(",")) if p))


@lru_cache(maxsize=1 << 12)
def parse_yes_no(value: str) -> bool | None:
    """Yes/No; None when empty. Other text is the associate's name (older exports'
    "Business Associate Involved"): one was involved."""
    text = _cached_clean(value).lower()
    if text in ("yes", "y", "true"):
        return True
    if text in ("no", "n", "false", "none", "n/a", "na", "-", ""):
        return None if not text else False
    return True


class HhsRow(NamedTuple):
    """One parsed row: what an `observatory.HhsBreach` stores (without its occurrence
    number, which depends on the rows before it in the file)."""

    key: str  # identifies the breach across exports (without the occurrence number)
    content_hash: str  # sha256 of the row's fields as read (header names and values)
    created_at: dt.datetime  # the submission date at noon UTC
    entity_type: str
    state: str
    breach_types: tuple[str, ...]  # "Loss, Theft" -> ("Loss", "Theft")
    locations: tuple[str, ...]
    records_affected: int | None
    ransomware: bool | None  # the description mentions it; None without a description
    business_associate: bool | None
    original: str  # the row as read (header -> value), as JSON text

    @property
    def date(self) -> dt.date:
        return self.created_at.date()


class RowParser:
    """Parses the rows of one file (its header read once: column positions, the header's
    part of the content hash and of the original row's JSON)."""

    def __init__(self, header: list[str], cols: dict[str, int]) -> None:
        self.header = header
        self.width = len(header)
        at = lambda k: cols.get(k, -1)  # noqa: E731
        self.i_name, self.i_date, self.i_individuals = at("name"), at("date"), at("individuals")
        self.i_state, self.i_entity_type = at("state"), at("entity_type")
        self.i_types, self.i_locations = at("breach_type"), at("location")
        self.i_description, self.i_ba = at("description"), at("business_associate")
        self.header_hash = hashlib.sha256(("\x1f".join(header) + "\x1f\x1e\x1f").encode())
        # the original row as JSON, written as json.dumps writes the dict header -> value
        # (a header naming a column twice keeps json.dumps itself)
        self.json_keys = ([_json_str(h) + ": " for h in header]
                          if len(set(header)) == len(header) else None)

    def original_json(self, row: list[str]) -> str:
        if self.json_keys is None:
            return json.dumps(dict(zip(self.header, row, strict=True)))
        pairs = zip(self.json_keys, row, strict=True)
        return "{" + ", ".join([k + _json_str(v) for k, v in pairs]) + "}"

    def parse(self, row: list[str]) -> HhsRow:
        if len(row) != self.width:
            raise HhsError(_("%(n)d fields instead of %(expected)d") % {
                "n": len(row), "expected": self.width}, _("wrong number of fields"))
        name = clean(row[self.i_name])
        if not name:
            raise HhsError(_("Name of Covered Entity is empty"))
        date = parse_date(row[self.i_date])
        individuals = parse_count(row[self.i_individuals])
        state = _cached_clean(row[self.i_state]).upper()[:40]
        entity_type = (_cached_clean(row[self.i_entity_type])[:80]
                       if self.i_entity_type >= 0 else "")
        ransomware = (_mentions_ransomware(row[self.i_description])
                      if self.i_description >= 0 else None)
        key = hashlib.sha256("\x1f".join([
            name.casefold(), state, _iso(date), entity_type.casefold(),
            _joined_folded(row[self.i_types]), _joined_folded(row[self.i_locations]),
        ]).encode()).hexdigest()
        content = self.header_hash.copy()
        content.update("\x1f".join(row).encode())
        return HhsRow(key[:40], content.hexdigest(), _noon(date), entity_type, state,
                      _values(row[self.i_types]), _values(row[self.i_locations]),
                      individuals, ransomware,
                      parse_yes_no(row[self.i_ba]) if self.i_ba >= 0 else None,
                      self.original_json(row))


_ASCII_GRAPHIC = re.compile(r"[!-~]")


def _mentions_ransomware(description: str) -> bool | None:
    """None without a description (after cleaning), else whether it says "ransomware", as
    clean() would decide it, without cleaning (a long text) when the answer cannot change:
    cleaning never makes a text without the word contain it (it only rewrites non-ASCII
    characters and whitespace), nor empties a text with a printable ASCII character."""
    if description.isascii():
        return None if not description.strip() else "ransomware" in description.lower()
    if "ransomware" not in description.lower() and _ASCII_GRAPHIC.search(description):
        return False
    text = clean(description)
    return None if not text else "ransomware" in text.lower()


@lru_cache(maxsize=1 << 16)
def _joined_folded(value: str) -> str:
    """The combined value as published, cleaned, case-folded (part of the record's key)."""
    return ", ".join(_split(value)).casefold()


@lru_cache(maxsize=1 << 16)
def _values(value: str) -> tuple[str, ...]:
    """The values of a combined column as stored (each at most 120 characters)."""
    return tuple(dict.fromkeys(v[:120] for v in _split(value)))


def parse_row(row: list[str], header: list[str], cols: dict[str, int]) -> HhsRow:
    """One row (a file's rows are parsed faster by one RowParser)."""
    return RowParser(header, cols).parse(row)


@lru_cache(maxsize=1 << 14)
def _iso(date: dt.date) -> str:
    return date.isoformat()


@lru_cache(maxsize=1 << 14)
def _noon(date: dt.date) -> dt.datetime:
    return dt.datetime.combine(date, dt.time(12), tzinfo=dt.UTC)
