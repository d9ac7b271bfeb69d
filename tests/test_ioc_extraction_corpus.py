"""The labelled corpus (tests/data/iocs/corpus.jsonl, 300+ snippets): precision and recall per
type must stay above their thresholds; plus property tests of the engine."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigisante.indicators.extraction import TYPES, canonical, extract, guess_type

sys.path.insert(0, str(Path(__file__).parent / "data" / "iocs"))
import score  # noqa: E402

ENTRIES = score.load()
RESULT, ERRORS = score.score(ENTRIES, score.ours)

#: Floors per type: measured values are 1.0 (see docs/indicators.md); a regression fails.
PRECISION = {t: 0.98 for t in TYPES}
RECALL = {t: 0.98 for t in TYPES}


def test_corpus_is_large_and_varied():
    assert len(ENTRIES) >= 300
    kinds = {e["kind"] for e in ENTRIES}
    assert kinds == {"text", "eml", "html", "csv"}
    assert sum(1 for e in ENTRIES if not any(e["expected"].values())) >= 30  # pure traps
    for t in TYPES:
        assert RESULT[t]["tp"] + RESULT[t]["fn"] >= 10, t


@pytest.mark.parametrize("type_", TYPES)
def test_precision_and_recall_per_type(type_):
    r = RESULT[type_]
    errors = [e for e in ERRORS if e[1] == type_][:10]
    assert r["precision"] >= PRECISION[type_], errors
    assert r["recall"] >= RECALL[type_], errors


def test_overall_f1():
    assert RESULT["all"]["f1"] >= 0.99, ERRORS[:20]


def test_scorer_can_fail():
    res, _ = score.score(ENTRIES, lambda e: {"domain": ["not-in-corpus.example"]})
    assert res["domain"]["precision"] == 0.0 and res["all"]["recall"] == 0.0


HOSTS = st.from_regex(r"[a-z][a-z0-9-]{0,20}[a-z0-9]\.(com|net|fr|org|ru|co\.uk)", fullmatch=True)


@given(st.sampled_from(TYPES), st.text(max_size=200))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_canonical_is_idempotent_and_never_raises(type_, text):
    c = canonical(type_, text)
    if c is not None:
        assert canonical(type_, c) == c


@given(HOSTS, st.sampled_from(["[.]", "(.)", "{.}", "[dot]", "(dot)", "\\."]))
@settings(max_examples=200)
def test_refang_of_defanged_finds_the_value(host, dot):
    if host.endswith(tuple("." + t for t in ("zip", "py", "sh"))):
        return
    defanged = host.replace(".", dot)
    assert host in extract(f"Blocked {defanged} today.")["domain"]
    url = f"https://{host}/a/b.php"
    assert url in extract("see " + url.replace("https", "hxxps").replace(".", "[.]", 1))["url"]
    ip = "91.121.8.7"
    assert ip in extract("ip " + ip.replace(".", dot))["ipv4"]


@given(st.text(max_size=3000))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_extract_never_raises_on_arbitrary_text(text):
    r = extract(text)
    assert tuple(r) == TYPES
    for t, values in r.items():
        assert values == sorted(set(values))
        for v in values:
            assert canonical(t, v) == v, (t, v)
    guess_type(text)


@given(st.lists(st.sampled_from(["evil.com", "[.]", "hxxp://", "1.2.3.4", " ", "\n", "@", ":",
                                 "::", "cve-2024-", "1234", "(dot)", "é", "．", "/", "bc1q",
                                 "a" * 30, "f" * 32, "[at]", ".onion", "\\."]), max_size=60))
@settings(max_examples=300)
def test_extract_never_raises_on_hostile_fragments(parts):
    text = "".join(parts)
    r = extract(text)
    for t, values in r.items():
        for v in values:
            assert canonical(t, v) == v, (t, v)


@pytest.mark.parametrize("sep", ["\n\n", " "])
def test_prefilter_loses_nothing(monkeypatch, sep):
    """Large texts are scanned only around candidate characters: the result must equal a full
    scan of every pattern over the whole text (indicators at the very start and end included)."""
    from vigisante.indicators.extraction import _engine

    snippets = [e["text"] for e in ENTRIES if e["kind"] == "text" and any(e["expected"].values())]
    filler = ("The hospital switched to degraded procedures (version 4.2, 12.03.2024 at 14h30, "
              "e.g. the laboratory) and reported to the agency. ")
    text = sep.join(f"{s}{sep}{filler * (i % 4)}" for i, s in enumerate(snippets * 2))
    text = "1.2.3[.]4 " + text + " hxxp://last[.]example-end.ru/x"
    assert len(text) > 50 * _engine.SMALL
    fast = extract(text)
    monkeypatch.setattr(_engine, "SMALL", 10**9)
    full = extract(text)
    assert fast == full
    assert "1.2.3.4" in fast["ipv4"] and "http://last.example-end.ru/x" in fast["url"]
    assert sum(map(len, fast.values())) > 500
