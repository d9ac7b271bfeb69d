"""STIX 2.1 patterns for our indicator types, and the simple indicators found in a pattern.

Pure functions. `pattern_for(type, value)` gives the pattern of one indicator (or None for a
type that is not an observable: a CVE is a `vulnerability`, not an indicator). `candidates(
pattern)` reads back the `(type, value)` pairs of a pattern made only of `=` comparisons on
observables we know, joined by OR (the shape national feeds use); anything else (AND,
MATCHES, ranges, other properties) gives no candidate and the object is kept as it is.
"""

from __future__ import annotations

import re

#: our type -> (STIX object path, or None when the type is not an observable)
PATHS: dict[str, str | None] = {
    "ipv4": "ipv4-addr:value",
    "ipv6": "ipv6-addr:value",
    "domain": "domain-name:value",
    "onion": "domain-name:value",
    "url": "url:value",
    "email": "email-addr:value",
    "md5": "file:hashes.MD5",
    "sha1": "file:hashes.'SHA-1'",
    "sha256": "file:hashes.'SHA-256'",
    # STIX 2.1 has no cryptocurrency observable: a custom one (x- prefix, as the spec says).
    "bitcoin": "x-cryptocurrency-wallet:value",
    "cve": None,
}

#: our type -> a short label used in names
LABELS = {"ipv4": "IPv4", "ipv6": "IPv6", "domain": "Domain", "onion": "Onion service",
          "url": "URL", "email": "E-mail address", "md5": "MD5", "sha1": "SHA-1",
          "sha256": "SHA-256", "bitcoin": "Bitcoin address", "cve": "CVE"}


def quote(value: str) -> str:
    """A STIX pattern string literal: backslash and single quote escaped."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def pattern_for(type_: str, value: str) -> str | None:
    """The pattern matching the observable `value` of our `type_`, or None (CVE)."""
    path = PATHS[type_]
    if path is None:
        return None
    return f"[{path} = {quote(value)}]"


# -- Reading patterns back ----------------------------------------------------------------------

_HASHES = {"md5": "md5", "sha-1": "sha1", "sha1": "sha1", "sha-256": "sha256",
           "sha256": "sha256"}
_OBJECT_TYPES = {"ipv4-addr": "ipv4", "ipv6-addr": "ipv6", "domain-name": "domain",
                 "url": "url", "email-addr": "email", "x-cryptocurrency-wallet": "bitcoin"}
_STRING = r"'((?:[^'\\]|\\.)*)'"
_PATH = r"([a-z0-9-]+):((?:hashes\.(?:'[^']+'|[A-Za-z0-9-]+))|value)"
_COMPARISON = re.compile(r"\s*" + _PATH + r"\s*=\s*" + _STRING + r"\s*")
_MAX_PATTERN = 20_000


def _unquote(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw)


def _comparison_type(object_type: str, prop: str) -> str | None:
    if prop == "value":
        return _OBJECT_TYPES.get(object_type)
    if object_type == "file" and prop.startswith("hashes."):
        return _HASHES.get(prop[len("hashes."):].strip("'").lower())
    return None


def candidates(pattern: str) -> list[tuple[str, str]]:
    """The `(type, value)` pairs of a pattern of `=` comparisons joined by OR (one or several
    bracketed expressions, also joined by OR); [] for any other pattern."""
    if not isinstance(pattern, str) or len(pattern) > _MAX_PATTERN:
        return []
    text = pattern.strip()
    found: list[tuple[str, str]] = []
    # Split on the brackets of observation expressions joined by OR.
    pos = 0
    while pos < len(text):
        if text[pos] != "[":
            return []
        end = _closing(text, pos)
        if end < 0:
            return []
        inner = text[pos + 1:end]
        for part in _split_or(inner):
            m = _COMPARISON.fullmatch(part)
            if not m:
                return []
            type_ = _comparison_type(m.group(1), m.group(2))
            if type_ is None:
                return []
            found.append((type_, _unquote(m.group(3))))
        rest = text[end + 1:].lstrip()
        if not rest:
            break
        if not rest.upper().startswith("OR"):
            return []
        rest = rest[2:].lstrip()
        pos = len(text) - len(rest)
    return found


def _closing(text: str, start: int) -> int:
    """The index of the `]` closing the bracket at `start`, outside string literals."""
    i, quoted = start + 1, False
    while i < len(text):
        ch = text[i]
        if quoted:
            if ch == "\\":
                i += 1
            elif ch == "'":
                quoted = False
        elif ch == "'":
            quoted = True
        elif ch == "]":
            return i
        elif ch == "[":
            return -1
        i += 1
    return -1


def _split_or(inner: str) -> list[str]:
    """`inner` split on OR outside string literals (an AND anywhere gives one part, which
    then matches no comparison)."""
    parts, current, i, quoted = [], [], 0, False
    while i < len(inner):
        ch = inner[i]
        if quoted:
            current.append(ch)
            if ch == "\\" and i + 1 < len(inner):
                current.append(inner[i + 1])
                i += 1
            elif ch == "'":
                quoted = False
        elif ch == "'":
            quoted = True
            current.append(ch)
        elif inner[i:i + 2].upper() == "OR" and (i == 0 or inner[i - 1].isspace()) \
                and (i + 2 >= len(inner) or inner[i + 2].isspace()):
            parts.append("".join(current))
            current = []
            i += 1
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts
