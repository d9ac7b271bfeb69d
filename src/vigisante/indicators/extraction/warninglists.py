"""Warning lists: values that are benign or too common to be indicators (pure functions).

A list follows MISP's warninglist format (https://github.com/MISP/misp-warninglists): a `type`
of `string`, `hostname`, `cidr`, `substring` or `regex`, a `list` of values, and optionally the
MISP attribute types it applies to (`matching_attributes`).
"""

from __future__ import annotations

import bisect
import functools
import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

LIST_TYPES = ("string", "hostname", "cidr", "substring", "regex")

#: MISP attribute types -> our indicator types.
_MISP_ATTRIBUTES = {
    "ip-src": ("ipv4", "ipv6"), "ip-dst": ("ipv4", "ipv6"), "ip": ("ipv4", "ipv6"),
    "ip-src|port": ("ipv4", "ipv6"), "ip-dst|port": ("ipv4", "ipv6"),
    "domain": ("domain",), "hostname": ("domain",), "domain|ip": ("domain", "ipv4", "ipv6"),
    "url": ("url",), "uri": ("url",), "link": ("url",),
    "email": ("email",), "email-src": ("email",), "email-dst": ("email",),
    "target-email": ("email",), "whois-registrant-email": ("email",),
    "md5": ("md5",), "sha1": ("sha1",), "sha256": ("sha256",), "filename|md5": ("md5",),
    "filename|sha1": ("sha1",), "filename|sha256": ("sha256",),
    "vulnerability": ("cve",), "btc": ("bitcoin",),
}


@dataclass(frozen=True)
class WarningList:
    """A named list of benign values. `type_` is one of LIST_TYPES; `matching` restricts it to
    some indicator types (empty: every type its entries can match)."""

    name: str
    type_: str
    values: tuple[str, ...]
    matching: frozenset[str] = field(default_factory=frozenset)
    description: str = ""

    def __post_init__(self):
        if self.type_ not in LIST_TYPES:
            raise ValueError(f"Unknown warning list type: {self.type_!r}.")
        object.__setattr__(self, "values", tuple(self.values))
        object.__setattr__(self, "matching", frozenset(self.matching))

    def __hash__(self):
        return hash((self.name, self.type_, len(self.values)))


def load_misp_warninglist(data: dict) -> WarningList:
    """A WarningList from MISP warninglist JSON (a dict); ValueError with a clear message if
    the document is not one."""
    if not isinstance(data, dict):
        raise ValueError("A MISP warning list is a JSON object.")
    name = data.get("name")
    values = data.get("list")
    type_ = data.get("type", "string")
    if not isinstance(name, str) or not name.strip():
        raise ValueError("The warning list has no name.")
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ValueError("The warning list's 'list' must be a list of strings.")
    if type_ not in LIST_TYPES:
        raise ValueError(f"Unsupported warning list type {type_!r} (expected one of "
                         f"{', '.join(LIST_TYPES)}).")
    matching: set[str] = set()
    for attr in data.get("matching_attributes") or []:
        if isinstance(attr, str):
            matching.update(_MISP_ATTRIBUTES.get(attr, ()))
    if type_ == "cidr":
        for v in values:
            try:
                ipaddress.ip_network(v.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"Invalid CIDR in the warning list: {v[:60]!r}.") from exc
    if type_ == "regex":
        for v in values:
            try:
                re.compile(_misp_regex(v))
            except re.error as exc:
                raise ValueError(f"Invalid regular expression in the warning list: "
                                 f"{v[:60]!r}.") from exc
    return WarningList(name=name.strip(), type_=type_, values=tuple(v.strip() for v in values),
                       matching=frozenset(matching),
                       description=str(data.get("description", ""))[:500])


def _misp_regex(value: str) -> str:
    # MISP stores PCRE with delimiters: "/pattern/i"
    if len(value) >= 2 and value[0] == "/" and value.rfind("/") > 0:
        end = value.rfind("/")
        flags = value[end + 1:]
        pattern = value[1:end]
        return ("(?i)" if "i" in flags else "") + pattern
    return value


def _host_of(type_: str, value: str) -> str | None:
    if type_ == "domain":
        return value.lower().rstrip(".")
    if type_ == "email":
        return value.rpartition("@")[2].lower()
    if type_ == "url":
        try:
            return (urlsplit(value if "://" in value else "http://" + value).hostname or "")
        except ValueError:
            return None
    return None


class _Compiled:
    """Fast lookups for one list."""

    def __init__(self, wl: WarningList):
        self.wl = wl
        if wl.type_ == "cidr":
            ranges: dict[int, list[tuple[int, int]]] = {4: [], 6: []}
            for v in wl.values:
                net = ipaddress.ip_network(v, strict=False)
                ranges[net.version].append((int(net.network_address),
                                            int(net.broadcast_address)))
            self.ranges = {}
            for ver, rs in ranges.items():
                rs.sort()
                merged: list[list[int]] = []
                for a, b in rs:
                    if merged and a <= merged[-1][1] + 1:
                        merged[-1][1] = max(merged[-1][1], b)
                    else:
                        merged.append([a, b])
                self.ranges[ver] = ([m[0] for m in merged], [m[1] for m in merged])
        elif wl.type_ == "regex":
            self.regexes = [re.compile(_misp_regex(v)) for v in wl.values]
        elif wl.type_ == "substring":
            self.subs = [v.lower() for v in wl.values if v]
        else:
            self.set = frozenset(v.lower().rstrip(".") for v in wl.values)
            # MISP: a string entry starting with a dot matches that domain and its subdomains
            self.suffixes = frozenset(v.lower().strip(".") for v in wl.values
                                      if v.startswith(".") and len(v) > 1)

    def match(self, type_: str, value: str) -> bool:
        wl = self.wl
        if wl.matching and type_ not in wl.matching:
            return False
        t = wl.type_
        if t == "cidr":
            if type_ not in ("ipv4", "ipv6"):
                host = _host_of(type_, value)
                if not host:
                    return False
                value = host.strip("[]")
            try:
                ip = ipaddress.ip_address(value.split("%", 1)[0])
            except ValueError:
                return False
            if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
                ip = ip.ipv4_mapped
            starts, ends = self.ranges[ip.version]
            i = bisect.bisect_right(starts, int(ip)) - 1
            return i >= 0 and int(ip) <= ends[i]
        low = value.lower()
        if t == "string":
            if low in self.set:
                return True
            host = _host_of(type_, value) if type_ in ("domain", "url", "email") else None
            if not host:
                return False
            if type_ == "url" and host in self.set:
                return True
            if self.suffixes:
                labels = host.split(".")
                return any(".".join(labels[i:]) in self.suffixes for i in range(len(labels)))
            return False
        if t == "hostname":
            host = _host_of(type_, value)
            if not host:
                return False
            labels = host.split(".")
            return any(".".join(labels[i:]) in self.set for i in range(len(labels)))
        if t == "substring":
            return any(s in low for s in self.subs)
        if t == "regex":
            return any(r.search(value) for r in self.regexes)
        return False


@functools.lru_cache(maxsize=256)
def _compiled(wl: WarningList) -> _Compiled:
    return _Compiled(wl)


def is_listed(type_: str, value: str, lists) -> str | None:
    """Name of the first list in `lists` that holds `value` (an indicator of `type_`), or None."""
    for wl in lists:
        if _compiled(wl).match(type_, value):
            return wl.name
    return None


def filter_indicators(found: dict[str, list[str]], lists) -> tuple[dict[str, list[str]],
                                                                  dict[str, list[tuple[str, str]]]]:
    """Split `found` into (kept, dropped); dropped maps a type to (value, list name) pairs."""
    kept: dict[str, list[str]] = {}
    dropped: dict[str, list[tuple[str, str]]] = {}
    for t, values in found.items():
        kept[t] = []
        for v in values:
            name = is_listed(t, v, lists)
            if name:
                dropped.setdefault(t, []).append((v, name))
            else:
                kept[t].append(v)
    return kept, dropped


# --- default lists -------------------------------------------------------------------------------

#: Private, reserved, loopback, link-local, multicast and documentation ranges (RFC 1918, 5735,
#: 6598, 5737, 3849, 4193, 4291, 6890).
RESERVED_RANGES = WarningList(
    name="Private, reserved and documentation IP ranges",
    type_="cidr",
    values=(
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16",
        "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "255.255.255.255/32",
        "::/128", "::1/128", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "3fff::/20",
        "2001::/23", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    ),
    matching=frozenset({"ipv4", "ipv6", "url"}),
)

#: Domains reserved for documentation and testing (RFC 2606, RFC 6761).
DOCUMENTATION_DOMAINS = WarningList(
    name="Documentation domains (RFC 2606)",
    type_="hostname",
    values=("example.com", "example.net", "example.org", "example", "test", "invalid",
            "localhost", "local"),
    matching=frozenset({"domain", "url", "email"}),
)

#: MISP lists used by `default_lists(large_providers=True)` (shipped by pymispwarninglists).
MISP_DEFAULTS = ("rfc1918", "rfc5735", "rfc6598", "rfc3849", "ipv6-linklocal", "multicast",
                 "rfc6761", "empty-hashes", "google", "microsoft", "amazon-aws", "cloudflare",
                 "akamai", "public-dns-v4", "public-dns-v6", "public-dns-hostname",
                 "common-ioc-false-positive", "security-provider-blogpost", "second-level-tlds",
                 "microsoft-office365", "microsoft-win10-connection-endpoints", "apple",
                 "mozilla-CA", "crl-hostname", "tranco10k")


def misp_lists(names=MISP_DEFAULTS) -> list[WarningList]:
    """MISP's own lists, as shipped offline by the `pymispwarninglists` package."""
    import json
    from pathlib import Path

    import pymispwarninglists

    root = Path(pymispwarninglists.__file__).parent / "data" / "misp-warninglists" / "lists"
    out = []
    for name in names:
        path = root / name / "list.json"
        if path.is_file():
            out.append(load_misp_warninglist(json.loads(path.read_text(encoding="utf-8"))))
    return out


def default_lists(*, large_providers: bool = False) -> list[WarningList]:
    """Reserved ranges and documentation domains; with large_providers, MISP's lists too."""
    lists = [RESERVED_RANGES, DOCUMENTATION_DOMAINS]
    if large_providers:
        lists += misp_lists()
    return lists
