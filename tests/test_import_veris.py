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
DRIFT = sorted(DATA.glob("drift/*.json"))
UNREADABLE = sorted(DATA.glob("unreadable/*.json"))
HISTORY = json.loads((DATA.parent / "veris-history.json").read_text())


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
def test_imports_every_incident_and_refuses_only_what_cannot_be_read():
    out, err = run(DATA)
    # not-an-object.json is a list of three numbers: three entries that are not incidents
    refused = len(UNREADABLE) - 1 + 3
    imported = len(VALID) + len(DRIFT)
    assert f"Imported: {imported}, updated: 0, unchanged: 0, skipped: {refused}." in out
    for path in UNREADABLE:
        assert f"unreadable/{path.name}" in err  # file name + reason, one line each
    assert "skipped: 3 — not a JSON object" in out  # summary by reason
    assert "skipped: 1 — not valid JSON" in out
    assert "skipped: 1 — not UTF-8 text" in out
    assert "skipped: 3 — no incident in it" in out  # {}, [] and an id alone
    assert "Warning: 5 records are outside the VERIS 1.4.1 schema" in out
    assert "1 records: action.malware.variety[]: 'Cryptolocker' is not a VERIS 1.4.1 value" \
        in out
    assert "1 records: timeline.incident.month: 13 is greater than the maximum of 12" in out
    reports = Report.objects.filter(source="veris")
    assert reports.count() == imported == ExternalIncident.objects.count()
    assert set(reports.values_list("source_id", flat=True)) == {
        load(p)["incident_id"] for p in VALID + DRIFT}
    flagged = ExternalIncident.objects.filter(outside_schema=True)
    assert set(flagged.values_list("report__source_id", flat=True)) == {
        load(p)["incident_id"] for p in DRIFT}
    assert not ExternalIncident.objects.filter(outside_schema=False).exclude(
        schema_warnings=[]).exists()
    # never half-imported: no trace of a refused file's incident
    assert not Report.objects.filter(source_id="5b2c1160-0000-0000-0000-000000000299").exists()
    for path in VALID + DRIFT:  # the original JSON is kept as it was
        doc = load(path)
        assert Report.objects.get(source="veris", source_id=doc["incident_id"]).original == doc


@pytest.mark.django_db
def test_a_value_outside_the_schema_is_kept_as_written_and_flagged():
    run(DATA / "drift")
    e = Report.objects.get(source_id="5b2c1160-0000-0000-0000-000000000202").external
    assert e.outside_schema and e.year == 2022
    assert e.schema_warnings == [
        "action.malware.variety[]: 'Cryptolocker' is not a VERIS 1.4.1 value"]
    assert ("variety", "Malware: Cryptolocker") in set(
        e.attributes.values_list("dimension", "value"))
    month = Report.objects.get(source_id=load(DATA / "drift" / "month-13-1.3.json")[
        "incident_id"]).external
    assert (month.year, month.month, month.date.isoformat()) == (2019, None, "2019-01-01")
    no_date = Report.objects.get(source_id="5b2c1160-0000-0000-0000-000000000203")
    assert no_date.external.year is None and no_date.external.outside_schema
    assert "timeline.incident.year: missing or not a year (in no period)" in \
        no_date.external.schema_warnings
    report = services.build_report(domain.Period.year(2022), source="veris")
    assert report.records == 1  # the 2022 drift record
    notes = [str(n) for n in report.sections[0].notes]
    assert "1 record of the period is outside the VERIS 1.4.1 schema: counted with its " \
        "values as written." in notes
    undated = sum(1 for p in DRIFT if not load(p).get("timeline"))
    assert f"{undated} imported records have no incident year and are in no period." in notes
    years = {r.key for r in report.sections[1].tables[0].rows}
    assert "1900" not in years and "2022" in years  # an undated record is in no year


def _enum_values(version: str) -> dict[str, list[str]]:
    """Values of VERIS `version`'s own enumerations used by the test records: the stable
    ones, each renamed value as that version spells it (tests/data/veris-history.json)."""
    v = tuple(int(x) for x in version.split("."))
    out = {k: list(vals) for k, vals in HISTORY["stable"].items()}
    for item in HISTORY["removed"]:
        removed = tuple(int(x) for x in item["removed_in"].split("."))
        value = item["old"] if v < removed else item["new"]
        out.setdefault(item["field"], []).append(value)
    return out


def _record(version: str, n: int) -> dict:
    values = _enum_values(version)
    v = tuple(int(x) for x in version.split("."))
    action = {}
    for name in ("hacking", "malware", "social", "physical", "error"):
        action[name] = {"variety": values[f"action.{name}.variety"],
                        "vector": values[f"action.{name}.vector"]}
    action["social"]["target"] = ["End-user"]
    doc = {
        "schema_version": version, "incident_id": f"hist-{version}-{n}",
        "security_incident": "Confirmed", "summary": f"Built to VERIS {version}",
        "timeline": {"incident": {"year": 2020, "month": 1 + n}},
        "victim": {"industry": "622110", "country": ["US"], "employee_count": "Unknown"},
        "action": action,
        "actor": {"external": {"variety": ["Unknown"], "motive": ["Financial"]}},
        "asset": {"assets": [{"variety": a} for a in values["asset.assets.variety"]]},
        "attribute": {"confidentiality": {"data_disclosure": "Yes",
                                          "data": [{"variety": "Medical"}]}},
    }
    flat = sorted(HISTORY["flat_discovery_method"])[n % len(HISTORY["flat_discovery_method"])]
    if v <= (1, 3, 2):
        doc["discovery_method"] = flat
        doc["asset"]["governance"] = ["Unknown"]
    else:
        branch, variety = HISTORY["flat_discovery_method"][flat]
        doc["discovery_method"] = {branch: {"variety": [variety]}}
    if v >= (1, 4, 0):
        doc["asset"]["cloud"] = ["Unknown"]
        doc["victim"]["government"] = ["NA"]
    return doc


@pytest.mark.django_db
def test_records_built_to_each_schema_versions_own_enumerations(tmp_path):
    versions = HISTORY["versions"]
    for version in versions:
        for n in range(2):
            (tmp_path / f"{version}-{n}.json").write_text(json.dumps(_record(version, n)))
    out, err = run(tmp_path)
    assert f"Imported: {2 * len(versions)}, updated: 0, unchanged: 0, skipped: 0." in out, \
        out + err
    assert "outside the VERIS 1.4.1 schema" not in out, out  # each is within its own schema
    assert not ExternalIncident.objects.filter(outside_schema=True).exists()
    for version in versions:
        v = tuple(int(x) for x in version.split("."))
        for n in range(2):
            e = Report.objects.get(source_id=f"hist-{version}-{n}").external
            assert e.schema_version == version
            attrs = set(e.attributes.values_list("dimension", "value"))
            for item in HISTORY["removed"]:
                field = item["field"]
                label = (("asset", item["new"]) if field.startswith("asset") else
                         ("variety", f"{field.split('.')[1].capitalize()}: {item['new']}"))
                if field.endswith(".variety"):
                    assert label in attrs, (version, item)
                    old = (("asset", item["old"]) if field.startswith("asset") else
                           ("variety", f"{field.split('.')[1].capitalize()}: {item['old']}"))
                    assert old not in attrs
                removed = tuple(int(x) for x in item["removed_in"].split("."))
                mapping = f"{field}: {item['old']!r} → {item['new']!r}"
                assert (mapping in e.schema_mappings) == (v < removed), (version, mapping)
            flat = sorted(HISTORY["flat_discovery_method"])[n % 4]
            branch, variety = HISTORY["flat_discovery_method"][flat]
            assert ("discovery", f"{branch.capitalize()}: {variety}") in attrs
    # the summary counts the records mapped per value: MitM was written by every 1.3.x
    # record for hacking
    mitm = sum(2 for version in versions if tuple(map(int, version.split("."))) < (1, 4, 0))
    assert f"  {mitm} records mapped: action.hacking.variety: 'MitM' → 'AitM'" in out


@pytest.mark.django_db
def test_drift_in_a_record_that_claims_the_newest_version(tmp_path):
    doc = load(DATA / "v1_4" / "vcdb-1.4.1-phishing-bank.json")
    doc["action"]["hacking"] = {"variety": ["MitM", "quantum tunnelling"],
                                "vector": "web application"}
    (tmp_path / "a.json").write_text(json.dumps(doc))
    out, _err = run(tmp_path)
    assert "Imported: 1," in out
    e = Report.objects.get(source_id=doc["incident_id"]).external
    attrs = set(e.attributes.values_list("dimension", "value"))
    assert {("variety", "Hacking: AitM"), ("variety", "Hacking: quantum tunnelling")} <= attrs
    assert e.outside_schema
    assert e.schema_warnings == [
        "action.hacking.variety[]: 'quantum tunnelling' is not a VERIS 1.4.1 value"]
    assert "action.hacking.variety: 'MitM' → 'AitM'" in e.schema_mappings
    assert "action.hacking.vector: 'web application' → ['web application']" in \
        e.schema_mappings  # a lone value for a list, then its 1.4.1 spelling
    assert "action.hacking.vector[]: 'web application' → 'Web application'" in \
        e.schema_mappings


@pytest.mark.django_db
def test_a_veris_1_2_record_with_a_list_of_victims(tmp_path):
    doc = load(DATA / "v1_3" / "vcdb-1.3.6-ransomware.json")
    doc["schema_version"] = "1.2.1"
    doc["victim"] = [dict(doc["victim"], industry="622110"), {"industry": "44"}]
    doc["timeline"]["incident"]["year"] = 2019.0  # a number written as a float
    (tmp_path / "old.json").write_text(json.dumps(doc))
    out, _err = run(tmp_path)
    assert "Imported: 1," in out
    e = Report.objects.get(source_id=doc["incident_id"]).external
    assert (e.industry, e.is_health, e.year, e.schema_version) == ("622110", True, 2019,
                                                                   "1.2.1")
    assert "victim: 'a list' → 'its first victim'" in e.schema_mappings


@pytest.mark.django_db
def test_arrays_lines_shared_ids_and_copies(tmp_path):
    a = load(DATA / "v1_4" / "vcdb-1.4.1-phishing-bank.json")
    b = dict(a, summary="Another record with the same incident_id")
    (tmp_path / "all.json").write_text(json.dumps([a, b, a]))
    (tmp_path / "more.JSONL").write_text(json.dumps(dict(a, incident_id="line-1")) + "\n\n"
                                         + "{not json\n")
    out, err = run(tmp_path)
    assert "Imported: 3, updated: 0, unchanged: 0, skipped: 1." in out, out + err
    assert "Identical copies of a record already read (counted once): 1." in out
    assert "Records whose id another record already had" in out
    ids = set(Report.objects.values_list("source_id", flat=True))
    assert ids == {a["incident_id"], a["incident_id"] + "~2", "line-1"}
    assert "more.JSONL:3" in err  # the line that is not JSON


@pytest.mark.django_db
def test_zip_and_gzip_archives_as_published(tmp_path, monkeypatch):
    """VCDB publishes its joined data set zipped (vcdb.json.zip): archives are read without
    extracting, member by member; a damaged or oversized member is skipped with its reason
    and the others imported; a file that is no archive is skipped, not a crash."""
    import gzip
    import zipfile

    from vigisante.observatory import veris_import

    a = load(DATA / "v1_4" / "vcdb-1.4.1-phishing-bank.json")
    docs = [dict(a, incident_id=f"zip-{i}") for i in range(4)]
    with zipfile.ZipFile(tmp_path / "vcdb.json.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data/joined/vcdb.json", json.dumps(docs[:2]))  # an array of incidents
        z.writestr("data/json/validated/zip-2.JSON", json.dumps(docs[2]))
        z.writestr("data/json/validated/", "")  # a folder entry
        z.writestr("__MACOSX/data/json/._zip-2.json", b"\x00\x05\x16\x07 not json")
        z.writestr("README.md", "# VCDB")
        z.writestr("data/json/broken.json", "{not json")
        z.writestr("data/json/huge.json", " " * 5000 + json.dumps(docs[3]))  # expands
    with gzip.open(tmp_path / "lines.jsonl.gz", "wt") as f:
        f.write(json.dumps(dict(a, incident_id="gz-1")) + "\n")
    (tmp_path / "damaged.zip").write_bytes(b"PK\x03\x04 this is not a zip archive")
    (tmp_path / "damaged.json.gz").write_bytes(b"\x1f\x8b\x08 truncated")
    monkeypatch.setattr(veris_import, "MAX_FILE_BYTES", 4000)
    out, err = run(tmp_path)
    assert "Imported: 4, updated: 0, unchanged: 0, skipped: 4." in out, out + err
    assert set(Report.objects.values_list("source_id", flat=True)) == {
        "zip-0", "zip-1", "zip-2", "gz-1"}
    assert "vcdb.json.zip!data/joined/vcdb.json[1]" not in err  # imported, not listed
    assert "vcdb.json.zip!data/json/broken.json" in err and "not valid JSON" in err
    assert "vcdb.json.zip!data/json/huge.json" in err and "uncompressed" in err
    assert "damaged.zip" in err and "not a readable zip archive" in err
    assert "damaged.json.gz" in err and "not a readable gzip file" in err
    assert "MACOSX" not in err and "README" not in err
    assert Report.objects.get(source_id="zip-2").original == docs[2]


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
    assert rows["02_years"]["2022"]["reports"] == sum(  # counts by year up to the period
        1 for p in VALID + DRIFT if load(p).get("timeline", {}).get("incident", {}).get(
            "year") == 2022)
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
