"""Firewall and sensor feeds: the indicators an account may receive (the `receive` rule of
`vigisante.indicators.feed`, nothing forked), as the tools read them (docs/feeds.md):

- plain text, one value a line, one list per type (`/feeds/text/<type>.txt`): firewalls'
  external dynamic lists, proxies, DNS blocklists;
- CSV (`/feeds/indicators.csv`): type, value, TLP, confidence and dates;
- Zeek's Intel framework (`/feeds/zeek.intel`): the tab-separated file `Intel::read_files`
  loads;
- Suricata datasets (`/feeds/suricata/<type>.lst`): one value a line in the dataset's own
  encoding (base64 for `string` sets, hex for hashes, addresses as they are).

Every format takes `tlp=` (the highest TLP wanted, e.g. `tlp=green` for CLEAR and GREEN only)
and `since=` (confirmed at or after); CSV and Zeek also `type=`. Values carrying a control
character or white space are never written (they could not be one line of a list).
"""

from __future__ import annotations

import base64
import csv
import io
import re
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet

from vigisante.core import csvsafe
from vigisante.indicators import feed
from vigisante.indicators.models import TYPES, Indicator, Tlp

TLP_ORDER: list[str] = [Tlp.CLEAR, Tlp.GREEN, Tlp.AMBER, Tlp.AMBER_STRICT, Tlp.RED]
_UNSAFE = re.compile(r"[\x00-\x20\x7f\u0085\u2028\u2029]")
CHUNK = 2000

# Zeek Intel framework types (base/frameworks/intel/main.zeek)
ZEEK_TYPES = {
    "ipv4": "Intel::ADDR", "ipv6": "Intel::ADDR", "domain": "Intel::DOMAIN",
    "onion": "Intel::DOMAIN", "url": "Intel::URL", "email": "Intel::EMAIL",
    "md5": "Intel::FILE_HASH", "sha1": "Intel::FILE_HASH", "sha256": "Intel::FILE_HASH",
}
ZEEK_HEADER = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url\n"
ZEEK_SOURCE = "vigisante"

# Suricata dataset types (datasets: md5, sha256, ipv4, ip, string; strings are base64).
SURICATA_TYPES = {
    "md5": "md5", "sha256": "sha256", "ipv4": "ipv4", "ipv6": "ip", "domain": "string",
    "url": "string", "email": "string", "onion": "string",
}


class FeedError(ValueError):
    """A bad parameter (answered 400 with this message)."""


def tlps_up_to(value: str) -> list[str]:
    """`tlp=amber` -> CLEAR, GREEN, AMBER (a highest level, case-insensitive, "TLP:" allowed)."""
    wanted = value.strip().lower().removeprefix("tlp:")
    if wanted not in TLP_ORDER:
        raise FeedError("tlp: give clear, green, amber, amber+strict or red.")
    return [str(t) for t in TLP_ORDER[:TLP_ORDER.index(wanted) + 1]]


def indicators(user, params, *, types: Iterable[str] | None = None) -> QuerySet[Indicator]:
    """What `user` may receive (the policy), filtered by the request's parameters."""
    qs = feed.visible_indicators(user)
    if params.get("tlp"):
        qs = qs.filter(tlp__in=tlps_up_to(params["tlp"]))
    if params.get("since"):
        since = feed.parse_since(params["since"])
        if since is None:
            raise FeedError("since: give an ISO 8601 date or date-time.")
        qs = qs.filter(feed.since_filter(since))
    if types is None and params.get("type"):
        types = [t.strip() for t in params["type"].split(",") if t.strip()]
        unknown = [t for t in types if t not in TYPES]
        if unknown:
            raise FeedError(f"type: unknown type {', '.join(unknown)[:100]}.")
    if types is not None:
        qs = qs.filter(type__in=list(types))
    return qs.order_by("type", "value")


def _values(qs: QuerySet[Indicator], *fields: str) -> Iterator[tuple]:
    yield from qs.values_list("type", "value", *fields).iterator(chunk_size=CHUNK)


def safe(value: str) -> bool:
    return bool(value) and not _UNSAFE.search(value)


def text_lines(qs: QuerySet[Indicator]) -> Iterator[str]:
    for _type, value in _values(qs):
        if safe(value):
            yield value + "\n"


def csv_lines(qs: QuerySet[Indicator]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["type", "value", "tlp", "confidence", "first_seen", "last_seen",
                     "confirmed_at"])
    rows = 0
    for kind, value, tlp, confidence, first, last, confirmed in _values(
            qs, "tlp", "confidence", "first_seen", "last_seen", "reviewed_at"):
        if not safe(value):
            continue
        writer.writerow([kind, csvsafe.cell(value), f"TLP:{tlp.upper()}", confidence,
                         first.isoformat() if first else "", last.isoformat() if last else "",
                         confirmed.isoformat() if confirmed else ""])
        rows += 1
        if rows % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def zeek_value(kind: str, value: str) -> str:
    """Zeek's Intel::URL has no scheme ("example.org/path")."""
    if kind == "url":
        return re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", value)
    return value


def zeek_lines(qs: QuerySet[Indicator]) -> Iterator[str]:
    yield ZEEK_HEADER
    for kind, value, tlp in _values(qs.filter(type__in=list(ZEEK_TYPES)), "tlp"):
        value = zeek_value(kind, value)
        if not safe(value):
            continue
        yield (f"{value}\t{ZEEK_TYPES[kind]}\t{ZEEK_SOURCE}\t"
               f"{kind} TLP:{tlp.upper()}\t-\n")


def suricata_value(kind: str, value: str) -> str:
    if SURICATA_TYPES[kind] == "string":
        return base64.b64encode(value.encode("utf-8")).decode("ascii")
    return value.lower() if kind in ("md5", "sha256") else value


def suricata_lines(qs: QuerySet[Indicator], kind: str) -> Iterator[str]:
    for _kind, value in _values(qs):
        if safe(value):
            yield suricata_value(kind, value) + "\n"
