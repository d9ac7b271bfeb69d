"""Alerts and campaigns as STIX bundles and MISP events, the MISP feed, the intelligence pages
and API: what comes out passes stix2-validator and loads in pymisp; the routes follow the
access policy; uploads of bad files give a clear 400 and store nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from alerts_world import build, draft
from conftest import api_client_for, html, login
from django.urls import reverse
from pymisp import MISPEvent
from sharing_helpers import stix_errors

from vigisante.core.models import AuditEvent
from vigisante.indicators.models import Indicator
from vigisante.sharing import exports, misp, services
from vigisante.sharing.domain import Targets
from vigisante.sharing.models import IncomingIntel

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "samples"


@pytest.fixture
def sent(analyst):
    world = build(analyst)
    alert = services.save_draft(actor=analyst, draft=draft(
        world, malware="LockBit", targets=Targets(region=frozenset({"IDF"}))))
    services.send(actor=analyst, alert=alert)
    alert.refresh_from_db()
    return world, alert


def load_misp(data) -> MISPEvent:
    event = MISPEvent()
    event.load(json.dumps(data))
    return event


def test_alert_and_campaign_exports_are_valid(sent):
    world, alert = sent
    for bundle in (exports.alert_stix(alert), exports.campaign_stix(world.campaign)):
        assert stix_errors(bundle) == []
        types = {o["type"] for o in bundle["objects"]}
        assert {"identity", "indicator", "campaign", "relationship", "marking-definition",
                "malware"} <= types
    report = next(o for o in exports.alert_stix(alert)["objects"] if o["type"] == "report")
    assert report["name"] == alert.title
    # Exported twice: same ids, same versions.
    assert exports.alert_stix(alert) == exports.alert_stix(alert)
    for data, indicators in ((exports.alert_misp(alert), alert.indicators.count()),
                             (exports.campaign_misp(world.campaign), len(world.indicators))):
        event = load_misp(data)
        assert len(event.attributes) == indicators
        assert {a.type for a in event.attributes} == {"ip-dst", "domain", "url", "email-src",
                                                       "sha256"}
        assert any(t.name.startswith("tlp:") for t in event.tags)


def test_campaign_name_and_summary_are_shared_only_when_anonymous(sent):
    world, _alert = sent
    # The world's campaign summary names a reporting town: it is not shared.
    bundle = exports.campaign_stix(world.campaign)
    campaign = next(o for o in bundle["objects"] if o["type"] == "campaign")
    assert campaign["name"] == world.campaign.name
    assert "description" not in campaign
    world.campaign.name = world.victims[0].name
    world.campaign.save()
    campaign = next(o for o in exports.campaign_stix(world.campaign)["objects"]
                    if o["type"] == "campaign")
    assert campaign["name"] == f"Campaign {world.campaign.pk}"


def test_misp_feed_with_a_token(sent, client):
    world, alert = sent
    api = api_client_for(world.reporters[0])  # a real API token
    manifest = api.get(reverse("sharing:misp-feed-manifest"))
    assert manifest.status_code == 200
    data = manifest.json()
    assert len(data) == 1  # the alert delivered to the reader; no campaign for reporters
    (event_uuid, entry), = data.items()
    event = api.get(reverse("sharing:misp-feed-event", args=[event_uuid]))
    assert event.status_code == 200
    loaded = load_misp(event.json())
    # pymisp computes the manifest entry and the hashes itself: ours must agree.
    assert loaded.manifest[event_uuid]["info"] == entry["info"]
    assert loaded.manifest[event_uuid]["timestamp"] == entry["timestamp"]
    assert [t["name"] for t in loaded.manifest[event_uuid]["Tag"]] == \
        [t["name"] for t in entry["Tag"]]
    hashes = api.get(reverse("sharing:misp-feed-hashes")).content.decode().splitlines()
    assert sorted(hashes) == sorted(f"{h},{event_uuid}" for h in loaded.attributes_hashes("md5"))
    # A reporter who did not receive it: an empty feed, and a 404 for the event.
    other = api_client_for(world.bystander_reporter)
    assert other.get(reverse("sharing:misp-feed-manifest")).json() == {}
    assert other.get(reverse("sharing:misp-feed-event", args=[event_uuid])).status_code == 404
    # Staff also get the confirmed campaign.
    staff = api_client_for(world.analyst)
    assert len(staff.get(reverse("sharing:misp-feed-manifest")).json()) == 2


def test_feed_refuses_anonymous_and_observers(sent, observer):
    from rest_framework.test import APIClient

    assert APIClient().get(reverse("sharing:misp-feed-manifest")).status_code in (401, 403)
    assert api_client_for(observer).get(reverse("sharing:misp-feed-manifest")).status_code == 404


def test_alert_downloads_follow_the_policy(sent):
    world, alert = sent
    reader = api_client_for(world.reporters[0])
    response = reader.get(reverse("sharing:alert-stix", args=[alert.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/stix+json")
    assert stix_errors(json.loads(response.content)) == []
    assert reader.get(reverse("sharing:alert-misp", args=[alert.pk])).status_code == 200
    bystander = api_client_for(world.bystander_reporter)
    assert bystander.get(reverse("sharing:alert-stix", args=[alert.pk])).status_code == 404
    # Campaigns: staff only.
    assert reader.get(reverse("sharing:campaign-stix", args=[world.campaign.pk])) \
        .status_code == 404
    staff = api_client_for(world.analyst)
    assert staff.get(reverse("sharing:campaign-misp", args=[world.campaign.pk])) \
        .status_code == 200


def test_misp_builders_round_trip_through_our_import(analyst):
    import datetime as dt
    from types import SimpleNamespace as NS

    now = dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    items = [NS(type="ipv4", value="198.51.100.4", first_seen=now, reviewed_at=None),
             NS(type="cve", value="CVE-2024-3400", first_seen=now, reviewed_at=now),
             NS(type="bitcoin", value="1BoatSLRHtKNngkdXEeobR76b53LETtpyT", first_seen=now,
                reviewed_at=now)]
    event = misp.event(key="alert/1", info="x", date=now.date(), changed=now, tlp="green",
                       indicators=items, rsit=[("malicious-code", "ransomware")],
                       creator="Vigisanté CERT")
    loaded = load_misp(event)
    assert {t.name for t in loaded.tags} == {"tlp:green", 'rsit:malicious-code="ransomware"'}
    intel = services.ingest_intel(source="t", fmt="misp", payload=event, actor=analyst)
    assert {(c.type, c.value) for c in intel.candidates.all()} == {
        (i.type, i.value) for i in items}


def test_intel_pages_upload_review_accept(client, analyst):
    login(client, analyst)
    url = reverse("sharing:intel-list")
    assert client.get(url).status_code == 200
    with open(SAMPLES / "stix21" / "poisonivy.json", "rb") as fh:
        response = client.post(url, {"format": "stix", "file": fh, "source": "CERT-FR"})
    assert response.status_code == 302
    item = IncomingIntel.objects.get()
    page = html(client.get(reverse("sharing:intel-detail", args=[item.pk])))
    boxes = page.select("input[name=candidate]")
    assert len(boxes) == item.candidates.count() > 0
    chosen = [b["value"] for b in boxes[:2]]
    response = client.post(reverse("sharing:intel-accept", args=[item.pk]),
                           {"candidate": chosen})
    assert response.status_code == 302
    assert Indicator.objects.filter(status="confirmed").count() == 2
    assert AuditEvent.objects.filter(action="sharing.intel_accepted").exists()
    page = html(client.get(reverse("sharing:intel-detail", args=[item.pk])))
    assert not page.select("input[name=candidate]")


@pytest.mark.parametrize("content", [b"not json", b'{"type": "bundle", "objects": []}',
                                     b"\xff\xfe", b'{"type": "bundle", "objects": [{}]}'])
def test_intel_upload_of_a_bad_file_is_a_clear_400(client, analyst, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    login(client, analyst)
    response = client.post(reverse("sharing:intel-list"), {
        "format": "stix", "file": SimpleUploadedFile("x.json", content)})
    assert response.status_code == 400
    assert html(response).select(".errorlist")
    assert not IncomingIntel.objects.exists()


def test_intel_api(analyst, reporter_a):
    api = api_client_for(analyst)
    url = reverse("sharing-api:intel-create", args=["misp"])
    body = (SAMPLES / "misp" / "misp_event.json").read_bytes()
    response = api.generic("POST", url, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["candidates"] == 1
    again = api.generic("POST", url, body, content_type="application/json")
    assert again.status_code == 200 and again.json()["duplicate"] is True
    bad = api.generic("POST", url, b"{", content_type="application/json")
    assert bad.status_code == 400
    assert api_client_for(reporter_a).generic(
        "POST", url, body, content_type="application/json").status_code == 404
    assert IncomingIntel.objects.count() == 1


def test_the_feed_costs_the_same_queries_for_one_alert_or_four(sent):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    world, alert = sent
    api = api_client_for(world.reporters[0])
    url = reverse("sharing:misp-feed-manifest")
    api.get(url)  # token lookups cached alike for both measures
    with CaptureQueriesContext(connection) as one:
        assert len(api.get(url).json()) == 1
    for i in range(3):
        more = services.save_draft(actor=world.analyst, draft=draft(
            world, title=f"Autre vague {i}", targets=Targets(region=frozenset({"IDF"}))))
        services.send(actor=world.analyst, alert=more)
    with CaptureQueriesContext(connection) as four:
        assert len(api.get(url).json()) == 4
    assert len(four) == len(one)


def test_the_rsit_tag_is_the_campaigns_most_frequent_classification(sent):
    from vigisante.triage.models import Case

    world, alert = sent
    for i, report in enumerate(world.reports):
        pair = ("malicious-code", "ransomware") if i == 0 else ("fraud", "phishing")
        Case.objects.update_or_create(report=report, defaults={
            "rsit_class": pair[0], "rsit_type": pair[1]})
    for data in (exports.alert_misp(alert), exports.campaign_misp(world.campaign)):
        tags = {t.name for t in load_misp(data).tags}
        assert {t for t in tags if t.startswith("rsit:")} == {'rsit:fraud="phishing"'}
