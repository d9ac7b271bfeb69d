"""The analysts' campaign pages in a real browser: the list, a proposal's page, confirming and
naming it, dismissing (closing) a wrong proposal, then writing and sending an alert from the
campaign, and queueing a rebuild of every link; on a desktop in French and on a phone in
English, axe-core finding no serious or critical violation on any page, nothing wider than the
screen, and no reporting establishment named in the alert the recipients get."""

from __future__ import annotations

import os

import pytest
from conftest import PASSWORD, make_establishment, make_user
from django.utils import timezone
from indicators_helpers import new_report, sight

from vigisante.indicators import campaigns, correlation
from vigisante.indicators.models import (
    Campaign,
    CampaignStatus,
    CorrelationRebuild,
    RebuildState,
)
from vigisante.sharing.models import Alert

from .axe import axe_violations
from .conftest import DESKTOP, PHONE, TIMEOUT_MS, log_in

pytestmark = pytest.mark.e2e


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _proposal(value: str, n: int = 3) -> tuple[Campaign, list]:
    """`n` reports of different establishments sharing a confirmed indicator: a proposal."""
    reports = [new_report() for _ in range(n)]
    for r in reports:
        sight(r, ("domain", value), status="confirmed")
    now = timezone.now()
    campaigns.attach_new_links(correlation.correlate_reports([r.pk for r in reports], now), now)
    return Campaign.objects.get(memberships__report=reports[0]), reports


@pytest.fixture
def staff(analyst):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return analyst, TOTPDevice.objects.create(user=analyst, name="e2e", confirmed=True)


@pytest.fixture
def bystander():
    """An establishment that reported nothing: it receives the alert."""
    est = make_establishment("750000999", "Clinique témoin (synthetic)")
    return make_user("rssi@clinique-temoin.example.org", establishments=[est]), est


def _context(browser, *, locale: str, options: dict):
    context = browser.new_context(locale=locale, timezone_id="Europe/Paris", **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


@pytest.mark.parametrize("locale, options, texts", [
    ("fr-FR", DESKTOP, {"campaigns": "Campagnes", "save": "Enregistrer",
                        "write": "Rédiger une alerte à partir de cette campagne",
                        "rebuild": "Recalculer tous les liens"}),
    ("en-GB", PHONE, {"campaigns": "Campaigns", "save": "Save",
                      "write": "Write an alert from this campaign",
                      "rebuild": "Rebuild every link"}),
], ids=["desktop-fr", "phone-en"])
def test_an_analyst_confirms_a_campaign_dismisses_another_and_alerts_from_it(
        browser, live_server, staff, bystander, locale, options, texts, tmp_path):
    analyst, device = staff
    wave, reports = _proposal("portail-ameli-verif.example")
    wrong, _ = _proposal("cdn-commun.example", n=2)
    context, page = _context(browser, locale=locale, options=options)
    log_in(page, live_server.url, analyst.email, PASSWORD, totp_device=device)
    folder = os.environ.get("E2E_SCREENSHOT_DIR") or str(tmp_path)
    shot = f"campaigns-{locale}"

    # the list: both proposals, with the new-correlations notice
    page.goto(f"{live_server.url}/indicators/campaigns/")
    assert page.locator("h1").inner_text() == texts["campaigns"]
    assert page.locator("table.campaigns tbody tr").count() == 2
    assert page.locator(".new-correlations").count() == 1
    assert axe_violations(page) == [] and _fits(page)
    page.screenshot(path=os.path.join(folder, f"{shot}-list.png"), full_page=True)

    # a proposal's page: its timeline, indicator and why the reports are linked
    page.locator(f"a[href='/indicators/campaigns/{wave.pk}/']").click()
    page.wait_for_url(f"**/indicators/campaigns/{wave.pk}/")
    assert page.locator("code.ioc", has_text="portail-ameli-verif.example").count() >= 1
    for r in reports:
        assert r.reference in page.content()
    assert axe_violations(page) == [] and _fits(page)
    page.screenshot(path=os.path.join(folder, f"{shot}-detail.png"), full_page=True)

    # confirm it, named
    page.fill("#c-name", "Vague d'hameçonnage Ameli (fictif)")
    page.select_option("#c-status", CampaignStatus.CONFIRMED)
    page.get_by_role("button", name=texts["save"], exact=True).click()
    page.wait_for_url(f"**/indicators/campaigns/{wave.pk}/")
    wave.refresh_from_db()
    assert wave.status == CampaignStatus.CONFIRMED and wave.confirmed_by == analyst
    assert page.locator("h1").inner_text().startswith("Vague d'hameçonnage Ameli (fictif)")
    assert axe_violations(page) == []

    # dismiss the wrong proposal: it is closed, and leaves the active list
    page.goto(f"{live_server.url}/indicators/campaigns/{wrong.pk}/")
    page.select_option("#c-status", CampaignStatus.CLOSED)
    page.get_by_role("button", name=texts["save"], exact=True).click()
    page.wait_for_url(f"**/indicators/campaigns/{wrong.pk}/")
    wrong.refresh_from_db()
    assert wrong.status == CampaignStatus.CLOSED

    # an alert from the confirmed campaign: its indicators come prefilled
    page.goto(f"{live_server.url}/indicators/campaigns/{wave.pk}/")
    page.get_by_role("link", name=texts["write"]).click()
    page.wait_for_url("**/alerts/new/**")
    assert "portail-ameli-verif.example" in page.input_value("#id_indicators")
    assert axe_violations(page) == [] and _fits(page)
    page.fill("#id_title", "Faux portail Ameli (fictif)")
    page.fill("#id_situation", "Des courriels imitent l'Assurance Maladie et mènent à un faux "
                             "portail de connexion.")
    page.fill("#id_actions", "Bloquez le domaine et vérifiez vos journaux de proxy.")
    page.check("#id_target_all")
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url("**/preview/")
    assert axe_violations(page) == [] and _fits(page)
    page.locator("button.big").click()
    page.wait_for_url("**/alerts/*/")
    alert = Alert.objects.get()
    assert alert.is_sent and alert.campaign_id == wave.pk
    assert axe_violations(page) == []
    page.screenshot(path=os.path.join(folder, f"{shot}-alert.png"), full_page=True)

    # the correlation page: a rebuild is queued for the worker and its progress shown
    page.goto(f"{live_server.url}/indicators/correlation/")
    assert axe_violations(page) == [] and _fits(page)
    page.get_by_role("button", name=texts["rebuild"]).click()
    page.wait_for_url("**/indicators/correlation/")
    assert page.locator("progress").count() == 1
    assert CorrelationRebuild.objects.get().state == RebuildState.QUEUED
    assert axe_violations(page) == [] and _fits(page)
    context.close()

    # the recipient's page of the alert names no reporting establishment
    reader, _est = bystander
    context, page = _context(browser, locale=locale, options=PHONE)
    log_in(page, live_server.url, reader.email, PASSWORD)
    page.goto(f"{live_server.url}/alerts/{alert.pk}/")
    content = page.content()
    assert "portail-ameli-verif.example" in content
    for r in reports:
        assert r.reference not in content and r.establishment.name not in content
    assert axe_violations(page) == [] and _fits(page)
    context.close()


def test_a_campaigns_indicators_scroll_area_takes_the_keyboard_on_a_phone(
        browser, live_server, staff, tmp_path):
    # A French phone, a campaign with a long URL and a hash: the indicators table is wider
    # than the screen and scrolls in its own area, which must take the focus (axe
    # scrollable-region-focusable, serious, on the demo's phishing wave).
    analyst, device = staff
    reports = [new_report() for _ in range(3)]
    for r in reports:
        sight(r, ("url", "https://portail.paiement-sante.example/facture/consulter.php"),
              ("sha256", "5f0c3a1e9b7d4c2a8e6f1b3d5c7a9e0f2b4d6c8a0e1f3b5d7c9a2e4f6b8d0c1a"),
              ("email", "facturation@paiement-sante.example"), status="confirmed")
    now = timezone.now()
    campaigns.attach_new_links(correlation.correlate_reports([r.pk for r in reports], now), now)
    wave = Campaign.objects.get(memberships__report=reports[0])
    context, page = _context(browser, locale="fr-FR", options=PHONE)
    log_in(page, live_server.url, analyst.email, PASSWORD, totp_device=device)
    page.goto(f"{live_server.url}/indicators/campaigns/{wave.pk}/")
    area = page.locator("section[aria-labelledby=ioc-title] .table-wrap")
    assert area.get_attribute("tabindex") == "0" and area.get_attribute("role") == "region"
    assert area.get_attribute("aria-labelledby") == "ioc-title"
    assert axe_violations(page) == [] and _fits(page)
    page.screenshot(path=os.path.join(os.environ.get("E2E_SCREENSHOT_DIR") or str(tmp_path),
                                      "campaign-iocs-phone-fr.png"), full_page=True)
    context.close()
