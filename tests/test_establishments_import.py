"""`vigisante import-establishments FILE.csv [--skip-invalid] [--dry-run]`."""

from __future__ import annotations

import io

import pytest
from conftest import make_establishment
from django.core.management import call_command
from django.core.management.base import CommandError

from vigisante.cli import main as cli_main
from vigisante.core import audit
from vigisante.core.models import AuditEvent
from vigisante.establishments.models import Establishment

pytestmark = pytest.mark.django_db
HEADER = "finess,name,category,sector,legal_status,departement,region,nis2_status,insured\n"


@pytest.fixture(autouse=True)
def english(settings):
    """Assertions read the English source strings, whatever the French catalogue says."""
    settings.LANGUAGE_CODE = "en"


def write(tmp_path, text: str | bytes, name: str = "registry.csv"):
    path = tmp_path / name
    if isinstance(text, str):
        text = text.encode("utf-8")
    path.write_bytes(text)
    return str(path)


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_establishments", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_imports_valid_file_deriving_region_and_sector(tmp_path):
    path = write(tmp_path, HEADER
                 + "750000011,CHU Paris (synthetic),chu,,public,75,,essential,1\n"
                 + "2A0000015,EHPAD Ajaccio (synthetic),ehpad,,private_nonprofit,,,,non\n"
                 + "9D0000018,Clinique Réunion (synthetic),CLINIC,health,private_forprofit,"
                 + "9D,LRE,important,yes\n")
    out, err = run(path)
    assert "Created: 3, updated: 0, unchanged: 0, skipped: 0." in out
    assert err == ""
    chu = Establishment.objects.get(finess="750000011")
    assert (chu.region, chu.sector, chu.nis2_status, chu.insured) == ("IDF", "health",
                                                                      "essential", True)
    ehpad = Establishment.objects.get(finess="2A0000015")
    assert (ehpad.departement, ehpad.region, ehpad.sector, ehpad.nis2_status, ehpad.insured) \
        == ("2A", "COR", "medico_social", "unknown", False)
    clinic = Establishment.objects.get(finess="9D0000018")
    assert clinic.category == "clinic" and clinic.region == "LRE"
    event = AuditEvent.objects.get(action="establishments.import")
    assert sorted(event.after["created"]) == ["2A0000015", "750000011", "9D0000018"]
    assert audit.verify().ok


def test_semicolon_bom_crlf_french_excel(tmp_path):
    text = ("\ufeffFINESS;Name;Category;Legal status;Département;NIS2_status\r\n"
            "690000022;\"EHPAD; Lyon (synthetic)\";ehpad;public;69;not-in-scope\r\n"
            "\r\n"
            "010000012;CH Ain (synthetic);ch;public;1;essential\r\n")
    out, _err = run(write(tmp_path, text))
    assert "Created: 2" in out
    lyon = Establishment.objects.get(finess="690000022")
    assert lyon.name == "EHPAD; Lyon (synthetic)"
    assert lyon.region == "ARA" and lyon.nis2_status == "not_in_scope"
    assert Establishment.objects.get(finess="010000012").departement == "01"


def test_bad_rows_are_all_reported_with_line_and_field_and_nothing_imported(tmp_path):
    path = write(tmp_path, HEADER
                 + "750000011,OK (synthetic),chu,,public,75,,essential,1\n"
                 + "75000001,Short finess,chu,,public,75,,essential,0\n"
                 + "\n"
                 + "690000022,Wrong region,ch,,public,69,IDF,unknown,0\n"
                 + "330000013,Bad codes,hospital,,public,33,,maybe,perhaps\n"
                 + "1A0000011,Bad dept,ch,,public,,,,\n"
                 + "750000011,Duplicate,chu,,public,75,,essential,1\n"
                 + "130000014,,ch,,public,13,,,\n"
                 + "130000022,Wrong dept,ch,,public,75,,,\n")
    with pytest.raises(CommandError) as exc:
        run(path)
    assert "7 rows have errors: nothing was imported" in str(exc.value)
    assert not Establishment.objects.exists()
    assert not AuditEvent.objects.exists()


def test_error_lines_name_line_and_field(tmp_path):
    path = write(tmp_path, HEADER
                 + "750000011,OK (synthetic),chu,,public,75,,essential,1\n"
                 + "75000001,Short finess,chu,,public,75,,essential,0\n"
                 + "\n"
                 + "690000022,Wrong region,ch,,public,69,IDF,unknown,0\n"
                 + "330000013,Bad codes,hospital,,public,33,,maybe,perhaps\n"
                 + "750000011,Duplicate,chu,,public,75,,essential,1\n"
                 + '130000014,"",ch,,public,13,,,\n'
                 + "130000022,Wrong dept,ch,,public,75,,,\n"
                 + "130000030,Too wide,ch,,public,13,,,,extra\n")
    out, err = run(path, "--skip-invalid")
    lines = err.splitlines()
    expected = [
        ("line 3, finess:", "9 characters; this one has 8"),
        ("line 5, region:", "Département 69 is in region"),
        ("line 6, category:", "'hospital' is not a valid code"),
        ("line 6, nis2_status:", "'maybe' is not a valid code"),
        ("line 6, insured:", "'perhaps' is not yes or no"),
        ("line 7, finess:", "already on line 2"),
        ("line 8, name:", "cannot be blank"),
        ("line 9, departement:", "belongs to département 13"),
        ("line 10, -:", "more than the header"),
    ]
    for prefix, reason in expected:
        assert any(prefix in line and reason in line for line in lines), (prefix, err)
    assert all(line.startswith("Skipped line") for line in lines)
    assert "Created: 1, updated: 0, unchanged: 0, skipped: 7." in out
    assert list(Establishment.objects.values_list("finess", flat=True)) == ["750000011"]
    assert AuditEvent.objects.get().after["skipped_lines"] == [3, 5, 6, 7, 8, 9, 10]


def test_existing_finess_is_updated(tmp_path):
    make_establishment("750000011", "Old name (synthetic)", nis2_status="unknown")
    path = write(tmp_path, HEADER
                 + "750000011,New name (synthetic),chu,,public,75,,essential,1\n"
                 + "690000022,Lyon (synthetic),ch,,public,69,,important,0\n")
    out, _err = run(path)
    assert "Created: 1, updated: 1, unchanged: 0" in out
    est = Establishment.objects.get(finess="750000011")
    assert est.name == "New name (synthetic)" and est.category == "chu" and est.insured
    assert Establishment.objects.count() == 2
    event = AuditEvent.objects.get(action="establishments.import")
    assert event.after["updated"]["750000011"]["before"]["name"] == "Old name (synthetic)"
    out, _err = run(path)
    assert "Created: 0, updated: 0, unchanged: 2" in out


def test_dry_run_writes_nothing(tmp_path):
    path = write(tmp_path, HEADER + "750000011,CHU (synthetic),chu,,public,75,,essential,1\n")
    out, _err = run(path, "--dry-run")
    assert "Dry run, nothing written. Created: 1" in out
    assert not Establishment.objects.exists() and not AuditEvent.objects.exists()


def test_dry_run_still_reports_errors(tmp_path):
    path = write(tmp_path, HEADER + "7500,CHU,chu,,public,75,,essential,1\n")
    with pytest.raises(CommandError):
        run(path, "--dry-run")


@pytest.mark.parametrize("content,message", [
    (b"", "The file is empty."),
    (b"\xef\xbb\xbf\n\n  \n", "The file is empty."),
    (HEADER.encode(), "header line but no establishments"),
    (HEADER.encode() + b"750000011,H\xf4pital Latin-1,ch,,public,75,,,\n",
     "not valid UTF-8 (line 2"),
    (b"finess,name\n750000011,X\n", "missing required column(s): category, legal_status"),
    (b"finess,name,category,legal_status,colour\n750000011,X,ch,public,red\n",
     "unknown column(s): colour"),
    (b"finess,name,name,category,legal_status\n750000011,X,Y,ch,public\n",
     "column(s) given twice: name"),
    (b"\x00\x01\x02garbage", "NUL character (line 1)"),
])
def test_file_level_errors_are_clear_and_write_nothing(tmp_path, content, message):
    with pytest.raises(CommandError) as exc:
        run(write(tmp_path, content))
    assert message in str(exc.value)
    assert "Nothing was imported." in str(exc.value)
    assert not Establishment.objects.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path / "nope.csv"))
    with pytest.raises(CommandError, match="Cannot read"):
        run(str(tmp_path))


def test_cli_dashed_name_exit_codes_and_no_traceback(tmp_path, capsys, monkeypatch):
    # run_from_argv closes every connection when done; the test's own must stay open.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    bad = write(tmp_path, HEADER + "7500,CHU,chu,,public,75,,essential,1\n")
    with pytest.raises(SystemExit) as exc:
        cli_main(["vigisante", "import-establishments", bad])
    assert exc.value.code != 0
    captured = capsys.readouterr()
    assert "line 2, finess:" in captured.err
    assert "Traceback" not in captured.err
    good = write(tmp_path, HEADER + "750000011,CHU (synthetic),chu,,public,75,,,\n", "ok.csv")
    cli_main(["vigisante", "import-establishments", good])
    assert "Created: 1" in capsys.readouterr().out


def test_huge_cell_is_reported_not_crashing(tmp_path):
    path = write(tmp_path, HEADER + "750000011," + "x" * 300 + ",chu,,public,75,,,\n")
    with pytest.raises(CommandError):
        run(path)
    out, err = run(path, "--skip-invalid")
    assert "line 2, name:" in err


def test_bad_finess_is_one_error_not_three(tmp_path):
    path = write(tmp_path, "finess,name,category,legal_status\n75000001,X,ch,public\n")
    _out, err = run(path, "--skip-invalid")
    assert err.count("line 2,") == 1 and "line 2, finess:" in err
