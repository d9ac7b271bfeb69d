"""A MISP event from outside (an upload, the API) whose attribute is now deleted: when that
attribute (its uuid) is one we accepted from earlier intelligence, our indicator is marked for
the analysts' review exactly as a revoked STIX version marks it (warning on the new
intelligence, audited `sharing.intel_revocation`, nothing withdrawn). A deleted attribute that
matches nothing stays skipped, and the intelligence's warnings say so. Events are built and
edited with pymisp, as a partner's MISP would send them, and from the shared samples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import html, login
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pymisp import MISPEvent

from vigisante.core.models import AuditEvent
from vigisante.indicators.models import Indicator
from vigisante.sharing import intel as intel_module
from vigisante.sharing import services

pytestmark = pytest.mark.django_db
SAMPLES = Path(__file__).resolve().parents[2] / "shared" / "data" / "samples" / "misp"
PARTNER = "upload: CERT partenaire (fictif)"


def _event() -> MISPEvent:
    event = MISPEvent()
    event.info = "Campagne d'hameçonnage (fictif)"
    event.add_tag("tlp:green")
    event.add_attribute("domain", "relais-facture.example.net")
    event.add_attribute("ip-dst", "198.51.100.23")
    event.add_attribute("url", "https://leurre.example.org/facture")
    return event


def _ingest(event: MISPEvent, source: str = PARTNER, actor=None):
    return services.ingest_intel(source=source, fmt="misp", payload=event.to_json(),
                                 actor=actor)


def _accept(analyst, intel, *values: str) -> None:
    chosen = [c.pk for c in intel.candidates.all() if c.value in values]
    assert intel_module.accept(actor=analyst, intel=intel, candidate_ids=chosen) == len(values)


def _attribute(event: MISPEvent, value: str):
    return next(a for a in event.attributes if a.value == value)


def _revocations():
    return AuditEvent.objects.filter(action="sharing.intel_revocation")


def test_a_deleted_attribute_we_accepted_marks_the_indicator_for_review(analyst):
    event = _event()
    first = _ingest(event, actor=analyst)
    _accept(analyst, first, "relais-facture.example.net", "198.51.100.23")  # the URL dismissed
    ours = Indicator.objects.get(value="relais-facture.example.net")

    # The partner deletes the domain and the URL in its MISP and sends the event again,
    # with a deleted attribute we never saw.
    _attribute(event, "relais-facture.example.net").delete()
    _attribute(event, "https://leurre.example.org/facture").delete()
    event.add_attribute("domain", "jamais-vu.example.net").delete()
    later = _ingest(event)
    later.refresh_from_db()

    assert later.status == "pending"
    assert {c.value for c in later.candidates.all()} == {"198.51.100.23"}  # still live
    flagged = [w for w in later.warnings if "domain:relais-facture.example.net" in w]
    assert len(flagged) == 1
    assert "198.51.100.23" not in flagged[0] and "leurre" not in flagged[0]
    # The dismissed URL and the unknown domain: skipped, and the summary says so.
    assert any(w.startswith("2 deleted attributes match no indicator we accepted")
               for w in later.warnings), later.warnings
    audit = _revocations().get()
    assert audit.object_id == str(later.pk)
    assert audit.after == {"refs": [str(_attribute(event, ours.value).uuid)],
                           "indicators": [ours.pk], "earlier_intel": [first.pk]}
    ours.refresh_from_db()
    assert ours.status == "confirmed"  # marked for review, not withdrawn


def test_a_deleted_attribute_matching_nothing_is_skipped_and_said(analyst):
    """The same value, deleted in another event (another uuid: not the attribute we
    accepted), marks nothing."""
    first = _ingest(_event(), actor=analyst)
    _accept(analyst, first, "relais-facture.example.net")
    other = MISPEvent()
    other.info = "Un autre partenaire (fictif)"
    other.add_attribute("domain", "relais-facture.example.net").delete()
    later = _ingest(other, source="api: autre-cert@example.org")
    later.refresh_from_db()
    assert later.warnings == ["1 deleted attribute matches no indicator we accepted: skipped."]
    assert not later.candidates.exists()
    assert not _revocations().exists()


def test_an_event_without_deleted_attributes_says_nothing_of_them(analyst):
    intel = _ingest(_event(), actor=analyst)
    assert intel.warnings == []


def test_the_samples_deleted_in_misp_mark_what_we_accepted(analyst):
    """The shared samples: an attribute deleted (misp_event.json), a whole object deleted
    (malware_exist.json, a REST answer: its attributes go with it)."""
    event = MISPEvent()
    event.load((SAMPLES / "misp_event.json").read_text())
    first = _ingest(event, source="upload: sample", actor=analyst)
    assert intel_module.accept(actor=analyst, intel=first) == 1
    _attribute(event, "http://fake.website.com/malware/is/here").delete()
    later = _ingest(event, source="upload: sample")
    assert any("url:http://fake.website.com/malware/is/here" in w for w in later.warnings)

    raw = json.loads((SAMPLES / "malware_exist.json").read_text())
    malware = MISPEvent()
    malware.load(raw["response"][0])
    first = _ingest(malware, source="upload: sample", actor=analyst)
    hashes = {c.value for c in first.candidates.all()}
    assert {c.type for c in first.candidates.all()} == {"md5", "sha1", "sha256"}
    assert intel_module.accept(actor=analyst, intel=first) == 3
    malware.objects[0].delete()
    later = _ingest(malware, source="upload: sample")
    later.refresh_from_db()
    audit = _revocations().get(object_id=str(later.pk))
    assert audit.after["indicators"] == sorted(
        Indicator.objects.filter(value__in=hashes).values_list("pk", flat=True))
    # The object's three other attributes (file name, size, sample) match nothing.
    assert "3 deleted attributes match no indicator we accepted: skipped." in later.warnings
    assert set(Indicator.objects.filter(value__in=hashes).values_list("status", flat=True)
               ) == {"confirmed"}


def test_the_review_page_shows_it_in_french(client, analyst):
    """Uploaded on the page by an analyst working in French: the review page lists both
    warnings, in French."""
    event = _event()
    first = _ingest(event, actor=analyst)
    _accept(analyst, first, "relais-facture.example.net")
    _attribute(event, "relais-facture.example.net").delete()
    _attribute(event, "198.51.100.23").delete()
    login(client, analyst)
    response = client.post(reverse("sharing:intel-list"), {
        "format": "misp", "source": "CERT partenaire (fictif)",
        "file": SimpleUploadedFile("event.json", event.to_json().encode())},
        HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302
    page = html(client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="fr"))
    items = [li.get_text(" ", strip=True) for li in page.select(".intel-warnings li")]
    assert any("domain:relais-facture.example.net" in i and "révoqué" in i for i in items)
    assert "1 attribut supprimé ne correspond à aucun indicateur accepté : ignoré." in items
