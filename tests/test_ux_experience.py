"""Issue 10, "The experience": server-side checks (the browser checks are in
tests/e2e/test_ux_browser.py). HTML assertions use CSS selectors."""

from __future__ import annotations

import pytest
from conftest import html
from django.test import RequestFactory
from django.urls import reverse

from vigisante.core import errors

# --- 7. error pages: styled, translated, with the menu ---------------------------------------

@pytest.mark.french
def test_404_is_the_sites_page_in_french_with_navigation(report_a, reporter_b, client_for):
    response = client_for(reporter_b).get(reverse("reports:detail", args=[report_a.pk]))
    assert response.status_code == 404
    page = html(response)
    assert page.html["lang"] == "fr"
    assert page.select_one("main h1").get_text(strip=True) == "Page introuvable"
    assert page.select_one("header.top nav a[href='/reports/']")  # the reporter's menu
    assert page.select_one("main a.button[href='/']")
    assert page.select_one("link[rel=stylesheet]")


def test_404_in_english_for_an_unknown_address(client):
    page = html(client.get("/no/such/page/", HTTP_ACCEPT_LANGUAGE="en"))
    assert page.html["lang"] == "en"
    assert page.select_one("main h1").get_text(strip=True) == "Page not found"


def test_api_errors_stay_json(client):
    response = client.get("/api/v1/no-such-route/")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}


@pytest.mark.french
def test_500_page_is_styled_and_translated(rf: RequestFactory, reporter_a):
    request = rf.get("/reports/")
    request.user = reporter_a
    request.LANGUAGE_CODE = "fr"
    response = errors.server_error(request)
    assert response.status_code == 500
    page = html(response)
    assert page.select_one("main h1").get_text(strip=True) == "Une erreur est survenue"
    assert page.select_one("header.top a.brand") and page.select_one("main a.button")


def test_500_page_falls_back_without_context(rf: RequestFactory):
    request = rf.get("/reports/")  # no user, no session: the page still renders
    response = errors.server_error(request)
    assert response.status_code == 500 and b"<h1" in response.content


def test_403_page(rf: RequestFactory, reporter_a):
    request = rf.get("/reports/")
    request.user = reporter_a
    response = errors.permission_denied(request)
    assert response.status_code == 403
    assert html(response).select_one("main h1").get_text(strip=True) == "Access refused"


@pytest.mark.french
def test_expired_form_token_says_what_to_do(reporter_a):
    from conftest import login
    from django.test import Client

    c = Client(enforce_csrf_checks=True)
    login(c, reporter_a)
    response = c.post(reverse("reports:early_warning"), {"description": "x"})
    assert response.status_code == 403
    assert html(response).select_one("main h1").get_text(strip=True) == "Le formulaire a expiré"


# --- 12. confirmation messages: valid markup (axe listitem / aria-allowed-role) --------------

def test_messages_are_paragraphs_with_a_live_role(report_a, reporter_a, analyst, client_for):
    c = client_for(reporter_a)
    page = html(c.post(reverse("reports:add_update", args=[report_a.pk]),
                       {"text": "Servers restored."}, follow=True))
    assert [(p["role"], "success" in p["class"]) for p in page.select(".messages p.message")
            ] == [("status", True)]
    assert not page.select("ul.messages")
    page = html(client_for(analyst).post(reverse("triage:queue"), {"report_ids": ["x"]},
                                         follow=True))
    assert {p["role"] for p in page.select(".messages p.message.error")} == {"alert"}


# --- 3 and 4: the queue ----------------------------------------------------------------------

@pytest.fixture
def queue_world(reporter_a, reporter_b, est_a, est_b, analyst, early_warning_data):
    from django.utils import timezone

    from vigisante.reports import services as report_services
    from vigisante.triage import services

    # a ransomware with patient care affected, and a test, both just received
    ransom = report_services.create_early_warning(actor=reporter_b, data={
        **early_warning_data, "establishment": est_b,
        "description": "Écran de RANÇON sur le poste de l'accueil, logiciel de soins "
                       "inaccessible depuis ce matin " + "x" * 200})
    test = report_services.create_early_warning(actor=reporter_a, data=dict(
        establishment=est_a, description="Test double envoi", discovered_at=timezone.now(),
        ongoing=False, suspected_malicious="no", patient_care_affected="no",
        support_requested=False))
    closed = report_services.create_early_warning(actor=reporter_a, data=dict(
        establishment=est_a, description="Old phishing", discovered_at=timezone.now(),
        ongoing=False, suspected_malicious="yes", patient_care_affected="no",
        support_requested=False))
    services.transition(actor=analyst, report_id=closed.pk, to_state="rejected",
                        comment="spam")
    return ransom, test, closed


def _rows(page):
    return {int(tr["data-report"]): tr for tr in page.select("table.queue tbody tr[data-report]")}


def test_queue_shows_a_triage_signal_before_qualification(client_for, analyst, queue_world):
    ransom, test, _closed = queue_world
    rows = _rows(html(client_for(analyst).get(reverse("triage:queue"))))
    hot, cold = rows[ransom.pk], rows[test.pk]
    assert hot.get("data-urgent") == "1" and "urgent" in hot["class"]
    assert cold.get("data-urgent") is None
    assert hot.select_one(".badge.suggested")["data-suggested"] in ("significant", "major")
    assert cold.select_one(".badge.suggested")["data-suggested"] == "minor"
    signals = [b.get_text(strip=True) for b in hot.select(".signals .badge")]
    assert "Patient care affected" in signals and "Support requested" in signals
    assert not cold.select(".signals .badge.danger")
    summary = hot.select_one(".summary-text").get_text()
    assert summary.startswith("Écran de RANÇON") and summary.endswith("…") and len(summary) < 160


def test_queue_opens_on_what_needs_action_with_sort_state(client_for, analyst, queue_world):
    ransom, test, closed = queue_world
    c = client_for(analyst)
    page = html(c.get(reverse("triage:queue")))
    assert set(_rows(page)) == {ransom.pk, test.pk}  # the rejected one is done with
    assert page.select_one("#queue-count").get_text(strip=True) == "2 reports need action"
    received = page.select_one("th[aria-sort]")
    assert received["aria-sort"] == "descending" and "▼" in received.get_text()
    assert len(page.select("th[aria-sort]")) == 1
    # the less used filters are folded; the main ones are four
    assert page.select_one("form.queue-filters details.more-filters:not([open])")
    assert len(page.select("form.queue-filters > .filter-row > .field")) == 4
    every = html(c.get(reverse("triage:queue"), {"state": "all", "sort": "reference"}))
    assert set(_rows(every)) == {ransom.pk, test.pk, closed.pk}
    th = every.select_one("th[aria-sort]")
    assert th["aria-sort"] == "ascending" and "Reference" in th.get_text()
    assert "sort=-reference" in th.select_one("a")["href"]
    # a filter of the report list, shared: support requested
    helped = html(c.get(reverse("triage:queue"), {"support_requested": "yes"}))
    assert set(_rows(helped)) == {ransom.pk}
    assert helped.select_one("details.more-filters[open]")


@pytest.mark.parametrize("text", ["rancon", "RANÇON", "rançon", "ecran de rancon"])
def test_queue_search_ignores_accents_and_case(client_for, analyst, queue_world, text):
    ransom, _test, _closed = queue_world
    page = html(client_for(analyst).get(reverse("triage:queue"), {"q": text}))
    assert set(_rows(page)) == {ransom.pk}


def test_queue_search_treats_regex_characters_as_text(client_for, analyst, queue_world):
    response = client_for(analyst).get(reverse("triage:queue"), {"q": "(.*[ \\"})
    assert response.status_code == 200 and not _rows(html(response))


def test_overdue_filter_finds_reports_with_a_passed_deadline(client_for, analyst, queue_world):
    import datetime as dt

    from django.utils import timezone

    from vigisante.clocks.models import Clock
    ransom, test, _closed = queue_world
    Clock.objects.filter(report=ransom, state="due").exclude(due_at=None).update(
        due_at=timezone.now() - dt.timedelta(hours=1))
    page = html(client_for(analyst).get(reverse("triage:queue"), {"overdue": "on"}))
    assert set(_rows(page)) == {ransom.pk}


# --- 6: the labels say the hidden rules --------------------------------------------------------

def test_conditional_fields_say_when_they_are_required(report_a, reporter_a, analyst,
                                                       client_for):
    page = html(client_for(reporter_a).get(reverse("reports:early_warning")))
    label = page.select_one("label[for=id_callback_phone]").get_text(" ", strip=True)
    assert "required if you want help" in label and "optional" not in label
    page = html(client_for(reporter_a).get(reverse("reports:notification", args=[report_a.pk])))
    label = page.select_one("label[for=id_degraded_since]").get_text(" ", strip=True)
    assert "required for degraded mode" in label and "optional" not in label
    page = html(client_for(analyst).get(reverse("triage:case", args=[report_a.pk])))
    label = page.select_one("label[for=transition-comment]").get_text(" ", strip=True)
    assert "required to reject or reopen" in label and "optional" not in label


# --- 5: facts first -------------------------------------------------------------------------

def test_case_page_puts_the_facts_before_the_forms(report_a, analyst, client_for):
    page = html(client_for(analyst).get(reverse("triage:case", args=[report_a.pk])))
    order = [s.get("id") for s in page.select("main section[id]")]
    assert order.index("facts") < order.index("clocks") < order.index("workflow")
    assert order.index("facts") < order.index("qualification")


# --- 8: Back then Send again files nothing twice -----------------------------------------------

def _early_warning_post(est, submission, **extra):
    import uuid

    from django.utils import timezone
    return {"establishment": est.pk, "description": "Rançon  sur l'accueil",
            "discovered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "ongoing": "yes", "suspected_malicious": "yes", "patient_care_affected": "yes",
            "support_requested": "no", "callback_phone": "",
            "submission": submission or str(uuid.uuid4()), **extra}


def test_back_then_send_again_does_not_file_a_duplicate(reporter_a, est_a, client_for):
    from vigisante.reports.models import Report

    c = client_for(reporter_a)
    url = reverse("reports:early_warning")
    first = c.post(url, _early_warning_post(est_a, ""))
    assert first.status_code == 302 and Report.objects.count() == 1
    report = Report.objects.get()
    # "Back" re-fetches the never-cached form: a new submission id, the same answers
    again = c.post(url, _early_warning_post(est_a, "", description="Rançon sur l'accueil"))
    assert again.status_code == 409 and Report.objects.count() == 1
    page = html(again)
    assert page.select_one("#duplicate[role=alert]")
    assert page.select_one(f"#duplicate a[href='/reports/{report.pk}/']")
    assert page.select_one("input[name=confirm_new][value='1']")
    assert page.select_one("#id_description").get_text().strip() == "Rançon sur l'accueil"  # kept
    # the reporter says it is another incident: filed
    confirmed = c.post(url, _early_warning_post(est_a, "", confirm_new="1"))
    assert confirmed.status_code == 302 and Report.objects.count() == 2
    # another description is another report, without asking
    other = c.post(url, _early_warning_post(est_a, "", description="Messagerie en panne"))
    assert other.status_code == 302 and Report.objects.count() == 3
