"""An ARS duty officer on a phone: second factor, the dashboard of the region (care-affecting
incident first), a report's summary (nothing secret on it), axe-core with no serious or
critical violation; then the analyst sees the reading on the case page and holds the next
transmissions back, with a reason, through the form (no JavaScript needed)."""

from __future__ import annotations

import pytest
from authorities_world import make_authority
from conftest import PASSWORD
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigisante.authorities import services
from vigisante.authorities.models import State, Transmission
from vigisante.reports import services as reports

from .axe import axe_violations
from .conftest import log_in

pytestmark = pytest.mark.e2e

SECRET = "Zq7Secret the attackers wrote to the director"


def test_an_ars_user_on_a_phone(phone_page, new_page, live_server, reporter_a, analyst,
                                early_warning_data):
    quiet = reports.create_early_warning(actor=reporter_a, data={
        **early_warning_data, "patient_care_affected": "no"})
    urgent = reports.create_early_warning(actor=reporter_a, data={
        **early_warning_data, "description": SECRET})
    ars = make_authority("ars.idf@example.org", "ars", "IDF")
    services.deliver()
    device = TOTPDevice.objects.create(user=ars, name="phone", confirmed=True)
    page = phone_page
    log_in(page, live_server.url, ars.email, PASSWORD, totp_device=device)
    assert page.url.rstrip("/").endswith("/authorities")
    assert page.locator("h1").inner_text() == "Incidents de mon périmètre"
    listed = page.locator(".open-incidents a").all_inner_texts()
    assert listed == [urgent.reference, quiet.reference]
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []
    page.locator(".open-incidents a").first.click()
    page.wait_for_url(f"**/authorities/reports/{urgent.pk}/")
    text = page.locator("main").inner_text()
    assert urgent.reference in text and reporter_a.email not in text and SECRET not in text
    assert "Île-de-France" in text
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []
    read = Transmission.objects.get(report=urgent, authority="ars")
    assert read.read_by == ars
    # the analyst: who read it, and a hold through the plain form
    staff = TOTPDevice.objects.create(user=analyst, name="e2e", confirmed=True)
    desk = new_page()
    log_in(desk, live_server.url, analyst.email, PASSWORD, totp_device=staff)
    desk.goto(f"{live_server.url}/triage/{urgent.pk}/")
    row = desk.locator("#transmissions tr.transmission[data-authority=ars]")
    assert ars.email in row.inner_text()
    desk.fill("#id_hold_reason", "Enquête judiciaire en cours")
    with desk.expect_navigation():
        desk.locator("#transmissions form button[type=submit]").first.click()
    assert "Enquête judiciaire en cours" in desk.locator("#transmissions .hold-active") \
        .inner_text()
    assert axe_violations(desk) == []
    reports.save_notification(actor=reporter_a, report_id=urgent.pk, data={
        "operations_impact": "stopped"})
    assert set(Transmission.objects.filter(report=urgent, trigger="impact_changed")
               .values_list("state", flat=True)) == {State.HELD}
