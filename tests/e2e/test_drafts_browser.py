"""A reporter on a phone, without JavaScript, completes and records the GDPR notification
draft; every drafts page passes axe in both languages, on a phone and a desktop."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import PASSWORD
from django.utils import timezone
from drafts_fixtures import make_partial

from vigisante.clocks.models import Clock
from vigisante.drafts.models import DraftFact, Submission

from .axe import axe_violations
from .conftest import DESKTOP, PHONE, TIMEOUT_MS, log_in

pytestmark = pytest.mark.e2e


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def no_js_phone(browser, live_server):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                  java_script_enabled=False, **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


def test_reporter_on_a_phone_completes_and_records_the_gdpr_notification(
        no_js_phone, live_server, reporter_a, est_a):
    found = timezone.now() - dt.timedelta(hours=3)  # the 72 h run: nothing is late yet
    report = make_partial(est_a, reporter_a, found, found + dt.timedelta(minutes=20))
    page = no_js_phone
    log_in(page, live_server.url, reporter_a.email, PASSWORD)
    page.goto(f"{live_server.url}/reports/{report.pk}/")
    with page.expect_navigation():
        page.click("#drafts a.button")
    assert page.url.endswith(f"/reports/{report.pk}/drafts/")
    card = page.locator("#draft-gdpr_notification")
    assert card.get_attribute("data-status") == "to_draft"
    assert _fits(page)

    # The DPO contact is missing: its link leads to the form, which leads back to the draft.
    with page.expect_navigation():
        card.locator("ul.gaps a[href*='/drafts/dpo/']").click()
    page.fill("#id_dpo_name", "Claire Martin")
    page.fill("#id_dpo_email", "pas-une-adresse")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.is_visible(".error-summary a[href='#id_dpo_email']")
    page.fill("#id_dpo_email", "dpo@ch-a.example")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert page.url.endswith("/drafts/gdpr_notification/"), page.url
    text = page.input_value("#draft-text")
    assert "Claire Martin, dpo@ch-a.example" in text
    assert "[À COMPLÉTER : conséquences probables pour les personnes]" in text
    assert _fits(page)

    # The likely consequences go on the drafts' facts page.
    with page.expect_navigation():
        page.click("ul.gaps a[href*='/drafts/facts/']")
    page.fill("#id_likely_consequences", "Risque d'hameçonnage ciblé des patients.")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "Risque d'hameçonnage ciblé des patients." in page.input_value("#draft-text")
    assert DraftFact.objects.get(report=report, name="likely_consequences")

    # Sent in phases (GDPR art. 33(4)): record it; a date in the future is refused first.
    page.fill("#id_sent_at", "2099-01-01T10:00")
    page.fill("#id_reference", "CNIL-2026-0042")
    with page.expect_navigation():
        page.click("#sent button[type=submit]")
    assert page.is_visible(".error-summary a[href='#id_sent_at']")
    assert not Submission.objects.exists()
    sent = timezone.localtime(report.discovered_at + dt.timedelta(hours=1))
    page.fill("#id_sent_at", sent.strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.click("#sent button[type=submit]")
    assert page.url.endswith(f"/reports/{report.pk}/drafts/?lang=fr"), page.url
    assert page.locator("#draft-gdpr_notification").get_attribute("data-status") == "sent"
    assert Clock.objects.get(report=report, regime="gdpr_breach").state == "done_on_time"
    assert Submission.objects.get().reference == "CNIL-2026-0042"
    page.goto(f"{live_server.url}/reports/{report.pk}/")
    assert page.locator("#timeline", has_text="CNIL-2026-0042").is_visible()


@pytest.mark.parametrize("locale", ["fr-FR", "en-GB"])
def test_every_drafts_page_passes_axe_on_a_phone_and_a_desktop(browser, live_server,
                                                                reporter_a, est_a, locale):
    report = make_partial(est_a, reporter_a)
    base = f"{live_server.url}/reports/{report.pk}/drafts/"
    urls = [base, base + "gdpr_notification/", base + "gdpr_notification/?lang=en",
            base + "facts/", base + "dpo/"]
    for options in (PHONE, DESKTOP):
        context = browser.new_context(locale=locale, timezone_id="Europe/Paris", **options)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        try:
            log_in(page, live_server.url, reporter_a.email, PASSWORD)
            for url in urls:
                page.goto(url)
                assert page.locator("h1").is_visible(), url
                assert axe_violations(page) == [], url
                assert _fits(page), url
        finally:
            context.close()


def test_reporter_on_a_phone_downloads_the_odt_and_records_a_nis2_sending(
        no_js_phone, live_server, reporter_a, est_a):
    """The NIS2 incident notification, sent through ANSSI's portal: the reporter downloads
    the editable draft (ODT), then records the sending, which closes the NIS2 72 h clock."""
    import zipfile

    found = timezone.now() - dt.timedelta(hours=5)
    report = make_partial(est_a, reporter_a, found, found + dt.timedelta(minutes=20))
    assert Clock.objects.get(report=report, regime="nis2_notification").state == "due"
    page = no_js_phone
    log_in(page, live_server.url, reporter_a.email, PASSWORD)
    page.goto(f"{live_server.url}/reports/{report.pk}/drafts/")
    card = page.locator("#draft-nis2_notification")
    assert card.get_attribute("data-status") == "to_draft"
    with page.expect_navigation():
        card.locator("a.button").click()
    assert page.url.endswith("/drafts/nis2_notification/?lang=fr"), page.url
    assert _fits(page)

    link = page.locator(".downloads a[href*='nis2_notification.odt']")
    assert "ODT" in link.inner_text()
    with page.expect_download() as info:
        link.click()
    download = info.value
    assert download.suggested_filename == f"{report.reference}-nis2_notification-fr.odt"
    with zipfile.ZipFile(download.path()) as odt:
        assert odt.namelist()[0] == "mimetype"
        assert odt.read("mimetype") == b"application/vnd.oasis.opendocument.text"
        assert report.reference.encode() in odt.read("content.xml")

    assert page.is_visible("#sent .help")  # "recording the first sending closes the deadline"
    sent = timezone.localtime(timezone.now() - dt.timedelta(minutes=30))
    page.fill("#id_sent_at", sent.strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_reference", "ANSSI-2026-0815")
    with page.expect_navigation():
        page.click("#sent button[type=submit]")
    assert page.url.endswith(f"/reports/{report.pk}/drafts/?lang=fr"), page.url
    assert page.locator("#draft-nis2_notification").get_attribute("data-status") == "sent"
    assert page.locator("#draft-nis2_notification .sent", has_text="ANSSI-2026-0815").is_visible()
    assert _fits(page)
    clock = Clock.objects.get(report=report, regime="nis2_notification")
    assert clock.state == "done_on_time"
    assert Submission.objects.get(kind="nis2_notification").reference == "ANSSI-2026-0815"
    page.goto(f"{live_server.url}/reports/{report.pk}/")
    assert page.locator("#timeline", has_text="ANSSI-2026-0815").is_visible()
    assert page.locator("[data-regime='nis2_notification'][data-state='done_on_time']").count()
