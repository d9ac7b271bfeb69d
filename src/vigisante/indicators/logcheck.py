"""Match many indicators against proxy, DNS, firewall and mail logs, streaming (pure Python).

No Django import: `vigisante check-logs` runs on an establishment's own server without a
database. Indicators are compiled into one Aho-Corasick automaton (pyahocorasick, chosen by
measurement, see benchmarks/RESULTS.md); each candidate hit is then checked against token
boundaries, so that `evil.example` matches `www.evil.example` and `http://evil.example/x` but
not `notevil.example` or `evil.example.org`, and `192.0.2.1` does not match `192.0.2.10`.

Logs are read in blocks of whole lines (memory stays bounded whatever the file size; a line
longer than a block is cut), as bytes in any encoding; gzip, bzip2 and xz are recognised by
their magic bytes. Matching is case-insensitive for ASCII (hosts, hashes, CVE ids, and URL
paths too: a log that changed the case of a path is still reported).
"""

from __future__ import annotations

import bz2
import functools
import gzip
import ipaddress
import lzma
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NamedTuple

import ahocorasick

TYPES = ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "cve", "bitcoin",
         "onion")
BLOCK_SIZE = 1 << 20
SNIPPET_CHARS = 300

# Characters that continue a token of each kind (bytes, lower-cased text; >= 0x80 is part of
# an internationalised label).
_LABEL = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789-_") | frozenset(range(0x80, 0x100))
_ALNUM = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
_DIGIT = frozenset(b"0123456789")
_HEX_COLON = frozenset(b"0123456789abcdef:")
_LOCAL = _ALNUM | frozenset(b".!#$%&'*+/=?^_`{|}~-")
_PATH = _ALNUM | frozenset(b"-_.~%")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

# Defanged values (`evil[.]example`, `hxxp://`) and the label-length form of Windows DNS debug
# logs (`(4)evil(7)example(0)`): lines holding one of these markers are refanged and scanned
# again.
_MARKERS = (b"[.]", b"(.)", b"{.}", b"[dot]", b"(dot)", b"hxxp", b"[:]", b"[at]", b"(at)",
            b"[@]", b"(0)\n", b"(0)\r")
_REFANG = [
    (re.compile(rb"\[\.\]|\(\.\)|\{\.\}|\[dot\]|\(dot\)"), b"."),
    (re.compile(rb"\[at\]|\(at\)|\[@\]"), b"@"),
    (re.compile(rb"\[:\]"), b":"),
    (re.compile(rb"hxxp"), b"http"),
    (re.compile(rb"\(\d{1,2}\)"), b"."),
]


class LogReadError(Exception):
    """A log could not be read (missing, unreadable, corrupt compressed data)."""


class Indicator(NamedTuple):
    type: str
    value: str


class Match(NamedTuple):
    """One line of a log that holds one indicator."""

    line_no: int
    indicator: Indicator
    line: str  # the line, made printable and truncated around the match
    matched: str  # the text of the log that matched


def canonical(type_: str, value: str) -> str | None:
    """Canonical form of one indicator value, as the extraction package gives it.

    A value the extraction package refuses (an internal name such as `intranet.lan`, a
    reserved TLD such as `.example`) is still matched, in the same lower-cased form: a
    confirmed indicator or a value an establishment asks for is never dropped silently."""
    return _canonical_function()(type_, value) or _fallback_canonical(type_, value)


@functools.cache
def _canonical_function():
    try:
        from vigisante.indicators.extraction import canonical as extraction_canonical
    except ImportError:  # the extraction package is not there yet: same rules, fewer forms
        return _fallback_canonical
    return extraction_canonical


_ALREADY_CANONICAL = {
    "domain": re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}"),
    "ipv4": re.compile(r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}"
                       r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"),
    "md5": re.compile(r"[0-9a-f]{32}"),
    "sha1": re.compile(r"[0-9a-f]{40}"),
    "sha256": re.compile(r"[0-9a-f]{64}"),
}


def _fallback_canonical(type_: str, value: str) -> str | None:
    value = (value or "").strip().strip(".,;")
    if not value or len(value) > 2048:
        return None
    try:
        if type_ == "ipv4":
            return str(ipaddress.IPv4Address(value))
        if type_ == "ipv6":
            return str(ipaddress.IPv6Address(value))
        if type_ in ("domain", "onion"):
            return value.lower().encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        return None
    if type_ in ("md5", "sha1", "sha256", "cve", "email"):
        return value.lower()
    if type_ == "url":
        scheme, sep, rest = value.partition("://")
        if not sep:
            return None
        host, slash, path = rest.partition("/")
        return f"{scheme.lower()}://{host.lower()}{slash}{path}"
    return value if type_ == "bitcoin" else None


def _keys(ind: Indicator) -> list[tuple[str, str]]:
    """The (lower-cased key, boundary rule) pairs under which an indicator is searched."""
    value = ind.value
    if ind.type in ("domain", "onion"):
        keys = [(value.lower(), "domain")]
        if "xn--" in value:
            try:
                uni = value.encode("ascii").decode("idna").lower()
                keys.append((uni, "domain"))
            except UnicodeError:
                pass
        return keys
    if ind.type == "ipv4":
        return [(value, "ipv4")]
    if ind.type == "ipv6":
        addr = ipaddress.IPv6Address(value)
        forms = {addr.compressed, addr.exploded, ":".join(f"{int(p, 16):x}"
                                                           for p in addr.exploded.split(":"))}
        return [(f, "ipv6") for f in sorted(forms)]
    if ind.type == "url":
        return [(value.split("://", 1)[-1], "url")]
    if ind.type in ("email", "cve"):
        return [(value, ind.type)]
    return [(value, "token")]  # hashes, bitcoin


class Matcher:
    """Indicators compiled once, scanned against any number of logs."""

    def __init__(self, indicators: Iterable[tuple[str, str]], *, canonicalise: bool = True):
        self.automaton = ahocorasick.Automaton()
        self.indicators: list[Indicator] = []
        self.rejected: list[tuple[str, str]] = []
        payloads: dict[str, list[tuple[Indicator, str]]] = {}
        seen: set[Indicator] = set()
        for type_, value in indicators:
            fast = _ALREADY_CANONICAL.get(type_)
            if not canonicalise or (fast and len(value) < 254 and fast.fullmatch(value)):
                canon = value  # the feed's values are canonical already: skip the slow path
            else:
                canon = canonical(type_, value)
            if type_ not in TYPES or not canon:
                self.rejected.append((type_, value))
                continue
            ind = Indicator(type_, canon)
            if ind in seen:
                continue
            try:
                keys = _keys(ind)
            except ValueError:
                self.rejected.append((type_, value))
                continue
            seen.add(ind)
            self.indicators.append(ind)
            for key, rule in keys:
                # the log is scanned as lower-cased bytes seen as latin-1 text
                key = key.encode("utf-8").lower().decode("latin-1")
                if key:
                    payloads.setdefault(key, []).append((ind, rule))
        for key, entries in payloads.items():
            self.automaton.add_word(key, (len(key), tuple(entries)))
        self.empty = not payloads
        if not self.empty:
            self.automaton.make_automaton()

    # -- scanning ---------------------------------------------------------------------------
    def scan(self, source: str | BinaryIO | bytes, *,
             block_size: int = BLOCK_SIZE) -> Iterator[Match]:
        """Matches of a path (`-` is stdin), a binary stream, or bytes, in line order."""
        if isinstance(source, bytes | bytearray):
            yield from self._scan_stream(_BytesStream(bytes(source)), block_size)
            return
        with open_log(source) as stream:
            yield from self._scan_stream(stream, block_size)

    def _scan_stream(self, stream: BinaryIO, block_size: int) -> Iterator[Match]:
        self.lines = 0
        self.bytes = 0
        line_base = 1
        last = b"\n"
        for block in _blocks(stream, block_size):
            if not self.empty:
                yield from self._scan_block(block, line_base)
            line_base += block.count(b"\n")
            self.bytes += len(block)
            last = block[-1:]
        self.lines = line_base - 1 + (last != b"\n")

    def pusher(self, *, block_size: int = BLOCK_SIZE) -> PushScanner:
        """A scanner fed piece by piece (an HTTP upload as it arrives; gzip or plain)."""
        return PushScanner(self, block_size)

    def _scan_block(self, block: bytes, line_base: int) -> Iterator[Match]:
        low = block.lower()
        found = self._hits(low)
        if low.endswith(b"(0)") or any(m in low for m in _MARKERS):
            found += self._refanged_hits(low)
        if not found:
            return
        found.sort(key=lambda h: (h[0], h[1].type, h[1].value))
        lines_of = _LineIndex(block, line_base)
        reported: set[tuple[int, Indicator]] = set()
        for line_idx, ind, matched, rel_start in found:
            line_no, line = lines_of.line(line_idx)
            if (line_no, ind) in reported:
                continue
            reported.add((line_no, ind))
            yield Match(line_no, ind, _snippet(line, rel_start, len(matched)),
                        _printable(matched))

    def _hits(self, low: bytes) -> list[tuple[int, Indicator, bytes, int]]:
        """(offset of the line start, indicator, matched bytes, offset in line) of a block."""
        text = low.decode("latin-1")
        out = []
        for end, (length, entries) in self.automaton.iter(text):
            start = end - length + 1
            stop = end + 1
            for indicator, rule in entries:
                if _bounded(low, start, stop, rule):
                    line_start = low.rfind(b"\n", 0, start) + 1
                    out.append((line_start, indicator, low[start:stop],
                                start - line_start))
        return out

    def _refanged_hits(self, low: bytes) -> list[tuple[int, Indicator, bytes, int]]:
        starts: set[int] = set()
        if low.endswith(b"(0)"):
            starts.add(low.rfind(b"\n") + 1)
        for marker in _MARKERS:
            pos = low.find(marker)
            while pos >= 0:
                line_start = low.rfind(b"\n", 0, pos) + 1
                starts.add(line_start)
                end = low.find(b"\n", pos)
                pos = -1 if end < 0 else low.find(marker, end)
        out = []
        for line_start in sorted(starts):
            end = low.find(b"\n", line_start)
            line = fixed = low[line_start: len(low) if end < 0 else end]
            for pattern, repl in _REFANG:
                fixed = pattern.sub(repl, fixed)
            if fixed != line:
                out.extend((line_start, ind, matched, 0)
                           for _s, ind, matched, _r in self._hits(fixed))
        return out


class PushScanner:
    """Scan a log given in pieces, as it arrives: nothing of it is kept but the current block.

    `push(data)` and `finish()` return the matches of the lines completed so far; gzip is
    recognised by its magic bytes and inflated piece by piece (bounded output per step)."""

    def __init__(self, matcher: Matcher, block_size: int = BLOCK_SIZE):
        self.matcher, self.block_size = matcher, block_size
        self.head = b""
        self.inflate: zlib._Decompress | None = None
        self.sniffed = False
        self.carry = b""
        self.line_base = 1
        self.bytes = 0  # decompressed bytes read
        self.last = b"\n"

    @property
    def lines(self) -> int:
        return self.line_base - 1 + (self.last != b"\n")

    def push(self, data: bytes) -> list[Match]:
        if not self.sniffed:
            self.head += data
            if len(self.head) < 2:
                return []
            data, self.head, self.sniffed = self.head, b"", True
            if data.startswith(b"\x1f\x8b"):
                self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        if self.inflate is None:
            return self._add(data)
        found: list[Match] = []
        try:
            while data:
                out = self.inflate.decompress(data, self.block_size)
                found += self._add(out)
                data = self.inflate.unconsumed_tail
                if self.inflate.eof:  # another gzip member may follow
                    data = self.inflate.unused_data + data
                    self.inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
                    if not data.startswith(b"\x1f\x8b"):
                        break  # trailing garbage after the last member is ignored
        except zlib.error as exc:
            raise LogReadError(f"corrupt or truncated compressed data ({exc})") from exc
        return found

    def finish(self) -> list[Match]:
        found: list[Match] = []
        if not self.sniffed and self.head:
            self.sniffed = True
            found += self._add(self.head)
        if self.inflate is not None:
            try:
                found += self._add(self.inflate.flush())
            except zlib.error as exc:
                raise LogReadError(f"corrupt or truncated compressed data ({exc})") from exc
        if self.carry:
            found += self._scan(self.carry)
            self.carry = b""
        return found

    def _add(self, data: bytes) -> list[Match]:
        if not data:
            return []
        data = self.carry + data if self.carry else data
        if len(data) < self.block_size:
            self.carry = data
            return []
        cut = data.rfind(b"\n") + 1 or _token_cut(data)
        self.carry = data[cut:]
        return self._scan(data[:cut])

    def _scan(self, block: bytes) -> list[Match]:
        found = [] if self.matcher.empty else list(
            self.matcher._scan_block(block, self.line_base))
        self.line_base += block.count(b"\n")
        self.bytes += len(block)
        self.last = block[-1:]
        return found


def _bounded(low: bytes, start: int, stop: int, rule: str) -> bool:
    """Does the candidate low[start:stop] stand on the token boundaries of its kind?"""
    before = low[start - 1] if start > 0 else 32
    after = low[stop] if stop < len(low) else 32
    after2 = low[stop + 1] if stop + 1 < len(low) else 32
    if rule == "domain":
        return before not in _LABEL and _end_of_host(after, after2)
    if rule == "ipv4":
        return (before not in _DIGIT and before != 46 and after not in _DIGIT
                and not (after == 46 and after2 in _DIGIT))
    if rule == "ipv6":
        return before not in _HEX_COLON and before != 46 and after not in _HEX_COLON
    if rule == "url":
        last = low[stop - 1]
        if before in _LABEL or before == 46:
            return False
        if last in _PATH:
            return after not in _PATH
        return True
    if rule == "email":
        return before not in _LOCAL and _end_of_host(after, after2)
    if rule == "cve":
        return before not in _ALNUM and after not in _DIGIT
    return before not in _ALNUM and after not in _ALNUM


def _end_of_host(after: int, after2: int) -> bool:
    if after in _LABEL:
        return False
    return not (after == 46 and after2 in _LABEL)


class _LineIndex:
    """Line numbers of offsets in a block, counted incrementally (offsets come sorted)."""

    def __init__(self, block: bytes, line_base: int):
        self.block = block
        self.pos = 0
        self.line_no = line_base

    def line(self, line_start: int) -> tuple[int, bytes]:
        self.line_no += self.block.count(b"\n", self.pos, line_start)
        self.pos = line_start
        end = self.block.find(b"\n", line_start)
        return self.line_no, self.block[line_start: len(self.block) if end < 0 else end]


def _snippet(line: bytes, start: int, length: int) -> str:
    """The line, printable (no control or bidi characters), at most SNIPPET_CHARS long."""
    line = line.rstrip(b"\r")
    if len(line) > SNIPPET_CHARS:
        lo = max(0, min(start - SNIPPET_CHARS // 3, len(line) - SNIPPET_CHARS))
        text = _printable(line[lo: lo + SNIPPET_CHARS])
        return ("…" if lo else "") + text + ("…" if lo + SNIPPET_CHARS < len(line) else "")
    return _printable(line)


def _printable(data: bytes) -> str:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return _CONTROL.sub("\ufffd", text)


# -- reading -----------------------------------------------------------------------------------
class _BytesStream:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = len(self.data) - self.pos
        chunk = self.data[self.pos: self.pos + n]
        self.pos += len(chunk)
        return chunk


class open_log:
    """Context manager giving a binary stream of a log, decompressed when it is compressed."""

    def __init__(self, source: str | BinaryIO):
        self.source = source
        self.raw: BinaryIO | None = None
        self.owned = False

    def __enter__(self) -> BinaryIO:
        if isinstance(self.source, str):
            if self.source == "-":
                self.raw = sys.stdin.buffer
            else:
                try:
                    self.raw = open(self.source, "rb")  # noqa: SIM115
                except FileNotFoundError as exc:
                    raise LogReadError(f"{self.source}: no such file") from exc
                except IsADirectoryError as exc:
                    raise LogReadError(f"{self.source}: is a directory") from exc
                except OSError as exc:
                    raise LogReadError(f"{self.source}: {exc.strerror or exc}") from exc
                self.owned = True
        else:
            self.raw = self.source
        return _decompressing(self.raw)

    def __exit__(self, *exc) -> None:
        if self.owned and self.raw is not None:
            self.raw.close()


class _Peeked:
    """A stream whose first bytes were read to sniff its format."""

    def __init__(self, head: bytes, raw: BinaryIO):
        self.head, self.raw = head, raw

    def read(self, n: int = -1) -> bytes:
        if self.head:
            if n < 0:
                data, self.head = self.head + self.raw.read(), b""
                return data
            data, self.head = self.head[:n], self.head[n:]
            if len(data) < n:
                data += self.raw.read(n - len(data))
            return data
        return self.raw.read(n)


def _decompressing(raw: BinaryIO) -> BinaryIO:
    head = raw.read(6)
    stream = _Peeked(head, raw)
    if head.startswith(b"\x1f\x8b"):
        return gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[arg-type]
    if head.startswith(b"BZh"):
        return bz2.BZ2File(stream, mode="rb")  # type: ignore[arg-type]
    if head.startswith(b"\xfd7zXZ\x00"):
        return lzma.LZMAFile(stream, mode="rb")  # type: ignore[arg-type]
    return stream  # type: ignore[return-value]


def _blocks(stream: BinaryIO, block_size: int) -> Iterator[bytes]:
    """Blocks of whole lines of at most about block_size bytes (a longer line is cut)."""
    carry = b""
    while True:
        try:
            data = stream.read(block_size)
        except (OSError, EOFError, lzma.LZMAError, ValueError) as exc:
            raise LogReadError(f"corrupt or truncated compressed data ({exc})") from exc
        if not data:
            if carry:
                yield carry
            return
        data = carry + data if carry else data
        cut = data.rfind(b"\n") + 1
        if cut == 0:
            if len(data) < block_size:
                carry = data
                continue
            cut = _token_cut(data)
        yield data[:cut]
        carry = data[cut:]


def _token_cut(data: bytes) -> int:
    """Where to cut a block that has no newline: after the last space, else anywhere."""
    for sep in (b" ", b"\t", b","):
        pos = data.rfind(sep, len(data) // 2)
        if pos > 0:
            return pos + 1
    return len(data)
