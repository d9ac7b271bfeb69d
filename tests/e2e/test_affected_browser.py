"""A reporter on a phone checks values ("are we affected?"), sees the match and turns it into
a report linked to the campaign, without JavaScript; the pages pass axe-core and fit."""

from __future__ import annotations

import os

import pytest
from conftest import PASSWORD, make_establishment, make_user
from indicator_helpers import make_campaign, make_indicator

from vigisante.indicators.models import CampaignReport
from vigisante.reports import services
from vigisante.reports.models import Report

from .axe import axe_violations
from .conftest import PHONE, TIMEOUT_MS, log_in

pytestmark = pytest.mark.e2e


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


@pytest.fixture
def campaign(early_warning_data):
    est_c = make_establishment("130000033", "Clinique C secrète (synthetic)")
    reporter_c = make_user("reporter.c@example.org", establishments=[est_c])
    report_c = services.create_early_warning(
        actor=reporter_c, data={**early_warning_data, "establishment": est_c})
    evil = make_indicator("domain", "evil-login.example", tlp="green")
    return make_campaign([report_c], [evil]), report_c, est_c


def test_reporter_on_a_phone_checks_values_and_reports_the_match(
        browser, live_server, phone_page, reporter_a, est_a, campaign, tmp_path):
    the_campaign, report_c, est_c = campaign
    # without JavaScript, on a phone, in French
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris",
                                  java_script_enabled=False, **PHONE)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    log_in(page, live_server.url, reporter_a.email, PASSWORD)
    page.get_by_role("link", name="Sommes-nous touchés ?").click()
    assert page.locator("h1").inner_text() == "Sommes-nous touchés ?"
    page.get_by_label("Valeurs ou lignes de journal à vérifier").fill(
        "Nov 30 08:12:01 proxy GET hxxps://www.evil-login[.]example/office365 200\n"
        "notevil-login.example\n")
    page.get_by_role("button", name="Vérifier").click()
    match = page.locator("article.match")
    assert match.count() == 1
    assert match.locator("h3 code").inner_text() == "evil-login.example"
    assert "office365" in match.locator("td.logline").inner_text()
    assert est_c.name not in page.content() and report_c.reference not in page.content()
    folder = os.environ.get("E2E_SCREENSHOT_DIR") or str(tmp_path)
    page.screenshot(path=os.path.join(folder, "affected-phone.png"), full_page=True)
    match.get_by_role("button").click()
    assert "/received/" in page.url, page.url
    report = Report.objects.exclude(pk=report_c.pk).get()
    assert report.establishment == est_a and "evil-login.example" in report.description
    assert CampaignReport.objects.filter(campaign=the_campaign, report=report).exists()
    assert report.reference in page.content()
    context.close()

    # with JavaScript (axe-core): the form and the results, at 390 px, no horizontal scroll
    page = phone_page
    log_in(page, live_server.url, reporter_a.email, PASSWORD)
    page.goto(f"{live_server.url}/affected/")
    assert axe_violations(page) == [] and _fits_the_screen(page)
    page.fill("#id_text", "https://evil-login.example/" + "x" * 300)
    page.click("button.big")
    assert page.locator("article.match").count() == 1
    assert axe_violations(page) == [] and _fits_the_screen(page)
