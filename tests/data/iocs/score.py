"""Scoring an extractor on corpus.jsonl: precision, recall and F1 per type (micro-averaged)."""

from __future__ import annotations

import json
from pathlib import Path

TYPES = ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "cve", "bitcoin",
         "onion")
CORPUS = Path(__file__).with_name("corpus.jsonl")


def load(path: Path = CORPUS) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def score(entries, extractor, normalise=None):
    """extractor(entry) -> {type: iterable of values}. Returns (per_type, errors) where per_type
    maps a type (and "all") to {"tp", "fp", "fn", "precision", "recall", "f1"}."""
    counts = {t: [0, 0, 0] for t in (*TYPES, "all")}
    errors = []
    for e in entries:
        got = extractor(e)
        for t in TYPES:
            exp = set(e["expected"].get(t, ()))
            g = set(got.get(t, ()))
            if normalise:
                exp = {normalise(t, v) for v in exp}
                g = {normalise(t, v) for v in g}
            tp, fp, fn = len(exp & g), len(g - exp), len(exp - g)
            for key in (t, "all"):
                counts[key][0] += tp
                counts[key][1] += fp
                counts[key][2] += fn
            if fp or fn:
                errors.append((e["id"], t, sorted(g - exp), sorted(exp - g)))
    result = {}
    for t, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        result[t] = {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 4),
                     "recall": round(r, 4), "f1": round(f1, 4)}
    return result, errors


def ours(entry):
    from vigisante.indicators.extraction import extract, extract_bytes

    if entry["kind"] == "text":
        return extract(entry["text"])
    name = {"eml": "message.eml", "html": "page.html", "csv": "iocs.csv"}[entry["kind"]]
    return extract_bytes(entry["text"].encode("utf-8"), name)
