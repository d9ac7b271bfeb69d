"""`import-veris`: VERIS 1.3.x and 1.4.x files written for these tests (tests/data/veris)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from vigisante.observatory import domain, services, veris
from vigisante.observatory.importers import Record, Stats, Writer
from vigisante.observatory.models import ExternalAttribute, ExternalIncident
from vigisante.reports.models import Report

DATA = Path(__file__).parent / "data" / "veris"
VALID = sorted([*DATA.glob("v1_3/*.json"), *DATA.glob("v1_4/*.json")])
INVALID = sorted(DATA.glob("invalid/*.json"))


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the default language is French)."""
    with translation.override("en"):
        yield


def run(path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_veris", str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def load(path: Path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.django_db
def test_imports_valid_files_and_reports_invalid_ones():
    out, err = run(DATA)
    assert f"Imported: {len(VALID)}, updated: 0, unchanged: 0, skipped: {len(INVALID)}." in out
    for path in INVALID:
        assert f"invalid/{path.name}" in err  # file name + reason, one line each
    assert "'Cryptolocker' is not one of" in err
    assert "'timeline' is a required property" in err
    assert "unsupported schema_version '2.0.0'" in err
    assert "not valid JSON" in err
    assert "skipped: 4 — does not validate against VERIS 1.4.1" in out  # summary by reason
    assert "skipped: 1 — unsupported schema version" in out
    reports = Report.objects.filter(source="veris")
    assert reports.count() == len(VALID) == ExternalIncident.objects.count()
    assert set(reports.values_list("source_id", flat=True)) == {
        load(p)["incident_id"] for p in VALID}
    # never half-imported: no trace of a refused file's incident
    refused = [load(p).get("incident_id") for p in INVALID if isinstance(load_or_none(p), dict)]
    assert not Report.objects.filter(source_id__in=[r for r in refused if r]).exists()
    for path in VALID:  # the original JSON is kept as it was
        doc = load(path)
        assert Report.objects.get(source="veris", source_id=doc["incident_id"]).original == doc


def load_or_none(path: Path):
    try:
        return load(path)
    except json.JSONDecodeError:
        return None


@pytest.mark.django_db
def test_mapping_of_a_1_4_ransomware_incident():
    run(DATA / "v1_4")
    r = Report.objects.get(source_id="5b2c1160-a083-11f0-b4de-000000000101")
    e = r.external
    assert (e.year, e.month, e.date.isoformat()) == (2023, 5, "2023-05-02")
    assert (e.industry, e.is_health, e.entity_type) == ("622110", True, "Hospitals")
    assert (e.disclosure, e.ransomware, e.records_affected) == ("yes", True, 50000)
    assert (e.action, e.country, e.state, e.schema_version) == (
        "Hacking, Malware", "US", "CA", "1.4.1")
    assert r.channel == "import" and r.establishment is None and r.reference.startswith("VERIS-")
    assert r.data_confidentiality and r.data_availability and r.health_data
    assert r.records_affected == 50000 and r.ransom_demanded
    assert r.suspected_malicious == "yes" and r.operations_impact == "degraded"
    attrs = set(ExternalAttribute.objects.filter(incident=e).values_list("dimension", "value"))
    assert {("action", "Hacking"), ("action", "Malware"), ("variety", "Malware: Ransomware"),
            ("discovery", "External: Actor disclosure"), ("data", "Medical")} <= attrs


@pytest.mark.django_db
def test_mapping_of_1_3_differences():
    run(DATA / "v1_3")
    flat = Report.objects.get(source_id="9D1A2C3B-0001-4A5B-8C7D-131000000001").external
    attrs = set(flat.attributes.values_list("dimension", "value"))
    assert ("discovery", "External: Customer") in attrs  # 1.3.1 flat discovery_method
    assert ("variety", "Hacking: AitM") in attrs  # MitM renamed
    assert ("asset", "N - Remote access") in attrs
    assert (flat.disclosure, flat.records_affected, flat.schema_version) == ("yes", 1200,
                                                                          "1.3.1")
    ransom = Report.objects.get(source_id="9D1A2C3B-0002-4A5B-8C7D-136000000002").external
    assert ransom.ransomware and ransom.is_health and ransom.disclosure == ""
    error = Report.objects.get(source_id="9D1A2C3B-0003-4A5B-8C7D-137000000003")
    assert error.external.is_health is False and error.suspected_malicious == "no"
    assert error.external.date.isoformat() == "2021-02-01"  # 30 February: month kept
    caps = Report.objects.get(source_id="9d1a2c3b-0004-4a5b-8c7d-134000000004").external
    assert caps.action == "Hacking" and caps.month is None


def test_upgrade_is_pure_and_documented_renames_apply():
    doc = load(DATA / "v1_4" / "vcdb-1.4.0-renamed-assets.json")
    before = json.dumps(doc, sort_keys=True)
    up = veris.upgrade(doc)
    assert json.dumps(doc, sort_keys=True) == before  # the original is untouched
    assert [a["variety"] for a in up["asset"]["assets"]] == ["N - Remote access",
                                                            "S - Secrets vault"]
    conf = up["attribute"]["confidentiality"]
    assert "Partner" in conf["data_victim"] and conf["data_total"] == 35
    assert "attribute" not in up["plus"]
    assert veris.validation_errors(up) == []
    assert veris.validation_errors(doc) != []  # as such, 1.4.0 assets fail 1.4.1


@pytest.mark.django_db
def test_reimport_updates_or_skips_never_duplicates(tmp_path):
    folder = tmp_path / "veris"
    shutil.copytree(DATA / "v1_4", folder)
    run(folder)
    out, _err = run(folder)
    assert "Imported: 0, updated: 0, unchanged: 3, skipped: 0." in out
    path = folder / "vcdb-1.4.1-phishing-bank.json"
    doc = load(path)
    doc["summary"] = "Corrected summary."
    path.write_text(json.dumps(doc))
    report = Report.objects.get(source_id=doc["incident_id"])
    out, _err = run(folder)
    assert "Imported: 0, updated: 1, unchanged: 2, skipped: 0." in out
    report.refresh_from_db()
    assert report.description == "Corrected summary." and report.version == 2
    assert report.original["summary"] == "Corrected summary."
    assert Report.objects.filter(source="veris").count() == 3
    assert ExternalAttribute.objects.filter(incident_id=report.pk).count() == len(
        veris.parse(doc).attributes)


@pytest.mark.django_db
def test_a_record_failing_in_the_database_is_skipped_alone():
    good = veris.parse(load(DATA / "v1_4" / "vcdb-1.4.1-phishing-bank.json"))
    stats, skipped = Stats(), []

    def record(sid: str, description) -> Record:
        return Record("veris", sid, sid, "h" + sid, {"id": sid},
                      dict(good.report, description=description), good.external,
                      good.attributes)

    writer = Writer("veris", stats, lambda *a: skipped.append(a), batch_size=10)
    writer.add(record("a", "ok"))
    writer.add(record("b", None))  # NOT NULL: the database refuses it
    writer.add(record("c", "ok"))
    writer.flush()
    assert (stats.created, stats.skipped["database error"]) == (2, 1)
    assert [s[0] for s in skipped] == ["b"]
    assert set(Report.objects.values_list("source_id", flat=True)) == {"a", "c"}
    assert ExternalIncident.objects.count() == 2


@pytest.mark.django_db
def test_veris_observatory_counts_actions_and_ransomware(tmp_path):
    run(DATA)
    report = services.build_report(domain.Period.year(2023), source="veris")
    rows = {t["id"]: {r["key"]: r for r in t["rows"]}
            for s in report.figures()["sections"] for t in s["tables"]}
    docs = [load(p) for p in VALID if load(p)["timeline"]["incident"]["year"] == 2023]
    assert rows["01_totals"]["period"]["reports"] == len(docs)
    assert rows["03_actions"]["Hacking"]["reports"] == sum(
        1 for d in docs if "hacking" in {k.lower() for k in d["action"]})
    assert rows["07_ransomware"]["yes"]["reports"] == 1
    assert rows["02_years"]["2022"]["reports"] == 1  # counts by year up to the period
    assert report.figures()["about"]["source"] == "veris"
    health = services.build_report(domain.Period.year(2022), source="veris", health_only=True)
    assert health.records == 0


@pytest.mark.django_db
def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        call_command("import_veris", str(tmp_path / "nope"))


def test_progress_bar_draws_on_a_terminal_only():
    from vigisante.observatory.progress import Progress

    stream = io.StringIO()
    bar = Progress(10, "files", stream=stream, enabled=True)
    bar.update()
    bar.close()
    assert "[###" in stream.getvalue() and "1 files" in stream.getvalue()
    quiet = io.StringIO()
    Progress(10, "files", stream=quiet).update()  # a StringIO is not a terminal
    assert quiet.getvalue() == ""
