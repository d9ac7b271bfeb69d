"""A reporter on a phone files and completes a report; an analyst sees it; no one else can."""

from __future__ import annotations

import datetime as dt
import os
import re

import pytest
from conftest import PASSWORD
from django.utils import timezone

from vigisante.reports import services
from vigisante.reports.models import Report, Stage

from .conftest import log_in

pytestmark = pytest.mark.e2e
REFERENCE = re.compile(r"VS-\d{4}-\d{5}")


def _screenshot(page, tmp_path, name: str) -> None:
    folder = os.environ.get("E2E_SCREENSHOT_DIR") or str(tmp_path)
    page.screenshot(path=os.path.join(folder, name), full_page=True)


def _weight(context, url: str) -> int:
    """Bytes of everything the browser loads for `url` (in a fresh tab: no stray requests)."""
    probe = context.new_page()
    responses = []
    probe.on("response", lambda response: responses.append(response))
    probe.goto(url, wait_until="networkidle")
    weight = sum(len(r.body()) for r in responses if r.ok)
    probe.close()
    return weight


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_reporter_on_a_phone_files_then_completes_the_notification(
        phone_page, live_server, reporter_a, est_a, tmp_path):
    page = phone_page
    log_in(page, live_server.url, reporter_a.email, PASSWORD)
    assert page.url.endswith("/reports/")
    page.click("a.cta-report")
    assert page.url.endswith("/reports/new/")

    assert _weight(page.context, page.url) < 100 * 1024
    assert _fits_the_screen(page)
    # One establishment: no choice to make (issue 10); the page says which one.
    assert page.input_value("#id_establishment") == str(est_a.pk)
    assert not page.is_visible("#id_establishment")
    assert est_a.name in page.inner_text(".for-establishment")
    # Big touch targets for the yes/no answers.
    box = page.locator("label[for=id_ongoing_0]").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44
    _screenshot(page, tmp_path, "early-warning-phone.png")

    # Sent half-filled: the errors are next to the questions and the first one has the focus.
    page.tap("label[for=id_ongoing_0]")
    with page.expect_navigation():
        page.tap("main form button[type=submit]")
    assert page.evaluate("document.activeElement.id") == "id_description"
    assert page.is_visible(".error-summary a[href='#id_description']")
    assert page.is_visible("#id_suspected_malicious_error")
    assert page.is_checked("#id_ongoing_0")
    assert _fits_the_screen(page)
    _screenshot(page, tmp_path, "early-warning-errors-phone.png")
    assert not Report.objects.exists()

    page.fill("#id_description", "Rançongiciel : les postes des urgences affichent une rançon")
    page.tap("label[for=id_suspected_malicious_0]")
    page.tap("label[for=id_patient_care_affected_0]")
    page.tap("label[for=id_support_requested_0]")
    page.fill("#id_callback_phone", "06 12 34 56 78")
    with page.expect_navigation():
        page.tap("main form button[type=submit]")

    reference = page.text_content(".reference-box .reference").strip()
    assert REFERENCE.fullmatch(reference)
    assert page.is_visible(".reference-box .reference")
    assert _fits_the_screen(page)
    _screenshot(page, tmp_path, "acknowledgement-phone.png")
    report = Report.objects.get(reference=reference)
    assert report.support_requested and report.callback_phone == "06 12 34 56 78"

    with page.expect_navigation():
        page.tap(f"a[href='/reports/{report.pk}/notification/']")
    assert _fits_the_screen(page)
    _screenshot(page, tmp_path, "notification-phone.png")
    page.tap("label[for=id_systems_hit_0]")
    page.fill("#id_perimeter", "Urgences et bloc opératoire")
    with page.expect_navigation():
        page.tap("button[name=action][value=draft]")
    assert page.is_visible(".messages")
    assert page.input_value("#id_perimeter") == "Urgences et bloc opératoire"

    page.tap("label[for=id_operations_impact_2]")  # degraded mode
    since = timezone.localtime() - dt.timedelta(hours=1)
    page.fill("#id_degraded_since", since.strftime("%Y-%m-%dT%H:%M"))
    page.tap("label[for=id_patient_danger_1]")  # potential
    page.fill("#id_patient_danger_narrative", "Retards de prise en charge aux urgences")
    page.check("#id_data_availability")
    with page.expect_navigation():
        page.tap("button[name=action][value=submit]")
    assert page.url.endswith(f"/reports/{report.pk}/"), page.url
    assert page.is_visible("#stage-notification dl.facts")
    _screenshot(page, tmp_path, "detail-phone.png")
    page.goto(live_server.url + "/reports/")
    assert page.locator("table.reports a.ref", has_text=reference).is_visible()
    assert _fits_the_screen(page)
    _screenshot(page, tmp_path, "my-reports-phone.png")
    report.refresh_from_db()
    assert report.stage == Stage.NOTIFICATION and report.systems_hit == ["dpi"]
    assert report.operations_impact == "degraded" and report.data_availability


def test_analyst_sees_the_report_in_the_queue_and_opens_it(
        desktop_page, live_server, analyst, reporter_a, early_warning_data, tmp_path):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    report = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    page = desktop_page
    log_in(page, live_server.url, analyst.email, PASSWORD, totp_device=device)
    # Staff land on their one list of reports, the queue; the old address leads there too.
    assert page.url.endswith("/triage/"), page.url
    page.goto(live_server.url + "/reports/incoming/?q=" + report.reference)
    assert page.url.endswith("/triage/?q=" + report.reference), page.url
    link = page.locator("table.queue a.ref", has_text=report.reference)
    assert link.count() == 1
    _screenshot(page, tmp_path, "queue-desktop.png")
    with page.expect_navigation():
        link.click()
    assert page.url.endswith(f"/triage/{report.pk}/")
    assert page.text_content("h1 .ref").strip() == report.reference
    assert page.is_visible("#facts")


def test_reporter_of_another_establishment_gets_404(
        phone_page, live_server, reporter_a, reporter_b, early_warning_data):
    report = services.create_early_warning(actor=reporter_a, data=early_warning_data)
    page = phone_page
    log_in(page, live_server.url, reporter_b.email, PASSWORD)
    for path in (f"/reports/{report.pk}/", f"/reports/{report.pk}/notification/",
                 f"/reports/{report.pk}/received/"):
        response = page.goto(live_server.url + path)
        assert response.status == 404, path
        assert report.reference not in page.content()
    page.goto(live_server.url + "/reports/")
    assert page.locator("table.reports a.ref").count() == 0
