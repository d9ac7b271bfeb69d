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
    ([], []),
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
