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
