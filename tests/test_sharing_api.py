"""/api/v1/alerts/: what each role gets, read state, marking read, query counts, bad input."""

from __future__ import annotations

import pytest
from alerts_world import build, draft
from conftest import api_client_for

from vigisante.sharing import services
from vigisante.sharing.domain import Targets
from vigisante.sharing.models import AlertRead

pytestmark = pytest.mark.django_db

LIST = "/api/v1/alerts/"
RECIPIENT_KEYS = {"id", "url", "title", "situation", "actions", "tlp", "sent_at", "indicators",
                  "read", "read_at"}


@pytest.fixture
def world(analyst):
    return build(analyst)


def send(world, **overrides):
    alert = services.save_draft(actor=world.analyst, draft=draft(world, **overrides))
    services.send(actor=world.analyst, alert=alert)
    return alert


def test_reporter_gets_its_alerts_with_read_state_and_marks_read(world):
    old = send(world, title="Ancienne")
    new = send(world, title="Nouvelle", targets=Targets(region=frozenset({"IDF"})))
    services.save_draft(actor=world.analyst, draft=draft(world, title="Brouillon"))
    client = api_client_for(world.reporters[0])
    body = client.get(LIST).json()
    assert body["count"] == 2
    assert [a["title"] for a in body["results"]] == ["Nouvelle", "Ancienne"]
    first = body["results"][0]
    assert set(first) == RECIPIENT_KEYS
    assert first["read"] is False and first["read_at"] is None
    assert {"type": "ipv4", "value": "192.0.2.45"} in first["indicators"]
    # GET does not mark read; POST read/ does, once
    assert client.get(f"{LIST}{old.pk}/").json()["read"] is False
    marked = client.post(f"{LIST}{old.pk}/read/")
    assert marked.status_code == 200 and marked.json()["read"] is True
    at = marked.json()["read_at"]
    assert client.post(f"{LIST}{old.pk}/read/").json()["read_at"] == at
    assert AlertRead.objects.filter(alert=old).count() == 1
    titles = [a["title"] for a in client.get(LIST).json()["results"]]
    assert titles == ["Nouvelle", "Ancienne"]  # unread first
    assert [a["title"] for a in client.get(LIST + "?unread=true").json()["results"]] == [
        "Nouvelle"]
    assert [a["title"] for a in client.get(LIST + "?unread=false").json()["results"]] == [
        "Ancienne"]
    # another establishment's reporter does not see the IDF-only alert
    other = api_client_for(world.reporters[1])
    assert [a["title"] for a in other.get(LIST).json()["results"]] == ["Ancienne"]
    assert other.get(f"{LIST}{new.pk}/").status_code == 404
    assert other.post(f"{LIST}{new.pk}/read/").status_code == 404
    assert not AlertRead.objects.filter(alert=new).exists()


def test_staff_see_every_alert_with_receipts_observers_none(world, observer):
    alert = send(world)
    services.mark_read(actor=world.reporters[2], alert=alert)
    services.save_draft(actor=world.analyst, draft=draft(world, title="Brouillon"))
    staff = api_client_for(world.analyst)
    body = staff.get(LIST).json()
    assert body["count"] == 2
    states = {a["title"]: a["state"] for a in body["results"]}
    assert states == {"Brouillon": "draft", alert.title: "sent"}
    sent = next(a for a in body["results"] if a["state"] == "sent")
    assert sent["recipients_count"] == 5 and sent["reads_count"] == 1
    assert sent["targets"]["everyone"] is True
    detail = staff.get(f"{LIST}{alert.pk}/").json()
    receipts = {r["finess"]: r for r in detail["receipts"]}
    assert receipts[world.victims[2].finess]["readers"][0]["email"] == \
        world.reporters[2].email
    assert receipts[world.victims[0].finess]["readers"] == []
    assert staff.post(f"{LIST}{alert.pk}/read/").status_code == 400
    watcher = api_client_for(observer)
    assert watcher.get(LIST).json()["count"] == 0
    assert watcher.get(f"{LIST}{alert.pk}/").status_code == 404
    from rest_framework.test import APIClient
    assert APIClient().get(LIST).status_code in (401, 403)


@pytest.mark.parametrize("query", ["?unread=maybe", "?limit=abc", "?offset=-3"])
def test_bad_query_is_a_clear_400_or_ignored(world, query):
    send(world)
    response = api_client_for(world.reporters[0]).get(LIST + query)
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert "unread" in response.json()


@pytest.mark.parametrize("path", ["abc/", "99999999/", "99999999999999999999999/",
                                  "1/read/extra/"])
def test_bad_ids_are_404(world, path):
    assert api_client_for(world.reporters[0]).get(LIST + path).status_code == 404


def test_lists_have_a_fixed_number_of_queries(world, django_assert_max_num_queries):
    for i in range(2):
        send(world, title=f"A{i}")
    reporter, staff = api_client_for(world.reporters[0]), api_client_for(world.analyst)
    with django_assert_max_num_queries(10) as reporter_few:
        reporter.get(LIST)
    with django_assert_max_num_queries(12) as staff_few:
        staff.get(LIST)
    for i in range(2, 12):
        send(world, title=f"A{i}")
    with django_assert_max_num_queries(len(reporter_few.captured_queries)):
        assert reporter.get(LIST).json()["count"] == 12
    with django_assert_max_num_queries(len(staff_few.captured_queries)):
        assert staff.get(LIST).json()["count"] == 12


def test_schema_documents_the_alerts_api(client_for, reporter_a):
    # The schema is served to signed-in accounts only.
    schema = client_for(reporter_a).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/v1/alerts/" in paths and "/api/v1/alerts/{id}/read/" in paths
    assert paths["/api/v1/alerts/"]["get"]["tags"] == ["alerts"]
