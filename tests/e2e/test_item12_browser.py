"""Issue 10: the analysts' single list, and item 12's leftovers, in a real browser.

- the establishment search of the staff forms works with JavaScript off (search, pick, send);
- the language switch keeps what was typed (a phone, JavaScript off);
- the former "incoming reports" address leads to the queue with its filters, and the menu has
  one list;
- what last session did for item 12 still holds: a visible focus ring, the confirmation
  message's markup (axe), an accent-insensitive queue search.

axe (tests/e2e/axe.py) runs on each page reached, with zero serious or critical violations.
"""

from __future__ import annotations

import pytest
from conftest import PASSWORD, make_establishment
from django.urls import reverse

from vigisante.reports.models import Report

from .conftest import log_in
from .test_ux_browser import (
    DESKTOP,
    PHONE_320,
    PHONE_375,
    early_warning,
    fits,
    no_axe,
    open_page,
    shot,
    staff_login,
)

pytestmark = pytest.mark.e2e
FIXTURES = (open_page,)  # the browser contexts of test_ux_browser (JavaScript on or off)


def _registry():
    make_establishment("130000041", "EHPAD Les Tilleuls (synthetic)", category="ehpad",
                       sector="medico_social", region="PAC", town="Marseille")
    make_establishment("130000058", "EHPAD Le Chêne (synthetic)", category="ehpad",
                       sector="medico_social", region="PAC", town="Aix-en-Provence")
    return make_establishment("690000030", "Hôpital Édouard Herriot (synthetic)", town="Lyon")


def _search_and_pick(page, live_server, text: str, pick: str, tmp_path, name: str) -> None:
    page.goto(live_server.url + reverse("reports:early_warning"))
    assert page.locator("#id_establishment").count() == 1, page.url
    assert page.locator("#id_establishment").get_attribute("type") == "search"
    assert page.locator("#id_establishment option").count() == 0
    page.fill("#id_description", "Appel : écrans noirs aux urgences")
    page.fill("#id_callback_phone", "04 72 00 00 00")
    page.fill("#id_establishment", text)
    with page.expect_navigation():
        page.click("button[name=establishment_find]")
    # the matches, and everything typed still there
    assert page.locator("#id_description").input_value() == "Appel : écrans noirs aux urgences"
    assert page.locator("#id_callback_phone").input_value() == "04 72 00 00 00"
    assert page.locator("#id_establishment").input_value() == text
    assert page.locator(".errorlist").count() == 0
    page.get_by_label(pick).check()
    if name:
        shot(page, tmp_path, name)


def test_staff_find_an_establishment_without_javascript(open_page, live_server, analyst,
                                                        tmp_path):
    hospital = _registry()
    page = open_page(PHONE_375, "fr", js=False)
    staff_login(page, live_server, analyst)
    _search_and_pick(page, live_server, "herriot", "Hôpital Édouard Herriot (synthetic)",
                     tmp_path, "item12-establishment-search-phone-nojs.png")
    page.check("input[name=ongoing][value=yes]")
    page.check("input[name=suspected_malicious][value=yes]")
    page.check("input[name=patient_care_affected][value=unknown]")
    page.check("input[name=support_requested][value=yes]")
    with page.expect_navigation():
        page.click("main form button.big")
    assert "/received/" in page.url, page.url
    report = Report.objects.get()
    assert report.establishment == hospital and report.channel == "phone"
    # the same search, checked by axe and for a 375 px fit (axe needs JavaScript)
    twin = open_page(PHONE_375, "fr", js=True, state=page.context.storage_state())
    _search_and_pick(twin, live_server, "ehpad", "EHPAD Le Chêne (synthetic)", tmp_path, "")
    assert twin.locator("input[type=radio][name=establishment]").count() == 2
    assert fits(twin)
    no_axe(twin)


def test_send_with_a_search_matching_several_asks_to_choose(open_page, live_server, analyst,
                                                            tmp_path):
    _registry()
    page = open_page(DESKTOP, "en", js=True)
    staff_login(page, live_server, analyst)
    page.goto(live_server.url + reverse("reports:early_warning"))
    page.fill("#id_establishment", "ehpad")
    page.fill("#id_description", "Phishing wave")
    with page.expect_navigation():
        page.click("main form button.big")
    assert "2 establishments match" in page.locator("#id_establishment_error").inner_text()
    assert page.locator("input[type=radio][name=establishment]").count() == 2
    assert Report.objects.count() == 0
    no_axe(page)


@pytest.mark.parametrize("size", [PHONE_320, PHONE_375])
def test_language_switch_keeps_what_was_typed_on_a_phone_without_javascript(
        open_page, live_server, reporter_a, est_a, size, tmp_path):
    page = open_page(size, "fr", js=False)
    log_in(page, live_server.url, reporter_a.email, PASSWORD)
    page.goto(live_server.url + reverse("reports:early_warning"))
    assert page.locator("h1").inner_text().strip() == "Signaler un incident"
    assert page.locator("select#id_establishment").count() == 0  # one establishment: no choice
    page.fill("#id_description", "Écran de rançon à l'accueil, dossier patient inaccessible")
    page.check("input[name=ongoing][value=yes]")
    page.check("input[name=support_requested][value=yes]")
    page.fill("#id_callback_phone", "06 12 34 56 78")
    with page.expect_navigation():
        page.click("header button[name=switch_language]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text().strip() == "Report an incident"
    assert page.locator("#id_description").input_value() == \
        "Écran de rançon à l'accueil, dossier patient inaccessible"
    assert page.locator("#id_callback_phone").input_value() == "06 12 34 56 78"
    assert page.locator("input[name=ongoing][value=yes]").is_checked()
    assert page.locator(".errorlist").count() == 0 and Report.objects.count() == 0
    shot(page, tmp_path, f"item12-language-switch-{size['viewport']['width']}-nojs.png")
    # finish in English and send with Enter in the phone field (the form's default button is
    # its own, not the header's language button): one report, with what was typed in French
    page.check("input[name=suspected_malicious][value=yes]")
    page.check("input[name=patient_care_affected][value=yes]")
    with page.expect_navigation():
        page.press("#id_callback_phone", "Enter")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "/received/" in page.url, page.url
    report = Report.objects.get()
    assert report.description.startswith("Écran de rançon") and report.establishment == est_a
    # later pages stay in English; the switch back is there
    page.goto(live_server.url + reverse("reports:my_reports"))
    assert page.locator("html").get_attribute("lang") == "en"
    # axe on the switched form (the same steps with JavaScript, which axe needs)
    twin = open_page(size, "fr", js=True)
    log_in(twin, live_server.url, reporter_a.email, PASSWORD)
    twin.goto(live_server.url + reverse("reports:early_warning"))
    twin.fill("#id_description", "Texte tapé")
    with twin.expect_navigation():
        twin.click("header button[name=switch_language]")
    assert twin.locator("#id_description").input_value() == "Texte tapé"
    assert fits(twin)
    no_axe(twin)


def test_one_list_for_analysts(open_page, live_server, analyst, reporter_a, reporter_b, est_a,
                               est_b, tmp_path):
    ransom = early_warning(reporter_b, est_b, description="Rançon sur les serveurs")
    other = early_warning(reporter_a, est_a, description="Test", suspected_malicious="no",
                          patient_care_affected="no", support_requested=False,
                          callback_phone="")
    page = open_page(DESKTOP, "fr", js=False)
    staff_login(page, live_server, analyst)
    nav = page.locator("header nav")
    assert nav.locator("a[href='/triage/']").count() == 1
    assert nav.locator("a[href='/reports/incoming/']").count() == 0
    # an old bookmark of the former list, with its filters
    page.goto(live_server.url + "/reports/incoming/?region=ARA&support_requested=yes")
    assert page.url.endswith("/triage/?region=ARA&support_requested=yes"), page.url
    assert page.locator("#id_region").input_value() == "ARA"
    assert page.locator(f"tr[data-report='{ransom.pk}']").count() == 1
    assert page.locator(f"tr[data-report='{other.pk}']").count() == 0
    row = page.locator(f"tr[data-report='{ransom.pk}']")
    assert "Formulaire web" in row.locator("td").nth(2).inner_text()  # channel, as before
    # accent-insensitive search (item 12, done last session)
    page.goto(live_server.url + "/triage/?q=rancon")
    assert page.locator(f"tr[data-report='{ransom.pk}']").count() == 1
    twin = open_page(DESKTOP, "fr", js=True, state=page.context.storage_state())
    twin.goto(live_server.url + "/reports/incoming/?region=ARA")
    no_axe(twin)
    shot(twin, tmp_path, "item12-single-queue-desktop.png")


def test_focus_ring_and_confirmation_message_still_hold(open_page, live_server, reporter_a,
                                                        report_a):
    page = open_page(PHONE_375, "en", js=True)
    log_in(page, live_server.url, reporter_a.email, PASSWORD)
    page.goto(live_server.url + reverse("reports:detail", args=[report_a.pk]))
    page.fill("#id_text", "Sauvegardes restaurées")
    with page.expect_navigation():
        page.click("#timeline form button[type=submit]")
    message = page.locator(".messages p.message")
    assert message.count() == 1 and message.get_attribute("role") == "status"
    no_axe(page)  # the confirmation's markup (item 12)
    page.keyboard.press("Tab")  # the skip link, then the menu: a thick, visible ring
    page.keyboard.press("Tab")
    ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
    assert ring[0] == "solid" and ring[1] >= 2, ring
