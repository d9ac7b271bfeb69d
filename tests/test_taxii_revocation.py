"""Withdrawal and finer audiences, end to end with the reference clients.

- An indicator rejected or found noisy after it was published gets a revoked version in the
  TAXII collections (taxii2-client sees both versions with match[version]=all), leaves the
  plain feeds, and its MISP attribute is marked deleted in a newer event; shared again, it
  comes back in a version after the revocation.
- A TLP:AMBER alert with finer targets (a supplier's customers, a region) is served to each
  establishment it was delivered to, in that establishment's own collection, and to no one
  else.
"""

from __future__ import annotations

import hashlib
import json

import pytest
import requests
from alerts_world import build, draft
from conftest import PASSWORD, make_establishment
from indicator_helpers import make_indicator
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server
from taxii_helpers import machine

from vigisante.accounts.models import ApiToken
from vigisante.indicators import services as indicator_services
from vigisante.indicators.models import Indicator
from vigisante.sharing import exports, services
from vigisante.sharing.domain import Targets
from vigisante.sharing.models import Withdrawal
from vigisante.taxii import publication
from vigisante.taxii.defaults import ensure_collections
from vigisante.taxii.models import Collection, StixObject

VALIDATOR = ValidationOptions(version="2.1", strict=False)


@pytest.fixture
def world(live_server, transactional_db, analyst):
    ensure_collections()
    w = build(analyst)
    w.url = live_server.url
    return w


def _send(world, **overrides):
    alert = services.save_draft(actor=world.analyst, draft=draft(world, **overrides))
    services.send(actor=world.analyst, alert=alert)
    return alert


def _taxii(world, user) -> Server:
    return Server(f"{world.url}/taxii2/", user=user.email, password=PASSWORD)


def _collection(server: Server, alias: str):
    return next(c for c in server.api_roots[0].collections if c.alias == alias)


def _feed(world, user, path: str) -> str:
    key = ApiToken.issue(user, "feed test")[1]
    response = requests.get(f"{world.url}{path}", headers={"Authorization": f"Token {key}"},
                            timeout=30)
    assert response.status_code == 200, response.text
    return response.text


def _misp(world, user, event_uuid: str) -> tuple[MISPEvent, dict, list[str]]:
    key = ApiToken.issue(user, "misp test")[1]
    headers = {"Authorization": f"Token {key}"}
    base = f"{world.url}/alerts/misp/feed/"
    manifest = requests.get(base + "manifest.json", headers=headers, timeout=30).json()
    event = MISPEvent()
    event.load(requests.get(f"{base}{event_uuid}.json", headers=headers, timeout=30).text)
    hashes = requests.get(base + "hashes.csv", headers=headers, timeout=30).text.splitlines()
    return event, manifest, hashes


def _deleted(attribute) -> bool:
    return bool(getattr(attribute, "deleted", False))


def _md5(value: str) -> str:
    return hashlib.md5(value.encode(), usedforsecurity=False).hexdigest()


def test_a_withdrawn_indicator_is_revoked_leaves_the_feeds_and_is_deleted_in_misp(world):
    alert = _send(world)  # TLP:GREEN, to everyone, with the campaign's indicators
    publication.publish()
    domain = next(i for i in world.indicators if i.type == "domain")
    ipv4 = next(i for i in world.indicators if i.type == "ipv4")
    partner = machine("partner.revoke@example.org")
    event_uuid = exports.alert_misp(alert)["Event"]["uuid"]
    with _taxii(world, partner) as server:
        everyone = _collection(server, "everyone")
        first = everyone.get_objects(type="indicator")["objects"]
        target = next(o for o in first if domain.value in o["pattern"])
        seen = []
        everyone._conn.session.hooks["response"].append(lambda r, *a, **k: seen.append(r))
        everyone.get_objects()
        before_last = seen[-1].headers["X-TAXII-Date-Added-Last"]
    event, manifest, hashes = _misp(world, partner, event_uuid)
    assert domain.value in {a.value for a in event.attributes if not _deleted(a)}
    before_stamp = manifest[event_uuid]["timestamp"]
    assert domain.value in _feed(world, partner, "/feeds/text/domain.txt")

    # The analyst rejects one indicator; the correlation finds another too common.
    indicator_services.review(actor=world.analyst, indicator=domain.pk, status="rejected")
    Indicator.objects.filter(pk=ipv4.pk).update(noisy=True)
    added = publication.publish()
    assert added["everyone"] >= 2

    with _taxii(world, partner) as server:
        everyone = _collection(server, "everyone")
        both = everyone.get_objects(id=target["id"], version="all")["objects"]
        assert len(both) == 2
        old, new = sorted(both, key=lambda o: o["modified"])
        assert old == target and "revoked" not in old
        assert new["revoked"] is True and new["modified"] > old["modified"]
        assert new["pattern"] == old["pattern"]
        assert everyone.get_objects(id=target["id"])["objects"] == [new]  # last by default
        versions = everyone.object_versions(target["id"])["versions"]
        assert len(versions) == 2
        manifest = everyone.get_manifest(id=target["id"], version="all")["objects"]
        assert len(manifest) == 2
        # What a client polling from where it stopped receives: the revocations, and the
        # report of the alert in a new version that no longer lists them.
        since = everyone.get_objects(added_after=before_last)["objects"]
        revoked = {o["id"] for o in since if o.get("revoked")}
        assert target["id"] in revoked
        assert any(o["type"] == "relationship" for o in since if o.get("revoked"))
        report = next(o for o in since if o["type"] == "report")
        assert target["id"] not in report["object_refs"]
        for obj in since:
            result = validate_instance(obj, VALIDATOR)
            assert result.is_valid, [str(e) for e in result.errors]
    assert set(Withdrawal.objects.values_list("stix_id", flat=True)) >= {target["id"]}

    # The plain feeds no longer list them.
    assert domain.value not in _feed(world, partner, "/feeds/text/domain.txt")
    assert ipv4.value not in _feed(world, partner, "/feeds/text/ipv4.txt")
    csv_values = {line.split(",")[1] for line in
                  _feed(world, partner, "/feeds/indicators.csv").splitlines()[1:]}
    zeek_values = {line.split("\t")[0] for line in
                   _feed(world, partner, "/feeds/zeek.intel").splitlines()[1:]}
    for values in (csv_values, zeek_values):
        assert "compta@facture-sante.example" in values  # still shared
        assert domain.value not in values and ipv4.value not in values

    # MISP: a newer event whose attribute is deleted, and no longer in hashes.csv.
    event, manifest, hashes = _misp(world, partner, event_uuid)
    gone = {a.value: a for a in event.attributes if _deleted(a)}
    assert set(gone) == {domain.value, ipv4.value}
    assert all(not a.to_ids for a in gone.values())
    assert manifest[event_uuid]["timestamp"] > before_stamp
    assert int(event.timestamp.timestamp()) == manifest[event_uuid]["timestamp"]
    assert f"{_md5(domain.value)},{event_uuid}" not in hashes
    assert {h.split(",")[0] for h in hashes} == {
        _md5(a.value) for a in event.attributes if not _deleted(a)}

    # Publishing again changes nothing.
    assert publication.publish() == {}

    # No longer noisy: shared again, a second after its revocation, under the same id.
    Indicator.objects.filter(pk=ipv4.pk).update(noisy=False)
    publication.publish()
    ip_id = next(o["id"] for o in first if ipv4.value in o["pattern"])
    with _taxii(world, partner) as server:
        versions = _collection(server, "everyone").get_objects(
            id=ip_id, version="all")["objects"]
        assert [bool(o.get("revoked")) for o in sorted(versions, key=lambda o: o["modified"])
                ] == [False, True, False]
    assert ipv4.value in _feed(world, partner, "/feeds/text/ipv4.txt")
    event, manifest, _hashes = _misp(world, partner, event_uuid)
    back = next(a for a in event.attributes if a.value == ipv4.value)
    assert not _deleted(back) and back.to_ids
    assert int(back.timestamp.timestamp()) > int(gone[ipv4.value].timestamp.timestamp())
    assert publication.publish() == {}


def test_amber_alerts_with_finer_targets_reach_only_their_recipients(world):
    amber = make_indicator("domain", "amber-only.example", tlp="amber")
    customers = _send(world, title="Compromission du DPI Hexa", tlp="amber",
                      indicators=[*world.indicators, amber],
                      targets=Targets(suppliers=frozenset({world.supplier.pk})))
    strict = _send(world, title="Alerte restreinte PACA", tlp="amber+strict",
                   indicators=[amber], targets=Targets(region=frozenset({"PAC"})))
    publication.publish()
    victim, other_victim = world.victims[0], world.victims[1]
    outsider = make_establishment("330000099", "Clinique hors cible (synthetic)",
                                  region="NAQ")
    readers = {
        "victim": machine("sensor.victim@example.org", [victim]),
        "other": machine("sensor.other@example.org", [other_victim]),
        "bystander": machine("sensor.bystander@example.org", [world.bystander]),
        "outsider": machine("sensor.outsider@example.org", [outsider]),
        "partner": machine("partner.finer@example.org"),
    }
    mine = Collection.objects.get(alias=f"establishment-{victim.pk}")
    assert not Collection.objects.filter(alias=f"establishment-{outsider.pk}").exists()

    def reports(user, alias):
        with _taxii(world, user) as server:
            collections = {c.alias: c for c in server.api_roots[0].collections}
            if alias not in collections:
                return None
            return {o["name"] for o in collections[alias].get_objects(type="report")["objects"]}

    assert reports(readers["victim"], mine.alias) == {customers.title}
    with _taxii(world, readers["victim"]) as server:
        aliases = {c.alias for c in server.api_roots[0].collections}
        own = next(c for c in server.api_roots[0].collections if c.alias == mine.alias)
        objects = own.get_objects()["objects"]
        assert any(amber.value in o.get("pattern", "") for o in objects)
        for obj in objects:
            assert validate_instance(obj, VALIDATOR).is_valid
    assert {a for a in aliases if a.startswith("establishment-")} == {mine.alias}
    assert reports(readers["other"], f"establishment-{other_victim.pk}") == {customers.title}
    assert reports(readers["other"], mine.alias) is None
    # The bystander (PAC) received only the strict regional alert; the outsider nothing.
    assert reports(readers["bystander"], f"establishment-{world.bystander.pk}") == {
        strict.title}
    with _taxii(world, readers["outsider"]) as server:
        assert not any(c.alias.startswith("establishment-")
                       for c in server.api_roots[0].collections)
    # A collection not meant for the account is a 404, as one that does not exist.
    for who in ("outsider", "partner", "other"):
        response = requests.get(
            f"{world.url}/taxii2/api/collections/{mine.id}/objects/",
            auth=(readers[who].email, PASSWORD),
            headers={"Accept": "application/taxii+json;version=2.1"}, timeout=30)
        assert response.status_code == 404
        assert response.headers["Content-Type"] == "application/taxii+json;version=2.1"
    # Partners get the TLP:AMBER one in their collection, never the AMBER+STRICT one.
    partner_reports = reports(readers["partner"], "partners")
    assert customers.title in partner_reports and strict.title not in partner_reports
    # Nothing of it in the collections every establishment or a category reads.
    everything = json.dumps([json.loads(p) for p in StixObject.objects.filter(
        collection__alias__in=["establishments", "everyone",
                               *[f"category-{c}" for c in ("ch", "chu", "clinic", "ehpad")]]
    ).values_list("payload", flat=True)])
    assert customers.title not in everything and strict.title not in everything
    # The per-establishment collections carry no establishment's name.
    listing = requests.get(f"{world.url}/taxii2/api/collections/",
                           auth=(readers["victim"].email, PASSWORD),
                           headers={"Accept": "application/taxii+json;version=2.1"},
                           timeout=30).text
    assert victim.name not in listing and victim.finess not in listing
