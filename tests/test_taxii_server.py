"""The TAXII 2.1 server through Django's test client: who sees which collection, filters,
paging and its headers, versions, manifests, and every refusal as a TAXII error message."""

from __future__ import annotations

import copy
import json

import pytest
from conftest import make_user
from django.test import Client
from taxii_helpers import TAXII, basic, collection, fill, machine, sample, token

from vigisante.accounts.models import Role
from vigisante.taxii import protocol
from vigisante.taxii.models import Collection

pytestmark = pytest.mark.django_db
ROOT = "/taxii2/api/"


def url(alias: str, rest: str = "") -> str:
    return f"{ROOT}collections/{collection(alias).pk}/{rest}"


def get(path, headers, **params):
    return Client().get(path, params, **headers)


@pytest.fixture
def machines(est_a, est_b):
    return {"a": machine("sensor.a@example.org", [est_a]),       # category "ch"
            "b": machine("sensor.b@example.org", [est_b]),       # category "ehpad"
            "partner": machine("cert.partner@example.org")}


def aliases(response) -> dict[str, tuple[bool, bool]]:
    return {c["alias"]: (c["can_read"], c["can_write"])
            for c in response.json().get("collections", [])}


def test_discovery_and_api_root(machines):
    response = get("/taxii2/", basic(machines["a"]))
    assert response.status_code == 200
    assert response["Content-Type"] == TAXII
    body = response.json()
    assert body["api_roots"] == ["http://testserver/taxii2/api/"]
    assert body["default"] == body["api_roots"][0]
    root = get(ROOT, basic(machines["a"])).json()
    assert root["versions"] == [TAXII]
    assert root["max_content_length"] > 0


def test_anonymous_gets_401_with_a_taxii_error():
    response = Client().get("/taxii2/", HTTP_ACCEPT=TAXII)
    assert response.status_code == 401
    assert response["Content-Type"] == TAXII
    assert response["WWW-Authenticate"].startswith("Basic")
    assert response.json()["http_status"] == "401"


def test_wrong_password_and_token_are_401(machines):
    assert get("/taxii2/", basic(machines["a"], "wrong")).status_code == 401
    bad = {"HTTP_AUTHORIZATION": "Token vs_not-a-token", "HTTP_ACCEPT": TAXII}
    assert get("/taxii2/", bad).status_code == 401
    garbage = {"HTTP_AUTHORIZATION": "Basic !!!", "HTTP_ACCEPT": TAXII}
    assert get("/taxii2/", garbage).status_code == 401


def test_basic_is_for_machine_accounts_only(analyst, reporter_a):
    for person in (analyst, reporter_a):
        response = get("/taxii2/", basic(person))
        assert response.status_code == 401, person.role
        assert "machine accounts" in response.json()["description"]


def test_each_account_lists_the_collections_meant_for_it(machines, analyst, reporter_a,
                                                         observer):
    inbox = collection("inbox")
    inbox.writers.add(machines["partner"])
    a = aliases(get(url("everyone").rsplit("/", 2)[0] + "/", basic(machines["a"])))
    assert a == {"everyone": (True, False), "establishments": (True, False),
                 "category-ch": (True, False)}
    b = aliases(get(f"{ROOT}collections/", basic(machines["b"])))
    assert set(b) == {"everyone", "establishments", "category-ehpad"}
    partner = aliases(get(f"{ROOT}collections/", basic(machines["partner"])))
    assert partner == {"everyone": (True, False), "partners": (True, False),
                       "inbox": (False, True)}
    staff = aliases(get(f"{ROOT}collections/", token(analyst)))
    assert set(staff) == set(Collection.objects.values_list("alias", flat=True))
    assert staff["inbox"] == (True, True)
    for person in (reporter_a, observer):
        assert get(f"{ROOT}collections/", token(person)).status_code == 403


def test_a_collection_not_meant_for_the_account_is_404(machines):
    fill("partners", "indicator-for-c2-ip-address")
    for path in (url("partners"), url("partners", "objects/"), url("partners", "manifest/"),
                 url("category-ehpad"), url("inbox", "objects/")):
        response = get(path, basic(machines["a"]))
        assert response.status_code == 404, path
        assert response.json()["http_status"] == "404"
        assert "192.0.2" not in response.content.decode()
    assert get(f"{ROOT}collections/not-a-uuid/", basic(machines["a"])).status_code == 404


def test_objects_pages_cover_everything_once_with_headers(machines):
    objects = fill("everyone", "poisonivy")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 40, **({"next": cursor} if cursor else {})}
        response = get(url("everyone", "objects/"), basic(machines["a"]), **params)
        assert response.status_code == 200
        body = response.json()
        page = body["objects"]
        assert len(page) <= 40
        manifest = get(url("everyone", "manifest/"), basic(machines["a"]), **params).json()
        added = [m["date_added"] for m in manifest["objects"]]
        assert response["X-TAXII-Date-Added-First"] == added[0]
        assert response["X-TAXII-Date-Added-Last"] == added[-1]
        seen += [o["id"] for o in page]
        pages += 1
        if not body["more"]:
            assert "next" not in body
            break
        cursor = body["next"]
    assert pages == -(-len(objects) // 40)
    assert sorted(seen) == sorted(o["id"] for o in objects)


def test_filters_type_id_added_after(machines):
    objects = fill("everyone", "poisonivy")
    headers = basic(machines["a"])
    indicators = [o["id"] for o in objects if o["type"] == "indicator"]
    body = get(url("everyone", "objects/"), headers, **{"match[type]": "indicator"}).json()
    assert sorted(o["id"] for o in body["objects"]) == sorted(indicators)
    two = indicators[:2]
    body = get(url("everyone", "objects/"), headers, **{"match[id]": ",".join(two)}).json()
    assert sorted(o["id"] for o in body["objects"]) == sorted(two)
    first = get(url("everyone", "objects/"), headers, limit=10)
    after = first["X-TAXII-Date-Added-Last"]
    rest = get(url("everyone", "objects/"), headers, added_after=after).json()["objects"]
    assert len(rest) == len(objects) - 10
    assert not {o["id"] for o in first.json()["objects"]} & {o["id"] for o in rest}
    late = objects[-1]["created"]  # nothing added after now
    empty = get(url("everyone", "objects/"), headers, added_after="2999-01-01T00:00:00Z")
    assert empty.status_code == 200 and empty.json() == {}
    assert late


def test_versions_and_match_version(machines):
    original = sample("indicator-for-c2-ip-address")[0]
    newer = copy.deepcopy(original)
    newer["modified"] = "2030-01-02T03:04:05.678Z"
    newer["name"] = "new version"
    fill("everyone", "indicator-for-c2-ip-address")
    from vigisante.taxii import storage

    storage.store(collection("everyone"), [newer])
    storage.store(collection("everyone"), [newer])  # idempotent
    headers = basic(machines["a"])
    path = url("everyone", f"objects/{original['id']}/")
    assert [o["name"] for o in get(path, headers).json()["objects"]] == ["new version"]
    first = get(path, headers, **{"match[version]": "first"}).json()["objects"]
    assert first[0]["modified"] == original["modified"]
    every = get(path, headers, **{"match[version]": "all"}).json()["objects"]
    assert len(every) == 2
    exact = get(path, headers, **{"match[version]": original["modified"]}).json()["objects"]
    assert [o["modified"] for o in exact] == [original["modified"]]
    versions = get(url("everyone", f"objects/{original['id']}/versions/"), headers).json()
    assert [protocol.parse_timestamp(v) for v in versions["versions"]] == [
        protocol.parse_timestamp(original["modified"]),
        protocol.parse_timestamp(newer["modified"])]
    manifest = get(url("everyone", "manifest/"), headers, **{"match[version]": "all"}).json()
    assert len(manifest["objects"]) == 2
    assert {m["media_type"] for m in manifest["objects"]} == {protocol.STIX_MEDIA_TYPE}
    missing = url("everyone", "objects/indicator--00000000-0000-4000-8000-000000000000/")
    assert get(missing, headers).status_code == 404


@pytest.mark.parametrize("params, status", [
    ({"limit": "0"}, 400), ({"limit": "ten"}, 400), ({"limit": "-5"}, 400),
    ({"next": "garbage"}, 400), ({"next": "x" * 500}, 400),
    ({"added_after": "yesterday"}, 400), ({"added_after": "2026-13-40T00:00:00Z"}, 400),
    ({"match[type]": "Indicator!"}, 400), ({"match[id]": "indicator--nope"}, 400),
    ({"match[version]": "latest"}, 400), ({"match[spec_version]": "two"}, 400),
    ({"match[id]": ",".join(["indicator--00000000-0000-4000-8000-000000000000"] * 101)}, 400),
    ({"unknown": "1"}, 400), ({"limit": "999999999"}, 200),
])
def test_bad_parameters_are_taxii_400s(machines, params, status):
    fill("everyone", "indicator-for-c2-ip-address")
    response = get(url("everyone", "objects/"), basic(machines["a"]), **params)
    assert response.status_code == status, response.content
    assert response["Content-Type"] == TAXII
    if status == 400:
        assert response.json()["http_status"] == "400"


def test_accept_and_methods(machines):
    headers = basic(machines["a"])
    html = {**headers, "HTTP_ACCEPT": "text/html"}
    assert get("/taxii2/", html).status_code == 406
    old = {**headers, "HTTP_ACCEPT": "application/taxii+json;version=2.0"}
    assert get("/taxii2/", old).status_code == 406
    assert get("/taxii2/", {**headers, "HTTP_ACCEPT": "application/taxii+json"}).status_code \
        == 200
    response = Client().put("/taxii2/", "{}", content_type=TAXII, **headers)
    assert response.status_code == 405 and "GET" in response["Allow"]
    response = Client().post(url("everyone", "objects/"), "{}", content_type=TAXII, **headers)
    assert response.status_code == 403  # readable, not writable
    response = Client().delete(url("everyone", "objects/indicator--00000000-0000-4000-8000-"
                                   "000000000000/"), **headers)
    assert response.status_code == 403


def test_machine_accounts_reach_nothing_else(machines, client):
    headers = basic(machines["a"])
    for path in ("/api/v1/reports/", "/api/v1/indicators/", "/reports/", "/alerts/",
                 "/api/schema/"):
        response = Client().get(path, HTTP_AUTHORIZATION=headers["HTTP_AUTHORIZATION"])
        assert response.status_code in (302, 401, 403), (path, response.status_code)
    tok = token(machines["a"])
    for path in ("/api/v1/reports/", "/api/v1/indicators/", "/api/v1/me/",
                 "/api/v1/alerts/"):
        response = Client().get(path, HTTP_AUTHORIZATION=tok["HTTP_AUTHORIZATION"])
        assert response.status_code == 401, (path, response.status_code)
    response = client.post("/accounts/login/", {"username": machines["a"].email,
                                                "password": "correct-horse-battery-9"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert "machine account" in response.content.decode()
    assert get("/taxii2/", tok).status_code == 200


def test_authority_and_observer_have_no_taxii(db):
    authority = make_user("ars@example.org", Role.AUTHORITY)
    assert get("/taxii2/", token(authority)).status_code == 403


def test_responses_are_compact_json_objects(machines):
    fill("everyone", "apt1")
    response = get(url("everyone", "objects/"), basic(machines["a"]), limit=5)
    body = json.loads(response.content)
    assert set(body) == {"more", "next", "objects"} and body["more"] is True


from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_KEYS = st.sampled_from(sorted(protocol.ALLOWED) + ["match[foo]", "limit[]", "x"])
_VALUES = st.text(max_size=60) | st.sampled_from(
    ["last", "first", "all", "2026-01-01T00:00:00Z", "0", "-1", "1e9", "indicator",
     "indicator--00000000-0000-4000-8000-000000000000", "%00", "\u202e", "' OR 1=1 --"])


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(params=st.dictionaries(_KEYS, _VALUES, max_size=4),
       rest=st.sampled_from(["objects/", "manifest/", "objects/{id}/",
                             "objects/{id}/versions/"]))
def test_hostile_query_strings_get_taxii_answers_never_500(machines, params, rest):
    fill("everyone", "indicator-for-c2-ip-address")
    path = url("everyone", rest.format(id="indicator--33fe3b22-0201-47cf-85d0-97c02164528d"))
    params = {k: v.replace("\x00", "") for k, v in params.items()}
    response = get(path, basic(machines["a"]), **params)
    assert response.status_code in (200, 400, 404), (params, response.content)
    assert response["Content-Type"] == TAXII
    json.loads(response.content)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300) | st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["objects", "id", "type", "modified", "spec_version"]),
                      children, max_size=4), max_leaves=20).map(
    lambda v: json.dumps(v).encode()))
def test_hostile_envelopes_get_taxii_answers_never_500(machines, body):
    inbox = collection("inbox")
    inbox.writers.add(machines["partner"])
    response = Client().post(url("inbox", "objects/"), body, content_type=TAXII,
                             **basic(machines["partner"]))
    assert response.status_code in (202, 400, 413, 415), (body, response.content)
    json.loads(response.content)


def test_too_large_and_too_deep_bodies(machines, settings):
    inbox = collection("inbox")
    inbox.writers.add(machines["partner"])
    settings.TAXII_MAX_CONTENT_LENGTH = 1000
    big = json.dumps({"objects": [{"id": "x" * 2000}]})
    response = Client().post(url("inbox", "objects/"), big, content_type=TAXII,
                             **basic(machines["partner"]))
    assert response.status_code == 413
    settings.TAXII_MAX_CONTENT_LENGTH = 10 * 2**20
    deep = '{"objects": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = Client().post(url("inbox", "objects/"), deep, content_type=TAXII,
                             **basic(machines["partner"]))
    assert response.status_code == 400
    settings.TAXII_MAX_OBJECTS_PER_REQUEST = 2
    three = json.dumps({"objects": sample("malicious-email-indicator-with-attachment")[:3]})
    response = Client().post(url("inbox", "objects/"), three, content_type=TAXII,
                             **basic(machines["partner"]))
    assert response.status_code == 413
    wrong_type = Client().post(url("inbox", "objects/"), "{}", content_type="application/json",
                               **basic(machines["partner"]))
    assert wrong_type.status_code == 415
