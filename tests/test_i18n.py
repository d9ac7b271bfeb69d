"""Languages: the pages are in French by default and in English on request; the French catalogue
is complete, compiled, and covers every translatable string of the sources.

The catalogue tests fail when a change adds or changes a user-visible string without its French
translation: that is intended. To fix, from src/vigisante:

    ../../.venv/bin/django-admin makemessages -l fr -e html,txt,py \
        --settings=vigisante.config.test_settings --ignore='static/*'
    # translate the new entries of locale/fr/LC_MESSAGES/django.po (no "#, fuzzy" left), then
    ../../.venv/bin/django-admin compilemessages --settings=vigisante.config.test_settings
"""

from __future__ import annotations

import gettext
import re
import shutil
import uuid
from pathlib import Path

import pytest
from conftest import html
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

import vigisante
from vigisante.notifications.models import NotificationPreference
from vigisante.reports import services as report_services

PACKAGE = Path(vigisante.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
PO = LOCALE / "fr" / "LC_MESSAGES" / "django.po"
MO = LOCALE / "fr" / "LC_MESSAGES" / "django.mo"


# --- a tiny .po reader (no third-party dependency) --------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def _unquote(s: str) -> str:
    return re.sub(r'\\(.)', lambda m: _ESCAPES.get(m.group(1), m.group(0)), s[1:-1])


def read_po(path: Path) -> list[dict]:
    """Entries of a .po file: msgctxt, msgid, msgid_plural, msgstr (a list: one per plural
    form), flags, references and `obsolete` (a `#~` entry)."""
    entries: list[dict] = []
    blocks = re.split(r"\n\s*\n", path.read_text(encoding="utf-8"))
    for block in blocks:
        entry: dict = {"msgctxt": None, "msgid": None, "msgid_plural": None, "msgstr": [],
                       "flags": set(), "references": [], "obsolete": False}
        key = None
        for line in block.splitlines():
            line = line.strip()
            if line.startswith("#~"):
                entry["obsolete"] = True
                line = line[2:].strip()
                if not line:
                    continue
            elif line.startswith("#,"):
                entry["flags"].update(f.strip() for f in line[2:].split(","))
                continue
            elif line.startswith("#:"):
                entry["references"].extend(line[2:].split())
                continue
            elif line.startswith("#") or not line:
                continue
            m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr)(?:\[(\d+)\])?\s+(".*")$', line)
            if m:
                key, index, value = m.group(1), m.group(2), _unquote(m.group(3))
                if key == "msgstr":
                    key = ("msgstr", int(index or 0))
                    entry["msgstr"].append(value)
                else:
                    entry[key] = value
            elif line.startswith('"') and key is not None:
                if isinstance(key, tuple):
                    entry["msgstr"][-1] += _unquote(line)
                else:
                    entry[key] += _unquote(line)
            else:
                raise AssertionError(f"{path}: cannot read the line {line!r}")
        if entry["msgid"] is not None:
            entries.append(entry)
    return entries


def _messages(path: Path = PO) -> list[dict]:
    """The live entries, header excluded."""
    return [e for e in read_po(path) if e["msgid"] and not e["obsolete"]]


_PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdifr]|\{\w*\}")


# --- pages: French by default, English on request --------------------------------------------

def _text(element) -> str:
    """Visible text, spaces normalised (French puts no-break spaces before : ; ? ! and in « »)."""
    assert element is not None
    return " ".join(element.get_text(" ").replace("\u00a0", " ").split())


def _label(page, field: str) -> str:
    return _text(page.select_one(f"label[for=id_{field}]"))


def _english_left_in(page) -> list[str]:
    """Source strings of the catalogue (whole sentences) that show untranslated on a page."""
    text = _text(page)
    return [e["msgid"] for e in _messages()
            if e["msgid_plural"] is None and len(e["msgid"]) >= 16 and " " in e["msgid"]
            and "%" not in e["msgid"] and e["msgstr"] and e["msgstr"][0] != e["msgid"]
            and e["msgid"] in text]


@pytest.mark.french
def test_early_warning_page_is_in_french_by_default(client_for, reporter_a):
    response = client_for(reporter_a).get("/reports/new/")
    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    page = html(response)
    assert page.html["lang"] == "fr"
    assert _text(page.h1) == "Signaler un incident"
    assert _label(page, "description") == "Que se passe-t-il ?"
    assert _label(page, "callback_phone").startswith("Téléphone de rappel")
    assert _text(page.select_one("#id_description_helptext")).startswith(
        "Quelques mots suffisent")
    legend = page.select_one("#id_suspected_malicious").find_parent("fieldset").legend
    assert _text(legend) == "Soupçonnez-vous un acte malveillant ?"
    assert "Ne sait pas" in _text(page.select_one("#id_suspected_malicious"))
    assert _text(page.select_one("main form button[type=submit]")) == \
        "Envoyer le signalement"
    assert _text(page.select_one("header nav a.cta")) == "Signaler un incident"
    # the switch offers the other language (on a form page, it sends the form: issue 10)
    assert page.select_one(".lang button[name=switch_language]")["value"] == "en"
    assert _english_left_in(page) == []


@pytest.mark.french
def test_early_warning_errors_are_in_french(client_for, reporter_a):
    response = client_for(reporter_a).post("/reports/new/", {"support_requested": "yes"})
    assert response.status_code == 400  # refused: the same page, its messages in French
    page = html(response)
    error = page.select_one("#id_callback_phone_error")
    assert error is not None
    assert "Indiquez un numéro où le CERT peut vous rappeler" in _text(error)
    assert _english_left_in(page) == []


@pytest.mark.french
def test_login_page_is_in_french_by_default(client, db):
    page = html(client.get("/accounts/login/"))
    assert page.html["lang"] == "fr"
    assert _text(page.h1) == "Se connecter"
    assert _label(page, "username") == "Adresse e-mail"
    assert _label(page, "password") == "Mot de passe"
    assert _text(page.select_one("main form button[type=submit]")) == "Se connecter"
    assert _text(page.select_one(".actions a")) == "Mot de passe oublié ?"
    assert _english_left_in(page) == []


@pytest.mark.french
def test_my_reports_page_is_in_french_by_default(client_for, reporter_a, report_a):
    page = html(client_for(reporter_a).get("/reports/"))
    assert page.html["lang"] == "fr"
    assert _text(page.h1) == "Mes signalements"
    headers = [_text(th) for th in page.select("table.reports thead th")]
    assert headers[:4] == ["Référence", "Établissement", "Date du constat", "Étape"]
    assert _text(page.select_one("table.reports tbody .badge")) == \
        "Alerte précoce"
    assert _text(page.select_one("a.cta-report")) == "Signaler un incident"
    assert _english_left_in(page) == []


@pytest.mark.french
def test_the_language_switch_gives_english(client_for, reporter_a):
    client = client_for(reporter_a)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/reports/new/"})
    assert response.status_code == 302 and response["Location"] == "/reports/new/"
    page = html(client.get("/reports/new/"))
    assert page.html["lang"] == "en"
    assert _label(page, "description") == "What is happening?"
    assert page.select_one(".lang button[name=switch_language]")["value"] == "fr"
    # and back to French
    client.post("/i18n/setlang/", {"language": "fr", "next": "/reports/new/"})
    assert _label(html(client.get("/reports/new/")), "description") == "Que se passe-t-il ?"


@pytest.mark.french
def test_accept_language_english_gives_english(client_for, reporter_a):
    client = client_for(reporter_a)
    response = client.get("/reports/new/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response["Content-Language"] == "en"
    page = html(response)
    assert page.html["lang"] == "en"
    assert _text(page.h1) == "Report an incident"
    assert _label(page, "description") == "What is happening?"
    assert _english_left_in(page)  # the check the French pages pass does see English
    # a language the site does not have falls back to French
    page = html(client.get("/reports/new/", HTTP_ACCEPT_LANGUAGE="de-DE,de;q=0.9"))
    assert _label(page, "description") == "Que se passe-t-il ?"


def test_the_test_suite_reads_english_unless_a_test_asks_for_french(client, db):
    """tests/conftest.py makes English the default of every test not marked `french`."""
    page = html(client.get("/accounts/login/"))
    assert page.html["lang"] == "en"
    assert _label(page, "username") == "E-mail address"


# --- the catalogue ---------------------------------------------------------------------------

def test_every_message_has_a_french_translation_and_none_is_fuzzy():
    messages = _messages()
    assert len(messages) > 500
    untranslated = [e["msgid"] for e in messages
                    if not e["msgstr"] or any(not s.strip() for s in e["msgstr"])]
    assert untranslated == [], f"untranslated in {PO}: {untranslated}"
    fuzzy = [e["msgid"] for e in messages if "fuzzy" in e["flags"]]
    assert fuzzy == [], f"fuzzy (to check, then unmark) in {PO}: {fuzzy}"
    header = read_po(PO)[0]
    assert header["msgid"] == "" and "fuzzy" not in header["flags"]
    assert "Plural-Forms: nplurals=2; plural=(n > 1);" in header["msgstr"][0]
    assert "Language: fr" in header["msgstr"][0]


def test_plurals_have_both_forms_and_placeholders_are_kept():
    problems = []
    for e in _messages():
        if e["msgid_plural"] is not None and len(e["msgstr"]) != 2:
            problems.append((e["msgid"], "needs msgstr[0] and msgstr[1]"))
        sources = [e["msgid"]] + ([e["msgid_plural"]] if e["msgid_plural"] else [])
        wanted = set(_PLACEHOLDER.findall(" ".join(sources)))
        for text in e["msgstr"]:
            got = set(_PLACEHOLDER.findall(text))
            # a singular may say "un" instead of %(n)d, never invent or drop anything else
            if not got <= wanted or wanted - got - {"%(n)d", "%(n)s"}:
                problems.append((e["msgid"], text))
        if {"<", ">"} & set(e["msgid"]):
            tags = sorted(re.findall(r"</?\w+", e["msgid"]))
            if any(sorted(re.findall(r"</?\w+", t)) != tags for t in e["msgstr"]):
                problems.append((e["msgid"], "HTML tags differ"))
    assert problems == []


def test_the_compiled_catalogue_matches_the_po_file():
    """The .mo ships in the package (`pip install .` does not compile): it must be current."""
    assert MO.is_file(), f"{MO} is missing: run compilemessages"
    with MO.open("rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    stale = []
    for e in _messages():
        key = e["msgid"] if e["msgctxt"] is None else f"{e['msgctxt']}\x04{e['msgid']}"
        if e["msgid_plural"] is None:
            if catalog.get(key) != e["msgstr"][0]:
                stale.append(e["msgid"])
        elif [catalog.get((key, n)) for n in range(len(e["msgstr"]))] != e["msgstr"]:
            stale.append(e["msgid"])
    assert stale == [], f"{MO} is out of date (run compilemessages): {stale[:10]}"


def test_the_catalogue_covers_every_translatable_string_of_the_sources(
        tmp_path, settings, monkeypatch):
    """Extract the strings of today's sources (as makemessages does) and compare: a string
    added or changed in the code or the templates must be in the French catalogue."""
    if shutil.which("xgettext") is None or shutil.which("msguniq") is None:
        pytest.skip("GNU gettext (xgettext) is not installed")
    copy = tmp_path / "vigisante"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns(
        "locale", "static", "__pycache__", "*.pyc", "data"))
    (copy / "locale").mkdir()
    settings.LOCALE_PATHS = [str(copy / "locale")]
    monkeypatch.chdir(copy)
    call_command("makemessages", locale=["fr"], extensions=["html", "txt", "py"],
                 verbosity=0)
    extracted = {(e["msgctxt"], e["msgid"]) for e in
                 _messages(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po")}
    catalogue = {(e["msgctxt"], e["msgid"]) for e in _messages()}
    missing = sorted(m for _ctx, m in extracted - catalogue)
    assert missing == [], (
        f"{len(missing)} string(s) of the sources are not in {PO}; run makemessages and "
        f"translate them: {missing}")


# --- e-mail -----------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks, as in production
def test_the_acknowledgement_e_mail_is_in_french_for_a_french_user(
        reporter_a, early_warning_data, run_tasks):
    """A reporter who never chose a language gets French, whatever the request's language."""
    mail.outbox.clear()
    report = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    run_tasks()
    receipt = next(m for m in mail.outbox if m.to == [reporter_a.email])
    assert receipt.subject == f"[Vigisanté] Signalement {report.reference} reçu"
    assert f"Votre signalement {report.reference} pour" in receipt.body
    assert "a bien été reçu par le CERT" in receipt.body
    assert "Vous avez demandé un accompagnement" in receipt.body
    assert "received" not in receipt.body and "Your report" not in receipt.body


@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks, as in production
def test_the_acknowledgement_e_mail_of_a_web_report_is_in_french(
        client_for, reporter_a, est_a, run_tasks):
    NotificationPreference.objects.create(user=reporter_a, language="fr")
    mail.outbox.clear()
    response = client_for(reporter_a).post("/reports/new/", {
        "establishment": est_a.pk, "description": "Messagerie inaccessible",
        "discovered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "ongoing": "yes",
        "suspected_malicious": "unknown", "patient_care_affected": "no",
        "support_requested": "no", "callback_phone": "", "submission": str(uuid.uuid4())},
        HTTP_ACCEPT_LANGUAGE="en")  # the page is English, the e-mail follows the user
    assert response.status_code == 302, response.content[:2000]
    run_tasks()
    receipt = next(m for m in mail.outbox if m.to == [reporter_a.email])
    assert receipt.subject.startswith("[Vigisanté] Signalement ")
    assert "a bien été reçu par le CERT" in receipt.body


@pytest.mark.django_db(transaction=True)  # the worker runs committed tasks, as in production
def test_a_user_who_chose_english_gets_the_acknowledgement_in_english(
        reporter_a, early_warning_data, run_tasks):
    NotificationPreference.objects.create(user=reporter_a, language="en")
    mail.outbox.clear()
    report = report_services.create_early_warning(actor=reporter_a, data=early_warning_data)
    run_tasks()
    receipt = next(m for m in mail.outbox if m.to == [reporter_a.email])
    assert receipt.subject == f"[Vigisanté] Report {report.reference} received"
    assert "has been received by the CERT" in receipt.body
