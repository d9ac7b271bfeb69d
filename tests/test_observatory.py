"""The sector's observatory on fixture data: every figure checked against a count computed
here, independently, from the fixture's own specs; query budget; reproducibility."""

from __future__ import annotations

import datetime as dt
import json
import re
import statistics
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from test_observatory_data import PARIS, build, in_2023

from vigisante.core.taxonomy import MALICIOUS_KINDS
from vigisante.observatory import domain, render, services

pytestmark = pytest.mark.django_db

MAX_QUERIES = 40


def rows_of(figures: dict) -> dict[str, dict[str, dict]]:
    """table id -> row key -> row (from figures.json)."""
    out = {}
    for section in figures["sections"]:
        for table in section["tables"]:
            out[table["id"]] = {r["key"]: r for r in table["rows"]}
    return out


@pytest.fixture
def data():
    return build()


@pytest.fixture
def figures(data):
    report = services.build_report(domain.Period.year(2023))
    return rows_of(json.loads(render.figures_json(report)))


def counts(items, key) -> Counter:
    return Counter(key(s) for s in items)


def test_totals_months_structures(data, figures):
    cur = [s for s in data if in_2023(s)]
    prev = [s for s in data if s["created"].astimezone(PARIS).year == 2022
            and s["state"] not in ("duplicate", "rejected")]
    assert figures["01_totals"]["period"]["reports"] == len(cur)
    assert figures["01_totals"]["period"]["previous"] == len(prev)
    assert figures["01_totals"]["period"]["change"] == round((len(cur) - len(prev)) / len(prev),
                                                             4)
    months = counts(cur, lambda s: s["created"].astimezone(PARIS).strftime("%Y-%m"))
    assert {k: r["reports"] for k, r in figures["01_monthly"].items()} == {
        f"2023-{m:02d}": months.get(f"2023-{m:02d}", 0) for m in range(1, 13)}
    per_est = counts(cur, lambda s: s["est"])
    st = figures["02_structures"]
    assert st["structures"]["value"] == len(per_est)
    assert st["more_than_2"]["value"] == sum(1 for n in per_est.values() if n > 2)
    assert st["4+"]["value"] == sum(1 for n in per_est.values() if n >= 4)
    assert st["1"]["value"] == sum(1 for n in per_est.values() if n == 1)
    repeat = figures["02_repeat"]
    assert {r["reports"] for r in repeat.values()} == {n for n in per_est.values() if n >= 4}


def test_categories_sectors_regions(data, figures):
    cur = [s for s in data if in_2023(s)]
    cats = counts(cur, lambda s: f"{s['category']}.{s['sector']}")
    for key, row in figures["03_category"].items():
        assert row["reports"] == cats.get(key, 0), key
        assert row["structures"] == len({s["est"] for s in cur
                                         if f"{s['category']}.{s['sector']}" == key})
    sectors = counts(cur, lambda s: s["sector"])
    assert {k: r["reports"] for k, r in figures["03_sector"].items()} == {
        "health": sectors["health"], "medico_social": sectors["medico_social"]}
    regions = counts(cur, lambda s: s["region"])
    assert {k: r["reports"] for k, r in figures["04_region"].items() if r["reports"]} == regions
    assert sum(r["reports"] for r in figures["04_region"].values()) == len(cur)


def test_origin_kinds_suppliers(data, figures):
    cur = [s for s in data if in_2023(s)]
    origins = counts(cur, lambda s: s["origin"] or "not_qualified")
    assert {k: r["reports"] for k, r in figures["05_origin"].items() if r["reports"]} == origins
    for year in (2019, 2020, 2021, 2022, 2023):
        in_year = [s for s in data if s["created"].astimezone(PARIS).year == year
                   and s["state"] not in ("duplicate", "rejected")]
        assert figures["05_trend"][str(year)]["total"] == len(in_year)
        assert figures["05_trend"][str(year)]["malicious"] == sum(
            1 for s in in_year if s["origin"] == "malicious")
    mal = [s for s in cur if s["kind"] in MALICIOUS_KINDS]
    kinds = counts(mal, lambda s: s["kind"])
    rows = figures["06_kinds"]
    assert {k: r["reports"] for k, r in rows.items() if r["reports"] and k != "total"} == kinds
    assert rows["total"]["reports"] == len(mal)
    assert rows["ransomware"]["degraded"] == sum(
        1 for s in mal if s["kind"] == "ransomware" and s["ops"] in ("degraded", "stopped"))
    extent = counts([s for s in mal if s["kind"] == "ransomware"],
                    lambda s: s["extent"] or "not_specified")
    assert {k: r["reports"] for k, r in figures["06_ransomware_extent"].items()
            if r["reports"]} == extent
    non = counts([s for s in cur if s["kind"] and s["kind"] not in MALICIOUS_KINDS],
                 lambda s: s["kind"])
    assert {k: r["reports"] for k, r in figures["07_kinds"].items()
            if r["reports"] and k != "total"} == non
    with_supplier = [s for s in cur if s["supplier"]]
    names = {s["supplier"].strip().lower() for s in with_supplier}
    sup = figures["07_suppliers"]
    assert sup["reports"]["value"] == len(with_supplier)
    assert sup["suppliers"]["value"] == len(names)
    reach = {n: len({s["est"] for s in with_supplier if s["supplier"].strip().lower() == n})
             for n in names}
    assert sup["multi"]["value"] == sum(1 for v in reach.values() if v >= 2)
    assert {k: r["structures"] for k, r in figures["07_by_supplier"].items()} == reach


def _stats(values: list[float]) -> tuple[int, float | None, float | None]:
    if not values:
        return 0, None, None
    return len(values), round(statistics.fmean(values), 1), round(statistics.median(values), 1)


def test_operations_patients_data(data, figures):
    cur = [s for s in data if in_2023(s)]
    ops = counts(cur, lambda s: s["ops"] or "unknown")
    assert {k: r["reports"] for k, r in figures["08_impact"].items() if r["reports"]} == ops
    care = counts(cur, lambda s: s["care"])
    assert {k: r["reports"] for k, r in figures["08_care"].items() if r["reports"]} == care
    hours = [s["degraded_hours"] for s in cur if s["degraded_hours"]]
    n, mean, median = _stats(hours)
    st = figures["08_degraded_stats"]
    assert (st["n"]["value"], st["mean_hours"]["value"], st["median_hours"]["value"]) == (
        n, mean, median)
    assert figures["08_degraded_duration"]["1d_3d"]["reports"] == sum(
        1 for h in hours if 24 <= h < 72)
    danger = counts(cur, lambda s: s["danger"] or "unknown")
    assert {k: r["reports"] for k, r in figures["09_danger"].items() if r["reports"]} == danger
    d = figures["10_data"]
    assert d["availability"]["reports"] == sum(s["availability"] for s in cur)
    assert d["integrity"]["reports"] == sum(s["integrity"] for s in cur)
    assert d["confidentiality"]["reports"] == sum(s["confidentiality"] for s in cur)
    anyd = sum(1 for s in cur if s["availability"] or s["integrity"] or s["confidentiality"])
    assert (d["any"]["reports"], d["none"]["reports"]) == (anyd, len(cur) - anyd)
    assert figures["10_disclosure"]["health"]["reports"] == sum(
        1 for s in cur if s["confidentiality"] and s["health_data"])
    rec = figures["10_records"]
    assert rec["records_known"]["value"] == sum(1 for s in cur if s["records"] is not None)
    assert rec["records_total"]["value"] == sum(s["records"] or 0 for s in cur)
    systems = Counter(x for s in cur for x in set(s["systems"]))
    assert {k: r["reports"] for k, r in figures["11_systems"].items() if r["reports"]} == systems


def test_support_detection_clocks(data, figures):
    from vigisante.clocks.models import Clock

    cur = [s for s in data if in_2023(s)]
    sp = figures["12_support"]
    supports = [t for s in cur for t in s["supports"]]
    assert sp["requested"]["value"] == sum(s["support_requested"] for s in cur)
    assert sp["supported_cases"]["value"] == sum(1 for s in cur if s["supports"])
    assert sp["supports"]["value"] == len(supports)
    by_type = Counter(t for t, _ooh in supports)
    for t in ("remote_advice", "technical_help", "on_site", "escalation"):
        assert sp[t]["value"] == by_type[t]
    assert sp["interventions"]["value"] == by_type["technical_help"] + by_type["on_site"]
    assert sp["technical_structures"]["value"] == len({
        s["est"] for s in cur if any(t in ("technical_help", "on_site") for t, _o in
                                     s["supports"])})
    assert sp["out_of_hours"]["value"] == sum(1 for _t, ooh in supports if ooh)
    assert sp["out_of_hours_cases"]["value"] == sum(
        1 for s in cur if any(ooh for _t, ooh in s["supports"]))
    src = counts(cur, lambda s: s["detection_source"] or "not_specified")
    assert {k: r["reports"] for k, r in figures["13_source"].items() if r["reports"]} == src
    stage = counts(cur, lambda s: s["detection_stage"] or "not_specified")
    assert {k: r["reports"] for k, r in figures["13_stage"].items() if r["reports"]} == stage
    delays = [(s["created"] - s["discovered"]).total_seconds() / 3600 for s in cur]
    n, mean, median = _stats(delays)
    st = figures["13_delay_stats"]
    assert (st["n"]["value"], st["mean_hours"]["value"], st["median_hours"]["value"]) == (
        n, mean, median)
    assert figures["13_delay_duration"]["7d_plus"]["reports"] == sum(
        1 for h in delays if h >= 168)
    ids = [s["report_id"] for s in cur]
    expected = Counter(Clock.objects.filter(report_id__in=ids).values_list("regime", "state"))
    for regime, row in figures["14_clocks"].items():
        for state in ("done_on_time", "done_late", "due", "not_applicable"):
            assert row[state] == expected.get((regime, state), 0), (regime, state)


def test_campaigns_hitting_several_establishments(data, django_assert_max_num_queries):
    from vigisante.indicators.models import Campaign, CampaignReport
    from vigisante.reports.models import Report

    reports = list(Report.objects.sector().filter(created_at__year=2023)
                   .order_by("establishment_id", "id"))
    ests: dict[int, list] = {}
    for r in reports:
        ests.setdefault(r.establishment_id, []).append(r)
    picked = [rs[0] for rs in list(ests.values())[:3]] + [list(ests.values())[0][-1]]
    now = picked[0].created_at
    wave = Campaign.objects.create(name="Vague (internal name)", status="confirmed",
                                   created_at=now)
    alone = Campaign.objects.create(name="One establishment", status="confirmed",
                                    created_at=now)
    proposal = Campaign.objects.create(status="proposed", created_at=now)
    for r in picked:
        CampaignReport.objects.create(campaign=wave, report=r, added_at=now)
        CampaignReport.objects.create(campaign=proposal, report=r, added_at=now)
    CampaignReport.objects.create(campaign=alone, report=picked[0], added_at=now)
    with django_assert_max_num_queries(MAX_QUERIES):
        report = services.build_report(domain.Period.year(2023))
    section = report.sections[-1]
    assert (section.number, section.available) == (15, True)
    [row] = section.table("15_campaigns").rows
    assert row.label == "Vague (internal name)"
    assert row.values == {"establishments": 3, "reports": len(set(picked)),
                          "regions": len({r.establishment.region for r in picked})}
    public = services.build_report(domain.Period.year(2023), public=True)
    assert [str(r.label) for r in public.sections[-1].table("15_campaigns").rows] == [
        "Campaign 1"]


def test_bounded_number_of_queries(data, django_assert_max_num_queries):
    with django_assert_max_num_queries(MAX_QUERIES):
        services.build_report(domain.Period.year(2023))
    with django_assert_max_num_queries(MAX_QUERIES):
        services.build_report(domain.Period.year(2023), public=True)


def test_a_from_to_period_compares_with_the_same_length_before(data):
    period = domain.Period.between(dt.date(2023, 3, 1), dt.date(2023, 5, 31))
    report = services.build_report(period)
    fig = rows_of(report.figures())
    in_range = [s for s in data if s["state"] not in ("duplicate", "rejected")
                and dt.date(2023, 3, 1) <= s["created"].astimezone(PARIS).date()
                <= dt.date(2023, 5, 31)]
    assert fig["01_totals"]["period"]["reports"] == len(in_range)
    assert list(fig["01_monthly"]) == ["2023-03", "2023-04", "2023-05"]
    assert report.meta["period"]["previous_start"] == "2022-11-29"


def test_figures_json_and_html_are_identical_across_runs(data, tmp_path):
    for name in ("a", "b"):
        call_command("observatory", "--year", "2023", "--out", str(tmp_path / name),
                     "--no-pdf")
    for f in ("figures.json", "report.html", "06_kinds.csv"):
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    about = json.loads((tmp_path / "a" / "figures.json").read_text())["about"]
    assert about["taxonomy"] == {"name": "RSIT", "version": 1003}
    assert about["software"]["name"] == "vigisante"
    assert len(about["snapshot"]["sha256"]) == 64
    assert about["period"]["start"] == "2023-01-01"


def test_snapshot_changes_when_a_record_changes(data):
    from vigisante.triage.models import Case

    first = services.build_report(domain.Period.year(2023)).snapshot
    assert services.build_report(domain.Period.year(2023)).snapshot == first
    case = Case.objects.filter(report_id=data[3]["report_id"]).get()
    case.kind = "ddos" if case.kind != "ddos" else "phishing"
    case.save()
    assert services.build_report(domain.Period.year(2023)).snapshot != first


def test_snapshot_lines_written_by_the_database_are_the_canonical_text(data, monkeypatch):
    """On PostgreSQL the database writes each record's line of the snapshot hash; it must be
    the very text Python's str() writes (else stored fingerprints no longer verify): with
    timestamps with and without microseconds, an empty one, and both booleans."""
    from django.db import connection

    from vigisante.observatory import queries, snapshot
    from vigisante.reports.models import Report, Source
    from vigisante.triage.models import Support

    utc = dt.UTC
    ids = [d["report_id"] for d in data if in_2023(d)][:3]
    Report.objects.filter(pk=ids[0]).update(updated_at=dt.datetime(2023, 5, 1, 8, 30, tzinfo=utc))
    Report.objects.filter(pk=ids[1]).update(
        updated_at=dt.datetime(2023, 5, 1, 8, 30, 0, 250, tzinfo=utc))
    supports = list(Support.objects.filter(case__report_id__in=ids).order_by("id")[:2])
    assert len(supports) == 2
    Support.objects.filter(pk=supports[0].pk).update(
        started_at=dt.datetime(2023, 3, 1, 23, 59, 59, tzinfo=utc), ended_at=None,
        out_of_hours=True)
    Support.objects.filter(pk=supports[1].pk).update(
        started_at=dt.datetime(2023, 3, 1, 8, tzinfo=utc),
        ended_at=dt.datetime(2023, 3, 2, 9, 0, 0, 999999, tzinfo=utc), out_of_hours=False)
    qs = queries.reports_in(domain.Period.year(2023), services.time_zone(), Source.SECTOR)
    fields = ("id", "version", "updated_at")
    lines = snapshot._pg_lines(Report.objects.filter(pk__in=ids[:2]).order_by("id"), fields)
    if connection.vendor == "postgresql":
        assert lines is not None  # the database writes the lines
        expected = ["\x1f".join(map(str, r)) for r in Report.objects.filter(pk__in=ids[:2])
                    .order_by("id").values_list(*fields)]
        assert list(lines) == expected
        assert expected[0].endswith("2023-05-01 08:30:00+00:00")
        assert expected[1].endswith("2023-05-01 08:30:00.000250+00:00")
    written = snapshot.snapshot(qs, Source.SECTOR)
    monkeypatch.setattr(snapshot, "_pg_lines", lambda qs, fields: None)  # Python writes
    assert snapshot.snapshot(qs, Source.SECTOR) == written


def test_imported_records_stay_out_of_the_sector_figures(data):
    from vigisante.reports.models import Report

    before = services.build_report(domain.Period.year(2023)).figures()
    Report.objects.create(reference="HHS-TEST", source="hhs", source_id="x", channel="import",
                          created_at=dt.datetime(2023, 5, 1, tzinfo=dt.UTC),
                          discovered_at=dt.datetime(2023, 5, 1, tzinfo=dt.UTC),
                          description="imported")
    after = services.build_report(domain.Period.year(2023)).figures()
    assert before["sections"] == after["sections"]


def test_command_checks_its_period(tmp_path):
    with pytest.raises(CommandError):
        call_command("observatory", "--out", str(tmp_path))
    with pytest.raises(CommandError):
        call_command("observatory", "--year", "2023", "--from", "2023-01-01", "--to",
                     "2023-02-01", "--out", str(tmp_path))
    with pytest.raises(CommandError):
        call_command("observatory", "--from", "2023-05-01", "--to", "2023-02-01",
                     "--out", str(tmp_path))
    with pytest.raises(CommandError):
        call_command("observatory", "--from", "2023-13-01", "--to", "2023-02-01",
                     "--out", str(tmp_path))


def test_english_and_french(data, tmp_path):
    call_command("observatory", "--year", "2023", "--out", str(tmp_path / "en"), "--lang",
                 "en", "--no-pdf")
    call_command("observatory", "--year", "2023", "--out", str(tmp_path / "fr"), "--no-pdf")
    en = (tmp_path / "en" / "report.html").read_text()
    fr = (tmp_path / "fr" / "report.html").read_text()
    assert '<html lang="en">' in en and '<html lang="fr">' in fr
    assert "1 Jan 2023" in en and "01/01/2023" in fr  # one date format per language
    share = r">\d+{}\d\u00a0%<"  # a non-breaking space before "%": one line on a phone
    assert re.search(share.format(","), fr) and not re.search(share.format(r"\."), fr)
    assert re.search(share.format(r"\."), en) and not re.search(share.format(","), en)
    assert ((tmp_path / "en" / "figures.json").read_bytes()
            == (tmp_path / "fr" / "figures.json").read_bytes())
    assert translation.get_language() in ("en-us", "en", "fr", None)


def test_pdf_pages_turned_to_images_are_not_blank(data, tmp_path):
    import shutil
    import subprocess

    from PIL import Image

    if not shutil.which("pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    call_command("observatory", "--year", "2023", "--out", str(tmp_path), "--public")
    pdf = tmp_path / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")],
                   check=True)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 5
    for page in pages:
        image = Image.open(page).convert("L")
        dark = sum(image.histogram()[:200])
        assert dark > 200, page.name  # text, tables or charts on every page
    # the charts are vectors in the PDF, not bitmaps
    assert b"/Subtype /Image" not in pdf.read_bytes()


def test_pdf_holds_every_table_and_chart_and_is_reproducible(data, tmp_path):
    """The PDF (ReportLab) has the HTML's title, every table's caption, row labels and
    cells, every chart's caption, as text; printed twice, the same bytes."""
    import shutil
    import subprocess

    from bs4 import BeautifulSoup

    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    for run in ("a", "b"):
        call_command("observatory", "--year", "2023", "--out", str(tmp_path / run),
                     "--public", "--lang", "en")
    data_a = (tmp_path / "a" / "report.pdf").read_bytes()
    assert data_a == (tmp_path / "b" / "report.pdf").read_bytes()
    text = " ".join(subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8",
                                    str(tmp_path / "a" / "report.pdf"), "-"], check=True,
                                   capture_output=True).stdout.decode().split())
    soup = BeautifulSoup((tmp_path / "a" / "report.html").read_text(), "html.parser")

    def words(el) -> str:
        return " ".join(el.get_text(" ").split())

    assert words(soup.h1) in text
    tables = soup.select("table.obs-table")
    assert len(tables) >= 20
    for table in tables:
        assert words(table.caption) in text
        for tr in table.select("tbody tr"):
            th = tr.select_one("th")
            if th is not None and len(words(th)) < 40:
                assert words(th) in text, words(th)
            for td in tr.select("td"):
                assert words(td) in text, (table["id"], words(td))
    for caption in soup.select("figure.chart figcaption"):
        assert words(caption).split(" (")[0] in text
    assert "page 1 /" in text


def test_html_has_tables_with_captions_headers_and_charts(data, tmp_path):
    from bs4 import BeautifulSoup

    call_command("observatory", "--year", "2023", "--out", str(tmp_path), "--no-pdf",
                 "--lang", "en")  # the assertions read English
    soup = BeautifulSoup((tmp_path / "report.html").read_text(), "html.parser")
    tables = soup.select("table.obs-table")
    assert len(tables) == len(list(tmp_path.glob("*.csv")))
    for table in tables:
        assert table.caption and table.caption.get_text(strip=True)
        assert table.select("thead th[scope=col]")
        rows = [row for row in table.select("tbody tr")
                if not row.select("td[colspan]")]  # an empty table's "No data." line
        assert all(row.select("th[scope=row]") for row in rows)
    svgs = soup.select("figure.chart svg[role=img]")
    assert len(svgs) >= 14
    ids = [el["id"] for el in soup.select("[id]")]
    assert len(ids) == len(set(ids))  # several inline SVGs, no clashing ids
    assert soup.select_one("#table-06_kinds caption").get_text(strip=True)
    # campaigns are counted now (issue 7): the table is there, empty without campaigns
    assert soup.select_one("#table-15_campaigns caption").get_text(strip=True)
    assert "not yet available" not in soup.get_text()


def test_public_version_hides_small_counts_names_and_narratives(data, tmp_path):
    call_command("observatory", "--year", "2023", "--out", str(tmp_path), "--public",
                 "--no-pdf")
    fig = json.loads((tmp_path / "figures.json").read_text())
    assert fig["about"]["version"] == "public"
    for section in fig["sections"]:
        for table in section["tables"]:
            assert table["id"] not in ("02_repeat", "07_by_supplier", "09_narratives")
            for row in table["rows"]:
                for key, value in row.items():
                    if isinstance(value, int) and not isinstance(value, bool) and key != "key":
                        assert value >= 5 or value is None, (table["id"], row["key"], key)
    everything = "".join(p.read_text() for p in tmp_path.iterdir())
    for name in ("CHU Alpha", "EHPAD Les Tilleuls", "Clinique Beta", "Softcare", "NetHost",
                 "750000011", "patient a été transféré"):
        assert name not in everything
    assert "< 5" in everything


def test_a_fresh_install_gets_a_clear_message_not_a_traceback(tmp_path):
    """`pip install .` then `vigisante observatory --year 2023 --out DIR` before any
    `vigisante migrate`: the command says what to do; then, migrated, it writes every
    file, the PDF included (no system library needed)."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGISANTE_") and k != "DJANGO_SETTINGS_MODULE"}
    env["VIGISANTE_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "vigisante.cli", *args], env=env,
                              capture_output=True, text=True, timeout=300)

    out = tmp_path / "out"
    done = run("observatory", "--year", "2023", "--out", str(out))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "vigisante migrate" in done.stderr and not out.exists()
    assert run("migrate", "-v", "0").returncode == 0
    done = run("observatory", "--year", "2023", "--out", str(out))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF-")
    assert (out / "figures.json").exists() and (out / "01_totals.csv").exists()


def test_local_months_and_years_at_their_edges():
    """Months and years are counted in local time by comparing stored times with each
    month's start (queries.local_month / local_year): instants a second either side of every
    month's start in Paris, the DST changes included, land where Python's own conversion puts
    them, on both databases."""
    from django.db.models import Count

    from vigisante.observatory import queries
    from vigisante.observatory.models import HhsBreach

    period = domain.Period(dt.date(2022, 11, 1), dt.date(2024, 3, 1))  # crosses two years
    instants = [dt.datetime(2022, 11, 1, 0, 0, 1, tzinfo=PARIS)]
    for key in period.months()[1:]:
        start = dt.datetime(int(key[:4]), int(key[5:]), 1, tzinfo=PARIS)
        instants += [start - dt.timedelta(seconds=1), start, start + dt.timedelta(hours=11)]
    instants += [dt.datetime(2023, 3, 26, 1, 59, tzinfo=PARIS),  # either side of DST
                 dt.datetime(2023, 3, 26, 3, 1, tzinfo=PARIS),
                 dt.datetime(2023, 10, 29, 2, 30, fold=1, tzinfo=PARIS),
                 dt.datetime(2024, 2, 29, 23, 59, 59, tzinfo=PARIS)]
    HhsBreach.objects.bulk_create(HhsBreach(
        source_id=f"edge-{i}", content_hash="-", created_at=at.astimezone(dt.UTC), original={})
        for i, at in enumerate(instants))
    qs = queries.reports_in(period, PARIS, "hhs")
    assert qs.count() == len(instants)
    expected = Counter(at.astimezone(PARIS).strftime("%Y-%m") for at in instants)
    assert queries.monthly(qs, PARIS, period) == dict(expected)
    assert len(expected) == 16
    years = (qs.annotate(y=queries.local_year("created_at", PARIS, 2022, 2024))
             .values("y").annotate(n=Count("id")).order_by())
    assert {r["y"]: r["n"] for r in years} == dict(
        Counter(at.astimezone(PARIS).year for at in instants))
