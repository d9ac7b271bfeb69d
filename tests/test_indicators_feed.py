"""/api/v1/indicators/: who receives which indicators (TLP), paging, `since`, anonymity."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import api_client_for, make_establishment, make_user
from django.urls import reverse
from django.utils import timezone
from indicator_helpers import make_campaign, make_indicator

from vigisante.reports import services as report_services

URL = "/api/v1/indicators/"


@pytest.fixture
def world(reporter_a, reporter_b, early_warning_data, est_b):
    """A report of a third establishment C in a campaign; A joined it, B did not."""
    est_c = make_establishment("130000033", "Clinique C secrète (synthetic)")
    reporter_c = make_user("reporter.c@example.org", establishments=[est_c])
    report_c = report_services.create_early_warning(
        actor=reporter_c, data={**early_warning_data, "establishment": est_c,
                                "description": "Texte libre confidentiel de C"})
    report_c2 = report_services.create_early_warning(
        actor=reporter_c, data={**early_warning_data, "establishment": est_c})
    report_a = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    inds = {
        "clear": make_indicator("domain", "clear.example", tlp="clear"),
        "green": make_indicator("ipv4", "192.0.2.1", tlp="green"),
        "amber_campaign": make_indicator("domain", "amber.example", tlp="amber"),
        "strict_campaign": make_indicator("sha256", "a" * 64, tlp="amber+strict"),
        "amber_other": make_indicator("domain", "amber-other.example", tlp="amber"),
        "red": make_indicator("domain", "red.example", tlp="red"),
        "pending": make_indicator("domain", "pending.example", status="pending"),
        "rejected": make_indicator("domain", "rejected.example", status="rejected"),
        "noisy": make_indicator("domain", "noisy.example", noisy=True),
    }
    make_campaign([report_c, report_a], [inds["amber_campaign"], inds["strict_campaign"],
                                         inds["red"]])
    make_campaign([report_c2], [inds["amber_other"]], name="Other campaign (synthetic)")
    return dict(inds=inds, report_c=report_c, est_c=est_c, report_a=report_a)


def values(response):
    assert response.status_code == 200, response.content
    return {r["value"] for r in response.json()["results"]}


def test_reporters_get_clear_green_and_their_campaigns_amber(world, reporter_a, reporter_b):
    assert values(api_client_for(reporter_a).get(URL)) == {
        "clear.example", "192.0.2.1", "amber.example", "a" * 64}
    assert values(api_client_for(reporter_b).get(URL)) == {"clear.example", "192.0.2.1"}


def test_staff_get_every_confirmed_non_noisy_indicator(world, analyst, admin_user):
    expected = {"clear.example", "192.0.2.1", "amber.example", "a" * 64,
                "amber-other.example", "red.example"}
    assert values(api_client_for(analyst).get(URL)) == expected
    assert values(api_client_for(admin_user).get(URL)) == expected


def test_observers_and_anonymous_are_refused(world, observer, client):
    assert api_client_for(observer).get(URL).status_code == 404
    assert client.get(URL).status_code in (401, 403)


def test_staff_session_without_second_factor_is_refused(world, analyst, client):
    client.force_login(analyst)
    assert client.get(URL).status_code in (401, 403)


def test_feed_never_names_a_reporting_establishment(world, analyst, reporter_a):
    c = world["est_c"]
    for user in (analyst, reporter_a):
        body = api_client_for(user).get(URL).content.decode()
        for secret in (c.name, c.finess, world["report_c"].reference,
                       world["report_c"].description, "reporter.c@example.org",
                       world["report_a"].reference, "Centre hospitalier A"):
            assert secret not in body
        item = api_client_for(user).get(URL).json()["results"][0]
        assert set(item) == {"id", "type", "value", "tlp", "confidence", "first_seen",
                             "last_seen", "confirmed_at"}


def test_since_filters_incrementally(world, reporter_a):
    old = make_indicator("domain", "old.example", tlp="clear",
                         reviewed_at=timezone.now() - dt.timedelta(days=10))
    client = api_client_for(reporter_a)
    since = (timezone.now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    recent = values(client.get(URL, {"since": since}))
    assert old.value not in recent and "clear.example" in recent
    assert old.value in values(client.get(URL, {"since": "2000-01-01"}))
    for bad in ("yesterday", "2026-13-45", "x" * 100):
        response = client.get(URL, {"since": bad})
        assert response.status_code == 400 and "since" in response.json()


def test_type_filter(world, analyst):
    client = api_client_for(analyst)
    assert values(client.get(URL, {"type": "ipv4,sha256"})) == {"192.0.2.1", "a" * 64}
    response = client.get(URL, {"type": "domain,<script>"})
    assert response.status_code == 400 and "type" in response.json()


def test_cursor_pages_walk_everything_in_fixed_queries(world, analyst,
                                                       django_assert_max_num_queries):
    for i in range(30):
        make_indicator("domain", f"bulk{i}.example", tlp="green")
    client = api_client_for(analyst)
    seen, url, pages = [], URL + "?page_size=7", 0
    while url:
        with django_assert_max_num_queries(4):
            data = client.get(url).json()
        seen += [r["value"] for r in data["results"]]
        url, pages = data["next"], pages + 1
    assert len(seen) == len(set(seen)) == 36 and pages == 6


def test_reporter_list_is_fixed_queries(world, reporter_a, django_assert_max_num_queries):
    for i in range(20):
        make_indicator("domain", f"more{i}.example", tlp="amber")
    with django_assert_max_num_queries(4):
        assert api_client_for(reporter_a).get(URL).status_code == 200


def test_route_name():
    assert reverse("indicators-feed-api:feed") == URL


def test_amber_indicators_of_an_alert_reach_its_recipients_only(world, reporter_a, reporter_b,
                                                                est_b, analyst):
    from vigisante.sharing.models import Alert, AlertRecipient

    amber = make_indicator("domain", "alerted.example", tlp="amber")
    alert = Alert.objects.create(title="Phishing (synthetic)", situation="s", actions="a",
                                 tlp="amber", created_by=analyst, sent_at=timezone.now(),
                                 created_at=timezone.now(), updated_at=timezone.now())
    alert.indicators.add(amber)
    AlertRecipient.objects.create(alert=alert, establishment=est_b, delivered_at=timezone.now())
    assert "alerted.example" in values(api_client_for(reporter_b).get(URL))
    assert "alerted.example" not in values(api_client_for(reporter_a).get(URL))
    alert.sent_at = None  # a draft gives nothing
    alert.save()
    assert "alerted.example" not in values(api_client_for(reporter_b).get(URL))
