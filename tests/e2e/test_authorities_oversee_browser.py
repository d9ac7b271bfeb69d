"""The CERT holds back one authority (the DGS) while the others are informed, on a desktop,
through the case page's form (no JavaScript): the hold and its reason on the transmissions
panel and as a clock of the clocks panel; then the page of late and held transmissions,
reached from the staff menu and filtered; on a phone, the same page and the release of the
hold. axe-core with no serious or critical violation on each page."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import PASSWORD
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigisante.authorities import services
from vigisante.authorities.models import State, Transmission
from vigisante.reports import services as reports

from .axe import axe_violations
from .conftest import log_in

pytestmark = pytest.mark.e2e

REASON = "Enquête judiciaire : attendre l'accord du parquet"


def fits(page) -> bool:
    """No horizontal scroll, and nothing in the page's main part sticks out of the screen."""
    # a phone browser widens its layout (innerWidth) to content that overflows: measure
    # against the screen
    return page.evaluate("(() => { const w = Math.min(window.innerWidth, screen.width);"
                         " return document.documentElement.scrollWidth <= w && "
                         "[...document.querySelectorAll('main *')].every("
                         "e => e.getBoundingClientRect().right <= w + 1); })()")


def test_hold_the_dgs_then_the_page_of_late_and_held(desktop_page, new_page, live_server,
                                                     reporter_a, reporter_b, est_b, analyst,
                                                     admin_user, early_warning_data):
    urgent = reports.create_early_warning(actor=reporter_a, data=early_warning_data)
    late = reports.create_early_warning(actor=reporter_b, data={
        **early_warning_data, "establishment": est_b, "patient_care_affected": "no"})
    Transmission.objects.filter(report=late).update(
        due_at=timezone.now() - dt.timedelta(minutes=20))
    # --- desktop: hold the DGS on the urgent report
    page = desktop_page
    device = TOTPDevice.objects.create(user=analyst, name="e2e", confirmed=True)
    log_in(page, live_server.url, analyst.email, PASSWORD, totp_device=device)
    page.goto(f"{live_server.url}/triage/{urgent.pk}/#transmissions")
    page.select_option("#id_hold_to", "dgs:")
    page.fill("#id_hold_reason", REASON)
    with page.expect_navigation():
        page.locator("#transmissions form.hold-form button[type=submit]").click()
    held = page.locator('#transmissions .hold-active li[data-authority="dgs"]')
    assert REASON in held.inner_text()
    assert page.locator('#transmissions tr.transmission[data-state="held"]').count() == 1
    assert REASON in page.locator(
        '#transmissions tr.transmission[data-authority="dgs"] .held-reason').inner_text()
    clock = page.locator('#clocks li.clock[data-regime="authority_transmission"]')
    assert clock.get_attribute("data-state") == "held"
    assert REASON in clock.locator(".clock-held").inner_text()
    assert "Transmission aux autorités" in clock.locator(".clock-name").inner_text()
    assert axe_violations(page) == []
    assert set(Transmission.objects.filter(report=urgent).values_list("authority", "state")) \
        == {("ars", State.PENDING), ("hfds", State.PENDING), ("dgs", State.HELD)}
    services.deliver(report_id=urgent.pk)  # the worker: the ARS and the HFDS go, the DGS waits
    page.reload()
    assert page.locator('#clocks li.clock[data-regime="authority_transmission"] '
                        'li[data-part="ars:IDF"]').get_attribute("data-state") == "done_on_time"
    # --- the staff menu leads to the late and held transmissions
    with page.expect_navigation():
        page.locator("nav a[href='/authorities/transmissions/']").click()
    assert page.locator("h1").inner_text() == "Transmissions en retard ou retenues"
    refs = page.locator("table.oversee tr.transmission a.ref").all_inner_texts()
    assert sorted(set(refs)) == sorted({urgent.reference, late.reference})
    assert axe_violations(page) == []
    page.select_option("#id_authority", "dgs")
    with page.expect_navigation():
        page.locator("form.queue-filters button[type=submit]").click()
    rows = page.locator("table.oversee tr.transmission")
    assert rows.count() == 1 and REASON in rows.first.inner_text()
    assert "authority=dgs" in page.url
    # --- a phone: the same page, then release the DGS from the case page
    phone = new_page(phone=True)
    device = TOTPDevice.objects.create(user=admin_user, name="e2e", confirmed=True)
    log_in(phone, live_server.url, admin_user.email, PASSWORD, totp_device=device)
    phone.goto(f"{live_server.url}/authorities/transmissions/?state=late")
    rows = phone.locator("table.oversee tr.transmission")
    assert rows.count() == 2
    assert set(rows.locator("a.ref").all_inner_texts()) == {late.reference}
    assert fits(phone)
    assert axe_violations(phone) == []
    with phone.expect_navigation():
        phone.locator(f"a.ref[href='/triage/{late.pk}/#transmissions']").first.click()
    phone.goto(f"{live_server.url}/triage/{urgent.pk}/#transmissions")
    # the case page: no horizontal scroll (its transmissions table scrolls in its own region)
    assert phone.evaluate("document.documentElement.scrollWidth <= screen.width")
    clock = phone.locator('#clocks li.clock[data-regime="authority_transmission"]')
    box = clock.bounding_box()
    assert box and box["x"] + box["width"] <= 390
    form = phone.locator("#transmissions form.release-form")
    form.locator("textarea").fill("Accord du parquet")
    with phone.expect_navigation():
        form.locator("button[type=submit]").click()
    assert phone.locator("#transmissions .hold-active").count() == 0
    assert phone.locator('#clocks li.clock[data-regime="authority_transmission"]') \
        .get_attribute("data-state") == "due"
    assert axe_violations(phone) == []
    assert Transmission.objects.get(report=urgent, authority="dgs").state == State.PENDING
