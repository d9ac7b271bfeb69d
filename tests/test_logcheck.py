"""The log matcher (pure): token boundaries, defanged values, compressed and huge logs."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigisante.indicators.logcheck import Indicator, LogReadError, Matcher

INDICATORS = [
    ("domain", "evil.example"), ("ipv4", "192.0.2.1"), ("url", "http://bad.example/x"),
    ("md5", "D41D8CD98F00B204E9800998ECF8427E"), ("domain", "xn--bcher-kva.example"),
    ("email", "Phish@Evil.Example"), ("ipv6", "2001:db8::1"), ("cve", "CVE-2021-44228"),
    ("sha256", "a" * 64),
]


@pytest.fixture(scope="module")
def matcher():
    return Matcher(INDICATORS)


def hits(matcher, text):
    return sorted((m.line_no, m.indicator.type, m.indicator.value)
                  for m in matcher.scan(text.encode() if isinstance(text, str) else text))


@pytest.mark.parametrize("line, expected", [
    ("a www.evil.example b", ["evil.example"]),
    ("GET http://evil.example/x HTTP/1.1", ["evil.example"]),
    ("CONNECT EVIL.EXAMPLE:443", ["evil.example"]),
    ("query: evil.example. IN A", ["evil.example"]),
    ("notevil.example", []),
    ("my-evil.example", []),
    ("evil.example.org", []),
    ("evil.example-cdn.net", []),
    ("evil.examples", []),
    ("src=192.0.2.1 dst=10.0.0.1", ["192.0.2.1"]),
    ("192.0.2.1:8080", ["192.0.2.1"]),
    ("192.0.2.10", []),
    ("192.0.2.100", []),
    ("10.192.0.2.1", []),
    ("192.0.2.1.5", []),
    ("1192.0.2.1", []),
    ("GET https://BAD.example/x?y=1", ["http://bad.example/x"]),
    ("GET bad.example/x/y", ["http://bad.example/x"]),
    ("GET http://bad.example/xyz", []),
    ("GET http://bad.example/x.php", []),
    ("GET http://www.bad.example/x", []),
    ("sha d41d8cd98f00b204e9800998ecf8427e.", ["d41d8cd98f00b204e9800998ecf8427e"]),
    ("D41D8CD98F00B204E9800998ECF8427E", ["d41d8cd98f00b204e9800998ecf8427e"]),
    ("d41d8cd98f00b204e9800998ecf8427e00", []),
    ("0d41d8cd98f00b204e9800998ecf8427e", []),
    ("from=<phish@evil.example>", ["evil.example", "phish@evil.example"]),
    ("from=<xphish@evil.example>", ["evil.example"]),
    ("from=<x.phish@evil.example>", ["evil.example"]),
    ("src [2001:db8::1]:443", ["2001:db8::1"]),
    ("src 2001:0db8:0000:0000:0000:0000:0000:0001", ["2001:db8::1"]),
    ("src 2001:db8::10", []),
    ("src 2001:db8::1:5", []),
    ("ids: cve-2021-44228 exploit", ["CVE-2021-44228"]),
    ("ids: CVE-2021-442289", []),
    ("b" + "a" * 64, []),
    ("x " + "A" * 64, ["a" * 64]),
    ("hxxp://evil[.]example/a", ["evil.example"]),
    ("evil(.)example", ["evil.example"]),
    ("win dns: (3)www(4)evil(7)example(0)", ["evil.example"]),
    ("win dns: (4)evil(7)example(3)org(0)", []),
    ("idn: bücher.example", ["xn--bcher-kva.example"]),
    ("idn: xn--bcher-kva.example", ["xn--bcher-kva.example"]),
    ("", []),
])
def test_token_boundaries(matcher, line, expected):
    assert sorted(v for _n, _t, v in hits(matcher, line)) == sorted(expected)


def test_line_numbers_and_snippet(matcher):
    log = b"nothing\nstill nothing\r\nwww.evil.example x\n\nlast 192.0.2.1"
    found = list(matcher.scan(log))
    assert [(m.line_no, m.indicator.value) for m in found] == [
        (3, "evil.example"), (5, "192.0.2.1")]
    assert found[0].line == "www.evil.example x"
    assert matcher.lines == 5


def test_one_report_per_line_and_indicator(matcher):
    found = list(matcher.scan(b"evil.example evil.example www.evil.example\n"))
    assert len(found) == 1


def test_snippet_is_truncated_around_match_and_printable(matcher):
    line = b"\x1b[31m" + b"x" * 5000 + b" evil.example " + b"y" * 5000 + b"\n"
    [m] = list(matcher.scan(line))
    assert "evil.example" in m.line and len(m.line) <= 302
    assert "\x1b" not in m.line
    [m] = list(matcher.scan(b"\x1b[2J\xe9t\xe9 evil.example \xe2\x80\xae\n"))
    assert "\x1b" not in m.line and "\u202e" not in m.line and "été" in m.line


def test_invalid_indicators_rejected():
    m = Matcher([("domain", ""), ("ipv4", "999.1.1.1"), ("nope", "x"), ("domain", "a" * 3000),
                 ("domain", "evil.example")])
    assert m.indicators == [Indicator("domain", "evil.example")]
    assert len(m.rejected) == 4


def test_empty_matcher_counts_lines():
    m = Matcher([])
    assert list(m.scan(b"a\nb\nc")) == [] and m.lines == 3


@pytest.mark.parametrize("compress", [gzip.compress, bz2.compress, lzma.compress])
def test_compressed_logs_detected_by_magic(tmp_path, matcher, compress):
    path = tmp_path / "access.log.1"  # no telling extension
    path.write_bytes(compress(b"ok\nGET http://evil.example/ 200\n" * 3))
    found = list(matcher.scan(str(path)))
    assert [m.line_no for m in found] == [2, 4, 6]


def test_concatenated_gzip_members(tmp_path, matcher):
    path = tmp_path / "a.gz"
    path.write_bytes(gzip.compress(b"a\n") + gzip.compress(b"192.0.2.1\n"))
    assert [m.line_no for m in matcher.scan(str(path))] == [2]


def test_corrupt_gzip_is_a_clear_error(tmp_path, matcher):
    path = tmp_path / "a.gz"
    data = b"".join(b"evil.example %d\n" % (i * 7919 % 100_003) for i in range(20_000))
    path.write_bytes(gzip.compress(data)[:-2000])
    with pytest.raises(LogReadError, match="corrupt or truncated"):
        list(matcher.scan(str(path)))


def test_missing_file_and_directory(tmp_path, matcher):
    with pytest.raises(LogReadError, match="no such file"):
        list(matcher.scan(str(tmp_path / "missing.log")))
    with pytest.raises(LogReadError, match="directory"):
        list(matcher.scan(str(tmp_path)))


def test_binary_stream_source(matcher):
    assert len(list(matcher.scan(io.BytesIO(b"evil.example\n")))) == 1


def test_long_line_without_newline_is_cut_not_buffered(matcher):
    data = (b"x" * 100 + b" ") * 50_000 + b"evil.example " + b"z" * 10
    found = list(matcher.scan(data, block_size=4096))
    assert [(m.line_no, m.indicator.value) for m in found] == [(1, "evil.example")]


FRAGMENTS = ["evil.example", "www.evil.example", "notevil.example", "192.0.2.1", "192.0.2.10",
             "http://bad.example/x", "bad.example/xy", "phish@evil.example", "evil[.]example",
             "d41d8cd98f00b204e9800998ecf8427e", " ", " ", "\n", "\n", ".", ":", "/", "é", "\x00"]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=60), st.integers(8, 200))
def test_block_size_does_not_change_results(matcher, parts, block_size):
    """Lines are never split across blocks, so a tiny block finds what a large one finds."""
    data = "".join(parts).encode()
    if any(len(line) >= block_size for line in data.split(b"\n")):
        block_size = 1 << 20
    small = [(m.line_no, m.indicator) for m in matcher.scan(data, block_size=block_size)]
    large = [(m.line_no, m.indicator) for m in matcher.scan(data)]
    assert small == large


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=3000))
def test_arbitrary_bytes_never_raise(matcher, data):
    for m in matcher.scan(data, block_size=256):
        assert m.line_no >= 1 and isinstance(m.line, str)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["domain", "ipv4", "url", "md5", "email", "x"]),
                          st.text(max_size=40)), max_size=20), st.binary(max_size=500))
def test_arbitrary_indicators_never_raise(indicators, data):
    m = Matcher(indicators)
    list(m.scan(data))
    assert len(m.indicators) + len(m.rejected) <= len(indicators)


def test_large_streamed_gzip_file_in_bounded_memory(tmp_path):
    """About 300 MB of log (gzip) are scanned by a subprocess whose peak RSS stays small."""
    path = tmp_path / "big.log.gz"
    line = b"1700000000.123 5 10.1.2.3 TCP_MISS/200 512 GET http://ok.example/p - DIRECT\n"
    with gzip.open(path, "wb", compresslevel=1) as f:
        block = line * 20_000
        for _ in range(200):
            f.write(block)
        f.write(b"GET http://www.evil.example/x\n")
    script = textwrap.dedent(f"""
        import resource, json
        from vigisante.indicators.logcheck import Matcher
        m = Matcher([("domain", "evil.example")])
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        found = [x.line_no for x in m.scan({str(path)!r})]
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(json.dumps({{"found": found, "lines": m.lines, "bytes": m.bytes,
                          "grew_kb": after - before, "peak_kb": after}}))
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         check=True, timeout=600)
    import json
    result = json.loads(out.stdout)
    assert result["found"] == [4_000_001]
    assert result["lines"] == 4_000_001 and result["bytes"] > 300_000_000
    assert result["grew_kb"] < 40_000, result  # a few blocks, not the file


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=80), st.integers(1, 50),
       st.booleans())
def test_push_scanner_finds_what_the_stream_scanner_finds(matcher, parts, piece, packed):
    data = "".join(parts).encode()
    expected = [(m.line_no, m.indicator) for m in matcher.scan(data)]
    raw = gzip.compress(data) if packed else data
    long_line = any(len(line) >= 64 for line in data.split(b"\n"))
    pusher = matcher.pusher(block_size=1 << 20 if long_line else 64)
    found = []
    for i in range(0, len(raw), piece):
        found += pusher.push(raw[i:i + piece])
    found += pusher.finish()
    assert [(m.line_no, m.indicator) for m in found] == expected
    assert pusher.lines == len(data.splitlines()) or not data


def test_push_scanner_corrupt_gzip(matcher):
    pusher = matcher.pusher()
    with pytest.raises(LogReadError):
        pusher.push(b"\x1f\x8b\x08\x00garbage-garbage-garbage")
        pusher.finish()
