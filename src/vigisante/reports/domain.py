"""Pure rules of the staged report: no ORM, no request, no clock (`now` is a parameter)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import formats
from django.utils.translation import gettext as _

MAX_TEXT = 10_000
MAX_SHORT_TEXT = 5_000
CLOCK_SKEW = dt.timedelta(minutes=5)

ALLOWED_ATTACHMENT_TYPES: dict[str, tuple[str, ...]] = {
    # extension -> accepted content types (checked against the file's first bytes too)
    "pdf": ("application/pdf",),
    "png": ("image/png",),
    "jpg": ("image/jpeg",),
    "jpeg": ("image/jpeg",),
    "txt": ("text/plain",),
    "log": ("text/plain",),
    "csv": ("text/csv", "text/plain"),
    "eml": ("message/rfc822", "text/plain"),
    "json": ("application/json", "text/plain"),
    "zip": ("application/zip",),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",),
    "odt": ("application/vnd.oasis.opendocument.text",),
}

_MAGIC: dict[str, tuple[bytes, ...]] = {
    "pdf": (b"%PDF-",),
    "png": (b"\x89PNG\r\n\x1a\n",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "docx": (b"PK\x03\x04",),
    "xlsx": (b"PK\x03\x04",),
    "odt": (b"PK\x03\x04",),
}
_TEXT_TYPES = {"txt", "log", "csv", "eml", "json"}
_PHONE_CHARS = re.compile(r"^\+?[0-9 ().\-/]+$")
MAX_PHONE = 30


def discovered_at_error(discovered_at: dt.datetime, now: dt.datetime) -> str | None:
    """An incident cannot have been found in the future (a few minutes of skew allowed)."""
    if discovered_at > now + CLOCK_SKEW:
        return _("The date it was found cannot be in the future.")
    if discovered_at.year < 2000:
        return _("The date it was found is too far in the past.")
    return None


# How long before its discovery an outage may have begun (the cause is often found later).
OUTAGE_BEFORE_DISCOVERY = dt.timedelta(days=30)


def earliest_error(field: str, value: dt.date | dt.datetime, discovered_at: dt.datetime
                   ) -> str | None:
    """Dates a reporter gives about an incident cannot be long before it was found: a
    complaint, a notification or a timeline entry come after it, an outage at most
    OUTAGE_BEFORE_DISCOVERY before. Keeps year 0001 out of timelines and statistics."""
    if isinstance(value, dt.datetime):
        floor = discovered_at - (OUTAGE_BEFORE_DISCOVERY if field == "degraded_since"
                                 else CLOCK_SKEW)
        if value < floor:
            return _("This date is before the incident was found (%(date)s).") % {
                "date": _paris_day(discovered_at)}
    elif value < discovered_at.date() - dt.timedelta(days=1):
        return _("This date is before the incident was found (%(date)s).") % {
            "date": _paris_day(discovered_at)}
    return None


def _paris_day(at: dt.datetime) -> str:
    """The day of an instant in Paris, in the language's one date format (never ISO)."""
    from zoneinfo import ZoneInfo

    return formats.date_format(at.astimezone(ZoneInfo("Europe/Paris")).date(), "DATE_FORMAT")


def duplicates(values) -> list:
    """The items listed more than once, in order."""
    seen, dup = set(), []
    for v in values:
        if v in seen and v not in dup:
            dup.append(v)
        seen.add(v)
    return dup


def text_error(value: str, limit: int = MAX_TEXT) -> str | None:
    """Reject megabyte texts and control characters that have no place in a report."""
    if len(value) > limit:
        return _("At most %(limit)d characters (this text has %(length)d).") % {
            "limit": limit, "length": len(value)}
    if "\x00" in value:
        return _("The text contains a NUL character.")
    return None


def phone_error(value: str) -> str | None:
    """A call-back number: digits with the usual separators, optionally a leading +."""
    value = value.strip()
    if not value:
        return None
    digits = sum(ch.isdigit() for ch in value)
    if len(value) > MAX_PHONE or not _PHONE_CHARS.match(value) or not 4 <= digits <= 20:
        return _("Enter a phone number, e.g. 01 23 45 67 89 or +33 1 23 45 67 89.")
    return None


def attachment_error(
    name: str, head: bytes, size: int, max_bytes: int
) -> tuple[str | None, str]:
    """Check an upload by name, size and first bytes; return (error, content type)."""
    if size <= 0:
        return _("The file is empty."), ""
    if size > max_bytes:
        return _("The file is too large (%(size)d KiB; at most %(max)d MiB).") % {
            "size": size // 1024, "max": max_bytes // (1024 * 1024)}, ""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED_ATTACHMENT_TYPES:
        allowed = ", ".join(sorted(ALLOWED_ATTACHMENT_TYPES))
        return _("Files of this type are not accepted. Allowed: %(allowed)s.") % {
            "allowed": allowed}, ""
    if ext in _MAGIC and not head.startswith(_MAGIC[ext]):
        return _("The file's content does not match its .%(ext)s extension.") % {
            "ext": ext}, ""
    if ext in _TEXT_TYPES:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut at the end of the sample is fine.
            if exc.start < len(head) - 4:
                return _("A text file must be UTF-8 text."), ""
        if b"\x00" in head:
            return _("A text file must not contain binary data."), ""
    return None, ALLOWED_ATTACHMENT_TYPES[ext][0]


def format_reference(year: int, number: int) -> str:
    """The human reference of a report: VS-2026-00042."""
    return f"VS-{year}-{number:05d}"


def safe_filename(name: str) -> str:
    """A display name with no path and no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?')
    return base.strip()[:255] or "file"
