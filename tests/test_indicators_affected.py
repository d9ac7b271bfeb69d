""""Are we affected?": paste or upload (streamed, gzip, size limit), results for the uploader
only, one click to a report linked to the campaign, bad input, anonymity."""

from __future__ import annotations

import gzip

import pytest
from conftest import html, make_establishment, make_user
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from indicator_helpers import make_campaign, make_indicator

from vigisante.indicators.models import CampaignReport, Sighting
from vigisante.reports import services as report_services
from vigisante.reports.models import Report

URL = "/affected/"
LOG = (b"1700000000.1 5 10.1.2.3 TCP_MISS/200 512 GET http://www.evil.example/x - DIRECT\n"
       b"1700000000.2 5 10.1.2.3 TCP_MISS/200 512 GET http://notevil.example/x - DIRECT\n"
       b"Nov 30 12:00:01 fw kernel: DROP SRC=192.0.2.1 DST=10.3.0.1 DPT=443\n")


@pytest.fixture
def world(reporter_a, early_warning_data):
    est_c = make_establishment("130000033", "Clinique C secrète (synthetic)")
    reporter_c = make_user("reporter.c@example.org", establishments=[est_c])
    report_c = report_services.create_early_warning(
        actor=reporter_c, data={**early_warning_data, "establishment": est_c,
                                "description": "Texte libre confidentiel de C"})
    evil = make_indicator("domain", "evil.example", tlp="green")
    ip = make_indicator("ipv4", "192.0.2.1", tlp="clear")
    red = make_indicator("domain", "red.example", tlp="red")
    campaign = make_campaign([report_c], [evil, red])
    return dict(evil=evil, ip=ip, red=red, campaign=campaign, report_c=report_c, est_c=est_c)


def test_page_renders_for_reporters_and_404_for_observers(world, client_for, reporter_a,
                                                          observer, client):
    page = client_for(reporter_a).get(URL)
    assert page.status_code == 200
    doc = html(page)
    assert doc.select_one("textarea#id_text") and doc.select_one("input#id_log[type=file]")
    assert doc.select_one("label[for=id_log]") and doc.select_one("label[for=id_text]")
    assert client_for(observer).get(URL).status_code == 404
    assert client.get(URL).status_code == 302  # login


def test_pasted_values_show_matches(world, client_for, reporter_a, django_assert_max_num_queries):
    c = client_for(reporter_a)
    with django_assert_max_num_queries(12):
        page = c.post(URL, {"text": "hxxp://evil[.]example/a\nnotevil.example\n192.0.2.10\n"
                                    "red.example"})
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    doc = html(page)
    cards = doc.select("article.match")
    assert [card.select_one("h3 code").text for card in cards] == ["evil.example"]
    assert "hxxp://evil[.]example/a" in cards[0].select_one("td.logline").text
    assert cards[0].select_one("form input[name=indicator]")["value"] == str(world["evil"].pk)


def test_uploaded_gzip_log_is_streamed_and_matched(world, client_for, reporter_a):
    upload = SimpleUploadedFile("access.log.gz", gzip.compress(LOG), "application/gzip")
    page = client_for(reporter_a).post(URL, {"log": upload})
    doc = html(page)
    values = [card.select_one("h3 code").text for card in doc.select("article.match")]
    assert values == ["evil.example", "192.0.2.1"]
    assert "3 lines read" in doc.select_one(".summary").text
    lines = [td.text for td in doc.select("article.match td[data-label=Line]")]
    assert lines == ["1", "3"]


def test_no_match_says_so(world, client_for, reporter_a):
    doc = html(client_for(reporter_a).post(URL, {"text": "nothing.example"}))
    assert doc.select_one(".notice[role=status]") and not doc.select("article.match")


def test_bad_input_gives_clear_messages(world, client_for, reporter_a, settings):
    c = client_for(reporter_a)
    refused = c.post(URL, {"text": "  "})
    assert refused.status_code == 400  # refused input, the page and its message
    empty = html(refused)
    assert "Paste values" in empty.select_one(".error-summary").text
    corrupt = SimpleUploadedFile("a.gz", gzip.compress(b"x %d\n" * 1)[:12] + b"\x00" * 50)
    refused = c.post(URL, {"log": corrupt})
    assert refused.status_code == 400
    doc = html(refused)
    assert "could not be read" in doc.select_one(".error-summary").text
    assert not doc.select("article.match")
    binary = SimpleUploadedFile("x.bin", bytes(range(256)) * 100)
    assert c.post(URL, {"log": binary}).status_code == 200
    settings.LOGCHECK_MAX_UPLOAD_MB = 1
    big = SimpleUploadedFile("big.log", b"www.evil.example\n" * 70_000)
    doc = html(c.post(URL, {"log": big}))
    assert "larger than 1 MB" in doc.select_one(".error-summary").text
    assert not doc.select("article.match")  # nothing partial


def test_one_click_files_a_report_linked_to_the_campaign(world, client_for, reporter_a, est_a):
    c = client_for(reporter_a)
    doc = html(c.post(URL, {"text": "GET http://evil.example/ HTTP/1.1"}))
    form = doc.select_one("article.match form")
    data = {i["name"]: i["value"] for i in form.select("input[type=hidden]")}
    response = c.post(form["action"], data)
    report = Report.objects.exclude(pk=world["report_c"].pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:acknowledgement", args=[report.pk])
    assert report.establishment == est_a and report.created_by == reporter_a
    assert "evil.example" in report.description and report.suspected_malicious == "yes"
    assert CampaignReport.objects.filter(campaign=world["campaign"], report=report).exists()
    assert Sighting.objects.filter(report=report, indicator=world["evil"]).exists()
    ack = c.get(response["Location"]).content.decode()
    for secret in (world["est_c"].name, world["report_c"].reference, "confidentiel"):
        assert secret not in ack


def test_report_refuses_forged_ids(world, client_for, reporter_a, est_b):
    c = client_for(reporter_a)
    # a red indicator the reporter may not receive, another establishment, garbage
    for data in ({"indicator": world["red"].pk, "establishment": est_b.pk},
                 {"indicator": world["evil"].pk, "establishment": est_b.pk},
                 {"indicator": "x", "establishment": "<script>"}, {}):
        assert c.post("/affected/report/", data).status_code == 404
    assert not Report.objects.exclude(pk=world["report_c"].pk).exists()
    assert c.get("/affected/report/").status_code == 405


def test_results_never_name_the_reporting_establishment(world, client_for, reporter_a):
    body = client_for(reporter_a).post(URL, {"text": "evil.example"}).content.decode()
    for secret in (world["est_c"].name, world["est_c"].finess, world["report_c"].reference,
                   "confidentiel", "reporter.c@example.org", world["campaign"].name):
        assert secret not in body


@pytest.mark.french
def test_page_in_french(world, client_for, reporter_a):
    doc = html(client_for(reporter_a).get(URL))
    assert doc.select_one("h1").text == "Sommes-nous touchés ?"
