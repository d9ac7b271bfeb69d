"""Issue 7 benchmarks. `--part extraction` (this file): precision, recall and F1 per type on the
labelled corpus (tests/data/iocs/corpus.jsonl) and throughput in MB/s on a generated text,
ours against iocextract, ioc-finder and iocsearcher (`pip install -e ".[bench]"`), measured in
the same run on the same input. `--part correlation|logcheck` run
benchmarks/indicators_correlation.py and benchmarks/indicators_logcheck.py with the remaining
arguments; `--part all` runs the three.

    .venv/bin/python benchmarks/indicators.py --part extraction [--mb 20] [--peer-mb 0.25]
        [--record]

The text is deterministic (seeded): report prose in English and French, most paragraphs
without indicators, the corpus snippets spread in it, look-alike traps (versions, dates, file
names). Ours is timed on `--mb` MB; the peers, far slower, on the first `--peer-mb` MB of the
same text (their MB/s is size-independent: they are linear scans). Peers' outputs are given
the benefit of our canonical forms, of the issue's rule (a domain or IP that is only the host of
an extracted URL or e-mail is not listed again) and of type mapping (an ioc-finder "domain"
ending in .onion counts as an onion). Prints one JSON line per figure ({"name", "ours", "peer",
"ratio", "unit", "n"}); --record rewrites the "Indicators: extraction" section of RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import random
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "tests" / "data" / "iocs"))
sys.path.insert(0, str(HERE))

import score  # noqa: E402

from vigisante.indicators.extraction import TYPES, canonical, extract, extract_bytes  # noqa: E402

RESULTS = HERE / "RESULTS.md"
SECTION = "## Indicators: extraction"

FILLER_EN = ("the incident response team isolated the affected workstations and reset the "
             "credentials of the domain administrators while the hospital switched to degraded "
             "procedures for admissions pharmacy and laboratory results version 4.2 of the "
             "agent was deployed on 12.03.2024 at 14h30 and the report was shared with the "
             "regional health agency e.g. for the crisis unit").split()
FILLER_FR = ("l'établissement a activé sa cellule de crise et basculé en mode dégradé pour les "
             "urgences la pharmacie et le laboratoire les sauvegardes hors ligne ont permis de "
             "restaurer le dossier patient informatisé en 72 heures le prestataire a appliqué "
             "le correctif 10.0.19041.1 et a transmis son rapport au CERT Santé le 03.04.2024 "
             "à 9h15 voir annexe 2.1").split()


def make_text(megabytes: float, seed: int = 7) -> str:
    rnd = random.Random(seed)
    snippets = [e["text"] for e in score.load() if e["kind"] == "text"]
    target = int(megabytes * 1_000_000)
    parts: list[str] = []
    size = 0
    while size < target:
        if rnd.random() < 0.25:
            p = rnd.choice(snippets)
        else:
            words = FILLER_EN if rnd.random() < 0.5 else FILLER_FR
            p = " ".join(rnd.choice(words) for _ in range(rnd.randint(30, 90))).capitalize()
            p += "."
        parts.append(p)
        size += len(p.encode("utf-8")) + 2
    return "\n\n".join(parts)[:target]


# --- peers ---------------------------------------------------------------------------------------

def peer_iocextract(text: str) -> dict[str, list[str]]:
    import iocextract

    out = {t: [] for t in TYPES}
    out["url"] = list(iocextract.extract_urls(text, refang=True))
    for ip in iocextract.extract_ips(text, refang=True):
        out["ipv6" if ":" in ip else "ipv4"].append(ip)
    out["email"] = list(iocextract.extract_emails(text, refang=True))
    out["md5"] = list(iocextract.extract_md5_hashes(text))
    out["sha1"] = list(iocextract.extract_sha1_hashes(text))
    out["sha256"] = list(iocextract.extract_sha256_hashes(text))
    return out


def peer_ioc_finder(text: str) -> dict[str, list[str]]:
    from ioc_finder import find_iocs

    r = find_iocs(text)
    out = {t: [] for t in TYPES}
    for d in r.get("domains", []):
        (out["onion"] if d.lower().endswith(".onion") else out["domain"]).append(d)
    out["url"] = r.get("urls", [])
    out["ipv4"] = r.get("ipv4s", [])
    out["ipv6"] = r.get("ipv6s", [])
    out["email"] = r.get("email_addresses", []) + r.get("email_addresses_complete", [])
    out["md5"] = r.get("md5s", [])
    out["sha1"] = r.get("sha1s", [])
    out["sha256"] = r.get("sha256s", [])
    out["cve"] = r.get("cves", [])
    out["bitcoin"] = r.get("bitcoin_addresses", [])
    out["onion"] += r.get("onion_addresses", []) if isinstance(r.get("onion_addresses"),
                                                                list) else []
    return out


_SEARCHER = None


def peer_iocsearcher(text: str) -> dict[str, list[str]]:
    global _SEARCHER
    from iocsearcher.searcher import Searcher

    if _SEARCHER is None:
        _SEARCHER = Searcher()
    names = {"ip4": "ipv4", "ip6": "ipv6", "fqdn": "domain", "url": "url", "email": "email",
             "md5": "md5", "sha1": "sha1", "sha256": "sha256", "cve": "cve",
             "bitcoin": "bitcoin", "onionAddress": "onion"}
    out = {t: [] for t in TYPES}
    for ioc in _SEARCHER.search_data(text):
        t = names.get(ioc.name)
        if t:
            v = ioc.value
            if t == "onion" and not v.endswith(".onion"):
                v += ".onion"
            out[t].append(v)
    return out


PEERS = {"iocextract": peer_iocextract, "ioc-finder": peer_ioc_finder,
         "iocsearcher": peer_iocsearcher}


def _normalise(type_: str, value: str) -> str:
    return canonical(type_, value) or value.strip().lower()


def _apply_host_rule(found: dict[str, list[str]]) -> dict[str, list[str]]:
    """Give a peer the issue's rule: hosts of its URLs and domains of its e-mails not repeated."""
    hosts = set()
    for u in found.get("url", []):
        try:
            h = urlsplit(u if "://" in u else "http://" + u).hostname
        except ValueError:
            h = None
        if h:
            hosts.add(h.lower())
    for e in found.get("email", []):
        hosts.add(e.rpartition("@")[2].lower())
    out = dict(found)
    for t in ("domain", "ipv4", "ipv6"):
        out[t] = [v for v in found.get(t, []) if _normalise(t, v) not in hosts]
    return out


def _entry_text(entry) -> str:
    if entry["kind"] == "text":
        return entry["text"]
    if entry["kind"] == "eml":
        # peers have no MIME parser: give them the decoded message as text (their best case)
        import email
        import email.policy

        msg = email.message_from_string(entry["text"], policy=email.policy.default)
        parts = [f"{k}: {v}" for k, v in msg.items()]
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                parts.append(part.get_content())
        return "\n".join(parts)
    return entry["text"]


def quality(entries) -> dict[str, dict]:
    results = {"vigisante": score.score(entries, score.ours, _normalise)[0]}
    for name, fn in PEERS.items():
        def ex(entry, fn=fn):
            try:
                return _apply_host_rule(fn(_entry_text(entry)))
            except Exception:  # noqa: BLE001 - a peer crashing on a snippet finds nothing
                return {}
        results[name] = score.score(entries, ex, _normalise)[0]
    return results


def throughput(fn, text: str, repeat: int = 1) -> float:
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(text)
        dt_ = time.perf_counter() - t0
        best = dt_ if best is None else min(best, dt_)
    return len(text.encode("utf-8")) / 1e6 / best


def emit(name: str, ours, peer, unit: str, n: int, higher_is_better: bool = True) -> dict:
    ratio = None
    if ours is not None and peer:
        ratio = round(ours / peer, 2) if higher_is_better else round(peer / ours, 2)
    line = {"name": name, "ours": ours, "peer": peer, "ratio": ratio, "unit": unit, "n": n}
    print(json.dumps(line), flush=True)
    return line


def run_extraction(megabytes: float, peer_mb: float, record: bool, peers=None) -> list[dict]:
    peers = peers or list(PEERS)
    entries = score.load()
    extract("warm up evil.com 1.2.3.4")  # loads the suffix list once
    lines = []
    q = quality(entries)
    for name in peers:
        for t in (*TYPES, "all"):
            lines.append(emit(f"extraction F1 {t} vs {name}", q["vigisante"][t]["f1"],
                              q[name][t]["f1"], "F1", len(entries)))
    text = make_text(megabytes)
    ours = throughput(extract, text)
    ours_bytes = throughput(lambda s: extract_bytes(s.encode("utf-8"), "report.txt"), text)
    small = make_text(peer_mb)
    peer_speed = {}
    ours_runs = []
    for name in peers:  # interleaved: ours and each peer on the same input, best of runs
        fn = PEERS[name]
        fn("warm up evil.com 1.2.3.4")
        ours_runs.append(throughput(extract, small, repeat=2))
        peer_speed[name] = throughput(fn, small, repeat=1 if name == "iocextract" else 2)
    ours_small = max(ours_runs)
    for name in peers:
        lines.append(emit(f"extraction MB/s vs {name} (same {peer_mb:g} MB)", round(ours_small, 3),
                          round(peer_speed[name], 4), "MB/s", len(small)))
    lines.append(emit(f"extraction MB/s ours on {megabytes:g} MB (peer: ours on {peer_mb:g} MB)",
                      round(ours, 3), round(ours_small, 3), "MB/s", len(text)))
    lines.append(emit("extraction MB/s extract_bytes streamed (peer: extract)",
                      round(ours_bytes, 3), round(ours, 3), "MB/s", len(text)))
    if record:
        _record(q, ours, ours_bytes, ours_small, peer_speed, megabytes, peer_mb, len(entries),
                peers)
    return lines


def _record(q, ours, ours_bytes, ours_small, peer_speed, megabytes, peer_mb, n, peers) -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0
    cmd = (f"`.venv/bin/python benchmarks/indicators.py --part extraction --mb {megabytes:g} "
           f"--peer-mb {peer_mb:g} --record`")
    out = [SECTION, "",
           f"{cmd} — {dt.date.today()}, Python {platform.python_version()}, 2 cores shared with "
           f"other work (load average {load:.1f}). Corpus: {n} labelled snippets "
           "(tests/data/iocs/corpus.jsonl). Peers' outputs normalised with our canonical forms "
           "and given the issue's host rule (see the script's docstring).", "",
           "F1 per type (precision / recall in brackets for ours):", "",
           "| type | ours | " + " | ".join(peers) + " |",
           "|---|---|" + "---|" * len(peers)]
    for t in (*TYPES, "all"):
        o = q["vigisante"][t]
        row = f"| {t} | {o['f1']:.3f} ({o['precision']:.3f} / {o['recall']:.3f}) | "
        row += " | ".join(f"{q[p][t]['f1']:.3f}" for p in peers) + " |"
        out.append(row)
    fastest = max(peer_speed, key=peer_speed.get)
    out += ["", f"Throughput on the same first {peer_mb:g} MB of the generated report text (best "
            f"of runs, ours interleaved with each peer): ours {ours_small:.3f} MB/s; "
            + ", ".join(f"{p} {peer_speed[p]:.4f} MB/s" for p in peers)
            + f". Ours / fastest peer ({fastest}): {ours_small / peer_speed[fastest]:.1f}x. "
            f"Ours on the whole {megabytes:g} MB: {ours:.3f} MB/s with `extract` (cut in 1 MB "
            f"chunks), {ours_bytes:.3f} MB/s through `extract_bytes` (decoding and streaming "
            "included). The machine was shared with eight other agents: absolute figures are "
            "several times below an idle machine's; the ratios come from the same run.", "",
            "Choice: our own engine (`vigisante.indicators.extraction`), better on every type and "
            "faster; the peers stay in the `bench` extra only, not in the runtime.", ""]
    text = RESULTS.read_text(encoding="utf-8")
    block = "\n".join(out) + "\n"
    if SECTION in text:
        start = text.index(SECTION)
        nxt = text.find("\n## ", start + len(SECTION))
        text = text[:start] + block + ("" if nxt < 0 else text[nxt + 1:])
    else:
        text = text.rstrip("\n") + "\n\n" + block
    RESULTS.write_text(text, encoding="utf-8")


def _run_module(module: str, rest: list[str]) -> None:
    path = HERE / f"{module}.py"
    if not path.exists():
        print(f"{module}.py is not there yet; skipped", file=sys.stderr)
        return
    mod = importlib.import_module(module)
    saved = sys.argv
    sys.argv = [str(path), *rest]
    try:
        mod.main()
    finally:
        sys.argv = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--part", choices=("extraction", "correlation", "logcheck", "all"),
                        default="extraction")
    parser.add_argument("--mb", type=float, default=20, help="text size for ours (MB)")
    parser.add_argument("--peer-mb", type=float, default=0.25,
                        help="first MB of the same text given to the peers")
    parser.add_argument("--peers", default=",".join(PEERS))
    parser.add_argument("--record", action="store_true")
    args, rest = parser.parse_known_args()
    if args.part in ("extraction", "all"):
        run_extraction(args.mb, args.peer_mb, args.record,
                       [p for p in args.peers.split(",") if p])
    if args.part in ("correlation", "all"):
        _run_module("indicators_correlation", rest)
    if args.part in ("logcheck", "all"):
        _run_module("indicators_logcheck", rest)


if __name__ == "__main__":
    main()
