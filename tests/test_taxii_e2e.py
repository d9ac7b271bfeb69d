"""End to end with the reference client, taxii2-client (v21), against our server on a real
socket (pytest-django's live_server): every operation, with HTTP Basic and with a token."""

from __future__ import annotations

import copy

import pytest
import requests
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, Server, Status, as_pages
from taxii_helpers import fill, machine, sample

from vigisante.accounts.models import ApiToken
from vigisante.taxii import storage
from vigisante.taxii.defaults import ensure_collections
from vigisante.taxii.models import Collection as StoredCollection
from vigisante.taxii.models import Status as StoredStatus

PASSWORD = "correct-horse-battery-9"


@pytest.fixture
def server(live_server, transactional_db):
    ensure_collections()
    return live_server.url


def test_discovery_collections_and_paging(server, est_a):
    sensor = machine("sensor.e2e@example.org", [est_a])
    objects = fill("everyone", "poisonivy", "apt1")
    with Server(f"{server}/taxii2/", user=sensor.email, password=PASSWORD) as taxii:
        assert taxii.title == "Vigisanté TAXII 2.1"
        root = taxii.api_roots[0]
        assert root.versions == ["application/taxii+json;version=2.1"]
        assert {c.alias for c in root.collections} == {"everyone", "establishments",
                                                        "category-ch"}
        everyone = next(c for c in root.collections if c.alias == "everyone")
        assert everyone.can_read and not everyone.can_write
        pages = list(as_pages(everyone.get_objects, per_request=50))
        assert len(pages) == -(-len(objects) // 50)
        got = [o["id"] for p in pages for o in p["objects"]]
        assert sorted(got) == sorted(o["id"] for o in objects)
        manifest = list(as_pages(everyone.get_manifest, per_request=100))
        assert sum(len(p["objects"]) for p in manifest) == len(objects)
        indicators = everyone.get_objects(type="indicator")
        assert {o["type"] for o in indicators["objects"]} == {"indicator"}
        one = objects[3]
        assert everyone.get_object(one["id"])["objects"] == [one]
        seen = []
        everyone._conn.session.hooks["response"].append(lambda r, *a, **k: seen.append(r))
        everyone.get_objects(limit=7)
        last = seen[-1].headers["X-TAXII-Date-Added-Last"]
        rest = everyone.get_objects(added_after=last)
        assert len(rest["objects"]) == len(objects) - 7


def test_versions_with_a_token(server, analyst):
    original = sample("indicator-for-c2-ip-address")[0]
    newer = copy.deepcopy(original)
    newer["modified"] = "2030-01-02T03:04:05.678Z"
    fill("partners", "indicator-for-c2-ip-address")
    storage.store(StoredCollection.objects.get(alias="partners"), [newer])
    raw = ApiToken.issue(analyst, "e2e")[1]
    root = ApiRoot(f"{server}/taxii2/api/", auth=TokenAuth(raw))
    partners = next(c for c in root.collections if c.alias == "partners")
    versions = partners.object_versions(original["id"])["versions"]
    assert len(versions) == 2
    assert partners.get_object(original["id"], version="first")["objects"][0]["modified"] \
        == original["modified"]
    assert len(partners.get_object(original["id"], version="all")["objects"]) == 2
    assert partners.get_objects(version=versions[1])["objects"][0]["modified"] \
        == newer["modified"]


def test_refusals_reach_the_client_as_http_errors(server, est_b):
    sensor = machine("sensor.b.e2e@example.org", [est_b])
    partners = StoredCollection.objects.get(alias="partners")
    remote = Collection(f"{server}/taxii2/api/collections/{partners.pk}/", user=sensor.email,
                        password=PASSWORD)
    with pytest.raises(requests.HTTPError) as caught:
        remote.refresh()
    assert caught.value.response.status_code == 404
    assert caught.value.response.json()["http_status"] == "404"
    wrong = Server(f"{server}/taxii2/", user=sensor.email, password="nope")
    with pytest.raises(requests.HTTPError) as caught:
        wrong.refresh()
    assert caught.value.response.status_code == 401
    with pytest.raises(requests.HTTPError):
        Status(f"{server}/taxii2/api/status/00000000-0000-4000-8000-000000000000/",
               user=sensor.email, password=PASSWORD)


def test_partner_adds_objects_they_land_as_incoming_intelligence(server, analyst):
    from vigisante.sharing.models import IncomingIntel

    partner = machine("cert.partner.e2e@example.org")
    inbox = StoredCollection.objects.get(alias="inbox")
    inbox.writers.add(partner)
    objects = sample("malicious-email-indicator-with-attachment")
    broken = {"type": "indicator", "id": "indicator--not-a-uuid"}
    root = ApiRoot(f"{server}/taxii2/api/", user=partner.email, password=PASSWORD)
    remote = next(c for c in root.collections if c.alias == "inbox")
    assert remote.can_write and not remote.can_read
    status = remote.add_objects({"objects": [*objects, broken]})
    assert status.status == "complete"
    assert status.total_count == len(objects) + 1
    assert status.success_count == len(objects) and status.failure_count == 1
    assert {s["id"] for s in status.successes} == {o["id"] for o in objects}
    again = Status(status.url, user=partner.email, password=PASSWORD)
    assert again.id == status.id and again.success_count == len(objects)
    intel = IncomingIntel.objects.get(pk=StoredStatus.objects.get(pk=status.id).intel_id)
    assert intel.object_count == len(objects)
    assert {o["id"] for o in intel.content} == {o["id"] for o in objects}
    # another machine account does not see that status
    other = machine("sensor.other.e2e@example.org")
    with pytest.raises(requests.HTTPError) as caught:
        Status(status.url, user=other.email, password=PASSWORD)
    assert caught.value.response.status_code == 404
    # staff read the inbox and delete from it
    raw = ApiToken.issue(analyst, "e2e")[1]
    staff = ApiRoot(f"{server}/taxii2/api/", auth=TokenAuth(raw))
    staff_inbox = next(c for c in staff.collections if c.alias == "inbox")
    assert len(staff_inbox.get_objects()["objects"]) == len(objects)
    staff_inbox.delete_object(objects[0]["id"])
    assert len(staff_inbox.get_objects()["objects"]) == len(objects) - 1
    with pytest.raises(requests.HTTPError) as caught:
        staff_inbox.get_object(objects[0]["id"])
    assert caught.value.response.status_code == 404


def test_subscription_polls_our_own_server(server, analyst):
    """The client side, against our server on loopback: everything once, then only what
    was added since, each page as incoming intelligence."""
    from vigisante.sharing.models import IncomingIntel
    from vigisante.taxii import client
    from vigisante.taxii.models import Subscription

    partner = machine("cert.poller.e2e@example.org")
    objects = fill("partners", "poisonivy")
    partners = StoredCollection.objects.get(alias="partners")
    sub = Subscription.objects.create(
        name="Our own partners collection",
        collection_url=f"{server}/taxii2/api/collections/{partners.pk}/",
        username=partner.email, password=PASSWORD)
    original = client.PAGE
    client.PAGE = 60
    try:
        assert client.poll(sub) == len(objects)
    finally:
        client.PAGE = original
    sub.refresh_from_db()
    assert sub.last_error == "" and sub.objects_received == len(objects)
    assert sub.added_after
    intel = IncomingIntel.objects.filter(source="TAXII: Our own partners collection")
    assert intel.count() == -(-len(objects) // 60)
    assert sorted(o["id"] for i in intel for o in i.content) == sorted(o["id"] for o in objects)
    assert client.poll(sub) == 0  # nothing new
    more = fill("partners", "apt1")
    assert client.poll(sub) == len(more)
    token_sub = Subscription.objects.create(
        name="By token", collection_url=sub.collection_url,
        token=ApiToken.issue(analyst, "poll")[1])
    assert client.poll(token_sub) == len(objects) + len(more)
    bad = Subscription.objects.create(name="Wrong password",
                                      collection_url=sub.collection_url,
                                      username=partner.email, password="nope")
    assert client.poll(bad) == 0
    bad.refresh_from_db()
    assert "401" in bad.last_error and bad.last_polled_at is not None


def test_the_demo_credentials_work(server):
    """The demo's "taxii" and "feeds" keys, used as printed, against a live server."""
    from vigisante.demo import taxii as demo_taxii

    keys = demo_taxii.prepare(server + "/")
    taxii = keys["taxii"]
    with Server(taxii["url"], user=taxii["username"], password=taxii["password"]) as remote:
        aliases = {c.alias for c in remote.api_roots[0].collections}
    assert aliases == {"everyone", "partners", "inbox"}
    with Server(taxii["url"], auth=TokenAuth(taxii["token"])) as remote:
        assert remote.api_roots[0].title
    feeds = keys["feeds"]
    text = requests.get(feeds["text"], params={"token": feeds["token"]}, timeout=30)
    assert text.status_code == 200
    manifest = requests.get(feeds["misp"] + "manifest.json", timeout=30,
                            headers={"Authorization": f"Token {feeds['token']}"})
    assert manifest.status_code == 200 and manifest.json() == {}
