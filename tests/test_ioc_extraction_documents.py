"""Whole documents in the shape of published threat reports (written for these tests, every
name fictional): a PDF converted to text (page headers, a URL cut across lines, a version
table, figure numbers, OIDs), a French bulletin with English words (French dates, amounts,
"(.)" and "[at]" defanging, versions of products), a markdown blog post (code blocks, MITRE
technique ids, a user agent, package names) and a sandbox appendix (connections, DNS answers,
engine versions). Each must give exactly its expected indicators: no version number read as an
address, no file name read as a domain, every defanged value found."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from vigisante.indicators.extraction import TYPES, extract

DOCS = Path(__file__).parent / "data" / "iocs" / "documents"
NAMES = sorted(p.name.removesuffix(".txt") for p in DOCS.glob("*.txt"))


def _expected(name: str) -> dict[str, list[str]]:
    expected = json.loads((DOCS / f"{name}.expected.json").read_text(encoding="utf-8"))
    assert set(expected) <= set(TYPES), name
    return {t: sorted(expected.get(t, [])) for t in TYPES}


def test_there_are_documents_of_each_shape():
    assert len(NAMES) >= 4
    assert all((DOCS / f"{n}.expected.json").exists() for n in NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_a_document_gives_exactly_its_indicators(name):
    text = (DOCS / f"{name}.txt").read_text(encoding="utf-8")
    assert extract(text) == _expected(name)


@pytest.mark.parametrize("name", NAMES)
def test_the_same_document_in_windows_line_endings_and_latin_1(name):
    """As a PDF or Word export may give it: CRLF line ends, a legacy encoding."""
    from vigisante.indicators.extraction import extract_bytes

    text = (DOCS / f"{name}.txt").read_text(encoding="utf-8").replace("\n", "\r\n")
    data = text.encode("cp1252", errors="replace")
    expected = _expected(name)
    assert extract_bytes(data, f"{name}.txt") == expected


def test_the_iocs_command_on_a_document():
    """`vigisante iocs FILE --json`, as a CERT analyst runs it (private addresses left out)."""
    out = subprocess.run(
        [sys.executable, "-m", "vigisante.cli", "iocs", "--json",
         str(DOCS / "sandbox-appendix-en.txt")], capture_output=True, text=True, check=True)
    found = json.loads(out.stdout)
    expected = _expected("sandbox-appendix-en")
    # the sandbox's own and loopback addresses are on the default warning lists
    assert found["ipv4"] == ["104.26.12.205", "188.114.97.3", "91.92.245.17"]
    assert {t: v for t, v in found.items() if t != "ipv4"} == {
        t: v for t, v in expected.items() if t != "ipv4"}
