"""Analyst pages of indicators and campaigns: staff only, reviews, campaign actions, warning
lists, query counts, bad input, the queue item."""

from __future__ import annotations

import json

import pytest
from conftest import html
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from indicators_helpers import new_report, sight

from vigisante.indicators import campaigns, correlation
from vigisante.indicators.models import Campaign, Indicator, Link, WarningListEntry

pytestmark = pytest.mark.django_db


def _campaign(n=3, value="wave.example") -> Campaign:
    reports = [new_report() for _ in range(n)]
    for r in reports:
        sight(r, ("domain", value), status="confirmed")
    now = timezone.now()
    campaigns.attach_new_links(correlation.correlate_reports([r.pk for r in reports], now), now)
    return Campaign.objects.get(memberships__report=reports[0])


def test_pages_are_404_for_everyone_but_staff(client_for, reporter_a, observer, analyst,
                                              report_a):
    camp = _campaign()
    entry = WarningListEntry.objects.create(list_name="x", type="domain", value="ok.example",
                                            origin="analyst")
    gets = [reverse("indicators:report", args=[report_a.pk]), reverse("indicators:campaigns"),
            reverse("indicators:campaign", args=[camp.pk]), reverse("indicators:warninglists")]
    posts = [reverse("indicators:review", args=[report_a.pk]),
             reverse("indicators:add", args=[report_a.pk]),
             reverse("indicators:campaign_update", args=[camp.pk]),
             reverse("indicators:campaign_merge", args=[camp.pk]),
             reverse("indicators:campaign_split", args=[camp.pk]),
             reverse("indicators:campaign_acknowledge", args=[camp.pk]),
             reverse("indicators:warninglist_add"), reverse("indicators:warninglist_import"),
             reverse("indicators:warninglist_remove", args=[entry.pk])]
    for user in (reporter_a, observer):
        client = client_for(user)
        for url in gets:
            assert client.get(url).status_code == 404, url
        for url in posts:
            assert client.post(url, {"name": "x", "value": "a.example"}).status_code == 404, url
    assert WarningListEntry.objects.count() == 1 and Campaign.objects.get().name == ""
    client = client_for(analyst)
    for url in gets:
        assert client.get(url).status_code == 200, url


def test_review_a_reports_indicators(client_for, analyst):
    r1, r2 = new_report(), new_report()
    (ind,) = sight(r1, ("domain", "evil.example"))
    sight(r2, ("domain", "evil.example"))
    client = client_for(analyst)
    page = html(client.get(reverse("indicators:report", args=[r1.pk])))
    assert [c.text for c in page.select("code.ioc")] == ["evil.example"]
    response = client.post(reverse("indicators:review", args=[r1.pk]), {
        "indicator": ind.pk, "status": "confirmed", "tlp": "green", "confidence": "90"})
    assert response.status_code == 302
    ind.refresh_from_db()
    assert (ind.status, ind.tlp, ind.confidence, ind.reviewed_by) == (
        "confirmed", "green", 90, analyst)
    assert Link.objects.filter(indicator=ind).count() == 1
    # The triage queue shows the new correlation, the campaign page clears it.
    queue = html(client.get(reverse("triage:queue")))
    item = queue.select_one(".new-correlations a")
    assert item is not None and item["href"] == reverse("indicators:campaigns")
    camp = Campaign.objects.get()
    client.post(reverse("indicators:campaign_acknowledge", args=[camp.pk]))
    assert html(client.get(reverse("triage:queue"))).select_one(".new-correlations") is None


def test_bad_review_input_is_400_and_changes_nothing(client_for, analyst):
    r1 = new_report()
    (ind,) = sight(r1, ("domain", "evil.example"))
    client = client_for(analyst)
    url = reverse("indicators:review", args=[r1.pk])
    for data in ({"indicator": ind.pk, "status": "bogus"},
                 {"indicator": ind.pk, "status": "confirmed", "confidence": "101"},
                 {"indicator": ind.pk, "status": "confirmed", "confidence": "1e3"},
                 {"indicator": ind.pk, "status": "confirmed", "tlp": "white"}):
        response = client.post(url, data)
        assert response.status_code == 400
        assert html(response).select(".errorlist li")
    assert client.post(url, {"indicator": "abc", "status": "confirmed"}).status_code == 404
    ind.refresh_from_db()
    assert ind.status == "pending" and ind.reviewed_by is None


def test_campaign_page_confirm_merge_split(client_for, analyst):
    one, two = _campaign(3, "one.example"), _campaign(2, "two.example")
    client = client_for(analyst)
    page = html(client.get(reverse("indicators:campaign", args=[one.pk])))
    assert len(page.select("input[name=reports]")) == 3
    assert page.select_one("code.ioc").text == "one.example"
    response = client.post(reverse("indicators:campaign_update", args=[one.pk]),
                           {"name": "", "summary": "", "status": "confirmed"})
    assert response.status_code == 400  # a confirmed campaign has a name
    client.post(reverse("indicators:campaign_update", args=[one.pk]),
                {"name": "Vague de hameçonnage", "summary": "", "status": "confirmed"})
    one.refresh_from_db()
    assert one.status == "confirmed" and one.confirmed_by == analyst
    client.post(reverse("indicators:campaign_merge", args=[two.pk]), {"into": one.pk})
    assert one.reports.count() == 5
    ids = list(one.reports.values_list("pk", flat=True)[:2])
    response = client.post(reverse("indicators:campaign_split", args=[one.pk]),
                           {"reports": ids, "name": ""})
    assert response.status_code == 302
    assert one.reports.count() == 3
    assert client.post(reverse("indicators:campaign_merge", args=[one.pk]),
                       {"into": "x"}).status_code == 400


def test_campaign_pages_have_a_fixed_number_of_queries(client_for, analyst,
                                                       django_assert_max_num_queries):
    client = client_for(analyst)
    client.get(reverse("indicators:campaigns"))
    for n in (2, 6):
        camp = _campaign(n, f"q{n}.example")
        with django_assert_max_num_queries(12):
            assert client.get(reverse("indicators:campaigns")).status_code == 200
        with django_assert_max_num_queries(14):
            assert client.get(reverse("indicators:campaign", args=[camp.pk])).status_code \
                == 200
        report = camp.reports.first()
        with django_assert_max_num_queries(10):
            assert client.get(reverse("indicators:report", args=[report.pk])).status_code \
                == 200


def test_warning_list_add_remove_and_bad_input(client_for, analyst, est_a):
    client = client_for(analyst)
    url = reverse("indicators:warninglist_add")
    assert client.post(url, {"value": "10.0.0.0/8"}).status_code == 302
    assert client.post(url, {"value": "chu-a.fr", "finess": est_a.finess}).status_code \
        == 302
    for bad in ({"value": ""}, {"value": "x" * 3000}, {"value": "not a value !!"},
                {"value": "a.example", "finess": "000000000"}):
        response = client.post(url, bad)
        assert response.status_code == 400 and html(response).select(".errorlist li")
    assert set(WarningListEntry.objects.values_list("type", "value", "origin")) == {
        ("ipv4", "10.0.0.0/8", "analyst"), ("domain", "chu-a.fr", "establishment")}
    entry = WarningListEntry.objects.get(value="10.0.0.0/8")
    client.post(reverse("indicators:warninglist_remove", args=[entry.pk]))
    assert not WarningListEntry.objects.filter(pk=entry.pk).exists()


MISP = {"name": "List of known hosts of a provider", "version": 3, "type": "hostname",
        "description": "test", "matching_attributes": ["domain", "hostname"],
        "list": ["provider.fr", ".cdn.provider.fr", "192.0.2.0/24"]}


def test_import_a_misp_warning_list_and_refuse_bad_files(client_for, analyst):
    client = client_for(analyst)
    url = reverse("indicators:warninglist_import")
    upload = SimpleUploadedFile("list.json", json.dumps(MISP).encode())
    assert client.post(url, {"file": upload}).status_code == 302
    values = set(WarningListEntry.objects.values_list("value", flat=True))
    assert {"provider.fr", "cdn.provider.fr", "192.0.2.0/24"} <= values
    assert client.post(url, {"file": SimpleUploadedFile("list.json", json.dumps(MISP).encode())
                             }).status_code == 302  # a second import replaces the first
    count = WarningListEntry.objects.count()
    for content in (b"\x89PNG\r\n\x1a\n\x00\x00", b"{not json", b"[1, 2]",
                    json.dumps({"name": "x", "list": "nope"}).encode(),
                    json.dumps({"list": ["a.example"]}).encode(),
                    json.dumps({"name": "empty", "list": ["!!!"]}).encode()):
        response = client.post(url, {"file": SimpleUploadedFile("bad.json", content)})
        assert response.status_code == 400, content
        assert html(response).select(".errorlist li")
    assert client.post(url, {}).status_code == 400
    assert WarningListEntry.objects.count() == count


def test_listed_values_are_kept_out_of_ingestion(analyst, est_a, reporter_a):
    from vigisante.indicators import services

    WarningListEntry.objects.create(list_name="misp", type="domain", value="provider.example",
                                    origin="misp")
    report = new_report(est_a)
    listed = services._listed(report, {("domain", "www.provider.example"),
                                       ("url", "https://cdn.provider.example/x"),
                                       ("email", "someone@example.org"),
                                       ("domain", "evil.example"),
                                       ("email", "x@gmail.com")})
    # provider.example by its list; example.org is the reporter's own e-mail domain.
    assert listed == {("domain", "www.provider.example"),
                      ("url", "https://cdn.provider.example/x"),
                      ("email", "someone@example.org")}
    assert not Indicator.objects.exists()
