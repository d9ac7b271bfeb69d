"""/api/v1/campaigns/: staff only (404 for everyone else), list, detail, confirm, merge, split."""

from __future__ import annotations

import pytest
from conftest import api_client_for
from django.utils import timezone
from indicators_helpers import new_report, sight

from vigisante.core.models import AuditEvent
from vigisante.indicators import campaigns, correlation
from vigisante.indicators.models import Campaign

pytestmark = pytest.mark.django_db
LIST = "/api/v1/campaigns/"


def _campaign(n=3, value="wave.example") -> Campaign:
    reports = [new_report() for _ in range(n)]
    for r in reports:
        sight(r, ("domain", value), status="confirmed")
    now = timezone.now()
    campaigns.attach_new_links(correlation.correlate_reports([r.pk for r in reports], now), now)
    return Campaign.objects.get(memberships__report=reports[0])


def test_only_staff_see_campaigns(reporter_a, observer, analyst, admin_user):
    camp = _campaign()
    urls = [LIST, f"{LIST}{camp.pk}/"]
    posts = [(f"{LIST}{camp.pk}/{a}/", body) for a, body in (
        ("confirm", {"name": "x"}), ("merge", {"into": camp.pk}),
        ("split", {"reports": [1]}), ("acknowledge", {}))]
    for user in (reporter_a, observer):
        client = api_client_for(user)
        for url in urls:
            assert client.get(url).status_code == 404
        assert client.patch(urls[1], {"name": "x"}, format="json").status_code == 404
        for url, body in posts:
            assert client.post(url, body, format="json").status_code == 404
    assert Campaign.objects.get(pk=camp.pk).name == ""
    from rest_framework.test import APIClient

    assert APIClient().get(LIST).status_code in (401, 403)
    for user in (analyst, admin_user):
        assert api_client_for(user).get(LIST).status_code == 200


def test_list_and_detail(analyst):
    camp = _campaign()
    client = api_client_for(analyst)
    body = client.get(LIST).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == camp.pk and row["report_count"] == 3
    assert row["establishment_count"] == 3 and row["new_links"] is True
    detail = client.get(f"{LIST}{camp.pk}/").json()
    assert len(detail["reports"]) == 3 and detail["status"] == "proposed"
    assert [i["value"] for i in detail["indicators"]] == ["wave.example"]
    assert detail["indicators"][0]["reports"] == 3
    assert detail["regions"][0] == {"code": "IDF", "label": "Île-de-France", "count": 3}
    assert {lk["reason"] for lk in detail["links"]} == {"indicator"}
    assert client.get(f"{LIST}999999/").status_code == 404
    assert client.get(LIST, {"status": "bogus"}).status_code == 400


def test_confirm_merge_split(analyst):
    one, two = _campaign(3, "one.example"), _campaign(2, "two.example")
    client = api_client_for(analyst)
    r = client.post(f"{LIST}{one.pk}/confirm/", {"name": "Phishing wave"}, format="json")
    assert r.status_code == 200 and r.json()["status"] == "confirmed"
    assert AuditEvent.objects.filter(action="campaign.update").exists()
    r = client.post(f"{LIST}{two.pk}/merge/", {"into": one.pk}, format="json")
    assert r.status_code == 200 and len(r.json()["reports"]) == 5
    assert Campaign.objects.get(pk=two.pk).status == "merged"
    assert client.get(LIST).json()["count"] == 1
    assert client.get(LIST, {"status": "merged"}).json()["count"] == 1
    moving = [rep["id"] for rep in r.json()["reports"][:2]]
    r = client.post(f"{LIST}{one.pk}/split/", {"reports": moving, "name": "Second wave"},
                    format="json")
    assert r.status_code == 201
    assert sorted(x["id"] for x in r.json()["reports"]) == sorted(moving)
    assert r.json()["status"] == "confirmed"
    assert Campaign.objects.get(pk=one.pk).reports.count() == 3


def test_bad_input_is_400_and_changes_nothing(analyst):
    camp, other = _campaign(), _campaign(2, "other.example")
    client = api_client_for(analyst)
    url = f"{LIST}{camp.pk}/"
    for action, body in (
            ("confirm", {}), ("confirm", {"name": ""}), ("confirm", {"name": "x" * 201}),
            ("confirm", ["not", "an", "object"]), ("merge", {"into": camp.pk}),
            ("merge", {"into": "abc"}), ("split", {"reports": []}),
            ("split", {"reports": [other.reports.first().pk]}),
            ("split", {"reports": list(camp.reports.values_list("pk", flat=True))}),
            ("split", {"reports": ["x"]})):
        r = client.post(f"{url}{action}/", body, format="json")
        assert r.status_code == 400, (action, body, r.content)
    assert client.post(f"{url}merge/", {"into": 999999}, format="json").status_code == 404
    assert client.patch(url, {"status": "merged"}, format="json").status_code == 400
    assert client.patch(url, {"name": "\x00"}, format="json").status_code == 400
    camp.refresh_from_db()
    assert camp.status == "proposed" and camp.name == "" and camp.reports.count() == 3


def test_query_counts_are_fixed(analyst, django_assert_max_num_queries):
    client = api_client_for(analyst)
    client.get(LIST)
    for n in (2, 6):
        camp = _campaign(n, f"q{n}.example")
        with django_assert_max_num_queries(5):
            assert client.get(LIST).status_code == 200
        with django_assert_max_num_queries(7):
            assert client.get(f"{LIST}{camp.pk}/").status_code == 200
