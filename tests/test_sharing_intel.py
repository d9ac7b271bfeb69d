"""Incoming intelligence: `ingest_intel` reads STIX bundles and MISP events (the shared
samples and real-world drift), refuses bad input with a clear message and stores nothing
then; an analyst accepts candidates into the indicators or dismisses, both audited."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from vigisante.core.models import AuditEvent
from vigisante.indicators.models import Indicator
from vigisante.sharing import intel as intel_module
from vigisante.sharing import services
from vigisante.sharing.intake.common import MAX_OBJECTS
from vigisante.sharing.models import IncomingIntel, IntelCandidate

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "samples"
STIX_SAMPLES = sorted((SAMPLES / "stix21").glob("*.json"))
MISP_SAMPLES = sorted((SAMPLES / "misp").glob("*.json"))


def load(path: Path):
    return json.loads(path.read_text())


def _types(objects):
    return sorted(o["type"] for o in objects)


@pytest.mark.parametrize("path", STIX_SAMPLES, ids=lambda p: p.name)
def test_stix_samples_import_cleanly(path, analyst):
    data = load(path)
    intel = services.ingest_intel(source="upload", fmt="stix", payload=path.read_bytes(),
                                  actor=analyst)
    assert intel.format == "stix" and intel.status == "pending"
    assert intel.content == data["objects"]  # every object kept whole, in order
    assert intel.object_count == len(data["objects"])
    values = {(c.type, c.value) for c in intel.candidates.all()}
    for obj in data["objects"]:
        pattern = obj.get("pattern", "")
        if obj["type"] == "indicator" and pattern.count("=") == 1 and "/" not in pattern \
                and ("ipv4-addr:value" in pattern or "domain-name:value" in pattern):
            assert pattern.split("'")[1] in {v for _t, v in values}
    assert AuditEvent.objects.filter(action="sharing.intel_received",
                                     object_id=str(intel.pk)).count() == 1


@pytest.mark.parametrize("path", MISP_SAMPLES, ids=lambda p: p.name)
def test_misp_samples_import_cleanly(path, analyst):
    intel = services.ingest_intel(source="upload", fmt="misp", payload=path.read_bytes(),
                                  actor=analyst)
    assert intel.format == "misp"
    data = load(path)
    events = data["response"] if "response" in data else [data]
    assert len(intel.content) == len(events)
    assert intel.content[0]["Event"]["uuid"] == (events[0].get("Event") or events[0])["uuid"]
    assert intel.candidates.exists()


def test_misp_tlp_and_typed_attributes(analyst):
    event = {"Event": {"info": "x", "uuid": "5a4e4fdd-1eb4-4ff3-9e87-43fa950d210f",
                       "Tag": [{"name": "tlp:green"}], "Attribute": [
                           {"type": "ip-dst|port", "value": "192.0.2.7|443"},
                           {"type": "domain|ip", "value": "bad-invoice.com|2001:db8::7"},
                           {"type": "filename|sha1",
                            "value": "a.exe|" + "b" * 40, "Tag": [{"name": "tlp:amber"}]},
                           {"type": "vulnerability", "value": "cve-2024-3400"},
                           {"type": "btc", "value": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT"},
                           {"type": "url", "value": "http://gone.example/", "deleted": True},
                           {"type": "comment", "value": "free text"}]}}
    intel = services.ingest_intel(source="t", fmt="misp", payload=event, actor=analyst)
    got = {(c.type, c.value, c.tlp) for c in intel.candidates.all()}
    assert got == {("ipv4", "192.0.2.7", "green"), ("domain", "bad-invoice.com", "green"),
                   ("ipv6", "2001:db8::7", "green"), ("sha1", "b" * 40, "amber"),
                   ("cve", "CVE-2024-3400", "green"),
                   ("bitcoin", "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "green")}
    assert intel.tlp == "green"


def test_real_world_drift_is_kept(analyst):
    """Mixed 2.0/2.1 objects, custom objects and properties, extensions, TLP 1.0 markings."""
    bundle = {"type": "bundle", "id": "bundle--6ba7b810-9dad-11d1-80b4-00c04fd430c8",
              "spec_version": "2.0", "objects": [
                  {"type": "indicator", "id": "indicator--3f3ff9f1-bb4e-4392-89e5-1991179042ba",
                   "created": "2016-01-01T00:00:00Z", "modified": "2016-01-01T00:00:00Z",
                   "labels": ["malicious-activity"], "valid_from": "2016-01-01T00:00:00Z",
                   "pattern": "[domain-name:value = 'old-phish.net']",
                   "object_marking_refs": [
                       "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82"]},
                  {"type": "indicator", "spec_version": "2.1",
                   "id": "indicator--8390fd29-24ed-45d4-84d7-c5e5feaf195d",
                   "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                   "pattern": "[ipv4-addr:value = '198.51.100.9']", "pattern_type": "stix",
                   "valid_from": "2024-01-01T00:00:00Z", "confidence": 85,
                   "x_vendor_score": 7, "extensions": {"extension-definition--"
                                                       "1f611280-fbe1-48e8-92ab-ff47ce02d5b7":
                                                       {"extension_type": "property-extension"}}},
                  {"type": "indicator", "spec_version": "2.1",
                   "id": "indicator--1002c58e-cbde-4930-b5ee-490037fd4f7e",
                   "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                   "pattern": "alert tcp any any -> any any (msg:\"x\";)",
                   "pattern_type": "snort", "valid_from": "2024-01-01T00:00:00Z"},
                  {"type": "x-acme-sighting", "id": "x-acme-sighting--"
                   "e8094b09-7df4-4b13-b207-1e27af3c4bde", "anything": {"nested": [1, 2]}},
              ]}
    intel = services.ingest_intel(source="feed", fmt="stix", payload=json.dumps(bundle),
                                  actor=None)
    assert _types(intel.content) == _types(bundle["objects"])
    assert intel.content[3] == bundle["objects"][3]  # unknown type, kept whole
    assert {(c.type, c.value, c.tlp, c.confidence) for c in intel.candidates.all()} == {
        ("domain", "old-phish.net", "amber", None), ("ipv4", "198.51.100.9", "amber", 85)}
    assert intel.counts["x-acme-sighting"] == 1
    assert any("2.0" in w for w in intel.warnings)


def test_the_same_payload_twice_is_stored_once(analyst):
    payload = (SAMPLES / "stix21" / "apt1.json").read_bytes()
    first = services.ingest_intel(source="s", fmt="stix", payload=payload, actor=analyst)
    again = services.ingest_intel(source="s", fmt="stix", payload=json.loads(payload),
                                  actor=analyst)
    assert again.pk == first.pk and again.duplicate and not first.duplicate
    other_source = services.ingest_intel(source="t", fmt="stix", payload=payload)
    assert other_source.pk != first.pk


def _bad_inputs():
    good = load(SAMPLES / "stix21" / "indicator-for-c2-ip-address.json")
    no_id = copy.deepcopy(good)
    del no_id["objects"][0]["id"]
    wrong_id = copy.deepcopy(good)
    wrong_id["objects"][0]["id"] = "malware--33fe3b22-0201-47cf-85d0-97c02164528d"
    not_a_list = copy.deepcopy(good)
    not_a_list["objects"] = {"a": 1}
    too_many = {"type": "bundle", "id": good["id"], "objects": [
        good["objects"][0]] * (MAX_OBJECTS + 1)}
    nul = copy.deepcopy(good)
    nul["objects"][0]["name"] = "a\u0000b"
    return [
        ("stix", b"not json"), ("stix", b"\xff\xfe\x00garbage"), ("stix", "[1, 2]"),
        ("stix", "{}"), ("stix", '{"type": "bundle", "objects": []}'),
        ("stix", json.dumps(no_id)), ("stix", json.dumps(wrong_id)),
        ("stix", json.dumps(not_a_list)), ("stix", json.dumps(too_many)),
        ("stix", json.dumps(nul)), ("stix", '{"type": "bundle", "objects": [{"type": '
                                            '"indicator", "id": "indicator--x", "name": '
                                            '"\\ud800"}]}'),
        ("stix", "[" * 100000 + "]" * 100000),
        ("stix", b" " * (intel_module.MAX_BYTES + 1)),
        ("misp", "{}"), ("misp", '{"Event": {"info": "x", "Attribute": {"a": 1}}}'),
        ("misp", '{"Event": {"info": "x", "Attribute": ["nope"]}}'),
        ("misp", '{"response": []}'), ("misp", '{"Event": {"info": "x", "Object": [1]}}'),
        ("yaml", "{}"),
    ]


@pytest.mark.parametrize("fmt,payload", _bad_inputs(),
                         ids=lambda v: v if isinstance(v, str) and len(v) < 10 else None)
def test_bad_input_is_a_clear_error_and_stores_nothing(fmt, payload, analyst):
    with pytest.raises(ValidationError) as caught:
        services.ingest_intel(source="upload", fmt=fmt, payload=payload, actor=analyst)
    message = " ".join(caught.value.messages)
    assert message and len(message) < 300 and "Traceback" not in message
    assert IncomingIntel.objects.count() == 0
    assert IntelCandidate.objects.count() == 0
    assert not AuditEvent.objects.filter(action="sharing.intel_received").exists()


def test_accept_chosen_candidates_into_indicators(analyst, django_assert_max_num_queries):
    existing = Indicator.objects.create(type="domain", value="hugesoft.org", status="rejected",
                                        tlp="clear", confidence=10, first_seen="2026-01-01T00:00Z",
                                        last_seen="2026-01-01T00:00Z")
    intel = services.ingest_intel(source="upload", fmt="stix",
                                  payload=(SAMPLES / "stix21" / "apt1.json").read_bytes())
    IncomingIntel.objects.filter(pk=intel.pk).update(tlp="amber")
    intel.candidates.update(tlp="amber")
    chosen = list(intel.candidates.filter(type="domain").values_list("pk", flat=True))
    assert len(chosen) == 3
    count = intel_module.accept(actor=analyst, intel=intel, candidate_ids=chosen)
    assert count == 3
    intel.refresh_from_db()
    assert intel.status == "accepted" and intel.reviewed_by == analyst
    accepted = Indicator.objects.filter(type="domain", status="confirmed")
    assert accepted.count() == 3
    existing.refresh_from_db()
    assert existing.status == "confirmed" and existing.tlp == "amber"  # stricter TLP kept
    assert set(intel.candidates.filter(decision="accepted").values_list("indicator", flat=True)) \
        == set(accepted.values_list("pk", flat=True))
    assert not intel.candidates.filter(decision="pending").exists()
    assert intel.candidates.filter(decision="dismissed").count() == intel.candidates.count() - 3
    event = AuditEvent.objects.get(action="sharing.intel_accepted")
    assert event.actor == analyst
    with pytest.raises(ValidationError):
        intel_module.accept(actor=analyst, intel=intel)


def test_dismiss_adds_nothing(analyst):
    intel = services.ingest_intel(source="upload", fmt="misp",
                                  payload=(SAMPLES / "misp" / "misp_event.json").read_bytes())
    intel_module.dismiss(actor=analyst, intel=intel)
    intel.refresh_from_db()
    assert intel.status == "dismissed"
    assert not Indicator.objects.exists()
    assert AuditEvent.objects.filter(action="sharing.intel_dismissed").count() == 1


def test_only_staff_review(reporter_a, observer):
    from django.http import Http404

    intel = services.ingest_intel(source="upload", fmt="misp",
                                  payload=(SAMPLES / "misp" / "misp_event.json").read_bytes())
    for user in (reporter_a, observer):
        with pytest.raises(Http404):
            intel_module.accept(actor=user, intel=intel)
        with pytest.raises(Http404):
            intel_module.dismiss(actor=user, intel=intel)
    assert not Indicator.objects.exists()


def test_the_demo_intelligence_is_valid_and_ingests(analyst):
    from django.utils import timezone
    from sharing_helpers import stix_errors

    from vigisante.demo import intel as demo_intel

    bundle = demo_intel._stix_bundle(timezone.now())
    assert stix_errors(bundle) == []
    summary = demo_intel.seed(data=None)
    assert summary == {"pieces": 2, "candidates": 10}
    kinds = {o["type"] for i in IncomingIntel.objects.filter(format="stix") for o in i.content}
    assert "x-cert-fr-advisory" in kinds


def _bundle(objects):
    return {"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
            "objects": objects}


def _indicator(sid, value, modified, **extra):
    return {"type": "indicator", "spec_version": "2.1", "id": sid,
            "created": "2026-11-01T08:00:00.000Z", "modified": modified,
            "pattern": f"[domain-name:value = '{value}']", "pattern_type": "stix",
            "valid_from": "2026-11-01T08:00:00Z", **extra}


def test_a_revoked_version_of_an_accepted_indicator_is_marked_for_review(analyst):
    """A partner later revokes an object we accepted: the new intelligence names our
    indicator in a warning and is audited; nothing is withdrawn (the analysts decide). A
    revoked object we never accepted warns nothing."""
    kept = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f"
    dismissed = "indicator--c410e480-e42b-47d1-9476-85307c12bcbc"
    first = services.ingest_intel(source="partner", fmt="stix", payload=_bundle([
        _indicator(kept, "relais-facture.example.net", "2026-11-01T08:00:00.000Z"),
        _indicator(dismissed, "autre-leurre.example.net", "2026-11-01T08:00:00.000Z")]),
        actor=analyst)
    chosen = first.candidates.get(ref=kept)
    assert intel_module.accept(actor=analyst, intel=first, candidate_ids=[chosen.pk]) == 1
    ours = Indicator.objects.get(value="relais-facture.example.net")
    assert ours.status == "confirmed"
    later = services.ingest_intel(source="subscription: CERT partenaire", fmt="stix",
                                  payload=_bundle([
        _indicator(kept, "relais-facture.example.net", "2026-11-20T08:00:00.000Z",
                   revoked=True),
        _indicator(dismissed, "autre-leurre.example.net", "2026-11-20T08:00:00.000Z",
                   revoked=True)]), actor=None)
    assert later.status == "pending" and not later.candidates.exists()
    later.refresh_from_db()
    flagged = [w for w in later.warnings if "domain:relais-facture.example.net" in w]
    assert len(flagged) == 1 and "autre-leurre" not in flagged[0]
    event = AuditEvent.objects.get(action="sharing.intel_revocation")
    assert event.object_id == str(later.pk)
    assert event.after == {"refs": [kept], "indicators": [ours.pk], "earlier_intel": [first.pk]}
    ours.refresh_from_db()
    assert ours.status == "confirmed"  # marked for review, not withdrawn
    # only the dismissed one revoked: no warning, no audit event
    alone = services.ingest_intel(source="partner", fmt="stix", payload=_bundle([
        _indicator(dismissed, "autre-leurre.example.net", "2026-11-21T08:00:00.000Z",
                   revoked=True)]), actor=analyst)
    assert not alone.warnings
    assert AuditEvent.objects.filter(action="sharing.intel_revocation").count() == 1
