"""Every VIGISANTE_* setting is documented in env.SETTINGS_DOC and listed in the README."""

from __future__ import annotations

import re
from pathlib import Path

from vigisante.config.env import SETTINGS_DOC

ROOT = Path(__file__).resolve().parents[1]


def test_every_setting_is_in_the_readme():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\|\s*`(VIGISANTE_[A-Z0-9_]+)`\s*\|", readme, flags=re.M))
    missing = sorted(set(SETTINGS_DOC) - rows)
    assert not missing, f"add these settings to the README's table: {missing}"
    unknown = sorted(rows - set(SETTINGS_DOC))
    assert not unknown, f"the README lists settings that do not exist: {unknown}"


def test_every_setting_read_by_the_code_is_documented():
    used = set()
    for path in (ROOT / "src" / "vigisante").rglob("*.py"):
        used |= set(re.findall(r"[\"'](VIGISANTE_[A-Z0-9_]+)[\"']", path.read_text("utf-8")))
    assert not sorted(used - set(SETTINGS_DOC))
