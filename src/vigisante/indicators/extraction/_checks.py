"""Checksums and validators for single values (bitcoin, onion, hostnames)."""

from __future__ import annotations

import base64
import functools
import hashlib

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(_BECH32)}


def base58check_ok(value: str) -> bool:
    """A legacy bitcoin address (P2PKH `1...`, P2SH `3...`) with a valid checksum."""
    if not 25 <= len(value) <= 35 or value[0] not in "13":
        return False
    n = 0
    for c in value:
        i = _B58_INDEX.get(c)
        if i is None:
            return False
        n = n * 58 + i
    raw = n.to_bytes(25, "big") if n.bit_length() <= 200 else None
    if raw is None:
        return False
    pad = len(value) - len(value.lstrip("1"))
    if pad and raw[:pad] != b"\0" * pad:
        return False
    if raw[0] not in (0, 5):
        return False
    return hashlib.sha256(hashlib.sha256(raw[:21]).digest()).digest()[:4] == raw[21:]


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((top >> i) & 1) else 0
    return chk


def bech32_ok(value: str) -> bool:
    """A segwit address `bc1...` with a valid bech32 (v0) or bech32m (v1+) checksum."""
    if value.lower() != value and value.upper() != value:
        return False
    v = value.lower()
    if not v.startswith("bc1") or not 14 <= len(v) <= 90:
        return False
    data = [_BECH32_INDEX.get(c, -1) for c in v[3:]]
    if -1 in data or len(data) < 7:
        return False
    hrp = "bc"
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    const = _polymod(expanded + data)
    witver = data[0]
    if witver == 0:
        ok = const == 1
        length_ok = len(v) in (42, 62)
    else:
        ok = const == 0x2BC830A3
        length_ok = witver <= 16
    return ok and length_ok


def onion_v3_ok(label: str) -> bool:
    """The 56-character base32 label of a v3 onion service, checksum verified."""
    try:
        raw = base64.b32decode(label.upper())
    except ValueError:
        return False
    if len(raw) != 35 or raw[34] != 3:
        return False
    pubkey = raw[:32]
    digest = hashlib.sha3_256(b".onion checksum" + pubkey + b"\x03").digest()
    return digest[:2] == raw[32:34]


@functools.lru_cache(maxsize=1)
def _psl_rules() -> tuple[frozenset, frozenset, frozenset]:
    """ICANN rules of the Public Suffix List shipped by the `publicsuffixlist` package (offline):
    (normal rules, wildcard parents, exceptions), all as IDNA ASCII."""
    from pathlib import Path

    import publicsuffixlist

    path = Path(publicsuffixlist.__file__).parent / "public_suffix_list.dat"
    rules, wild, exc = set(), set(), set()
    in_icann = False
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("// ===BEGIN ICANN"):
            in_icann = True
        elif line.startswith("// ===END ICANN"):
            break
        if not in_icann or not line or line.startswith("//"):
            continue
        rule = line.split()[0]
        try:
            rule = rule.encode("idna").decode("ascii") if not rule.isascii() else rule
        except UnicodeError:
            continue
        rule = rule.lower()
        if rule.startswith("!"):
            exc.add(rule[1:])
        elif rule.startswith("*."):
            wild.add(rule[2:])
        else:
            rules.add(rule)
    return frozenset(rules), frozenset(wild), frozenset(exc)


def public_suffix(host: str) -> str | None:
    """The ICANN public suffix of a lower-case ASCII host, or None if its TLD is unknown."""
    rules, wild, exc = _psl_rules()
    labels = host.split(".")
    n = len(labels)
    best = None
    for i in range(n):
        cand = ".".join(labels[i:])
        if cand in exc:
            return ".".join(labels[i + 1:])
        if cand in rules:
            best = cand
            break
        if i + 1 < n and ".".join(labels[i + 1:]) in wild:
            best = cand
            break
    return best


@functools.lru_cache(maxsize=65536)
def registrable(host: str) -> str | None:
    """The registrable domain of a lower-case ASCII host per the Public Suffix List, or None
    (unknown TLD, or the host is itself a public suffix)."""
    suffix = public_suffix(host)
    if suffix is None or len(suffix) >= len(host):
        return None
    head = host[: len(host) - len(suffix) - 1]
    return head.rsplit(".", 1)[-1] + "." + suffix


@functools.lru_cache(maxsize=1)
def tlds() -> frozenset:
    """The top-level domains of the Public Suffix List's ICANN section (IDNA ASCII)."""
    rules, wild, _exc = _psl_rules()
    return frozenset(r for r in rules | wild if "." not in r)
