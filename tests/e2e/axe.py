"""axe-core accessibility checks in the browser tests.

axe-core is a test-only npm package (package.json at the root of the repository). When
node_modules/ lacks it, `npm ci` installs it once (the npm registry is reachable wherever the
tests run); without npm the test fails with a clear message instead of skipping.
"""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


@cache
def axe_source() -> str:
    if not AXE.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to install axe-core for the accessibility checks"
        command = "ci" if (ROOT / "package-lock.json").exists() else "install"
        subprocess.run([npm, command, "--no-audit", "--no-fund"], cwd=ROOT, check=True,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=300)
    return AXE.read_text(encoding="utf-8")


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core (WCAG 2 A/AA rules) on the page; the violations of the given impacts."""
    # evaluated through the DevTools protocol: a strict Content-Security-Policy cannot block it
    page.evaluate(axe_source() + "\n;undefined")
    result = page.evaluate(
        "async () => await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]
