"""Issue 10, item 9, in a real browser: a report's timeline as the establishment reads it on a
320 px phone without JavaScript, and as the CERT reads it on a desktop, in French and in
English: sentences, Paris times in <time datetime>, nothing of the CERT's internal work for
the establishment, no word broken, no horizontal scrolling, axe clean.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from conftest import PASSWORD
from django.utils import timezone

from vigisante.core import timeline
from vigisante.core.models import AuditEvent
from vigisante.reports import services as report_services
from vigisante.triage import exchanges
from vigisante.triage import services as triage

from .conftest import log_in
from .test_ux_browser import (
    DESKTOP,
    PHONE_320,
    early_warning,
    fits,
    inspect,
    no_axe,
    shot,
    staff_login,
)
from .test_ux_browser import open_page as open_page  # noqa: F401 - the fixture

pytestmark = pytest.mark.e2e

NOTE = "Piste interne : compte VPN du prestataire compromis"
MESSAGE = "Isolez les serveurs d'imagerie et changez les mots de passe des comptes de service."

#: Words split over two lines: a range over each ordinary word has one box, or it was broken.
BROKEN_WORDS = """() => {
    const broken = [];
    const walker = document.createTreeWalker(document.querySelector('ol.history'),
                                             NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {
        const node = walker.currentNode;
        for (const m of node.textContent.matchAll(/[^\\s\\-\\/—–]+/g)) {
            if (m[0].length < 3 || m[0].length > 24) continue;
            const range = document.createRange();
            range.setStart(node, m.index);
            range.setEnd(node, m.index + m[0].length);
            const lines = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            if (lines.size > 1) broken.push(m[0]);
        }
    }
    return broken;
}"""


def _story(reporter, est, analyst):
    report = early_warning(reporter, est)
    r = report.pk
    triage.qualify(actor=analyst, report_id=r, origin="malicious", kind="ransomware",
                   ransomware_extent="several_servers", detection_source="ransom_note",
                   detection_stage="after_impact", comment="Qualification interne")
    triage.assign(actor=analyst, report_id=r, assignee=analyst.pk)
    exchanges.add_note(actor=analyst, report_id=r, text=NOTE)
    exchanges.send_message(actor=analyst, report_id=r, text=MESSAGE)
    exchanges.reply(actor=reporter, report_id=r, text="C'est fait, merci.")
    report_services.add_update(actor=reporter, report_id=r,
                               text="Sauvegardes hors ligne intactes, restauration en cours.")
    report_services.save_notification(actor=reporter, report_id=r, complete=True, data={
        "systems_hit": ["imaging", "email"], "operations_impact": "degraded",
        "degraded_since": timezone.now() - dt.timedelta(minutes=90),
        "patient_danger": "potential", "patient_danger_narrative": "Retards de lecture",
        "personal_data": True, "health_data": True,
        "measures_taken": "Serveurs isolés du réseau", "perimeter": "Imagerie"})
    return report


def _check_entries(page) -> str:
    """Every entry: a <time datetime> in Paris time whose text shows the same local hour;
    no raw audit code, column name or UTC time in the text. Returns the text."""
    items = page.locator("ol.history > li")
    assert items.count() >= 5
    for i in range(items.count()):
        time = items.nth(i).locator("time").first
        stamp = dt.datetime.fromisoformat(time.get_attribute("datetime"))
        assert stamp.utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2)), stamp
        assert stamp.strftime("%H:%M") in time.inner_text()
    text = page.locator("ol.history").inner_text()
    codes = set(AuditEvent.objects.values_list("action", flat=True)) | set(timeline._KINDS)
    for code in codes:
        assert code not in text, code
    for raw in ("_id", "None", "True", "False", "UTC", "+00:00"):
        assert raw not in text, raw
    assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b|\b(AM|PM)\b", text)
    return text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_reporter_reads_the_timeline_on_a_320px_phone(open_page, live_server, analyst,
                                                      reporter_b, est_b, lang, tmp_path):
    report = _story(reporter_b, est_b, analyst)
    page = open_page(PHONE_320, lang, js=False)
    log_in(page, live_server.url, reporter_b.email, PASSWORD)
    page.goto(f"{live_server.url}/reports/{report.pk}/#timeline")
    text = _check_entries(page)
    assert NOTE not in page.content() and "Qualification interne" not in page.content()
    assert analyst.email not in page.content()
    assert page.locator("ol.history .badge").count() == 0  # nothing "CERT only"
    assert MESSAGE in text
    if lang == "fr":
        assert "Le CERT a passé son dossier à « Qualifié »" in text
        assert "Systèmes touchés : " in text
    else:
        assert "The CERT set its case to “Qualified”" in text
        assert "Systems hit: " in text
    for box in page.locator("ol.history > li").evaluate_all(
            "els => els.map(e => e.getBoundingClientRect().right)"):
        assert box <= 320
    measures = inspect(page, open_page, tmp_path, f"ux-9-timeline-phone320-{lang}.png")
    assert measures["fits"]
    twin = open_page(PHONE_320, lang, js=True, state=page.context.storage_state())
    twin.goto(page.url)
    assert twin.evaluate(BROKEN_WORDS) == []


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_analyst_reads_the_whole_history_on_a_desktop(open_page, live_server, analyst,
                                                      reporter_b, est_b, lang, tmp_path):
    report = _story(reporter_b, est_b, analyst)
    page = open_page(DESKTOP, lang)
    staff_login(page, live_server, analyst)
    page.goto(f"{live_server.url}/triage/{report.pk}/#history")
    history = page.locator("#history")
    assert history.locator("table").count() == 0
    text = _check_entries(page)
    assert NOTE in text and MESSAGE in text
    note = history.locator("li[data-action='case.note']")
    assert note.locator(".badge").inner_text() == ("CERT uniquement" if lang == "fr"
                                                    else "CERT only")
    if lang == "fr":
        assert "a qualifié le dossier" in text and "Rançongiciel" in text
    else:
        assert "qualified the case" in text and "Ransomware" in text
    assert fits(page)
    assert page.evaluate(BROKEN_WORDS) == []
    no_axe(page)
    shot(page, tmp_path, f"ux-9-history-desktop-{lang}.png")
