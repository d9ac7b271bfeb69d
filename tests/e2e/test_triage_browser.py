"""An analyst logs in with the second factor, qualifies a report from the queue and moves it
through the workflow; a stale tab gets the conflict message; the establishment then sees the
new state, the CERT's message and its regulatory clocks, and answers."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from conftest import PASSWORD
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigisante.reports import services as report_services
from vigisante.triage.models import Case, Message

from .conftest import log_in

pytestmark = pytest.mark.e2e


def _screenshot(page, tmp_path, name: str) -> None:
    folder = os.environ.get("E2E_SCREENSHOT_DIR") or str(tmp_path)
    page.screenshot(path=os.path.join(folder, name), full_page=True)


def _submit(page, selector: str) -> None:
    with page.expect_navigation():
        page.click(selector)


def test_analyst_qualifies_and_moves_a_report_the_establishment_follows(
        new_page, live_server, analyst, reporter_a, early_warning_data, tmp_path):
    early_warning_data["discovered_at"] = timezone.now() - dt.timedelta(hours=3)
    report = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    report_services.save_notification(actor=reporter_a, report_id=report.pk, complete=True,
                                      data={"operations_impact": "degraded",
                                            "degraded_since": timezone.now()
                                            - dt.timedelta(hours=2),
                                            "systems_hit": ["dpi", "email"],
                                            "personal_data": True, "health_data": True})
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)

    # The analyst: real login page, real second-factor page, lands on the queue.
    page = new_page()
    log_in(page, live_server.url, analyst.email, PASSWORD, totp_device=device)
    assert page.url.rstrip("/").endswith("/triage"), page.url
    row = page.locator(f"tr[data-report='{report.pk}']")
    assert row.count() == 1
    _screenshot(page, tmp_path, "triage-queue.png")
    _submit(page, f"tr[data-report='{report.pk}'] a.ref")
    assert page.url.endswith(f"/triage/{report.pk}/")
    assert page.get_attribute("#case-state", "data-state") == "received"
    # Degraded operations: "significant" until the kind says ransomware, then "major".
    assert page.get_attribute("#suggested-severity .badge", "data-severity") == "significant"

    # A second tab opened now will be stale after the qualification.
    stale = page.context.new_page()
    stale.goto(page.url)

    page.select_option("#qualify-origin", "malicious")
    page.select_option("#qualify-kind", "ransomware")
    page.select_option("#qualify-ransomware_extent", "several_servers")
    page.select_option("#qualify-detection_source", "ransom_note")
    page.select_option("#qualify-detection_stage", "after_impact")
    _submit(page, "#qualification form button[type=submit]")
    assert page.get_attribute("#case-state", "data-state") == "qualified"
    assert page.get_attribute("#case-severity", "data-severity") == "major"
    assert page.locator("#history li[data-action='case.qualify']").count() == 1

    # The stale tab tries to reject the case: refused with the conflict message.
    stale.fill("#transition-comment", "Spam")
    _submit(stale, "button[name=to_state][value=rejected]")
    assert "analyst" in stale.text_content("#workflow .error-summary")
    assert Case.objects.get(report=report).state == "qualified"
    stale.close()

    # An invalid move is not even offered; the allowed ones are buttons.
    assert page.locator("button[name=to_state][value=closed]").count() == 0
    _submit(page, "button[name=to_state][value=in_support]")
    assert page.get_attribute("#case-state", "data-state") == "in_support"
    page.select_option("#support-type", "on_site")
    page.fill("#support-started_at", timezone.localtime(
        timezone.now() - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    _submit(page, "#support form button[type=submit]")
    assert page.locator("#support tbody tr").count() == 1
    page.fill("#message-text", "Isolez les serveurs et changez les mots de passe.")
    _submit(page, "#messages form button[type=submit]")
    page.fill("#note-text", "Note interne : contact RSSI")
    _submit(page, "#notes form button[type=submit]")
    _submit(page, "button[name=to_state][value=resolved]")
    assert page.get_attribute("#case-state", "data-state") == "resolved"
    # The history tells every move (the qualification made two: acknowledged, qualified)
    transitions = page.locator("#history li[data-action='case.transition']")
    assert transitions.count() == 2  # in support, resolved
    assert page.locator("#history ol.history > li").count() >= 6
    _screenshot(page, tmp_path, "triage-case.png")

    # The establishment sees the state, the message (never the note) and its clocks.
    mine = new_page(phone=True)
    log_in(mine, live_server.url, reporter_a.email, PASSWORD)
    mine.goto(f"{live_server.url}/reports/{report.pk}/")
    assert mine.get_attribute("[data-case-state]", "data-case-state") == "resolved"
    panel = mine.text_content("#cert-messages")
    assert "Isolez les serveurs" in panel
    assert "Note interne" not in mine.content()
    assert mine.locator("#clocks li.clock").count() >= 1
    _screenshot(mine, tmp_path, "reporter-case-panel.png")
    mine.fill(f"#reply-text-{report.pk}", "C'est fait, merci.")
    _submit(mine, "#cert-messages form button[type=submit]")
    assert "C'est fait, merci." in mine.text_content("#cert-messages")
    assert Message.objects.filter(from_cert=False).count() == 1
