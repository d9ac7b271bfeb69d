"""STIX 2.1 export: every object we emit passes stix2-validator with zero errors, over many
generated indicators, campaigns and alerts; ids and `modified` are deterministic; each
indicator type has a pattern that reads back as the same value."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import stix2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sharing_helpers import TLPS, alerts, campaigns, indicators, stix_errors, value_strategy

from vigisante.indicators.extraction import TYPES as EXTRACTION_TYPES
from vigisante.indicators.models import IndicatorType
from vigisante.sharing import stix

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
T0 = dt.datetime(2026, 11, 2, 8, 30, 15, 123456, tzinfo=dt.UTC)


def ind(type_, value, tlp="green", first=T0, reviewed=T0, confidence=70):
    return SimpleNamespace(type=type_, value=value, tlp=tlp, confidence=confidence,
                           first_seen=first, reviewed_at=reviewed)


def test_every_indicator_type_has_a_stix_form():
    assert set(stix.patterns.PATHS) == set(IndicatorType.values) == set(EXTRACTION_TYPES)


@SETTINGS
@given(st.lists(indicators(), min_size=1, max_size=12))
def test_generated_indicators_are_valid_and_their_patterns_read_back(items):
    objects = stix.indicator_objects(items)
    assert stix_errors(stix.bundle(objects)) == []
    for item, obj in zip(items, objects, strict=True):
        if item.type == "cve":
            assert obj["type"] == "vulnerability"
            assert obj["external_references"] == [{"source_name": "cve",
                                                   "external_id": item.value}]
            continue
        found = stix.candidates(obj["pattern"])
        expected_type = "domain" if item.type == "onion" else item.type
        assert found == [(expected_type, item.value)]
        assert obj["object_marking_refs"] == [stix.TLP_IDS[item.tlp]]


@SETTINGS
@given(campaigns(), st.lists(indicators(), max_size=6), st.sampled_from(TLPS),
       st.lists(st.sampled_from(["LockBit", "BlackCat", "Rhysida"]), max_size=2),
       st.none() | st.text(min_size=1, max_size=80).filter(str.strip))
def test_generated_campaigns_are_valid(campaign, items, tlp, malware, name):
    objects = stix.campaign_objects(campaign, items, tlp=tlp, malware=malware, name=name)
    assert stix_errors(stix.bundle(objects)) == []
    kinds = {o["type"] for o in objects}
    assert "campaign" in kinds
    assert ("malware" in kinds) == bool(malware)


@SETTINGS
@given(alerts(), st.lists(indicators(), max_size=6), st.none() | campaigns(),
       st.lists(st.sampled_from(["LockBit", "Akira"]), max_size=2))
def test_generated_alerts_are_valid(alert, items, campaign, malware):
    objects = stix.alert_objects(alert, items, campaign=campaign, malware=malware)
    bundle = stix.bundle(objects)
    assert stix_errors(bundle) == []
    report = objects[0]
    assert report["type"] == "report"
    ids = {o["id"] for o in bundle["objects"]}
    assert set(report["object_refs"]) <= ids
    # The reference library reads it back (custom cryptocurrency observable allowed).
    parsed = stix2.parse(bundle, allow_custom=True)
    assert len(parsed.objects) == len(bundle["objects"])


def test_tlp_2_marking_definitions():
    for tlp in TLPS:
        marking = stix.tlp_marking(tlp)
        assert marking["id"] == stix.TLP_IDS[tlp]
        assert marking["name"] == f"TLP:{tlp.upper()}"
        ext = marking["extensions"]["extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"]
        assert ext == {"extension_type": "property-extension", "tlp_2_0": tlp}
        assert stix_errors(stix.bundle([marking])) == []
    # The published TLP 2.0 ids (OASIS cti-stix-common-objects), not ours.
    assert stix.TLP_IDS["clear"] == "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"
    assert stix.TLP_IDS["red"] == "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def test_the_bundle_carries_the_markings_it_uses_once():
    objects = stix.indicator_objects([ind("ipv4", "192.0.2.1", "green"),
                                      ind("ipv4", "192.0.2.2", "green"),
                                      ind("domain", "x.example", "amber")])
    markings = [o for o in stix.bundle(objects)["objects"] if o["type"] == "marking-definition"]
    assert sorted(m["id"] for m in markings) == sorted([stix.TLP_IDS["green"],
                                                        stix.TLP_IDS["amber"]])


def test_ids_and_modified_are_deterministic():
    a = stix.indicator_objects([ind("url", "http://x.example/a'b")])[0]
    b = stix.indicator_objects([ind("url", "http://x.example/a'b")])[0]
    assert a == b
    later = stix.indicator_objects([ind("url", "http://x.example/a'b",
                                        reviewed=T0 + dt.timedelta(hours=1))])[0]
    assert later["id"] == a["id"] and later["modified"] > a["modified"]
    assert later["created"] == a["created"]
    other = stix.indicator_objects([ind("url", "http://x.example/a'c")])[0]
    assert other["id"] != a["id"]
    # Another creator, another id (ids are per producer).
    mine = stix.indicator_objects([ind("url", "http://x.example/a'b")],
                                  creator=stix.identity("Another CERT"))[0]
    assert mine["id"] != a["id"]
    # The bundle id follows the content and its versions.
    assert stix.bundle([a])["id"] == stix.bundle([b])["id"] != stix.bundle([later])["id"]


def test_timestamps_are_utc_milliseconds():
    paris = dt.timezone(dt.timedelta(hours=1))
    assert stix.timestamp(dt.datetime(2026, 1, 2, 3, 4, 5, 678999, tzinfo=paris)) == \
        "2026-01-02T02:04:05.678Z"


def test_pattern_escaping_of_hostile_values():
    for value in ["http://x.example/'] OR [ipv4-addr:value = '1.2.3.4",
                  "http://x.example/\\'", "http://x.example/é ü"]:
        obj = stix.indicator_objects([ind("url", value)])[0]
        assert stix.candidates(obj["pattern"]) == [("url", value)]
        assert stix_errors(stix.bundle([obj])) == []


def test_candidates_of_patterns_we_did_not_write():
    assert stix.candidates("[file:hashes.md5 = 'AB'] OR [file:hashes.'SHA-256' = 'cd']") == \
        [("md5", "AB"), ("sha256", "cd")]
    assert stix.candidates("[domain-name:value = 'a.example' OR ipv4-addr:value = '1.2.3.4']") \
        == [("domain", "a.example"), ("ipv4", "1.2.3.4")]
    for pattern in ["[ipv4-addr:value = '1.2.3.4' AND domain-name:value = 'a.example']",
                    "[email-message:subject MATCHES '^x']", "[file:name = 'x']",
                    "[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '1.2.3.5']",
                    "[ipv4-addr:value = '1.2.3.4'", "", None, "x" * 30000]:
        assert stix.candidates(pattern) == []


@given(st.sampled_from(TYPES_WITH_PATTERN := [t for t in stix.patterns.PATHS
                                              if stix.patterns.PATHS[t]]), st.data())
@SETTINGS
def test_pattern_round_trip(type_, data):
    value = data.draw(value_strategy(type_))
    pattern = stix.pattern_for(type_, value)
    assert stix.candidates(pattern) == [("domain" if type_ == "onion" else type_, value)]
