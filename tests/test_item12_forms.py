"""Issue 10, item 12 leftovers, server side: the establishment search that replaces the lists
of every establishment, the language switch that keeps what was typed, and "closed" meaning
one thing to a reporter. The browser side (JavaScript off, phone, axe) is in
tests/e2e/test_item12_browser.py."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from conftest import html, make_establishment, make_user
from django.urls import reverse
from django.utils import timezone

from vigisante.accounts.models import Invitation
from vigisante.establishments import search
from vigisante.establishments.forms import SEARCH_ABOVE
from vigisante.establishments.models import Establishment
from vigisante.reports import services
from vigisante.reports.models import Report

pytestmark = pytest.mark.django_db
NEW = reverse("reports:early_warning")


@pytest.fixture
def registry(est_a, est_b):
    """A few establishments whose names share words, with accents and towns."""
    return {
        "tilleuls": make_establishment("130000041", "EHPAD Les Tilleuls (synthetic)",
                                       category="ehpad", sector="medico_social",
                                       region="PAC", town="Marseille"),
        "chene": make_establishment("130000058", "EHPAD Le Chêne (synthetic)",
                                    category="ehpad", sector="medico_social", region="PAC",
                                    town="Aix-en-Provence"),
        "hopital": make_establishment("690000030", "Hôpital Édouard Herriot (synthetic)",
                                      town="Lyon"),
        "a": est_a, "b": est_b,
    }


def typed(**extra) -> dict:
    data = {
        "channel": "phone",
        "description": "Écrans noirs aux urgences, message de rançon",
        "discovered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        "ongoing": "yes", "suspected_malicious": "yes", "patient_care_affected": "unknown",
        "support_requested": "yes", "callback_phone": "+33 6 12 34 56 78",
        "submission": str(uuid.uuid4()),
    }
    data.update(extra)
    return data


# --- the search itself ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("hopital edouard", ["hopital"]),          # accents and case ignored
    ("HÔPITAL", ["hopital"]),
    ("lyon", ["hopital"]),                     # the town
    ("ehpad", ["b", "chene", "tilleuls"]),     # by name
    ("ehpad marseille", ["tilleuls"]),         # every word, in the name or the town
    ("chene", ["chene"]),
    ("69 000 0030", ["hopital"]),              # a FINESS number, typed with spaces
    ("1300000", ["chene", "tilleuls"]),        # the start of a FINESS number
    ("(synthetic", ["a", "b", "chene", "tilleuls", "hopital"]),  # no regex syntax
    ("nothing like it", []),
    ("   ", []),
])
def test_search_by_name_town_or_finess(registry, text, expected):
    found, more = search.search(Establishment.objects.all(), text, 10)
    assert sorted(e.pk for e in found) == sorted(registry[k].pk for k in expected)
    assert more is False


def test_search_says_when_there_are_more(registry):
    found, more = search.search(Establishment.objects.all(), "synthetic", 2)
    assert len(found) == 2 and more is True


# --- report on behalf (CERT staff): a search, not an 800-option list -------------------------

def test_staff_search_shows_matches_and_keeps_what_was_typed(client_for, analyst, registry):
    client = client_for(analyst)
    response = client.post(NEW, typed(establishment_q="ehpad", establishment_find="1"))
    assert response.status_code == 200
    page = html(response)
    assert not page.select(".errorlist") and Report.objects.count() == 0
    radios = page.select("input[type=radio][name=establishment]")
    assert sorted(int(r["value"]) for r in radios) == sorted(
        registry[k].pk for k in ("b", "chene", "tilleuls"))
    # the matches are a group with its legend; the box keeps its label and its text
    assert radios[0].find_parent("fieldset").legend.get_text(strip=True)
    box = page.select_one("input[type=search]#id_establishment")
    assert box["value"] == "ehpad" and page.select_one("label[for=id_establishment]")
    assert box.has_attr("autofocus")
    # everything else typed is still there
    assert page.select_one("#id_description").get_text().strip() == typed()["description"]
    assert page.select_one("#id_callback_phone")["value"] == "+33 6 12 34 56 78"
    assert page.select_one("input[name=channel][value=phone]").has_attr("checked")
    # pick one and send
    response = client.post(NEW, typed(establishment_q="ehpad",
                                      establishment=str(registry["chene"].pk)))
    assert response.status_code == 302
    assert Report.objects.get().establishment == registry["chene"]


def test_staff_send_with_a_search_matching_one_establishment(client_for, analyst, registry):
    response = client_for(analyst).post(NEW, typed(establishment_q="herriot lyon"))
    assert response.status_code == 302
    assert Report.objects.get().establishment == registry["hopital"]


@pytest.mark.parametrize(("q", "message"), [
    ("ehpad", "3 establishments match"),
    ("zzz", "No establishment matches"),
    ("", "Type part of the establishment"),
])
def test_staff_send_without_a_single_match_asks(client_for, analyst, registry, q, message):
    client = client_for(analyst)
    client.cookies["django_language"] = "en"
    response = client.post(NEW, typed(establishment_q=q))
    assert response.status_code == 400  # refused: the page asks which one
    page = html(response)
    assert message in page.select_one("#id_establishment_error").get_text()
    assert Report.objects.count() == 0
    if q == "ehpad":  # the matches to choose from are right there
        assert len(page.select("input[type=radio][name=establishment]")) == 3


@pytest.mark.parametrize("value", ["abc", "-1", "999999999", "1 OR 1=1", "9" * 40])
def test_staff_send_with_a_forged_choice_is_refused(client_for, analyst, registry, value):
    response = client_for(analyst).post(NEW, typed(establishment=value))
    assert response.status_code == 400
    assert html(response).select_one("#id_establishment_error li")
    assert Report.objects.count() == 0


def test_reporter_choices(client_for, est_a, est_b, registry):
    # one establishment: no choice at all (hidden; the page names it)
    one = make_user("one@example.org", establishments=[est_a])
    page = html(client_for(one).get(NEW))
    assert not page.select("select, input[type=search], input[type=radio][name=establishment]")
    assert est_a.name in page.select_one(".for-establishment").get_text()
    # a few: a short list of their own
    two = make_user("two@example.org", establishments=[est_a, est_b])
    assert len(html(client_for(two).get(NEW)).select("#id_establishment option")) == 3
    # a group with many: the search, within their own establishments only
    many = [make_establishment(f"13{i:07d}", f"Résidence {i} (synthetic)", category="ehpad",
                               sector="medico_social", region="PAC")
            for i in range(100, 101 + SEARCH_ABOVE)]
    group = make_user("group@example.org", establishments=many)
    client = client_for(group)
    page = html(client.get(NEW))
    assert page.select_one("input[type=search]#id_establishment")
    page = html(client.post(NEW, typed(channel="", establishment_q="synthetic",
                                       establishment_find="1")))
    shown = {int(r["value"]) for r in page.select("input[name=establishment]")}
    assert shown and shown <= {e.pk for e in many}
    # another establishment's id is refused
    response = client.post(NEW, typed(channel="", establishment=str(est_a.pk)))
    assert html(response).select_one("#id_establishment_error")
    assert Report.objects.count() == 0


def test_single_establishment_reporter_sends_without_choosing(client_for, reporter_a, est_a):
    data = typed()
    data.pop("channel")
    response = client_for(reporter_a).post(NEW, data)
    assert response.status_code == 302
    assert Report.objects.get().establishment == est_a


# --- invitations (several establishments) and "Are we affected?" (CERT staff) -----------------

def test_invitation_search_ticks_several(client_for, analyst, registry):
    client = client_for(analyst)
    url = reverse("accounts:invite")
    page = html(client.post(url, {"email": "new@example.org", "establishments_q": "ehpad",
                                  "establishments_find": "1"}))
    boxes = page.select("input[type=checkbox][name=establishments]")
    assert len(boxes) == 3 and not page.select(".errorlist")
    assert page.select_one("#id_email")["value"] == "new@example.org"
    # tick one, search for another: the ticked one stays ticked
    page = html(client.post(url, {"email": "new@example.org", "establishments_q": "lyon",
                                  "establishments": [registry["chene"].pk],
                                  "establishments_find": "1"}))
    ticked = [int(b["value"]) for b in page.select("input[name=establishments][checked]")]
    assert ticked == [registry["chene"].pk]
    assert registry["hopital"].pk in [int(b["value"]) for b in page.select(
        "input[name=establishments]")]
    response = client.post(url, {"email": "new@example.org", "establishments_q": "lyon",
                                 "establishments": [registry["chene"].pk,
                                                    registry["hopital"].pk]})
    assert response.status_code == 302
    assert set(Invitation.objects.get().establishments.all()) == {registry["chene"],
                                                                  registry["hopital"]}


def test_affected_check_staff_search(client_for, analyst, registry):
    from vigisante.establishments import forms as est_forms

    client = client_for(analyst)
    url = reverse("affected:check")
    for i in range(est_forms.SEARCH_ABOVE):  # a registry too large for a list
        make_establishment(f"76{i:07d}", f"Clinique {i} (synthetic)")
    page = html(client.get(url))
    assert page.select_one("input[type=search]#id_establishment")
    assert not page.select("#id_establishment option")
    response = client.post(url, {"establishment_q": "tilleuls", "establishment_find": "1",
                                 "text": "evil.example"})
    page = html(response)
    assert response.status_code == 200 and not page.select(".errorlist")
    assert page.select_one("#id_text").get_text().strip() == "evil.example"


# --- the language switch keeps what was typed ---------------------------------------------------

def test_base_language_button_sends_the_form_on_form_pages(client_for, reporter_a, report_a):
    client = client_for(reporter_a)
    page = html(client.get(NEW))
    button = page.select_one("header button[name=switch_language]")
    assert button["value"] == "fr" and button["form"] == "early-warning-form"  # (tests: English)
    assert page.select_one("form#early-warning-form")
    # Enter in a field: the form's default button (the first one in the page) sends it
    first = page.select("[form=early-warning-form], #early-warning-form [type=submit]")[0]
    assert first.name == "input" and first.has_attr("hidden") and not first.get("name")
    page = html(client.get(reverse("reports:notification", args=[report_a.pk])))
    assert page.select_one("header button[name=switch_language]")["form"] == "stage-form"
    assert page.select_one("form#stage-form")
    first = page.select("[form=stage-form], #stage-form [type=submit]")[0]
    assert (first["name"], first["value"]) == ("action", "draft")  # as before: a draft
    # other pages keep Django's set_language form
    page = html(client.get(reverse("reports:my_reports")))
    assert page.select_one("header form[action='/i18n/setlang/'] button[name=language]")
    assert not page.select("[name=switch_language]")


def test_switching_language_on_the_early_warning_keeps_the_answers(client_for, reporter_a):
    client = client_for(reporter_a)
    data = typed(switch_language="en", description="Écran de rançon à l'accueil",
                 callback_phone="", support_requested="")
    data.pop("channel")
    response = client.post(NEW, data)
    assert response.status_code == 200
    page = html(response)
    assert page.html["lang"] == "en" and response.cookies["django_language"].value == "en"
    assert "Report an incident" in page.select_one("h1").get_text()
    assert page.select_one("#id_description").get_text().strip() == "Écran de rançon à l'accueil"
    assert page.select_one("input[name=ongoing][value=yes]").has_attr("checked")
    assert page.select_one("input[name=submission]")["value"] == data["submission"]
    assert not page.select(".errorlist"), "an unfinished form is not judged on a switch"
    assert Report.objects.count() == 0
    # and back to French; the next page stays in the chosen language
    back = client.post(NEW, {**data, "switch_language": "fr"})
    assert html(back).html["lang"] == "fr"
    assert html(client.get(reverse("reports:my_reports"))).html["lang"] == "fr"


def test_an_unknown_language_is_an_ordinary_send(client_for, reporter_a):
    data = typed(switch_language="xx")
    data.pop("channel")
    assert client_for(reporter_a).post(NEW, data).status_code == 302


def test_switching_language_on_the_notification_saves_nothing(client_for, reporter_a, report_a):
    url = reverse("reports:notification", args=[report_a.pk])
    response = client_for(reporter_a).post(url, {
        "version": report_a.version, "perimeter": "Deux sites, 40 postes",
        "action": "submit", "switch_language": "en"})
    assert response.status_code == 200
    page = html(response)
    assert page.html["lang"] == "en"
    assert page.select_one("#id_perimeter").get_text().strip() == "Deux sites, 40 postes"
    report = Report.objects.get(pk=report_a.pk)
    assert report.version == report_a.version and report.perimeter == ""


# --- "closed" means one thing to a reporter ----------------------------------------------------

def test_final_report_says_complete_and_the_case_says_closed(client_for, reporter_a, report_a):
    services.save_notification(actor=reporter_a, report_id=report_a.pk, complete=True,
                               data={"operations_impact": "none"})
    client = client_for(reporter_a)
    client.cookies["django_language"] = "en"
    url = reverse("reports:final", args=[report_a.pk])
    report_a.refresh_from_db()
    response = client.post(url, {
        "version": report_a.version, "root_cause": "Un mot de passe faible",
        "resolved_at": (timezone.localtime() - dt.timedelta(minutes=5)).strftime(
            "%Y-%m-%dT%H:%M"), "action": "submit"}, follow=True)
    message = html(response).select_one(".messages").get_text()
    assert "complete" in message and "report is closed" not in message
    from vigisante.triage.models import Case

    Case.objects.filter(report=report_a).update(state="closed")  # the CERT closed its case
    page = html(client.get(reverse("reports:detail", args=[report_a.pk])))
    panel = page.select_one("#cert-messages").get_text(" ", strip=True)
    assert "The CERT's case: Closed by the CERT" in panel
    client.cookies["django_language"] = "fr"
    page = html(client.get(reverse("reports:detail", args=[report_a.pk])))
    panel = page.select_one("#cert-messages").get_text(" ", strip=True)
    assert "Dossier au CERT : Clos par le CERT" in panel.replace("\xa0", " ")
