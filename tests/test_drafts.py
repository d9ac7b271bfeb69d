"""Regulatory drafts (issue 13): golden files from fixture reports, gaps, recording a sending
(which closes the clock), the pages, the API, PDF, ODT and DOCX, and who may see them.

Golden files live in tests/golden/drafts/<case>/<kind>.<lang>.txt. After a deliberate change
of a template, rewrite them with `VIGISANTE_UPDATE_GOLDEN=1 pytest tests/test_drafts.py`, then
read the diff before committing it.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import subprocess
import zipfile
from pathlib import Path

import pytest
from conftest import api_client_for, html, make_user
from django.urls import reverse
from django.utils import timezone
from drafts_fixtures import LATE_NOW, NOW, make_complete, make_partial

from vigisante.accounts.models import Role
from vigisante.clocks.models import Clock
from vigisante.core.models import AuditEvent
from vigisante.drafts import domain, services
from vigisante.drafts.models import Draft, DraftFact, DraftTemplate, Submission
from vigisante.reports.models import Report

pytestmark = pytest.mark.django_db

GOLDEN = Path(__file__).parent / "golden" / "drafts"
UPDATE = os.environ.get("VIGISANTE_UPDATE_GOLDEN") == "1"


def _golden(case: str, kind: str, language: str, text: str) -> None:
    path = GOLDEN / case / f"{kind}.{language}.txt"
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with VIGISANTE_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{path} differs"


@pytest.fixture
def complete(est_a, reporter_a, analyst):
    return make_complete(est_a, reporter_a, analyst)


@pytest.fixture
def partial(est_a, reporter_a):
    return make_partial(est_a, reporter_a)


# --- golden files -----------------------------------------------------------------------------

@pytest.mark.parametrize("language", domain.LANGUAGES)
def test_every_draft_of_a_complete_report_matches_its_golden_file(complete, reporter_a,
                                                                  language):
    for kind in domain.KINDS:
        built = services.build(actor=reporter_a, report_id=complete.pk, kind=kind,
                               language=language, now=NOW)
        _golden("complete", kind, language, built.text)
        assert complete.reference in built.text
        if kind == "nis2_final":  # the incident is not resolved yet
            assert [g.name for g in built.gaps] == ["resolved_at", "final_impact", "root_cause"]
            continue
        if kind == "insurer_notice":  # written once the complaint is filed
            assert [g.name for g in built.gaps] == ["complaint_filed_on"]
            continue
        assert built.gaps == [], (kind, built.gaps)
        assert "TO COMPLETE" not in built.text and "À COMPLÉTER" not in built.text


def test_the_drafts_of_a_partial_report_list_what_is_missing(partial, reporter_a):
    for kind in domain.KINDS:
        built = services.build(actor=reporter_a, report_id=partial.pk, kind=kind,
                               language="fr", now=NOW)
        _golden("partial", kind, "fr", built.text)
        # every gap is marked in the text, and every marker is a gap
        assert built.text.count("[À COMPLÉTER") >= len(built.gaps)
        assert ("[À COMPLÉTER" in built.text) == bool(built.gaps)
    gdpr = services.build(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification",
                          language="fr", now=NOW)
    names = [g.name for g in gdpr.gaps]
    for needed in ("dpo_contact", "nature", "people_affected", "records_affected",
                   "likely_consequences", "measures_taken"):
        assert needed in names
    assert "Notification initiale" in gdpr.text  # sent in phases (art. 33(4))
    assert "delay_reasons" not in names  # not late yet


def test_a_late_gdpr_notification_asks_the_reasons_for_the_delay(partial, reporter_a):
    built = services.build(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification",
                           language="fr", now=LATE_NOW)
    _golden("late", "gdpr_notification", "fr", built.text)
    assert "delay_reasons" in [g.name for g in built.gaps]
    assert "Motifs du retard" in built.text
    services.save_facts(actor=reporter_a, report_id=partial.pk,
                        data={"delay_reasons": "Messagerie indisponible trois jours."})
    built = services.build(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification",
                           language="fr", now=LATE_NOW)
    assert "Messagerie indisponible trois jours." in built.text
    assert "delay_reasons" not in [g.name for g in built.gaps]


def test_a_draft_records_the_template_and_report_versions_it_was_built_from(complete,
                                                                          reporter_a):
    built = services.build(actor=reporter_a, report_id=complete.pk, kind="complaint",
                           language="fr")
    row = Draft.objects.get(report=complete, kind="complaint")
    assert row.template == built.template and row.template.version == 1
    assert row.report_version == complete.version and row.facts_hash == built.facts_hash
    services.build(actor=reporter_a, report_id=complete.pk, kind="complaint", language="fr")
    assert Draft.objects.filter(report=complete, kind="complaint").count() == 1
    services.save_facts(actor=reporter_a, report_id=complete.pk, data={"losses": "Plus."})
    services.build(actor=reporter_a, report_id=complete.pk, kind="complaint", language="fr")
    assert Draft.objects.filter(report=complete, kind="complaint").count() == 2


# --- templates are versioned data -------------------------------------------------------------

def test_an_admin_edit_is_a_new_version_and_later_drafts_use_it(complete, admin_user,
                                                                reporter_a):
    old = DraftTemplate.objects.get(kind="insurer_notice", language="fr", version=1)
    new = services.save_template(actor=admin_user, kind="insurer_notice", language="fr",
                                 body=old.body + "\nPièce jointe : récépissé de plainte.\n",
                                 legal_basis=old.legal_basis, note="Pièce jointe")
    assert new.version == 2 and DraftTemplate.objects.filter(pk=old.pk).exists()
    built = services.build(actor=reporter_a, report_id=complete.pk, kind="insurer_notice")
    assert built.template == new and "Pièce jointe : récépissé" in built.text
    assert AuditEvent.objects.filter(action="drafts.template").exists()


@pytest.mark.parametrize("body, message", [
    ("{{ nonexistent }}", "unknown fact"),
    ("{% if late_gdpr %}never closed", "never closed"),
    ("{% endif %}", "without"),
    ("{% include 'x' %}", "unknown tag"),
    ("{% else %}", "outside"),
    ("text {{ reference", "never closed"),
    ("{% if __class__ %}x{% endif %}", "unknown condition"),
])
def test_a_broken_template_is_refused_with_the_reason(admin_user, body, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.save_template(actor=admin_user, kind="complaint", language="fr", body=body,
                               legal_basis="x")
    assert message in str(exc.value)
    assert not DraftTemplate.objects.filter(kind="complaint", version=2).exists()


def test_only_an_admin_edits_templates(analyst):
    from django.core.exceptions import PermissionDenied
    from django.http import Http404

    with pytest.raises((PermissionDenied, Http404)):
        services.save_template(actor=analyst, kind="complaint", language="fr", body="x",
                               legal_basis="x")


# --- recording a sending ----------------------------------------------------------------------

def test_recording_the_cnil_notification_closes_the_gdpr_clock(partial, reporter_a):
    assert Clock.objects.get(report=partial, regime="gdpr_breach").state == "due"
    services.build(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification")
    sent = partial.discovered_at + dt.timedelta(hours=30)
    services.record_sent(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification",
                         sent_at=sent, reference="CNIL-2026-123")
    partial.refresh_from_db()
    assert partial.dpa_notified_on == timezone.localtime(sent).date()
    clock = Clock.objects.get(report=partial, regime="gdpr_breach")
    assert clock.state == "done_on_time"
    event = AuditEvent.objects.filter(action="drafts.sent").latest("id")
    assert event.after["reference"] == "CNIL-2026-123" and event.after["template_version"] == 1
    # nothing among the report's updates: those are what its people wrote (the timelines
    # tell the event, in their reader's language)
    assert not partial.updates.exists()
    # a second phase is recorded too, and does not move the date
    services.record_sent(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification",
                         sent_at=sent + dt.timedelta(days=2), reference="complément")
    partial.refresh_from_db()
    assert partial.dpa_notified_on == timezone.localtime(sent).date()
    assert Submission.objects.filter(report=partial).count() == 2
    _report, rows = services.overview(actor=reporter_a, report_id=partial.pk)
    assert {r.kind.kind: r.status for r in rows}["gdpr_notification"] == "sent"


@pytest.mark.parametrize("when, field", [
    (lambda r: timezone.now() + dt.timedelta(days=1), "sent_at"),
    (lambda r: r.discovered_at - dt.timedelta(hours=1), "sent_at"),
])
def test_a_wrong_sending_date_is_refused_and_nothing_is_written(partial, reporter_a, when,
                                                                field):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        services.record_sent(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification",
                             sent_at=when(partial), reference="x")
    assert field in exc.value.message_dict
    assert not Submission.objects.exists()
    assert Report.objects.get(pk=partial.pk).dpa_notified_on is None


def test_unknown_or_oversized_facts_are_refused_whole(partial, reporter_a):
    from django.core.exceptions import ValidationError

    for data in ({"losses": "ok", "password": "x"}, {"losses": "x" * 5001},
                 {"losses": "a\x00b"}, {"losses": 12}):
        with pytest.raises(ValidationError):
            services.save_facts(actor=reporter_a, report_id=partial.pk, data=data)
    assert not DraftFact.objects.exists()


# --- pages ------------------------------------------------------------------------------------

def test_the_reporter_sees_the_drafts_their_clocks_call_for_with_links_to_complete(
        partial, reporter_a, client_for):
    c = client_for(reporter_a)
    page = html(c.get(reverse("drafts:list", args=[partial.pk])))
    kinds = [s["data-kind"] for s in page.select("section.draft")]
    assert "gdpr_notification" in kinds and "gdpr_communication" in kinds
    assert "complaint" not in kinds  # not insured: that clock does not run
    links = [a["href"] for a in page.select("#draft-gdpr_notification ul.gaps a")]
    assert reverse("drafts:dpo", args=[partial.pk]) + "?next=gdpr_notification#id_dpo_name" \
        in links
    assert any(h.startswith(reverse("reports:notification", args=[partial.pk]) + "#id_")
               for h in links)
    detail = c.get(reverse("drafts:detail", args=[partial.pk, "gdpr_notification"]))
    assert detail.status_code == 200
    text = html(detail).select_one("#draft-text").get_text()
    assert partial.reference in text and "[À COMPLÉTER" in text
    english = html(c.get(reverse("drafts:detail", args=[partial.pk, "gdpr_notification"]),
                         {"lang": "en"})).select_one("#draft-text").get_text()
    assert "NOTIFICATION OF A PERSONAL DATA BREACH" in english


def test_the_facts_and_dpo_forms_save_and_go_back_to_the_draft(partial, reporter_a,
                                                              client_for, est_a):
    c = client_for(reporter_a)
    r = c.post(reverse("drafts:dpo", args=[partial.pk]), {
        "dpo_name": "Claire Martin", "dpo_email": "not-an-email", "dpo_phone": "",
        "next": "gdpr_notification"})
    assert r.status_code == 400 and html(r).select(".error-summary")
    est_a.refresh_from_db()
    assert est_a.dpo_name == ""
    r = c.post(reverse("drafts:dpo", args=[partial.pk]), {
        "dpo_name": "Claire Martin", "dpo_email": "dpo@example.org", "dpo_phone": "",
        "next": "gdpr_notification"})
    assert r.status_code == 302
    assert r["Location"] == reverse("drafts:detail", args=[partial.pk, "gdpr_notification"])
    hostile = '<script>alert("x")</script>'
    r = c.post(reverse("drafts:facts", args=[partial.pk]), {"likely_consequences": hostile,
                                                             "next": "//evil.example"})
    assert r.status_code == 302 and r["Location"] == reverse("drafts:list", args=[partial.pk])
    page = c.get(reverse("drafts:detail", args=[partial.pk, "gdpr_notification"]))
    assert hostile.encode() not in page.content
    assert "Claire Martin, dpo@example.org" in html(page).select_one("#draft-text").get_text()


def test_recording_as_sent_from_the_page(partial, reporter_a, client_for):
    c = client_for(reporter_a)
    url = reverse("drafts:sent", args=[partial.pk, "gdpr_notification"])
    r = c.post(url, {"sent_at": "2099-01-01T10:00", "reference": "x"})
    assert r.status_code == 400 and not Submission.objects.exists()
    sent = timezone.localtime(partial.discovered_at + dt.timedelta(hours=20))
    r = c.post(url, {"sent_at": sent.strftime("%Y-%m-%dT%H:%M"), "reference": "CNIL-9"})
    assert r.status_code == 302
    row = Submission.objects.get()
    assert row.reference == "CNIL-9" and row.recorded_by == reporter_a
    page = html(c.get(reverse("drafts:list", args=[partial.pk])))
    assert page.select_one("#draft-gdpr_notification")["data-status"] == "sent"


def _as_served(actor, report, kind: str, language: str = "fr") -> services.Built:
    """The draft as the last download built it: at the same instant (its text says when it
    was drafted, to the minute), read from the build the download recorded."""
    at = Draft.objects.filter(report=report, kind=kind, language=language).latest(
        "built_at").built_at
    return services.build(actor=actor, report_id=report.pk, kind=kind, language=language,
                          record=False, now=at)


def test_pdf_pages_carry_the_draft_and_the_reference(complete, reporter_a, client_for,
                                                     tmp_path):
    c = client_for(reporter_a)
    r = c.get(reverse("drafts:download", args=[complete.pk, "complaint", "pdf"]))
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    pdf = tmp_path / "d.pdf"
    pdf.write_bytes(r.content)
    pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                           capture_output=True, text=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    expected = _as_served(reporter_a, complete, "complaint").text
    for number, page in enumerate(pages, 1):
        assert complete.reference in page, f"page {number} lacks the reference"
        assert f"page {number} / {len(pages)}" in page
    flat = " ".join(" ".join(pages).split())
    for line in expected.splitlines():
        words = " ".join(line.split())
        if words:
            assert words[:60] in flat, line


def test_docx_holds_the_draft_as_editable_paragraphs(complete, reporter_a, client_for):
    from docx import Document

    c = client_for(reporter_a)
    r = c.get(reverse("drafts:download", args=[complete.pk, "gdpr_notification", "docx"]),
              {"lang": "en"})
    assert r.status_code == 200
    doc = Document(io.BytesIO(r.content))
    text = "\n".join(p.text for p in doc.paragraphs)
    expected = _as_served(reporter_a, complete, "gdpr_notification", "en").text
    assert " ".join(text.split()) == " ".join(expected.split())
    assert doc.core_properties.subject.startswith("GDPR")
    from docx.shared import Mm

    section = doc.sections[0]  # A4, the reference in the footer
    assert abs(section.page_width - Mm(210)) < Mm(1)  # stored in twentieths of a point
    assert abs(section.page_height - Mm(297)) < Mm(1)
    assert complete.reference in section.footer.paragraphs[0].text
    assert doc.core_properties.created is not None


ODF = {"office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
       "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
       "style": "urn:oasis:names:tc:opendocument:xmlns:style:1.0",
       "dc": "http://purl.org/dc/elements/1.1/",
       "manifest": "urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"}


def _odt_paragraphs(content: bytes) -> list[tuple[str, str]]:
    """(style, text) of each paragraph of an ODT's content.xml, line breaks as newlines and
    ODF's space elements as spaces: how a reader sees the text."""
    from xml.etree import ElementTree

    text_ns = "{" + ODF["text"] + "}"

    def flat(node) -> str:
        out = [node.text or ""]
        for child in node:
            if child.tag == text_ns + "line-break":
                out.append("\n")
            elif child.tag == text_ns + "s":
                out.append(" " * int(child.get(text_ns + "c", "1")))
            elif child.tag == text_ns + "tab":
                out.append("\t")
            else:
                out.append(flat(child))
            out.append(child.tail or "")
        return "".join(out)

    root = ElementTree.fromstring(content)
    body = root.find("office:body/office:text", ODF)
    assert body is not None
    return [(p.get(text_ns + "style-name"), flat(p)) for p in body.findall("text:p", ODF)]


@pytest.mark.parametrize("language", domain.LANGUAGES)
def test_odt_is_an_opendocument_text_holding_the_draft(complete, reporter_a, client_for,
                                                        language):
    from xml.etree import ElementTree

    c = client_for(reporter_a)
    r = c.get(reverse("drafts:download", args=[complete.pk, "complaint", "odt"]),
              {"lang": language})
    assert r.status_code == 200
    assert r["Content-Type"] == "application/vnd.oasis.opendocument.text"
    assert r["Content-Disposition"].endswith(f'-complaint-{language}.odt"')
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    first = archive.infolist()[0]
    # the format's signature: `mimetype` first, stored, so a reader can sniff it at byte 38
    assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
    assert r.content[30:38] == b"mimetype"
    assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"
    assert archive.testzip() is None
    manifest = ElementTree.fromstring(archive.read("META-INF/manifest.xml"))
    listed = {e.get("{" + ODF["manifest"] + "}full-path") for e in manifest}
    assert listed == {"/", "content.xml", "styles.xml", "meta.xml"}
    assert set(archive.namelist()) == {"mimetype", "META-INF/manifest.xml", "content.xml",
                                       "styles.xml", "meta.xml"}
    built = _as_served(reporter_a, complete, "complaint", language)
    paras = _odt_paragraphs(archive.read("content.xml"))
    expected = [p.strip() for p in built.text.strip().split("\n\n") if p.strip()]
    assert [text for _style, text in paras[:-1]] == expected
    assert paras[0][0] == "First" and paras[-1][0] == "Meta"  # title bold, provenance last
    styles = ElementTree.fromstring(archive.read("styles.xml"))
    footer = styles.find(".//style:master-page/style:footer", ODF)
    assert footer is not None and complete.reference in "".join(footer.itertext())
    assert footer.find(".//text:page-number", ODF) is not None
    assert footer.find(".//text:page-count", ODF) is not None
    meta = ElementTree.fromstring(archive.read("meta.xml"))
    assert meta.find(".//dc:language", ODF).text == language
    assert complete.reference in meta.find(".//dc:title", ODF).text


def test_odt_and_docx_keep_hostile_text_as_text(partial, reporter_a, client_for):
    from docx import Document

    hostile = 'A <b>&amp; "x"\x07  two  spaces\tand a tab ]]> [brackets]'
    services.save_facts(actor=reporter_a, report_id=partial.pk,
                        data={"likely_consequences": hostile})
    c = client_for(reporter_a)
    built = services.build(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification")
    r = c.get(reverse("drafts:download", args=[partial.pk, "gdpr_notification", "odt"]))
    paras = _odt_paragraphs(zipfile.ZipFile(io.BytesIO(r.content)).read("content.xml"))
    text = "\n\n".join(t for _s, t in paras)
    assert 'A <b>&amp; "x"  two  spaces\tand a tab ]]> [brackets]' in text
    assert built.gaps and "[À COMPLÉTER" in text
    r = c.get(reverse("drafts:download", args=[partial.pk, "gdpr_notification", "docx"]))
    doc = Document(io.BytesIO(r.content))
    assert 'A <b>&amp; "x"  two  spaces' in "\n".join(p.text for p in doc.paragraphs)
    highlighted = [run.text for p in doc.paragraphs for run in p.runs
                   if run.font.highlight_color is not None]
    assert highlighted and all(t.startswith("[À COMPLÉTER") for t in highlighted)


def test_all_drafts_download_as_one_zip_of_every_format(complete, reporter_a, client_for):
    c = client_for(reporter_a)
    r = c.get(reverse("drafts:bundle", args=[complete.pk]), {"lang": "en"})
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    assert r["Content-Disposition"] == \
        f'attachment; filename="{complete.reference}-drafts-en.zip"'
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    _report, rows = services.overview(actor=reporter_a, report_id=complete.pk, language="en")
    assert len(rows) == 8
    expected = {f"{complete.reference}-{row.kind.kind}-en.{fmt}" for row in rows
                for fmt in ("txt", "pdf", "odt", "docx")}
    assert set(archive.namelist()) == expected
    text = archive.read(f"{complete.reference}-complaint-en.txt").decode("utf-8")
    assert text == _as_served(reporter_a, complete, "complaint", "en").text
    assert archive.read(f"{complete.reference}-complaint-en.pdf").startswith(b"%PDF")
    # every draft in it is recorded as built, like a draft opened
    assert set(Draft.objects.filter(report=complete, language="en")
               .values_list("kind", flat=True)) == set(domain.KINDS)
    from vigisante.core.models import AuditPending

    assert AuditPending.objects.filter(action="drafts.export",
                                       object_id=str(complete.pk)).exists()  # journaled
    api = api_client_for(reporter_a)
    r = api.get(f"/api/v1/reports/{complete.pk}/drafts/all/zip/")
    assert r.status_code == 200 and r.content.startswith(b"PK")


def test_outsiders_get_nothing_from_any_draft_route(complete, reporter_b, observer,
                                                    client_for):
    urls = [reverse("drafts:list", args=[complete.pk]),
            reverse("drafts:facts", args=[complete.pk]),
            reverse("drafts:dpo", args=[complete.pk])]
    for kind in domain.KINDS:
        urls += [reverse("drafts:detail", args=[complete.pk, kind])]
        urls += [reverse("drafts:download", args=[complete.pk, kind, f]) for f in
                 ("txt", "pdf", "odt", "docx")]
        urls += [reverse("drafts-api:detail", args=[complete.pk, kind]),
                 reverse("drafts-api:file", args=[complete.pk, kind, "txt"])]
    urls += [reverse("drafts-api:list", args=[complete.pk]),
             reverse("drafts-api:facts", args=[complete.pk]),
             reverse("drafts:bundle", args=[complete.pk]),
             reverse("drafts-api:bundle", args=[complete.pk])]
    for user in (reporter_b, observer):
        c = client_for(user)
        for url in urls:
            assert c.get(url).status_code == 404, (user, url)
        r = c.post(reverse("drafts:sent", args=[complete.pk, "complaint"]),
                   {"sent_at": "2026-03-15T10:00", "reference": "x"})
        assert r.status_code == 404
    assert not Submission.objects.exists()


def test_the_cert_sees_each_drafts_status(complete, analyst, client_for):
    page = html(client_for(analyst).get(reverse("drafts:list", args=[complete.pk])))
    statuses = {s["data-kind"]: s["data-status"] for s in page.select("section.draft")}
    assert statuses["gdpr_notification"] in ("to_draft", "late")
    assert set(statuses) >= {"gdpr_notification", "nis2_notification", "complaint"}


# --- API --------------------------------------------------------------------------------------

def test_api_lists_drafts_with_gaps_and_serves_each_format(partial, reporter_a):
    api = api_client_for(reporter_a)
    r = api.get(f"/api/v1/reports/{partial.pk}/drafts/")
    assert r.status_code == 200
    rows = {row["kind"]: row for row in r.json()}
    assert "gdpr_notification" in rows
    assert any(g["name"] == "dpo_contact" and g["where"] == "dpo"
               for g in rows["gdpr_notification"]["gaps"])
    one = api.get(rows["gdpr_notification"]["url"]).json()
    assert one["template_version"] == 1 and partial.reference in one["text"]
    for fmt, magic in (("txt", b"NOTIFICATION"), ("pdf", b"%PDF"), ("docx", b"PK"),
                       ("odt", b"PK\x03\x04")):
        f = api.get(f"/api/v1/reports/{partial.pk}/drafts/gdpr_notification/{fmt}/")
        assert f.status_code == 200 and f.content.startswith(magic), fmt
    assert api.get(f"/api/v1/reports/{partial.pk}/drafts/gdpr_notification/exe/") \
        .status_code == 400
    assert api.get(f"/api/v1/reports/{partial.pk}/drafts/nope/").status_code == 400
    assert api.get(f"/api/v1/reports/{partial.pk}/drafts/?lang=de").status_code == 400


def test_api_facts_and_sent(partial, reporter_a):
    api = api_client_for(reporter_a)
    base = f"/api/v1/reports/{partial.pk}/drafts/"
    r = api.patch(base + "facts/", {"losses": "Deux jours d'activité."}, format="json")
    assert r.status_code == 200 and r.json() == {"losses": "Deux jours d'activité."}
    assert api.patch(base + "facts/", {"nope": "x"}, format="json").status_code == 400
    assert api.patch(base + "facts/", ["x"], format="json").status_code == 400
    r = api.post(base + "gdpr_notification/sent/", {"sent_at": "not a date"}, format="json")
    assert r.status_code == 400 and "sent_at" in r.json()
    at = (partial.discovered_at + dt.timedelta(hours=10)).isoformat()
    r = api.post(base + "gdpr_notification/sent/", {"sent_at": at, "reference": "C-1"},
                 format="json")
    assert r.status_code == 201 and r.json()["reference"] == "C-1"
    assert Report.objects.get(pk=partial.pk).dpa_notified_on is not None


def test_an_imported_record_has_no_drafts(analyst, est_a):
    from vigisante.reports.models import Source

    report = Report.objects.create(reference="VERIS-1", source=Source.VERIS, source_id="x",
                                   channel="web", created_at=timezone.now(),
                                   discovered_at=timezone.now(), description="imported")
    api = api_client_for(make_user("admin2@example.org", Role.ADMIN))
    assert api.get(f"/api/v1/reports/{report.pk}/drafts/").status_code == 404


def test_a_template_table_emptied_by_hand_is_refilled_from_the_package(partial, reporter_a):
    DraftTemplate.objects.all().delete()
    built = services.build(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification")
    assert built.template.version == 1 and "CNIL" in built.text
    assert DraftTemplate.objects.filter(kind="gdpr_notification", language="fr").count() == 1


# --- any text, every format ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(3))
def test_any_text_gives_a_pdf_an_odt_and_a_docx_that_read_back(partial, reporter_a, seed):
    """Whatever a reporter or an admin typed (control characters, markup, brackets, scripts
    DejaVu lacks, long words), every format is written and reads back; never an error."""
    import dataclasses
    import random

    from docx import Document

    from vigisante.drafts import render

    rng = random.Random(seed)
    alphabet = ("abc xyz ÀÉçœ «»’—<>&\"'[]:;{}%\\\t\x00\x07\x0b\x1f\ufffe"
                "\u200b\u202e日本語عربي🙂\U0001f3e5")
    built = services.build(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification")
    for _ in range(5):
        words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
                 for _ in range(rng.randint(1, 60))]
        words.insert(rng.randint(0, len(words)), "[À COMPLÉTER : un fait]")
        words.insert(rng.randint(0, len(words)), "x" * 300)  # a word wider than the page
        text = rng.choice(["\n", "\n\n", " "]).join(words)
        one = dataclasses.replace(built, text=text)
        assert render.as_pdf(one).startswith(b"%PDF")
        archive = zipfile.ZipFile(io.BytesIO(render.as_odt(one)))
        paras = _odt_paragraphs(archive.read("content.xml"))
        assert paras[-1][0] == "Meta"
        doc = Document(io.BytesIO(render.as_docx(one)))
        assert doc.paragraphs is not None
        kept = [w for w in words if w.strip() and not any(
            c in w for c in "\x00\x07\x0b\x1f\ufffe\t")]
        flat = " ".join(" ".join(t for _s, t in paras).split())
        for word in kept[:10]:
            assert " ".join(word.split()) in flat


# --- a sending is not one of the report's updates ----------------------------------------------

def test_a_sending_is_not_served_as_the_reporter_s_update(partial, reporter_a, client_for):
    """The updates API and the report's `updates` give what people wrote; the sending is on
    the timelines (reader's language) and in the later drafts' chronology (draft's
    language)."""
    from django.utils import translation

    api = api_client_for(reporter_a)
    api.post(f"/api/v1/reports/{partial.pk}/updates/", {"text": "Backups restored."},
             format="json")
    sent = partial.discovered_at + dt.timedelta(hours=30)
    with translation.override("fr"):  # recorded by a French reader
        services.record_sent(actor=reporter_a, report_id=partial.pk, kind="gdpr_notification",
                             sent_at=sent, reference="CNIL-77")
    updates = api.get(f"/api/v1/reports/{partial.pk}/updates/").json()
    assert [u["text"] for u in updates] == ["Backups restored."]
    detail = api.get(f"/api/v1/reports/{partial.pk}/").json()
    assert [u["text"] for u in detail["updates"]] == ["Backups restored."]
    # the reporter's page: the entry told once, in English for an English reader
    page = html(client_for(reporter_a).get(reverse("reports:detail", args=[partial.pk])))
    text = " ".join(page.select_one("#timeline").get_text(" ").split())
    assert text.count("CNIL-77") == 1 and "was sent to CNIL" in text
    assert "envoy" not in text
    # the chronology of a draft built later, in each draft's language
    kind = domain.KINDS["gdpr_notification"]
    for language in domain.LANGUAGES:
        built = services.build(actor=reporter_a, report_id=partial.pk, kind="complaint",
                               language=language, record=False)
        with translation.override(language):
            line = f"{kind.title} sent to {kind.recipient}." if language == "en" else \
                f"Envoi à {kind.recipient} : {kind.title}."
        assert line in built.text and "CNIL-77" in built.text, (language, built.text)


def test_the_migration_removes_the_copies_of_earlier_versions(partial, reporter_a, analyst):
    """What `record_sent` wrote before: the drafts.sent event, then in the same transaction a
    fixed-language update of the same actor, naming it. Only that copy goes."""
    import importlib

    from django.apps import apps
    from django.db import transaction

    from vigisante.core import audit
    from vigisante.reports import services as reports
    from vigisante.reports.models import ReportUpdate

    own = reports.add_update(actor=reporter_a, report_id=partial.pk, text="Point de situation.")
    with transaction.atomic():
        audit.record(actor=reporter_a, action="drafts.sent", obj=partial,
                     after={"draft": "gdpr_notification", "reference": "CNIL-1"})
        copy = reports.add_update(actor=reporter_a, report_id=partial.pk, text=(
            "Notification à la CNIL envoyée à CNIL le 01/12/2026. Référence : CNIL-1."))
    # another actor's update right after a sending is not a copy
    audit.record(actor=reporter_a, action="drafts.sent", obj=partial,
                 after={"draft": "complaint", "reference": ""})
    other = reports.add_update(actor=analyst, report_id=partial.pk, text="Vu, merci.")
    migration = importlib.import_module("vigisante.drafts.migrations.0003_remove_sent_copies")
    migration.remove_copies(apps, None)
    assert set(ReportUpdate.objects.values_list("pk", flat=True)) == {own.pk, other.pk}
    assert not ReportUpdate.objects.filter(pk=copy.pk).exists()
    assert audit.verify().ok  # the events stay in the chain
