"""Issue 10, "The experience", in a real browser: each item as its user meets it (phone at
320-375 px and desktop, French and English, JavaScript off for the reporter's pages), and axe
on every page of the site, as every role, with zero serious or critical violations.

Screenshots go to $E2E_SCREENSHOT_DIR when set (else the test's tmp folder).
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from conftest import PASSWORD
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from vigisante.reports import services as report_services

from .axe import axe_violations
from .conftest import CHROMIUM_ARGS, TIMEOUT_MS, log_in  # noqa: F401

pytestmark = pytest.mark.e2e

PHONE_320 = {"viewport": {"width": 320, "height": 640}, "device_scale_factor": 2,
             "is_mobile": True, "has_touch": True}
PHONE_375 = {**PHONE_320, "viewport": {"width": 375, "height": 740}}
DESKTOP = {"viewport": {"width": 1366, "height": 768}}


@pytest.fixture
def open_page(browser, live_server):
    """`open_page(size, lang="fr", js=True)`: a fresh browser context per user."""
    contexts = []

    def _open(size: dict, lang: str = "fr", js: bool = True, state=None):
        context = browser.new_context(locale="fr-FR" if lang == "fr" else "en-GB",
                                      timezone_id="Europe/Paris", java_script_enabled=js,
                                      storage_state=state, **size)
        context.set_default_timeout(TIMEOUT_MS)
        context.ux_options = (size, lang)
        contexts.append(context)
        return context.new_page()

    yield _open
    for context in contexts:
        context.close()


def shot(page, tmp_path, name: str) -> None:
    folder = os.environ.get("E2E_SCREENSHOT_DIR") or str(tmp_path)
    page.screenshot(path=os.path.join(folder, name), full_page=True)


def inspect(page, open_page, tmp_path=None, name: str = "") -> dict:
    """Check a page seen without JavaScript: the same URL, session and screen in a twin
    browser with JavaScript (axe and the layout measures run scripts), then axe, the fit
    and a screenshot. Returns the measures."""
    size, lang = page.context.ux_options
    twin = open_page(size, lang, js=True, state=page.context.storage_state())
    twin.goto(page.url)
    measures = {"fits": fits(twin)}
    no_axe(twin)
    if name:
        shot(twin, tmp_path, name)
    twin.context.close()
    return measures


def fits(page) -> bool:
    """No horizontal scrolling of the page, and no element wider than its scroll box."""
    return page.evaluate("""() => {
        if (document.documentElement.scrollWidth > window.innerWidth) return false;
        for (const el of document.querySelectorAll('main *')) {
            const s = getComputedStyle(el);
            if ((s.overflowX === 'auto' || s.overflowX === 'scroll')
                && el.scrollWidth > el.clientWidth + 1) return false;
        }
        return true;
    }""")


def no_axe(page) -> None:
    found = axe_violations(page)
    assert found == [], (page.url, found)


def staff_login(page, live_server, user) -> None:
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="browser",
                                                 defaults={"confirmed": True})
    log_in(page, live_server.url, user.email, PASSWORD, totp_device=device)


def early_warning(reporter, est, **over):
    data = dict(establishment=est, description="Écran de rançon sur le poste de l'accueil, "
                "logiciel de soins inaccessible", discovered_at=timezone.now()
                - dt.timedelta(hours=2), ongoing=True, suspected_malicious="yes",
                patient_care_affected="yes", support_requested=True,
                callback_phone="06 12 34 56 78")
    data.update(over)
    return report_services.create_early_warning(actor=reporter, data=data)


# --- 1 and 2: the GDPR clock may apply; the clocks fit a 320 px phone, without JavaScript ----

@pytest.mark.parametrize(("lang", "label"), [("fr", "Peut s'appliquer"), ("en", "May apply")])
def test_reporter_phone_sees_gdpr_may_apply_and_every_clock_fits(
        open_page, live_server, reporter_b, est_b, lang, label, tmp_path):
    # An EHPAD (no NIS2), ransomware, early warning only: the CNIL clock runs.
    report = early_warning(reporter_b, est_b)
    page = open_page(PHONE_320, lang, js=False)
    log_in(page, live_server.url, reporter_b.email, PASSWORD)
    page.goto(f"{live_server.url}/reports/{report.pk}/")
    gdpr = page.locator("#clocks li.clock[data-regime=gdpr_breach]")
    assert gdpr.get_attribute("data-may-apply") == "1"
    assert gdpr.locator(".clock-state .badge").inner_text().strip() == label
    assert gdpr.locator(".clock-left strong").inner_text().strip()  # time left, visible
    assert gdpr.locator(".clock-due time").is_visible()
    for box in (gdpr.bounding_box(), page.locator("#clocks .clock-left").first.bounding_box()):
        assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    assert inspect(page, open_page, tmp_path, f"ux-1-2-clocks-phone320-{lang}.png")["fits"]
    # Once the notification says no personal data: not applicable, with the reason.
    report_services.save_notification(actor=reporter_b, report_id=report.pk, complete=True,
                                      data={"operations_impact": "none"})
    page.reload()
    assert page.locator("#clocks li.clock[data-regime=gdpr_breach]").count() == 0
    assert page.locator("#clocks details.clocks-na li[data-regime=gdpr_breach]").count() == 1


# --- 7: error pages -----------------------------------------------------------------------

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_error_page_is_styled_translated_with_a_way_back(
        open_page, live_server, reporter_a, reporter_b, est_a, lang, tmp_path):
    report = early_warning(reporter_a, est_a)
    page = open_page(PHONE_375, lang, js=False)
    log_in(page, live_server.url, reporter_b.email, PASSWORD)
    response = page.goto(f"{live_server.url}/reports/{report.pk}/")
    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == lang
    assert page.locator("main h1").inner_text() == (
        "Page introuvable" if lang == "fr" else "Page not found")
    assert page.locator("header.top nav a").count() >= 3
    assert inspect(page, open_page, tmp_path, f"ux-7-404-{lang}.png")["fits"]
    with page.expect_navigation():
        page.click("main a.button")
    assert page.url.endswith("/reports/")


# --- 8: Back then Send, without JavaScript ------------------------------------------------------

def test_back_then_send_again_asks_instead_of_filing_twice(
        open_page, live_server, reporter_a, est_a, tmp_path):
    from vigisante.reports.models import Report

    page = open_page(PHONE_375, "fr", js=False)
    log_in(page, live_server.url, reporter_a.email, PASSWORD)
    page.goto(f"{live_server.url}/reports/new/")
    description = "Rançongiciel : écrans noirs aux urgences"

    def fill_and_send():
        page.fill("#id_description", description)
        for name in ("ongoing_0", "suspected_malicious_0", "patient_care_affected_0",
                     "support_requested_1"):
            page.check(f"#id_{name}")
        with page.expect_navigation():
            page.click("main form button[type=submit]")

    fill_and_send()
    assert "/received/" in page.url and Report.objects.count() == 1
    page.go_back()
    assert page.url.endswith("/reports/new/")
    fill_and_send()  # whatever the browser restored, the same answers again
    assert Report.objects.count() == 1
    assert page.locator("#duplicate").is_visible()
    assert Report.objects.get().reference in page.locator("#duplicate").inner_text()
    inspect(page, open_page, tmp_path, "ux-8-resend-phone-fr.png")


# --- 3, 4, 5, 6: the analyst's queue and case page, desktop and phone, both languages ----------

@pytest.mark.parametrize(("size", "lang"), [(DESKTOP, "fr"), (PHONE_375, "en")])
def test_queue_signal_and_case_facts_first(open_page, live_server, analyst, reporter_a,
                                           reporter_b, est_a, est_b, size, lang, tmp_path):
    ransom = early_warning(reporter_b, est_b)
    test = early_warning(reporter_a, est_a, description="Test double envoi",
                         suspected_malicious="no", patient_care_affected="no",
                         support_requested=False, callback_phone="")
    page = open_page(size, lang)
    staff_login(page, live_server, analyst)
    assert page.url.rstrip("/").endswith("/triage")
    hot = page.locator(f"tr[data-report='{ransom.pk}']")
    cold = page.locator(f"tr[data-report='{test.pk}']")
    assert hot.get_attribute("data-urgent") == "1" and cold.get_attribute("data-urgent") is None
    assert hot.locator(".signals .badge.danger").is_visible()
    assert page.locator("th[aria-sort=descending]").count() == 1
    table_top = page.locator("table.queue").bounding_box()["y"]
    if size is DESKTOP:
        assert table_top < 460, table_top  # the first screen shows reports (was 652 of 768)
    assert fits(page)
    no_axe(page)
    shot(page, tmp_path, f"ux-3-4-queue-{'desktop' if size is DESKTOP else 'phone'}-{lang}.png")
    with page.expect_navigation():
        hot.locator("a.ref").click()
    facts = page.locator("#facts").bounding_box()["y"]
    assert facts < page.locator("#workflow").bounding_box()["y"]
    assert facts < page.locator("#qualification").bounding_box()["y"]
    label = page.locator("label[for=transition-comment]").inner_text()
    assert ("rejeter" in label) if lang == "fr" else ("reject" in label)
    # the page fits; its history is a list of sentences that fits too, no wide table (item 9;
    # tests/e2e/test_timeline_browser.py reads it in both languages). The transmissions
    # table still scrolls in its own area.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert page.locator("#history ol.history > li").count() >= 1
    assert page.locator("#history table, #history .table-wrap").count() == 0
    assert page.evaluate("""() => { const h = document.querySelector('#history');
        return h.scrollWidth <= h.clientWidth; }""")
    no_axe(page)
    shot(page, tmp_path, f"ux-5-6-case-{'desktop' if size is DESKTOP else 'phone'}-{lang}.png")


# --- axe on every page, as every role -----------------------------------------------------------

def _page_routes():
    """Every HTML page route (not the API, the admin, downloads or form targets)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from test_tenancy_walk import iter_routes

    skip_names = {"healthz", "set_language", "accounts:logout", "schema", "api-docs"}
    for route in iter_routes():
        t = route.template
        if route.is_api or t.startswith("/admin/") or route.name in skip_names:
            continue
        if "<path:" in t or "<uidb64>" in t or "<str:token>" in t:
            continue  # files, and one-time links (their pages are covered by their own tests)
        yield route


def _fill(template: str, ids: dict) -> str | None:
    import re

    def one(m):
        name = m.group(2)
        return str(ids[name]) if name in ids else "\0"
    url = re.sub(r"<(?:(\w+):)?(\w+)>", one, template)
    return None if "\0" in url else url


def test_axe_on_every_page_as_every_role(open_page, live_server, analyst, admin_user,
                                         observer, reporter_a, est_a, tmp_path):
    report = early_warning(reporter_a, est_a)
    ids = {"pk": report.pk, "report_id": report.pk, "year": 2024}
    routes = list(_page_routes())
    checked, failures = set(), []
    for user, size in ((reporter_a, PHONE_375), (analyst, DESKTOP), (admin_user, DESKTOP),
                       (observer, DESKTOP), (None, PHONE_375)):
        page = open_page(size, "fr")
        if user is None:
            pass
        elif user.is_cert_staff:
            staff_login(page, live_server, user)
        else:
            log_in(page, live_server.url, user.email, PASSWORD)
        for route in routes:
            url = _fill(route.template, ids)
            if url is None:
                continue
            # Probe first, with the context's cookies: only real pages are opened in the tab.
            # Navigating the tab to an empty 405 makes Chromium commit an error page, which can
            # abort the next navigation: pages were then skipped at random (a flaky test).
            probe = page.context.request.get(live_server.url + url)
            kind = probe.headers.get("content-type", "")
            if probe.status == 405 or "text/html" not in kind:
                continue
            if "/accounts/login/" in probe.url and user is not None:
                continue
            response = page.goto(live_server.url + url)
            assert response is not None and "text/html" in response.headers.get(
                "content-type", ""), (url, response and response.status)
            found = axe_violations(page)
            checked.add(route.template)
            if found:
                failures.append((getattr(user, "email", "anonymous"), url, found))
    assert failures == [], failures
    must = {"/reports/", "/reports/new/", "/reports/<int:pk>/", "/reports/<int:pk>/notification/",
            "/reports/<int:pk>/final/", "/reports/<int:pk>/received/", "/triage/",
            "/triage/<int:report_id>/", "/accounts/login/", "/accounts/profile/",
            "/observatory/", "/alerts/", "/affected/", "/notifications/preferences/"}
    assert must <= checked, must - checked


# --- the queue fits a 1280 px desktop with its longest badges (QA session 6) -------------------

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_queue_fits_a_1280_desktop_with_long_badges(open_page, live_server, analyst,
                                                     reporter_a, reporter_b, est_a, est_b,
                                                     lang, tmp_path):
    # Every signal at once (patients, support, ongoing, early warning only) and a suggested
    # severity: the badges no longer stretch the table past the page (the clocks column was
    # cut off at the right edge of a 1280 px screen: 1347 px of table).
    from vigisante.triage import services as triage_services

    reports = [early_warning(reporter, est, description="Coupure de la fibre, centre de "
                             "réception des appels d'urgence dégradé.")
               for reporter, est in ((reporter_a, est_a), (reporter_b, est_b))]
    case = triage_services.qualify(actor=analyst, report_id=reports[0].pk, origin="undetermined",
                                   kind="supplier_failure")
    triage_services.transition(actor=analyst, report_id=reports[0].pk, to_state="in_support",
                               expected_version=case.version)
    page = open_page({"viewport": {"width": 1280, "height": 800}}, lang)
    staff_login(page, live_server, analyst)
    assert page.locator("table.queue tbody tr").count() == 2
    assert page.locator("table.queue .badge.suggested").count() == 1
    assert fits(page), page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    clocks = page.locator("table.queue thead th").last.bounding_box()
    assert clocks["x"] + clocks["width"] <= 1280
    no_axe(page)
    shot(page, tmp_path, f"qa-queue-1280-{lang}.png")
    # a narrower desktop: the table scrolls in its own area, which takes the keyboard
    page.set_viewport_size({"width": 900, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    area = page.locator("div.table-wrap:has(> table.queue)")
    assert area.get_attribute("tabindex") == "0" and area.get_attribute("role") == "region"
    no_axe(page)


# --- the published observatory's charts on a phone: their scroll area takes the keyboard ------

@pytest.mark.parametrize("lang", ["fr", "en"])
def test_published_observatory_charts_scroll_with_the_keyboard_on_a_phone(
        open_page, live_server, admin_user, run_tasks, lang, tmp_path):
    # On a phone each chart keeps a readable width and scrolls sideways in its figure; a
    # scroll area that cannot take the focus is out of reach without a pointer (axe:
    # scrollable-region-focusable, serious, on the public page of every published year).
    from test_observatory_data import build

    from vigisante.observatory import services as observatory

    build()
    snap = observatory.prepare_publication(actor=admin_user, year=2023, note="",
                                           now=timezone.now())
    run_tasks()
    observatory.publish(actor=admin_user, snapshot_id=snap.pk, now=timezone.now())
    page = open_page(PHONE_375, lang)  # anonymous: the public page
    page.goto(f"{live_server.url}/observatory/published/2023/")
    charts = page.locator("figure.chart")
    assert charts.count() >= 3
    first = charts.first
    assert first.evaluate("f => f.scrollWidth > f.clientWidth")  # it does scroll on a phone
    assert first.get_attribute("tabindex") == "0"
    first.focus()
    page.keyboard.press("ArrowRight")  # the browser scrolls the focused area (smoothly)
    page.wait_for_function("() => document.querySelector('figure.chart').scrollLeft > 0")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    no_axe(page)
    shot(page, tmp_path, f"qa-published-phone-{lang}.png")


# --- no failed request behind any page: the browser's icon (QA session 6) --------------------

def test_pages_load_without_a_failed_request_for_the_icon(open_page, live_server, reporter_a,
                                                          tmp_path):
    # Browsers ask for an icon on every page: without one named by the page, /favicon.ico
    # answered 404 each time (an error in the console, a 404 in the access log per page).
    errors: list[str] = []
    page = open_page(PHONE_375, "fr")
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live_server.url}/accounts/login/")
    log_in(page, live_server.url, reporter_a.email, PASSWORD)
    page.goto(f"{live_server.url}/reports/new/")
    page.wait_for_load_state("networkidle")
    assert errors == []
    icon = page.locator("link[rel=icon]").get_attribute("href")
    response = page.context.request.get(live_server.url + icon)
    assert response.status == 200 and response.headers["content-type"] == "image/svg+xml"
