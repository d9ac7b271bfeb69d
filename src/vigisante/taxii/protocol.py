"""TAXII 2.1 wire details, with no ORM: media types, timestamps, the `next` cursor, the
filters of the query string and the error message. See docs/taxii.md."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
from dataclasses import dataclass, field

from django.http import HttpResponse

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"

_TIMESTAMP = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$")
_STIX_ID = re.compile(
    r"^[a-z0-9][a-z0-9-]{0,62}--[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_TYPE = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
MAX_FILTER_VALUES = 100


class TaxiiError(Exception):
    """An error the client gets as a TAXII error message with `status`."""

    def __init__(self, status: int, title: str, description: str = "",
                 headers: dict[str, str] | None = None):
        super().__init__(title)
        self.status = status
        self.title = title
        self.description = description
        self.headers = headers or {}


def taxii_response(body: str | bytes | dict, status: int = 200,
                   headers: dict[str, str] | None = None) -> HttpResponse:
    if isinstance(body, dict):
        body = json.dumps(body, separators=(",", ":"))
    response = HttpResponse(body, status=status, content_type=TAXII_MEDIA_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def error_response(error: TaxiiError) -> HttpResponse:
    body = {"title": error.title, "http_status": str(error.status)}
    if error.description:
        body["description"] = error.description
    return taxii_response(body, error.status, error.headers)


# --- media types ----------------------------------------------------------------------------

def _media_params(value: str) -> tuple[str, dict[str, str]]:
    kind, *params = [p.strip() for p in value.split(";")]
    out = {}
    for param in params:
        name, _sep, val = param.partition("=")
        out[name.strip().lower()] = val.strip().strip('"')
    return kind.lower(), out


def accepts_taxii(accept: str) -> bool:
    """Whether an Accept header admits TAXII 2.1 (absent, */*, application/taxii+json with no
    version or version 2.1)."""
    if not accept.strip():
        return True
    for item in accept.split(","):
        kind, params = _media_params(item)
        if params.get("q") in ("0", "0.0", "0.00", "0.000"):
            continue
        if kind in ("*/*", "application/*"):
            return True
        if kind == "application/taxii+json" and params.get("version", "2.1") == "2.1":
            return True
    return False


def is_taxii_content(content_type: str) -> bool:
    kind, params = _media_params(content_type or "")
    return kind == "application/taxii+json" and params.get("version", "2.1") == "2.1"


# --- timestamps -----------------------------------------------------------------------------

def parse_timestamp(value: str) -> dt.datetime | None:
    """A STIX/TAXII timestamp ("2026-11-30T08:00:00.123Z", UTC, "Z"), to the microsecond;
    None when it is not one."""
    if not isinstance(value, str) or len(value) > 40:
        return None
    m = _TIMESTAMP.match(value.strip())
    if not m:
        return None
    year, month, day, hour, minute, second, frac = m.groups()
    micro = int((frac or "0")[:6].ljust(6, "0"))
    try:
        return dt.datetime(int(year), int(month), int(day), int(hour), int(minute),
                           int(second), micro, tzinfo=dt.UTC)
    except ValueError:
        return None


def format_timestamp(value: dt.datetime) -> str:
    """Microsecond precision, UTC, "Z" (what TAXII asks of date_added)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def is_stix_id(value: object) -> bool:
    return isinstance(value, str) and bool(_STIX_ID.match(value))


# --- the `next` cursor ----------------------------------------------------------------------

def encode_cursor(date_added: dt.datetime, row_id: int) -> str:
    raw = f"{format_timestamp(date_added)}|{row_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> tuple[dt.datetime, int]:
    error = TaxiiError(400, "Invalid next", "The 'next' parameter is not one this server "
                                            "gave; start again without it.")
    if not value or len(value) > 100:
        raise error
    try:
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, _sep, row = raw.partition("|")
        when, row_id = parse_timestamp(stamp), int(row)
    except (binascii.Error, UnicodeError, ValueError):
        raise error from None
    if when is None or row_id < 0:
        raise error
    return when, row_id


# --- filters --------------------------------------------------------------------------------

@dataclass
class Filters:
    added_after: dt.datetime | None = None
    limit: int = 0
    next: tuple[dt.datetime, int] | None = None
    ids: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    versions: list[str] = field(default_factory=list)  # "last", "first", "all", timestamps
    spec_versions: list[str] = field(default_factory=list)


def _values(query, name: str) -> list[str]:
    raw = query.getlist(name)
    values = [v.strip() for item in raw for v in item.split(",") if v.strip()]
    if len(values) > MAX_FILTER_VALUES:
        raise TaxiiError(400, f"Too many values in {name}",
                         f"Give at most {MAX_FILTER_VALUES} values.")
    return values


ALLOWED = {"added_after", "limit", "next", "match[id]", "match[type]", "match[version]",
           "match[spec_version]"}


def parse_filters(query, *, default_limit: int, max_limit: int,
                  allowed: set[str] = ALLOWED) -> Filters:
    """The filters of a request's query string; a TAXII 400 for a malformed one."""
    unknown = sorted(set(query) - allowed - {"token"})
    if unknown:
        raise TaxiiError(400, "Unknown parameter",
                         f"Unsupported query parameter: {', '.join(unknown)[:200]}.")
    filters = Filters(limit=default_limit)
    if "added_after" in query:
        filters.added_after = parse_timestamp(query.get("added_after", ""))
        if filters.added_after is None:
            raise TaxiiError(400, "Invalid added_after",
                             "Give a timestamp such as 2026-11-30T08:00:00.000Z.")
    if "limit" in query:
        raw = query.get("limit", "")
        if not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
            raise TaxiiError(400, "Invalid limit", "Give a positive whole number.")
        filters.limit = min(int(raw), max_limit)
    if query.get("next"):
        filters.next = decode_cursor(query.get("next", ""))
    filters.ids = _values(query, "match[id]")
    for value in filters.ids:
        if not is_stix_id(value):
            raise TaxiiError(400, "Invalid match[id]", "Give STIX identifiers (type--UUID).")
    filters.types = _values(query, "match[type]")
    for value in filters.types:
        if not _TYPE.match(value):
            raise TaxiiError(400, "Invalid match[type]", "Give STIX object types.")
    filters.versions = _values(query, "match[version]")
    for value in filters.versions:
        if value not in ("last", "first", "all") and parse_timestamp(value) is None:
            raise TaxiiError(400, "Invalid match[version]",
                             "Give last, first, all or timestamps.")
    filters.spec_versions = _values(query, "match[spec_version]")
    for value in filters.spec_versions:
        if not re.fullmatch(r"\d\.\d", value):
            raise TaxiiError(400, "Invalid match[spec_version]", "Give e.g. 2.1.")
    return filters


# --- objects sent by clients ----------------------------------------------------------------

def object_version(obj: dict) -> dt.datetime | None:
    """The TAXII version of a STIX object: `modified`, else `created`; None when neither (the
    caller then uses the date it was added)."""
    for name in ("modified", "created"):
        if name in obj:
            return parse_timestamp(obj[name])
    return None


def check_object(obj) -> str | None:
    """Why a STIX object sent to an inbox cannot be stored, or None."""
    if not isinstance(obj, dict):
        return "not a JSON object"
    stix_id = obj.get("id")
    if not isinstance(stix_id, str) or not is_stix_id(stix_id):
        return "missing or malformed id"
    if obj.get("type") != stix_id.split("--", 1)[0]:
        return "type does not match the id"
    if obj.get("spec_version", "2.1") != "2.1" and obj.get("type") != "marking-definition":
        return "only STIX 2.1 objects are accepted"
    for name in ("modified", "created"):
        if name in obj and parse_timestamp(obj[name]) is None:
            return f"malformed {name} timestamp"
    return None
