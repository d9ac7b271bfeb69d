"""IOC extraction quality on the report corpus (tests/data/ioc_corpus: whole documents shaped
like published advisories, blog posts, DFIR reports, pasted pulses, forwarded e-mails, with
their expected indicators): precision / recall / F1 per type, ours and the peers of
benchmarks/indicators.py (iocextract, ioc-finder, iocsearcher, from the `bench` extra), their
values given our canonical forms and the host rule.

    .venv/bin/python benchmarks/ioc_report_corpus.py [--peers iocextract,ioc-finder,iocsearcher]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "data" / "ioc_corpus"))
sys.path.insert(0, str(HERE))

import evaluate  # noqa: E402
import indicators  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--peers", default=",".join(indicators.PEERS))
    args = parser.parse_args()
    docs = evaluate.documents()
    results = {"ours": evaluate.score(docs=docs, normalise=indicators._normalise)[0]}
    for name in filter(None, args.peers.split(",")):
        fn = indicators.PEERS[name]

        def run(path, fn=fn):
            try:
                return indicators._apply_host_rule(fn(path.read_text(encoding="utf-8")))
            except Exception:  # noqa: BLE001 - a peer crashing on a document finds nothing
                return {}
        results[name] = evaluate.score(run, docs=docs, normalise=indicators._normalise)[0]
    names = list(results)
    print(f"{len(docs)} documents; F1 per type (ours: precision / recall)")
    print("| type | " + " | ".join(names) + " |")
    print("|---" * (len(names) + 1) + "|")
    for t in (*evaluate.TYPES, "all"):
        r = results["ours"][t]
        cells = [f"{r['f1']:.3f} ({r['precision']:.3f} / {r['recall']:.3f})"]
        cells += [f"{results[n][t]['f1']:.3f}" for n in names[1:]]
        print(f"| {t} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
