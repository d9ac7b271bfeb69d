"""Warning lists: MISP warninglist JSON (string, hostname, cidr, substring, regex), lookups, and
MISP's own lists as shipped offline by pymispwarninglists."""

from __future__ import annotations

import pytest

from vigisante.indicators.extraction.warninglists import (
    WarningList,
    default_lists,
    filter_indicators,
    is_listed,
    load_misp_warninglist,
    misp_lists,
)


def misp(type_, values, **extra):
    return {"name": f"test {type_}", "type": type_, "list": values, "version": 1,
            "description": "d", **extra}


def test_string_list():
    wl = load_misp_warninglist(misp("string", ["Example-Corp.FR", "8.8.8.8"]))
    assert is_listed("domain", "example-corp.fr", [wl]) == "test string"
    assert is_listed("ipv4", "8.8.8.8", [wl]) == "test string"
    assert is_listed("url", "https://example-corp.fr/x", [wl]) == "test string"
    assert is_listed("domain", "www.example-corp.fr", [wl]) is None


def test_hostname_list_matches_subdomains():
    wl = load_misp_warninglist(misp("hostname", ["microsoft.com"]))
    for t, v in [("domain", "microsoft.com"), ("domain", "login.microsoft.com"),
                 ("url", "https://update.microsoft.com/a"), ("email", "x@mail.microsoft.com")]:
        assert is_listed(t, v, [wl]), (t, v)
    assert is_listed("domain", "notmicrosoft.com", [wl]) is None
    assert is_listed("domain", "microsoft.com.evil.ru", [wl]) is None


def test_cidr_list():
    wl = load_misp_warninglist(misp("cidr", ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]))
    assert is_listed("ipv4", "10.20.30.40", [wl])
    assert is_listed("ipv4", "192.0.2.7", [wl]) and not is_listed("ipv4", "192.0.2.8", [wl])
    assert is_listed("ipv6", "2001:db8::1", [wl])
    assert is_listed("ipv6", "::ffff:10.1.1.1", [wl])  # IPv4-mapped
    assert is_listed("ipv6", "fe80::1%eth0", [wl]) is None
    assert is_listed("url", "http://10.1.1.1/x", [wl])
    assert is_listed("ipv4", "11.0.0.1", [wl]) is None


def test_substring_and_regex_lists_and_matching_attributes():
    sub = load_misp_warninglist(misp("substring", ["sinkhole"], matching_attributes=["domain"]))
    assert is_listed("domain", "x.sinkhole.example.org", [sub])
    assert is_listed("url", "http://sinkhole.org/", [sub]) is None  # restricted to domains
    rx = load_misp_warninglist(misp("regex", ["/^.*\\.amazonaws\\.com$/i"]))
    assert is_listed("domain", "bucket.s3.AMAZONAWS.com", [rx])
    assert is_listed("domain", "amazonaws.com.evil.ru", [rx]) is None


@pytest.mark.parametrize("doc,message", [
    ([], "JSON object"), ({"list": []}, "no name"), ({"name": "x", "list": "a"}, "list"),
    ({"name": "x", "list": ["a"], "type": "bogus"}, "Unsupported"),
    ({"name": "x", "list": ["10.0.0.0/33"], "type": "cidr"}, "CIDR"),
    ({"name": "x", "list": ["/(/"], "type": "regex"}, "regular expression"),
])
def test_invalid_documents(doc, message):
    with pytest.raises(ValueError, match=message):
        load_misp_warninglist(doc)


def test_misp_lists_ship_offline():
    lists = {wl.name: wl for wl in misp_lists(("rfc1918", "google", "empty-hashes"))}
    assert len(lists) == 3
    assert is_listed("ipv4", "172.16.5.4", list(lists.values()))
    assert is_listed("domain", "mail.google.com", list(lists.values()))
    assert is_listed("md5", "d41d8cd98f00b204e9800998ecf8427e", list(lists.values()))
    big = misp_lists()
    assert len(big) >= 20


def test_default_filtering():
    found = {"ipv4": ["10.0.0.1", "192.0.2.1", "185.220.101.4"], "ipv6": ["2001:db8::1", "fe80::1",
             "2a01:4f8:c17:b8f::2"], "domain": ["example.com", "evil.ru"],
             "url": ["http://127.0.0.1/x", "https://evil.ru/a"], "email": ["a@example.org"]}
    kept, dropped = filter_indicators(found, default_lists())
    assert kept == {"ipv4": ["185.220.101.4"], "ipv6": ["2a01:4f8:c17:b8f::2"],
                    "domain": ["evil.ru"], "url": ["https://evil.ru/a"], "email": []}
    assert sum(map(len, dropped.values())) == 7
    kept, _ = filter_indicators({"domain": ["login.microsoftonline.com", "evil.ru"]},
                                default_lists(large_providers=True))
    assert kept["domain"] == ["evil.ru"]


def test_warning_list_type_is_checked():
    with pytest.raises(ValueError):
        WarningList("x", "nope", ())
