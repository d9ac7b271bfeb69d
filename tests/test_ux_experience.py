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
