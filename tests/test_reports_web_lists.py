"""The reporter's home, the analysts' one list (the queue: the former incoming list's filters,
pages, query budgets, the old address), page weight."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from conftest import html, make_establishment
from django.urls import reverse, reverse_lazy
from django.utils import timezone

from vigisante.reports import services
from vigisante.reports.models import Channel, Report
from vigisante.reports.views import MY_REPORTS_PAGE

pytestmark = pytest.mark.django_db
MAX_PAGE_BYTES = 100 * 1024


def file_reports(actor, est, n: int, **overrides) -> list[Report]:
    reports = []
    for i in range(n):
        data = dict(establishment=est, description=f"Incident {i}",
                    discovered_at=timezone.now() - dt.timedelta(hours=i + 1), ongoing=True,
                    suspected_malicious="unknown", patient_care_affected="no",
                    support_requested=False, callback_phone="")
        data.update(overrides)
        reports.append(services.create_early_warning(actor=actor, data=data))
    return reports


def references(page) -> list[str]:
    return [a.get_text(strip=True) for a in page.select("table.reports a.ref")]


# --- My reports --------------------------------------------------------------------------


def test_my_reports_lists_own_establishments_newest_first(client_for, reporter_a, reporter_b,
                                                          est_a, est_b):
    mine = file_reports(reporter_a, est_a, 3)
    file_reports(reporter_b, est_b, 2)
    services.save_notification(actor=reporter_a, report_id=mine[0].pk, complete=True,
                               data={"operations_impact": "none"})
    page = html(client_for(reporter_a).get(reverse("reports:my_reports")))
    assert references(page) == [r.reference for r in reversed(mine)]
    assert page.select_one("a.cta-report")["href"] == reverse("reports:early_warning")
    rows = page.select("table.reports tbody tr")
    oldest = rows[-1].select("td")
    assert [a.get_text(strip=True) for a in oldest[4].select("a")] == ["Final report"]
    newest = rows[0].select("td")
    assert [a.get_text(strip=True) for a in newest[4].select("a")] == [
        "Notification", "Final report"]
    assert newest[1].get_text(strip=True) == est_a.name


def test_my_reports_is_paginated_with_bounded_queries(client_for, reporter_a, est_a,
                                                      django_assert_max_num_queries):
    file_reports(reporter_a, est_a, MY_REPORTS_PAGE + 3)
    client = client_for(reporter_a)
    # 6 + the audit journal's INSERT + the session's first activity stamp (written on the
    # first request after login, then at most once a minute: accounts.middleware)
    with django_assert_max_num_queries(8):
        first = html(client.get(reverse("reports:my_reports")))
    assert len(references(first)) == MY_REPORTS_PAGE
    second = html(client.get(reverse("reports:my_reports") + "?page=2"))
    assert len(references(second)) == 3
    assert second.select_one(".pagination a[rel=prev]")
    # Nonsense page numbers fall back to a real page.
    assert client.get(reverse("reports:my_reports") + "?page=zzz").status_code == 200
    assert client.get(reverse("reports:my_reports") + "?page=99999").status_code == 200


def test_my_reports_empty(client_for, reporter_a):
    page = html(client_for(reporter_a).get(reverse("reports:my_reports")))
    assert not page.select("table.reports") and page.select_one("a.cta-report")


# --- The analysts' one list: triage's queue (the former "incoming reports" page) -----------
# Issue 10: one list page for analysts. Every filter the former /reports/incoming/ offered
# (reports.filters, shared with the API) works on the queue; the old address redirects there.

QUEUE = reverse_lazy("triage:queue")


def queue_refs(page) -> list[str]:
    return [a.get_text(strip=True) for a in page.select("table.queue a.ref")]


def test_the_queue_is_for_cert_staff_only(client_for, reporter_a, analyst, admin_user):
    assert client_for(reporter_a).get(QUEUE).status_code == 404
    assert client_for(analyst).get(QUEUE).status_code == 200
    assert client_for(admin_user).get(QUEUE).status_code == 200


def test_the_old_incoming_address_redirects_to_the_queue_with_its_filters(
        client_for, client, reporter_a, analyst):
    response = client_for(analyst).get("/reports/incoming/?region=IDF&q=Centre&page=2")
    assert response.status_code == 301
    assert response["Location"] == str(QUEUE) + "?region=IDF&q=Centre&page=2"
    assert client_for(analyst).get("/reports/incoming/")["Location"] == str(QUEUE)
    # Nobody else gains anything: the queue still answers 404, or the login page.
    assert client_for(reporter_a).get("/reports/incoming/", follow=True).status_code == 404
    final = client.get("/reports/incoming/", follow=True).redirect_chain[-1][0]
    assert final.startswith(reverse("accounts:login"))


def test_no_link_to_the_old_page_in_the_menu(client_for, analyst):
    page = html(client_for(analyst).get(QUEUE))
    hrefs = [a["href"] for a in page.select("header nav a")]
    assert str(QUEUE) in hrefs and "/reports/incoming/" not in hrefs


@pytest.fixture
def varied(reporter_a, reporter_b, analyst, est_a, est_b):
    """Reports that differ on each filtered property."""
    lab = make_establishment("130000033", "Laboratoire C (synthetic)", category="lab",
                             region="PAC")
    a1 = file_reports(reporter_a, est_a, 1, suspected_malicious="yes", support_requested=True,
                      callback_phone="0612345678")[0]
    b1 = file_reports(reporter_b, est_b, 1, patient_care_affected="yes", ongoing=False)[0]
    c1 = services.create_early_warning(actor=analyst, channel=Channel.PHONE, data=dict(
        establishment=lab, description="Appel du labo", discovered_at=timezone.now(),
        ongoing=True, suspected_malicious="no", patient_care_affected="no",
        support_requested=False, callback_phone=""))
    services.save_notification(actor=reporter_a, report_id=a1.pk, complete=True,
                               data={"operations_impact": "stopped"})
    return {"a1": a1, "b1": b1, "c1": c1, "lab": lab}


FILTER_CASES = [
    ("", ["c1", "b1", "a1"]),
    ("stage=notification", ["a1"]),
    ("stage=early_warning", ["c1", "b1"]),
    ("region=ARA", ["b1"]),
    ("category=lab", ["c1"]),
    ("channel=phone", ["c1"]),
    ("channel=web", ["b1", "a1"]),
    ("support_requested=yes", ["a1"]),
    ("support_requested=no", ["c1", "b1"]),
    ("suspected_malicious=yes", ["a1"]),
    ("patient_care_affected=yes", ["b1"]),
    ("ongoing=no", ["b1"]),
    ("q=laboratoire", ["c1"]),
    ("q=690000022", ["b1"]),
    ("region=IDF&suspected_malicious=yes&stage=notification", ["a1"]),
]


@pytest.mark.parametrize("query, expected", FILTER_CASES)
def test_queue_has_every_filter_of_the_former_incoming_list(client_for, analyst, varied, query,
                                                            expected):
    page = html(client_for(analyst).get(f"{QUEUE}?{query}"))
    assert queue_refs(page) == [varied[k].reference for k in expected]
    # The same through the old address (a bookmark), with "every state" as it listed.
    old = html(client_for(analyst).get(f"/reports/incoming/?state=all&{query}", follow=True))
    assert queue_refs(old) == [varied[k].reference for k in expected]


@pytest.mark.parametrize("query, expected", FILTER_CASES)
def test_the_api_list_has_the_same_filters(analyst, varied, query, expected):
    """One filter implementation (reports.filters.ReportFilters) for the page and the API."""
    from conftest import api_client_for

    response = api_client_for(analyst).get(reverse("reports-api:report-list") + "?" + query)
    assert response.status_code == 200, response.content
    assert [r["reference"] for r in response.json()["results"]] == [
        varied[k].reference for k in expected]


def test_queue_text_search_on_reference(client_for, analyst, varied):
    ref = varied["b1"].reference
    page = html(client_for(analyst).get(QUEUE, {"q": ref[-5:]}))
    assert queue_refs(page) == [ref]


def test_queue_date_filters(client_for, analyst, varied):
    Report.objects.filter(pk=varied["a1"].pk).update(
        created_at=timezone.now() - dt.timedelta(days=10))
    today = timezone.localdate()
    client = client_for(analyst)
    recent = html(client.get(QUEUE, {"received_from": str(today)}))
    assert set(queue_refs(recent)) == {varied["b1"].reference, varied["c1"].reference}
    old = html(client.get(QUEUE, {"received_to": str(today - dt.timedelta(days=5))}))
    assert queue_refs(old) == [varied["a1"].reference]


def test_queue_bad_filters_are_explained_not_fatal(client_for, analyst, varied):
    response = client_for(analyst).get(QUEUE, {
        "region": "ZZZ", "received_from": "yesterday", "stage": "closed", "q": "x" * 500,
        "received_to": "2024-02-30", "ongoing": "yes"})
    page = html(response)
    assert response.status_code == 400
    for name in ("region", "received_from", "stage", "q", "received_to"):
        assert page.select_one(f"#id_{name}_error"), name
    # The valid filter still applies.
    assert queue_refs(page) == [varied["c1"].reference, varied["a1"].reference]
    assert page.select_one("details[open]")


def test_queue_end_before_start(client_for, analyst, varied):
    page = html(client_for(analyst).get(QUEUE, {
        "received_from": "2026-01-10", "received_to": "2026-01-01"}))
    assert page.select_one("#id_received_to_error")


def test_queue_is_paginated_with_bounded_queries(client_for, analyst, reporter_a, est_a,
                                                 est_b, django_assert_max_num_queries):
    per_page = 25
    file_reports(reporter_a, est_a, per_page + 2)
    client = client_for(analyst)
    client.get(QUEUE)  # the session's first activity stamp (accounts.middleware)
    with django_assert_max_num_queries(9):
        page = html(client.get(QUEUE))
    assert len(queue_refs(page)) == per_page
    with django_assert_max_num_queries(9):
        page = html(client.get(QUEUE, {"region": "IDF", "q": "Centre", "page": "2"}))
    assert len(queue_refs(page)) == 2
    # The page links keep the filters.
    prev = page.select_one(".pagination a[rel=prev]")["href"]
    assert "region=IDF" in prev and "q=Centre" in prev and "page=1" in prev


def test_queue_excludes_imported_records(client_for, analyst, report_a):
    Report.objects.filter(pk=report_a.pk).update(source="veris", source_id="x")
    assert queue_refs(html(client_for(analyst).get(QUEUE, {"state": "all"}))) == []


def test_queue_shows_what_the_former_list_showed(client_for, analyst, varied):
    """Channel, when found, stage and the reporter's signals: the columns analysts relied on."""
    page = html(client_for(analyst).get(QUEUE))
    row = next(tr for tr in page.select("table.queue tbody tr")
               if varied["a1"].reference in tr.get_text())
    badges = [b.get_text(strip=True) for b in row.select(".signals .badge")]
    assert badges == ["Suspected attack", "Support requested", "Ongoing", "Notification"]
    received = row.select_one("td[data-label=Received]")
    assert "Web form" in received.get_text() and len(received.select("time")) == 2
    phone = next(tr for tr in page.select("table.queue tbody tr")
                 if varied["c1"].reference in tr.get_text())
    assert "Phone" in phone.select_one("td[data-label=Received]").get_text()
    assert "Early warning only" in phone.select_one(".signals").get_text()


# --- Weight of the early-warning page ----------------------------------------------------


class _Resources(HTMLParser):
    """Every URL an HTML page makes the browser load."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "link" and a.get("href") and set((a.get("rel") or "").split()) & {
                "stylesheet", "icon", "preload", "modulepreload", "manifest"}:
            self.urls.append(a["href"])
        elif tag in ("script", "img", "iframe", "audio", "video", "source", "embed") \
                and a.get("src"):
            self.urls.append(a["src"])
        if a.get("style"):
            self.urls.extend(re.findall(r"url\(['\"]?([^'\")]+)", a["style"]))


def _css_urls(css: str) -> list[str]:
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    urls += re.findall(r"@import\s+['\"]([^'\"]+)", css)
    return [u for u in urls if not u.startswith("data:")]


@pytest.mark.parametrize("role", ["reporter", "analyst"])
def test_early_warning_page_weighs_under_100_kb(client_for, reporter_a, analyst, role):
    client = client_for(reporter_a if role == "reporter" else analyst)
    page_url = reverse("reports:early_warning")
    response = client.get(page_url)
    assert response.status_code == 200
    total = len(response.content)
    parser = _Resources()
    parser.feed(response.content.decode())
    queue = [urljoin(page_url, u) for u in parser.urls]
    assert queue, "the page loads its style sheet"
    seen: set[str] = set()
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        seen.add(url)
        assert urlsplit(url).netloc in ("", "testserver"), f"third-party resource {url}"
        resource = client.get(url)
        assert resource.status_code == 200, url
        body = b"".join(resource.streaming_content) if resource.streaming else resource.content
        total += len(body)
        if url.endswith(".css"):
            queue.extend(urljoin(url, u) for u in _css_urls(body.decode()))
    print(f"early warning page for {role}: {total} bytes in {len(seen) + 1} files")
    assert total < MAX_PAGE_BYTES, f"{total} bytes"


def test_staff_early_warning_page_stays_light_with_many_establishments(client_for, analyst):
    for i in range(300):
        make_establishment(f"75{i:07d}", f"Établissement synthétique numéro {i}")
    response = client_for(analyst).get(reverse("reports:early_warning"))
    assert len(response.content) < MAX_PAGE_BYTES
