"""The `vigisante` command maps dashed names onto Django's management commands."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from vigisante import cli


@pytest.fixture
def captured(monkeypatch):
    seen = []
    monkeypatch.setattr("django.core.management.execute_from_command_line", seen.append)
    return seen


@pytest.mark.parametrize(("argv", "expected"), [
    (["demo-otp", "a@b.org"], ["demo_otp", "a@b.org"]),
    (["import-establishments", "x-y.csv", "--skip-invalid"],
     ["import_establishments", "x-y.csv", "--skip-invalid"]),
    (["demo", "--no-serve", "--json"], ["demo", "--no-serve", "--json"]),
    (["serve", "--port", "8123"], ["serve", "--port", "8123"]),
    (["--version"], ["--version"]),
    (["help", "serve"], ["help", "serve"]),
])
def test_dashed_names_map_to_commands(captured, argv, expected):
    cli.main(["vigisante", *argv])
    assert captured == [["vigisante", *expected]]


def test_real_console_script_knows_the_commands(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGISANTE_") and k != "DJANGO_SETTINGS_MODULE"}
    env["VIGISANTE_DATA_DIR"] = str(tmp_path)
    for command in ("demo-otp", "serve", "demo"):
        done = subprocess.run([sys.executable, "-m", "vigisante.cli", command, "--help"],
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "usage: vigisante" in done.stdout


@pytest.mark.parametrize("args", [[], ["--help"], ["-h"], ["help"]])
def test_help_lists_our_commands_first_then_django(tmp_path, args):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("VIGISANTE_") and k != "DJANGO_SETTINGS_MODULE"}
    env["VIGISANTE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "vigisante.cli", *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    ours, _sep, django_part = out.partition("Other Django commands:")
    assert "Vigisanté commands:" in ours and django_part
    rows = [line.split(None, 1) for line in ours.splitlines() if line.startswith("  ")]
    names = [r[0] for r in rows]
    assert names[:4] == ["demo", "demo-otp", "serve", "worker"]
    for expected in ("import-establishments", "create-token", "observatory", "audit",
                     "import-veris", "import-hhs", "iocs"):
        assert names.count(expected) == 1, expected
    assert all(len(r) == 2 and r[1].strip() for r in rows), "one line of what each does"
    assert not any("_" in n for n in names), "dashed names, as in the README"
    assert "migrate" in django_part.split() and "createsuperuser" in django_part.split()
    for hidden in ("runserver", "startproject", "startapp"):
        assert hidden not in out
    assert "demo" not in django_part.split(), "ours are not repeated among Django's"
