"""Scoring an extractor on the report corpus of this directory (tests/data/ioc_corpus): every
`NAME.txt` (or `NAME.eml`) has its `NAME.expected.json` ({type: [canonical values]}, absent
types expected empty). Precision, recall and F1 per type, micro-averaged over the documents.

    .venv/bin/python tests/data/ioc_corpus/evaluate.py [--errors] [--json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
TYPES = ("ipv4", "ipv6", "domain", "url", "email", "md5", "sha1", "sha256", "cve", "bitcoin",
         "onion")


def documents() -> list[tuple[str, Path, dict[str, list[str]]]]:
    docs = []
    for path in sorted(HERE.iterdir()):
        if path.suffix in (".txt", ".eml", ".html"):
            expected = json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))
            unknown = set(expected) - set(TYPES)
            if unknown:
                raise ValueError(f"{path.name}: unknown types {sorted(unknown)}")
            docs.append((path.stem, path, expected))
    return docs


def ours(path: Path) -> dict[str, list[str]]:
    from vigisante.indicators.extraction import extract_bytes

    return extract_bytes(path.read_bytes(), path.name)


def score(extractor=ours, docs=None, normalise=None):
    """Returns (per_type, errors): per_type maps a type and "all" to tp, fp, fn, precision,
    recall, f1; errors lists (document, type, wrongly found, missed). `normalise(type, value)`
    maps both sides first (for peers whose values are not canonical)."""
    counts = {t: [0, 0, 0] for t in (*TYPES, "all")}
    errors = []
    for name, path, expected in docs if docs is not None else documents():
        got = extractor(path)
        for t in TYPES:
            exp, g = set(expected.get(t, ())), set(got.get(t, ()))
            if normalise:
                exp, g = {normalise(t, v) for v in exp}, {normalise(t, v) for v in g}
            tp, fp, fn = len(exp & g), len(g - exp), len(exp - g)
            for key in (t, "all"):
                counts[key][0] += tp
                counts[key][1] += fp
                counts[key][2] += fn
            if fp or fn:
                errors.append((name, t, sorted(g - exp), sorted(exp - g)))
    result = {}
    for t, (tp, fp, fn) in counts.items():
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        result[t] = {"tp": tp, "fp": fp, "fn": fn, "precision": round(p, 3),
                     "recall": round(r, 3), "f1": round(f1, 3)}
    return result, errors


def main() -> None:
    result, errors = score()
    if "--json" in sys.argv:
        print(json.dumps(result))
        return
    print(f"{'type':8} {'tp':>4} {'fp':>4} {'fn':>4} {'prec':>6} {'recall':>6} {'f1':>6}")
    for t, r in result.items():
        print(f"{t:8} {r['tp']:4} {r['fp']:4} {r['fn']:4} {r['precision']:6.3f} "
              f"{r['recall']:6.3f} {r['f1']:6.3f}")
    if "--errors" in sys.argv:
        for name, t, fp, fn in errors:
            print(f"{name} {t}: wrongly found {fp} missed {fn}")


if __name__ == "__main__":
    main()
