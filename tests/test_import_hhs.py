"""`import-hhs` against the real HHS OCR exports in ../shared/data/hhs-ocr, checked with
figures computed here with the csv module, and against small files with encoding quirks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, Sum
from django.db.models.functions import ExtractYear
from django.utils import translation

from vigisante.observatory import domain, hhs, services
from vigisante.observatory.models import HhsBreach
from vigisante.reports.models import Report

pytestmark = pytest.mark.django_db

HHS_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "hhs-ocr"
ARCHIVE = HHS_DIR / "hhs_ocr_archive_2009-10-21_to_2024-04-26.csv"
OPEN = HHS_DIR / "hhs_ocr_under_investigation_as_of_2024-06-28.csv"
HEADER = ('"Name of Covered Entity","State","Covered Entity Type","Individuals Affected",'
          '"Breach Submission Date","Type of Breach","Location of Breached Information",'
          '"Business Associate Present","Web Description"')



@pytest.fixture
def hhs_exports():
    """The real exports: CI and every checkout have ../shared beside the project."""
    assert ARCHIVE.exists() and OPEN.exists(), f"HHS exports missing under {HHS_DIR}"


needs_data = pytest.mark.usefixtures("hhs_exports")


@pytest.fixture(autouse=True)
def english():
    """Messages are checked in English (the default language is French)."""
    with translation.override("en"):
        yield


def expected(path: Path) -> tuple[int, Counter, Counter, Counter]:
    """Rows, rows per year, individuals per year and rows per breach type, from the CSV."""
    rows, per_year, people, types = 0, Counter(), Counter(), Counter()
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            rows += 1
            year = int(row["Breach Submission Date"][-4:])
            per_year[year] += 1
            if row["Individuals Affected"].strip():
                people[year] += int(row["Individuals Affected"])
            for t in {x.strip() for x in row["Type of Breach"].split(",") if x.strip()}:
                types[t] += 1
    return rows, per_year, people, types


def imported(out: io.StringIO | None = None, *paths: Path) -> None:
    for p in paths:
        call_command("import_hhs", str(p), stdout=out or io.StringIO(), stderr=io.StringIO())


def db_by_year() -> tuple[Counter, Counter]:
    rows = (HhsBreach.objects.values(year=ExtractYear("created_at"))
            .annotate(n=Count("pk"), people=Sum("records_affected")))
    return Counter({r["year"]: r["n"] for r in rows}), Counter(
        {r["year"]: r["people"] for r in rows if r["people"]})


@needs_data
def test_real_exports_row_counts_and_individuals_per_year():
    out = io.StringIO()
    imported(out, ARCHIVE, OPEN)
    rows_a, years_a, people_a, types_a = expected(ARCHIVE)
    rows_o, years_o, people_o, types_o = expected(OPEN)
    assert (rows_a, rows_o) == (5371, 908)  # as the README says
    assert f"Imported: {rows_a}, updated: 0, unchanged: 0, skipped: 0." in out.getvalue()
    assert f"Imported: {rows_o}, updated: 0, unchanged: 0, skipped: 0." in out.getvalue()
    assert HhsBreach.objects.count() == rows_a + rows_o
    assert not Report.objects.exists()  # public records, not reports
    per_year, people = db_by_year()
    assert per_year == years_a + years_o
    assert people == people_a + people_o
    in_db = Counter(t for types in HhsBreach.objects.values_list("breach_types", flat=True)
                    for t in types)
    assert in_db == types_a + types_o  # "Loss, Theft" counts once in Loss, once in Theft
    no_description = [o for o in HhsBreach.objects.values_list("original", flat=True)
                      if not o.get("Web Description", "").strip()]
    assert len(no_description) == 305 + 908
    # no description: ransomware unknown (the portal has no ransomware column)
    assert HhsBreach.objects.filter(ransomware__isnull=True).count() == 305 + 908
    # one record of the archive has no individuals count: kept, with an unknown count
    assert HhsBreach.objects.filter(records_affected__isnull=True).count() == 1
    assert HhsBreach.objects.filter(breach_types=["Loss", "Theft"]).exists()


@needs_data
def test_reimport_of_the_real_export_duplicates_nothing():
    imported(None, OPEN)
    first = dict(HhsBreach.objects.values_list("source_id", "id"))
    out = io.StringIO()
    imported(out, OPEN)
    assert "Imported: 0, updated: 0, unchanged: 908, skipped: 0." in out.getvalue()
    assert dict(HhsBreach.objects.values_list("source_id", "id")) == first


@needs_data
def test_hhs_observatory_by_year_and_breach_type():
    imported(None, OPEN)
    report = services.build_report(domain.Period.year(2023), source="hhs")
    rows = {t["id"]: {r["key"]: r for r in t["rows"]}
            for s in report.figures()["sections"] for t in s["tables"]}
    _n, years, people, _t = expected(OPEN)
    assert rows["01_totals"]["period"]["reports"] == years[2023]
    assert rows["02_years"]["2023"]["records"] == people[2023]
    assert rows["06_disclosure"]["yes"]["reports"] == years[2023]


def write(tmp_path: Path, body: bytes, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(body)
    return path


def test_quirks_bom_crlf_cp1252_mojibake_formats_and_bad_rows(tmp_path):
    lines = [
        HEADER,
        '"Clinique Saint-Jos\xe9 ","ny","Healthcare Provider","13,055","2023-02-01",'
        '"Loss, Theft","Laptop, Paper/Films","No",""',
        '"St. Mary\u00e2\u20ac\u2122s Hospital","CA","Health Plan","","3/7/2023",'
        '"Hacking/IT Incident","Email","Yes","Ransomware encrypted the servers."',
        '"Bad Date Inc","TX","Business Associate","600","31/31/2023","Theft","Email","No",""',
        '"Bad Count LLC","TX","Business Associate","many","01/05/2023","Theft","Email","No",""',
        '"Short row","TX"',
        '"Twin Clinic","OH","Healthcare Provider","700","04/04/2023","Theft","Email","No",""',
        '"Twin Clinic","OH","Healthcare Provider","700","04/04/2023","Theft","Email","No",""',
    ]
    body = b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8") + b"\r\n"
    body = body.replace("Jos\xe9".encode(), b"Jos\xe9")  # a Windows-1252 byte in UTF-8
    path = write(tmp_path, body)
    out, err = io.StringIO(), io.StringIO()
    call_command("import_hhs", str(path), stdout=out, stderr=err)
    assert "Imported: 4, updated: 0, unchanged: 0, skipped: 3." in out.getvalue()
    assert "line 4" in err.getvalue() and "not a date" in err.getvalue()
    assert "line 5" in err.getvalue() and "not a whole number" in err.getvalue()
    assert "line 6" in err.getvalue() and "2 fields instead of 9" in err.getvalue()
    jose = HhsBreach.objects.get(state="NY")
    assert jose.original["Name of Covered Entity"] == "Clinique Saint-José "
    assert (jose.state, jose.records_affected, jose.date) == ("NY", 13055, dt.date(2023, 2, 1))
    assert (jose.breach_types, jose.locations, jose.ransomware) == (
        ["Loss", "Theft"], ["Laptop", "Paper/Films"], None)
    mary = HhsBreach.objects.get(state="CA")
    assert mary.original["Name of Covered Entity"] == "St. Mary\u00e2\u20ac\u2122s Hospital"
    assert mary.ransomware is True and mary.business_associate is True
    assert mary.records_affected is None and mary.date == dt.date(2023, 3, 7)
    assert HhsBreach.objects.filter(state="OH").count() == 2  # two identical rows


def test_clean_repairs_mojibake_and_spaces():
    assert hhs.clean("St. Mary\u00e2\u20ac\u2122s\xa0 Hospital ") == "St. Mary\u2019s Hospital"
    assert hhs.split_values("Loss, Theft,, Loss") == ["Loss", "Theft"]
    assert hhs.parse_date("04/26/2024") == dt.date(2024, 4, 26)
    with pytest.raises(hhs.HhsError):
        hhs.parse_date("2024/26/04")


def test_missing_columns_import_nothing(tmp_path):
    path = write(tmp_path, b'"Name of Covered Entity","State"\n"A","NY"\n')
    with pytest.raises(CommandError, match="missing columns: Individuals Affected, Breach "
                       "Submission Date, Type of Breach, Location of Breached Information$"):
        call_command("import_hhs", str(path), stdout=io.StringIO())
    assert not HhsBreach.objects.exists()
    with pytest.raises(CommandError, match="is not a file"):
        call_command("import_hhs", str(tmp_path / "nope.csv"))
    empty = write(tmp_path, b"", "empty.csv")
    with pytest.raises(CommandError, match="is empty"):
        call_command("import_hhs", str(empty), stdout=io.StringIO())


def test_batches_and_readers_change_nothing_and_one_audit_event(tmp_path):
    """Tiny batches, read by a second process, a thread or the importing process itself:
    the same records, the same messages (in the caller's language) in the file's order, and
    one audit event per import with its counts."""
    from vigisante.core import audit
    from vigisante.core.models import AuditEvent
    from vigisante.observatory import hhs_import

    lines = [HEADER] + [
        f'"Clinic {i}","NY","Healthcare Provider","{100 + i}","01/0{1 + i % 9}/2023",'
        f'"Theft","Email","No","row {i}"' for i in range(7)]
    lines.insert(4, '"Bad","NY","Healthcare Provider","x","01/01/2023","Theft","Email","No",""')
    path = write(tmp_path, ("\n".join(lines) + "\n").encode())
    seen = {}
    readers = ("process", "thread", "inline")
    for reader in readers:
        HhsBreach.objects.all().delete()
        skips: list[tuple[str, str]] = []
        stats = hhs_import.import_hhs(
            path, on_skip=lambda w, c, m, skips=skips: skips.append((w, m)), batch_size=2,
            reader=reader)
        assert (stats.created, stats.skipped_total) == (7, 1)
        assert skips == [("line 5", "Individuals Affected 'x' is not a whole number")]
        seen[reader] = sorted(HhsBreach.objects.values_list(
            "source_id", "content_hash", "created_at", "records_affected", "original"))
    assert len(seen["process"]) == 7
    assert seen["process"] == seen["thread"] == seen["inline"]
    with translation.override("fr"):  # the reading process writes in the caller's language
        HhsBreach.objects.all().delete()
        skips = []
        hhs_import.import_hhs(path, on_skip=lambda w, c, m: skips.append((w, m)),
                              batch_size=2, reader="process")
        assert skips == [("line 5", "Individuals Affected 'x' n'est pas un nombre entier")]
    audit.flush()
    events = list(AuditEvent.objects.filter(action="observatory.import"))
    assert len(events) == len(readers) + 1
    assert events[0].after == {"source": "hhs", "file": "export.csv", "created": 7,
                               "updated": 0, "unchanged": 0,
                               "skipped": {"bad Individuals Affected": 1}}


def test_a_large_file_is_read_by_a_second_process(tmp_path, monkeypatch):
    """`auto` reads a file from PROCESS_MIN_BYTES up in a second process (its threshold
    lowered here), a smaller one in a thread."""
    from vigisante.observatory import hhs_import

    lines = [HEADER] + [f'"Clinic {i}","NY","Healthcare Provider","5","01/02/2023","Theft",'
                        f'"Email","No",""' for i in range(50)]
    path = write(tmp_path, ("\n".join(lines) + "\n").encode())
    assert hhs_import._choose_reader("auto", path) == "thread"
    monkeypatch.setattr(hhs_import, "PROCESS_MIN_BYTES", path.stat().st_size)
    assert hhs_import._choose_reader("auto", path) == "process"
    monkeypatch.delenv("DJANGO_SETTINGS_MODULE")  # the process could not set Django up
    assert hhs_import._choose_reader("auto", path) == "thread"
    with pytest.raises(ValueError):
        hhs_import.import_hhs(path, on_skip=lambda *a: None, reader="fork")


def test_a_reading_process_that_dies_stops_the_import_cleanly(tmp_path):
    """The reading process killed in the middle of the file: the batches written before
    stay, the import says it stopped and why, the audit event records it, nothing hangs."""
    import tempfile

    from vigisante.core import audit
    from vigisante.core.models import AuditEvent
    from vigisante.observatory import hhs_import

    # rows of 20 kB: a batch of 10 is larger than a pipe's buffer, so the reading process
    # is still writing the second batch when it dies
    lines = [HEADER] + [f'"Clinic {i}","NY","Healthcare Provider","5","01/02/2023","Theft",'
                        f'"Email","No","{"x" * 20_000}"' for i in range(40)]
    path = write(tmp_path, ("\n".join(lines) + "\n").encode())

    class KillTheReader:
        """A progress bar that kills the reading process after the first batch."""

        def update(self, done: int, items: int) -> None:
            for child in _children():
                os.kill(child, signal.SIGKILL)
                os.waitid(os.P_PID, child, os.WEXITED | os.WNOWAIT)

    before = set(Path(tempfile.gettempdir()).glob("vigisante-hhs-*"))
    with pytest.raises(hhs_import.ImportFileError, match="the import stopped") as exc:
        hhs_import.import_hhs(path, on_skip=lambda *a: None, batch_size=10,
                              reader="process", progress=KillTheReader())
    assert "exit code -9" in str(exc.value)
    assert HhsBreach.objects.count() == 10
    assert _children() == []
    # the killed process's temporary files went with the folder the import gave it
    assert set(Path(tempfile.gettempdir()).glob("vigisante-hhs-*")) == before
    audit.flush()
    [event] = AuditEvent.objects.filter(action="observatory.import")
    assert event.after["created"] == 10 and "exit code -9" in event.after["error"]


def _children() -> list[int]:
    """The pids of this process's children (Linux)."""
    out: list[int] = []
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        out += [int(pid) for pid in (task / "children").read_text().split()]
    return out


@pytest.mark.parametrize("reader", ["process", "thread"])
def test_malformed_csv_keeps_the_batches_before_it(tmp_path, reader):
    """A file that stops being CSV (here a field over the 1 MiB limit): the rows before it
    are imported, the import says where it stopped, the audit event says so too; whoever
    reads the file."""
    from vigisante.core import audit
    from vigisante.core.models import AuditEvent
    from vigisante.observatory import hhs_import

    good = [f'"Clinic {i}","NY","Healthcare Provider","10","01/02/2023","Theft","Email",'
            f'"No",""' for i in range(5)]
    huge = '"Huge","NY","Healthcare Provider","10","01/02/2023","Theft","Email","No","' + \
        "x" * (1024 * 1024 + 10) + '"'
    path = write(tmp_path, "\n".join([HEADER, *good, huge, *good]).encode() + b"\n")
    with pytest.raises(hhs_import.ImportFileError, match="malformed CSV"):
        hhs_import.import_hhs(path, on_skip=lambda *a: None, batch_size=2, reader=reader)
    assert HhsBreach.objects.count() == 5
    audit.flush()
    [event] = AuditEvent.objects.filter(action="observatory.import")
    assert event.after["created"] == 5 and "field larger than field limit" in \
        event.after["error"]


# -- the storage of HHS records: the same figures as before, and the migration to it ---------

BEFORE = Path(__file__).parent / "data" / "hhs-figures-before.json"
PERIODS = {"y2023": domain.Period.year(2023), "y2024": domain.Period.year(2024),
           "y2015": domain.Period.year(2015), "y2009": domain.Period.year(2009),
           "custom": domain.Period(dt.date(2020, 3, 15), dt.date(2021, 7, 1)),
           "all": domain.Period(dt.date(2009, 1, 1), dt.date(2025, 1, 1))}


def assert_figures_as_before() -> None:
    """Every table of the HHS observatory (internal and public, six periods), computed over
    both real exports, equals what the figures were when HHS records were stored as reports
    (tests/data/hhs-figures-before.json: written by that code, identical on SQLite and
    PostgreSQL)."""
    before = json.loads(BEFORE.read_text())
    now = {}
    for name, period in PERIODS.items():
        for public in (False, True):
            report = services.build_report(period, source="hhs", public=public)
            now[f"{name}-{'public' if public else 'internal'}"] = json.loads(
                json.dumps(report.figures()["sections"], default=str))
    assert sorted(now) == sorted(before)
    for key in before:
        assert now[key] == before[key], key


@needs_data
def test_figures_of_the_lean_storage_are_the_figures_of_before():
    imported(None, ARCHIVE, OPEN)
    assert_figures_as_before()


def _as_stored_before(paths: list[Path]) -> None:
    """The records of `paths` written as the import wrote them before (a reports.Report
    each, with its ExternalIncident and ExternalAttribute rows)."""
    from vigisante.observatory import hhs_import
    from vigisante.observatory.importers import reference
    from vigisante.observatory.models import ExternalAttribute, ExternalIncident

    for path in paths:
        counter = hhs_import.OccurrenceCounter()
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            header = next(reader)
            parser = hhs.RowParser(header, hhs.map_header(header))
            rows = [parser.parse(row) for row in reader]
        numbers = counter.assign([r.key for r in rows])
        counter.close()
        reports = Report.objects.bulk_create([
            Report(reference=reference("hhs", f"{r.key}-{n}"), channel="import", source="hhs",
                   source_id=f"{r.key}-{n}", original=json.loads(r.original), stage="final",
                   created_at=r.created_at, discovered_at=r.created_at, ongoing=False,
                   description=hhs.clean(json.loads(r.original)["Web Description"])[:5000],
                   records_affected=r.records_affected)
            for r, n in zip(rows, numbers, strict=True)])
        if not all(x.pk for x in reports):  # SQLite before RETURNING: read the ids back
            ids = dict(Report.objects.filter(source="hhs").values_list("source_id", "pk"))
            for x in reports:
                x.pk = ids[x.source_id]
        ExternalIncident.objects.bulk_create([ExternalIncident(
            report_id=x.pk, source="hhs", year=r.date.year, month=r.date.month, date=r.date,
            entity_type=r.entity_type, is_health=True, country="US", state=r.state,
            breach_type=", ".join(r.breach_types)[:200], location=", ".join(r.locations)[:300],
            disclosure="yes", ransomware=r.ransomware, records_affected=r.records_affected,
            business_associate=r.business_associate, content_hash=r.content_hash)
            for x, r in zip(reports, rows, strict=True)])
        ExternalAttribute.objects.bulk_create([
            ExternalAttribute(incident_id=x.pk, dimension=d, value=v)
            for x, r in zip(reports, rows, strict=True)
            for d, values in (("breach_type", r.breach_types), ("location", r.locations))
            for v in values])


@needs_data
def test_the_migration_moves_records_imported_before_and_keeps_their_figures():
    from django.apps import apps
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    from vigisante.observatory.models import ExternalAttribute, ExternalIncident

    _as_stored_before([ARCHIVE, OPEN])
    assert Report.objects.filter(source="hhs").count() == 5371 + 908
    keys = dict(Report.objects.filter(source="hhs").values_list(
        "source_id", "external__content_hash"))
    operation = MigrationLoader(connection).get_migration(
        "observatory", "0005_move_hhs_records").operations[0]
    operation.code(apps, None)  # what `vigisante migrate` applies on upgrade
    assert not Report.objects.filter(source="hhs").exists()
    assert not ExternalIncident.objects.exists() and not ExternalAttribute.objects.exists()
    assert dict(HhsBreach.objects.values_list("source_id", "content_hash")) == keys
    assert_figures_as_before()
    out = io.StringIO()
    imported(out, ARCHIVE, OPEN)  # the same exports again: nothing new, nothing changed
    assert "Imported: 0, updated: 0, unchanged: 5371, skipped: 0." in out.getvalue()
    assert "Imported: 0, updated: 0, unchanged: 908, skipped: 0." in out.getvalue()
    with pytest.raises(RuntimeError, match="delete them before migrating back"):
        operation.reverse_code(apps, None)


def test_a_changed_row_is_updated_in_place(tmp_path):
    """Re-importing an export where a row changed (individuals, description) updates that
    record, whatever the database; the others are unchanged."""
    row = ('"Clinic {i}","NY","Healthcare Provider","{n}","01/02/2023","Theft","Email","No",'
           '"{d}"')
    first = [HEADER, row.format(i=1, n=10, d=""), row.format(i=2, n=20, d="")]
    second = [HEADER, row.format(i=1, n=10, d=""), row.format(i=2, n=25, d="ransomware")]
    imported(None, write(tmp_path, "\n".join(first).encode(), "a.csv"))
    ids = dict(HhsBreach.objects.values_list("source_id", "id"))
    out = io.StringIO()
    imported(out, write(tmp_path, "\n".join(second).encode(), "b.csv"))
    assert "Imported: 0, updated: 1, unchanged: 1, skipped: 0." in out.getvalue()
    assert dict(HhsBreach.objects.values_list("source_id", "id")) == ids
    changed = HhsBreach.objects.get(records_affected=25)
    assert changed.ransomware is True and changed.original["Web Description"] == "ransomware"
    assert changed.breach_types == ["Theft"] and changed.locations == ["Email"]


@needs_data
def test_the_ransomware_shortcut_decides_as_cleaning_does():
    """`_mentions_ransomware` skips cleaning long descriptions when the answer cannot
    change: the same answer as on the cleaned text, on every real description and on
    texts built to differ after cleaning."""
    def reference(text: str) -> bool | None:
        cleaned = hhs.clean(text)
        return None if not cleaned else "ransomware" in cleaned.lower()

    texts = ["", "  \xa0 ", "Ransomware’s attack", "RANSOMWARE", "ransom ware",
             "ransomware\u0301 x", "caf\u00c3\u00a9 ransomWare", "\u00c2\xa0", "\u00e9t\u00e9",
             "St. Mary\u00e2\u20ac\u2122s", "ransom\u2003ware"]
    for path in (ARCHIVE, OPEN):
        with open(path, encoding="utf-8", newline="") as f:
            texts += [row["Web Description"] for row in csv.DictReader(f)]
    assert sum(reference(t) is True for t in texts) > 10  # the real files mention it
    for text in texts:
        assert hhs._mentions_ransomware(text) is reference(text), text


def test_a_count_too_large_for_the_database_is_a_bad_row(tmp_path):
    """A count over what a 64-bit column holds: that row listed with its line and skipped,
    the others imported (never a crash of the driver)."""
    row = '"Clinic {i}","NY","Healthcare Provider","{n}","01/02/2023","Theft","Email","No",""'
    lines = [HEADER, row.format(i=1, n="9223372036854775807"),
             row.format(i=2, n="9223372036854775808"), row.format(i=3, n="12")]
    out, err = io.StringIO(), io.StringIO()
    call_command("import_hhs", str(write(tmp_path, "\n".join(lines).encode())), stdout=out,
                 stderr=err)
    assert "Imported: 2, updated: 0, unchanged: 0, skipped: 1." in out.getvalue()
    assert "line 3" in err.getvalue() and "too large" in err.getvalue()
    assert sorted(HhsBreach.objects.values_list("records_affected", flat=True)) == [
        12, 2**63 - 1]


def test_an_import_stopped_early_stops_its_reading_process(tmp_path):
    """The importing process fails (here the first batch's rows make its callback raise):
    the reading process is stopped, and its temporary occurrence counter removed."""
    import tempfile

    from vigisante.observatory import hhs_import

    lines = [HEADER] + [f'"Clinic {i}","NY","Healthcare Provider","5","01/02/2023","Theft",'
                        f'"Email","No","{"x" * 20_000}"' for i in range(40)]
    path = write(tmp_path, ("\n".join(lines) + "\n").encode())
    before = set(Path(tempfile.gettempdir()).glob("vigisante-hhs-*"))

    class Stop(Exception):
        pass

    class StopAfterOneBatch:
        def update(self, done: int, items: int) -> None:
            raise Stop

    with pytest.raises(Stop):
        hhs_import.import_hhs(path, on_skip=lambda *a: None, batch_size=10,
                              reader="process", progress=StopAfterOneBatch())
    assert _children() == []
    assert set(Path(tempfile.gettempdir()).glob("vigisante-hhs-*")) == before
    assert HhsBreach.objects.count() == 10


def test_older_exports_and_their_copies_import(tmp_path):
    """The 2009-2014 archive as published on data.gov and the data sets derived from it:
    other column names (underscores, "Summary", "Date of Breach" holding a date, a range or
    a list, "Business Associate Involved" holding the associate's name), no entity type, an
    extra numbering column, counts written "Unknown"."""
    header = ('"Number","Name_of_Covered_Entity","State","Business_Associate_Involved",'
              '"Individuals_Affected","Date_of_Breach","Type_of_Breach",'
              '"Location_of_Breached_Information","Date_Posted_or_Updated","Summary",'
              '"breach_start","breach_end","year"')
    rows = [
        '"1","Brooke Army Medical Center","TX","","1000","10/21/2009","Theft",'
        '"Paper","2014-06-30","A paper record was stolen.","2009-10-21","","2009"',
        '"2","Mid America Kidney Stone Association, LLC","MO","Acme Billing, Inc.","1000",'
        '"9/22/2007 - 10/28/2007","Theft, Loss","Network Server","2014-06-30","",'
        '"2007-09-22","2007-10-28","2007"',
        '"3","Alaska DHSS","AK","","Unknown","5/5/2010, 5/7/2010","Theft",'
        '"Other Portable Electronic Device, Other","2014-06-30","Ransomware hit.",'
        '"2010-05-05","","2010"',
        '"4","Bad Date Clinic","AK","","12","someday","Theft","Paper","","","","",""',
    ]
    path = write(tmp_path, ("\n".join([header, *rows]) + "\n").encode())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_hhs", str(path), stdout=out, stderr=err)
    assert "Imported: 3, updated: 0, unchanged: 0, skipped: 1." in out.getvalue()
    assert "line 5" in err.getvalue() and "'someday' is not a date" in err.getvalue()
    got = {b.original["Name_of_Covered_Entity"]: b for b in HhsBreach.objects.all()}
    assert sorted(got) == ["Alaska DHSS", "Brooke Army Medical Center",
                           "Mid America Kidney Stone Association, LLC"]
    brooke, kidney, alaska = (got["Brooke Army Medical Center"],
                              got["Mid America Kidney Stone Association, LLC"],
                              got["Alaska DHSS"])
    assert [b.date for b in (brooke, kidney, alaska)] == [
        dt.date(2009, 10, 21), dt.date(2007, 9, 22), dt.date(2010, 5, 5)]
    assert (brooke.business_associate, kidney.business_associate) == (None, True)
    assert (brooke.records_affected, alaska.records_affected) == (1000, None)
    assert kidney.breach_types == ["Theft", "Loss"] and kidney.entity_type == ""
    assert (brooke.ransomware, kidney.ransomware, alaska.ransomware) == (False, None, True)
    assert alaska.locations == ["Other Portable Electronic Device", "Other"]


def test_zipped_and_gzipped_exports(tmp_path, monkeypatch):
    """An export downloaded zipped (one CSV in the archive, beside folders or macOS
    metadata) or gzipped imports as the CSV itself; an archive with no or several CSV files,
    a damaged one, or one expanding past the limit is refused with the reason, nothing
    written."""
    import gzip
    import zipfile

    from vigisante.observatory import hhs_import

    lines = [HEADER] + [f'"Clinic {i}","NY","Healthcare Provider","5","01/02/2023","Theft",'
                        f'"Email","No","{"x" * 300}"' for i in range(30)]
    data = ("\n".join(lines) + "\n").encode()
    with zipfile.ZipFile(tmp_path / "breach_report.zip", "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("data/", "")
        z.writestr("__MACOSX/data/._breach_report.csv", b"\x00\x05")
        z.writestr("data/breach_report.csv", data)
    (tmp_path / "export.csv.gz").write_bytes(gzip.compress(data))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_hhs", str(tmp_path / "breach_report.zip"), stdout=out, stderr=err)
    assert "Imported: 30, updated: 0, unchanged: 0, skipped: 0." in out.getvalue()
    out = io.StringIO()
    call_command("import_hhs", str(tmp_path / "export.csv.gz"), stdout=out, stderr=err)
    assert "Imported: 0, updated: 0, unchanged: 30, skipped: 0." in out.getvalue()
    assert HhsBreach.objects.count() == 30

    HhsBreach.objects.all().delete()
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as z:
        z.writestr("a.csv", data)
        z.writestr("b.CSV", data)
    with pytest.raises(CommandError, match="holding one CSV file is expected, this one "
                                           "holds 2"):
        call_command("import_hhs", str(tmp_path / "two.zip"), stdout=io.StringIO())
    (tmp_path / "damaged.zip").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(CommandError, match="not a readable archive"):
        call_command("import_hhs", str(tmp_path / "damaged.zip"), stdout=io.StringIO())
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(data)[:200])
    with pytest.raises(CommandError, match="not a readable archive"):
        call_command("import_hhs", str(tmp_path / "cut.csv.gz"), stdout=io.StringIO())
    monkeypatch.setattr(hhs_import, "MAX_UNCOMPRESSED_BYTES", len(data) - 1)
    with pytest.raises(CommandError, match="once uncompressed: refused"):
        call_command("import_hhs", str(tmp_path / "breach_report.zip"), stdout=io.StringIO())
    assert not HhsBreach.objects.exists()
