"""A reporter on a phone opens an alert of the CERT (axe-core finds no serious violation); the
analyst then sees the read receipt."""

from __future__ import annotations

import pytest
from alerts_world import build, draft
from conftest import PASSWORD

from vigisante.sharing import services
from vigisante.sharing.models import AlertRead

from .axe import axe_violations
from .conftest import log_in

pytestmark = pytest.mark.e2e


def test_reporter_on_a_phone_opens_an_alert(phone_page, new_page, live_server, analyst):
    world = build(analyst)
    alert = services.save_draft(actor=analyst, draft=draft(world))
    services.send(actor=analyst, alert=alert)
    reporter = world.bystander_reporter
    page = phone_page
    log_in(page, live_server.url, reporter.email, PASSWORD)
    page.goto(f"{live_server.url}/alerts/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    unread = page.locator(".alert-list li.unread a")
    assert unread.count() == 1
    assert axe_violations(page) == []
    unread.first.click()
    page.wait_for_url(f"**/alerts/{alert.pk}/")
    assert page.locator("h1").inner_text() == alert.title
    assert page.locator("code.ioc", has_text="https://facture-sante.example/dossier").count() == 1
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []
    assert AlertRead.objects.filter(alert=alert, user=reporter).exists()
    page.goto(f"{live_server.url}/alerts/")
    assert page.locator(".alert-list li.unread").count() == 0
    # the analyst sees who has read it, per establishment
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=analyst, name="e2e", confirmed=True)
    desk = new_page()
    log_in(desk, live_server.url, analyst.email, PASSWORD, totp_device=device)
    desk.goto(f"{live_server.url}/alerts/{alert.pk}/")
    row = desk.locator("table.receipts tr", has_text=world.bystander.name)
    assert reporter.email in row.inner_text()
    assert axe_violations(desk) == []


def test_the_axe_check_can_fail(new_page):
    page = new_page(phone=True)
    page.set_content("<html><body><input type=text><img src='x.png'></body></html>")
    found = {v["id"] for v in axe_violations(page, impacts=("serious", "critical"))}
    assert {"image-alt", "label"} & found, found


def test_analyst_reviews_incoming_intelligence_on_a_phone(phone_page, live_server, analyst):
    """Upload a STIX bundle, read what it holds, accept two indicators, without JavaScript
    needed; axe finds no serious violation on either page, and nothing overflows."""
    from pathlib import Path

    from django_otp.plugins.otp_totp.models import TOTPDevice

    from vigisante.indicators.models import Indicator

    sample = Path(__file__).resolve().parents[3] / "shared" / "data" / "samples" / "stix21" \
        / "poisonivy.json"
    device = TOTPDevice.objects.create(user=analyst, name="e2e", confirmed=True)
    page = phone_page
    page.set_viewport_size({"width": 320, "height": 800})
    log_in(page, live_server.url, analyst.email, PASSWORD, totp_device=device)
    page.goto(f"{live_server.url}/alerts/intel/")
    assert axe_violations(page) == []
    page.locator("select[name=format]").select_option("stix")
    page.set_input_files("input[type=file]", str(sample))
    page.locator("form.intel-upload button[type=submit]").click()
    page.wait_for_url("**/alerts/intel/*/")
    assert "Poison Ivy" in page.locator("h1").inner_text()
    boxes = page.locator("input[name=candidate]")
    assert boxes.count() > 2
    assert axe_violations(page) == []
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for i in range(2, boxes.count()):
        boxes.nth(i).uncheck()
    page.locator("button.intel-accept").click()
    page.wait_for_url("**/alerts/intel/*/")
    assert page.locator("input[name=candidate]").count() == 0
    assert Indicator.objects.filter(status="confirmed").count() == 2
